"""Attack: bidi controls and other invisible characters in spec strings reach the manifests visibly.

A reviewer reads manifests (and the lock) as YAML text: a right-to-left override or a zero-width
space in an image, a command or an env value would show something other than what the cluster
gets ("Trojan Source"). The emitter writes each as a `\\u` escape inside double quotes (YAML reads
the same string back), never raw and never in a literal block.
"""
from __future__ import annotations

import yaml

from compiler.cli import main
from compiler.yaml_emitter import dump_document, scalar
from tests.conftest import REPO_ROOT

HOSTILE = REPO_ROOT / "tests" / "pulumi_cases" / "hostile-strings.yaml"
HIDDEN = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\u200d", "\u2060",
          "\ufeff", "\u00ad", "\u00a0", "\u3164", "\U000e0041", "\u2028", "\x85", "\x1b", "\x9b"]


def test_hidden_characters_are_escapes_that_read_back_as_themselves() -> None:
    for char in HIDDEN:
        for value in (f"ghcr.io/acme/x{char}:1.0", f"run {char}\nline two\n"):
            written = dump_document({"value": value})
            assert char not in written and all(c.isprintable() for c in written.replace("\n", "")), written
            assert yaml.safe_load(written) == {"value": value}
    assert scalar("plain é 🚀") == '"plain é 🚀"'  # visible non-ASCII stays as it is


def test_compiled_manifests_show_every_hidden_character(tmp_path) -> None:
    spec = yaml.safe_load(HOSTILE.read_text(encoding="utf-8"))
    command = [f"echo {char}evil" for char in HIDDEN] + ["multi\u202e\nline\n"]
    spec["pipelines"]["nightly"]["steps"]["run"]["command"] = command
    path = tmp_path / "mlops.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main(["compile", str(path), "-o", str(tmp_path / "build"), "--backend", "kubernetes"]) == 0
    text = (tmp_path / "build" / "base" / "manifests" / "pipelines" / "nightly.yaml").read_text(encoding="utf-8")
    assert all(char.isprintable() for line in text.splitlines() for char in line), "a hidden character in a manifest"
    assert "\\u202eevil" in text
    documents = list(yaml.safe_load_all(text))
    template = next(d for d in documents if d["kind"] == "WorkflowTemplate")
    assert [t["container"]["command"] for t in template["spec"]["templates"] if "container" in t] == [command]
