"""Attack: code from the spec or its file name must never run in a program mlops writes.

Python reads a source encoding from a comment on line 1 or 2 (PEP 263, `coding[:=]name`). Under
`utf-7`, `'+ACc-'` is `'` and a string literal of the spec decodes into code. These tests compile a
spec whose file name carries encoding declarations (and newlines, quotes, backslashes, bidi and
other hidden characters) and whose strings carry UTF-7 payloads, run the emitted program and the
`mlops init` project under Pulumi's mocks, and check that no payload ran (no marker file, no
variable set, no `os.system`) and that the registered resources still equal the manifests.
"""
from __future__ import annotations

import base64
import builtins
import os
import shutil
from pathlib import Path

import pytest
import yaml

from backends.pulumi.emitted import HEADER
from backends.pulumi.init_project import PROGRAM_HEADER
from compiler.cli import main
from tests.conftest import REPO_ROOT
from tests.pulumi_mocks import assert_registers_the_manifests, manifest_objects, run_program_file
from tests.test_pulumi_programs import _all_lists

HOSTILE = REPO_ROOT / "tests" / "pulumi_cases" / "hostile-strings.yaml"
MARKER = "MLOPS_PWNED"


def utf7(code: str) -> str:
    """`code` as UTF-7 (what Python decodes the program as when line 1 or 2 says `coding: utf-7`)."""
    return "+" + base64.b64encode(code.encode("utf-16-be")).decode().rstrip("=") + "-"


#: Each closes the string literal it sits in, runs a payload, and reopens one: valid Python under UTF-7.
PAYLOADS = [
    utf7(f"' if open('{MARKER}', 'w') else '"),
    utf7(f"' if __import__('builtins').__setattr__('{MARKER}', 1) is None else '"),
    utf7("' if __import__('os').system('touch " + MARKER + "') else '"),
]

#: File names that put an encoding declaration (or worse) wherever a program quotes the spec's name.
NAMES = [
    "coding=utf-7 x.yaml",
    "coding:utf-7,mlops.yaml",
    "# -*- coding: utf-7 -*-.yaml",
    "vim: set fileencoding=utf-7 :.yaml",
    "x\n# coding: utf-7\n.yaml",
    "\r# coding=utf-7 \r.yaml",
    "'''; import os; os.system('touch x'); '''.yaml",
    '""" + __import__("os").getcwd() + """.yaml',
    "back\\slash\\'.yaml",
    "\u202ecoding=utf-7\u2066 \u200b.yaml",
    "é 🚀 coding=utf-7\x0c.yaml",
]


def hostile_spec(directory: Path, name: str, strings: str) -> Path:
    """The hostile-strings case saved as `name`, its command the UTF-7 payloads: alone (`payloads`; an
    ASCII program, which UTF-7 decodes whole) or after every other hostile string (`all`)."""
    spec = yaml.safe_load(HOSTILE.read_text(encoding="utf-8"))
    command = spec["pipelines"]["nightly"]["steps"]["run"]["command"]
    spec["pipelines"]["nightly"]["steps"]["run"]["command"] = (command if strings == "all" else []) + PAYLOADS
    path = directory / name
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def no_payload_runs(tmp_path, monkeypatch):
    """Fails the test if a payload ran: a marker file anywhere under tmp_path, the variable, os.system."""
    calls: list[str] = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    yield
    variable_set = hasattr(builtins, MARKER)
    if variable_set:
        delattr(builtins, MARKER)
    assert calls == [], f"os.system ran {calls}"
    assert not variable_set, "a payload set a variable"
    assert not [p for p in tmp_path.rglob("*") if MARKER in p.name], "a payload wrote a file"


def _first_two_lines(path: Path) -> str:
    return "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:2])


@pytest.mark.parametrize("strings", ["payloads", "all"])
@pytest.mark.parametrize("name", NAMES, ids=range(len(NAMES)))
def test_the_emitted_program_runs_nothing_from_the_spec_or_its_name(name, strings, tmp_path, no_payload_runs) -> None:
    spec = hostile_spec(tmp_path, name, strings)
    assert main(["compile", str(spec), "-o", str(tmp_path / "build"), "--backend", "all"]) == 0
    build = tmp_path / "build" / "base"
    program = build / "pulumi" / "__main__.py"
    assert _first_two_lines(program) == HEADER  # nothing from the spec where Python reads the encoding
    run = run_program_file(program, stack="base")
    assert_registers_the_manifests(run, manifest_objects(build))
    command = yaml.safe_load(spec.read_text(encoding="utf-8"))["pipelines"]["nightly"]["steps"]["run"]["command"]
    template = next(r.inputs for r in run.mocks.kubernetes_objects if r.inputs["kind"] == "WorkflowTemplate")
    assert command in list(_all_lists(template))  # every payload registered verbatim, as data
    description = yaml.safe_load((build / "pulumi" / "Pulumi.yaml").read_text(encoding="utf-8"))["description"]
    assert name in description  # JSON-quoted in YAML: the same text, not YAML syntax


@pytest.mark.parametrize("name", NAMES, ids=range(len(NAMES)))
def test_the_init_project_runs_nothing_from_the_spec_or_its_name(name, tmp_path, no_payload_runs, monkeypatch) -> None:
    from backends.pulumi import runtime

    monkeypatch.setattr(runtime, "report_lint", lambda checked, lock: None)  # the case is not lint-clean
    spec = hostile_spec(tmp_path, name, "all")
    assert main(["init", str(spec)]) == 0
    program = tmp_path / "__main__.py"
    assert _first_two_lines(program) == PROGRAM_HEADER
    assert main(["compile", str(spec), "-o", str(tmp_path / "build"), "--backend", "kubernetes"]) == 0
    run = run_program_file(program, stack="base")
    assert_registers_the_manifests(run, manifest_objects(tmp_path / "build" / "base"))
    hook = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"][0]
    assert hook["args"][-1] == name and hook["entry"] == "mlops lint --all-envs"
    assert name in yaml.safe_load((tmp_path / "Pulumi.yaml").read_text(encoding="utf-8"))["description"]


def test_a_spec_named_like_an_option_is_passed_after_double_dash(tmp_path) -> None:
    spec = tmp_path / "--help.yaml"
    shutil.copy(HOSTILE, spec)
    assert main(["init", str(spec)]) == 0
    hook = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"][0]
    assert hook["args"] == ["--", "--help.yaml"]


def test_a_template_that_puts_spec_text_on_the_first_lines_fails_to_render(tmp_path, monkeypatch) -> None:
    from backends.pulumi import emitted

    (tmp_path / emitted.TEMPLATE).write_text("# {{ spec_file|comment }}\n")
    monkeypatch.setattr(emitted, "TEMPLATES", tmp_path)
    with pytest.raises(ValueError, match="fixed encoding header"):
        emitted.render_program({}, env=None, spec_file="coding=utf-7 x.yaml", outputs={})
