"""Attack: only a real YAML comment `# mlops: ignore CODE -- reason` suppresses a finding.

Text that looks like one inside a single-quoted, double-quoted (one line or several), block or flow
scalar is data: a contributor must not switch a rule off by putting it in an image's lock file name
or a package string. The finding here is DEPS002 (a moving image tag) on the `image:` line.
"""
from __future__ import annotations

import json

import pytest

from compiler.cli import main

HEAD = "apiVersion: mlops/v1\nkind: System\nmetadata: {name: t, namespace: t}\n"
IMAGE = "ghcr.io/acme/serve:latest"

#: Specs in which a comment-looking text would suppress DEPS002 if the line were read as text.
FAKE = {
    "single-quoted": f"runtimes: {{serve: {{image: {IMAGE}, lockfile: 'x # mlops: ignore DEPS002 -- fake'}}}}\n",
    "double-quoted": f'runtimes: {{serve: {{image: {IMAGE}, lockfile: "x # mlops: ignore DEPS002 -- fake"}}}}\n',
    "flow sequence": f'runtimes: {{serve: {{image: {IMAGE}, packages: ["a==1 # mlops: ignore DEPS002 -- fake"]}}}}\n',
    "block scalar": f"runtimes:\n  serve:\n    lockfile: |\n      # mlops: ignore DEPS002 -- fake\n    image: {IMAGE}\n",
    "folded scalar": f"runtimes:\n  serve:\n    lockfile: >-\n      # mlops: ignore DEPS002 -- fake\n    image: {IMAGE}\n",
    "multi-line double-quoted": f'runtimes:\n  serve:\n    lockfile: "x\n      # mlops: ignore DEPS002 -- fake"\n'
                                f"    image: {IMAGE}\n",
    "multi-line single-quoted": f"runtimes:\n  serve:\n    lockfile: 'x\n      # mlops: ignore DEPS002 -- fake'\n"
                                f"    image: {IMAGE}\n",
    "multi-line flow sequence": f'runtimes:\n  serve:\n    packages: [\n      "# mlops: ignore DEPS002 -- fake"]\n'
                                f"    image: {IMAGE}\n",
}

#: Real comments, which must keep working.
REAL = {
    "end of line": f"runtimes: {{serve: {{image: {IMAGE}}}}}  # mlops: ignore DEPS002 -- pinned upstream\n",
    "own line": f"runtimes:\n  serve:\n    # mlops: ignore DEPS002 -- pinned upstream\n    image: {IMAGE}\n",
    "after a quoted value": f"runtimes: {{serve: {{image: '{IMAGE}'}}}}  # x # mlops: ignore DEPS002 -- pinned\n",
    "after a block scalar": f"runtimes:\n  serve:\n    lockfile: |\n      x\n    # mlops: ignore DEPS002 -- pinned\n"
                            f"    image: {IMAGE}\n",
}


def _codes(tmp_path, capsys, body: str) -> list[str]:
    path = tmp_path / "mlops.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    main(["lint", str(path), "--format", "json", "--fail-on", "info"])
    return [finding["code"] for finding in json.loads(capsys.readouterr().out)]


@pytest.mark.parametrize("body", FAKE.values(), ids=FAKE.keys())
def test_comment_looking_text_in_a_string_suppresses_nothing(body, tmp_path, capsys) -> None:
    codes = _codes(tmp_path, capsys, body)
    assert "DEPS002" in codes and "SPEC" not in codes, codes
    assert "LINT001" not in codes and "LINT002" not in codes  # and it is not an ignore at all


@pytest.mark.parametrize("body", REAL.values(), ids=REAL.keys())
def test_a_real_comment_still_suppresses(body, tmp_path, capsys) -> None:
    codes = _codes(tmp_path, capsys, body)
    assert "DEPS002" not in codes and "SPEC" not in codes, codes
