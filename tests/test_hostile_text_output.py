"""Attack: what mlops prints for a terminal or a CI log, with spec keys, values, file names and lock
fields that carry newlines, escape sequences, bidi controls and GitHub workflow commands.

The runner reads `::command::` at the start of a line (after spaces) and `##[command]` anywhere in
one (actions/runner `src/Runner.Common/ActionCommand.cs`); a terminal obeys ESC/CSI sequences and
bidi controls reorder what it shows. No line an attacker writes into may start with `::`, hold
`##[`, or hold a control, bidi or other hidden character; `--format github` lines are ours alone.
"""
from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from compiler.cli import main
from compiler.escaping import terminal
from compiler.graph import system_graph, to_dot, to_mermaid
from compiler.lint.formats import render_github, render_text
from compiler.lint.rule import Finding
from tests.conftest import REPO_ROOT

HOSTILE = REPO_ROOT / "tests" / "pulumi_cases" / "hostile-strings.yaml"
INJECTIONS = ["\n::error file=x.yaml,line=1::forged", "\r::add-mask::secret", "\n  ::stop-commands::pause",
              "##[stop-commands]pause", "##[error]forged", "\x1b[2J\x1b]0;title\x07", "\x9b31m", "\u202eevil\u2066",
              "\u200b\ufeff\u2028", "\x00\x7f", "%0A::error::x"]


def assert_safe_lines(output: str, *, ours: str | None = None) -> None:
    """Every line: no workflow command (unless it matches `ours`), no hidden character."""
    for line in output.split("\n"):
        if ours is not None and re.match(ours, line):  # a command we write: one line, nothing hidden
            assert all(char.isprintable() for char in line), f"a hidden character: {line!r}"
            continue
        assert not line.lstrip().startswith("::"), f"a workflow command: {line!r}"
        assert "##[" not in line, f"a legacy workflow command: {line!r}"
        assert all(char.isprintable() for char in line), f"a hidden character: {line!r}"


def _run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def hostile_keys(tmp_path):
    """The hostile-strings spec with injected keys (unknown keys: validation errors that quote them)."""
    spec = yaml.safe_load(HOSTILE.read_text(encoding="utf-8"))
    for i, injection in enumerate(INJECTIONS):
        spec["metadata"][f"k{i}{injection}"] = injection
    path = tmp_path / "mlops.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def test_validate_and_lint_errors_quote_hostile_keys_safely(hostile_keys, capsys) -> None:
    code, out, err = _run(capsys, "validate", str(hostile_keys))
    assert code == 1 and err.count(": error: ") >= len(INJECTIONS)
    assert_safe_lines(err)
    assert "\\x1b[2J" in err and "\\u202e" in err and "##\\x5bstop-commands]" in err  # shown, escaped
    for form in ("text", "json", "sarif"):
        code, out, err = _run(capsys, "lint", str(hostile_keys), "--format", form)
        assert code == 1
        assert_safe_lines(out)
        assert_safe_lines(err)
        if form != "text":
            json.loads(out)  # still valid JSON, the same values
    code, out, _ = _run(capsys, "lint", str(hostile_keys), "--format", "github")
    lines = out.splitlines()
    assert lines and all(re.match(r"::(error|warning|notice) file=[^:,]*,line=\d+,col=\d+,title=[^:,]*::", line)
                         for line in lines), out
    assert_safe_lines(out, ours=r"::(error|warning|notice) ")


@pytest.mark.parametrize("name", ["::error::forged.yaml", "  ::add-mask::x.yaml", "::stop-commands::t.yaml"])
def test_a_file_named_like_a_workflow_command_cannot_start_one(name, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(HOSTILE, tmp_path / name)
    code, out, err = _run(capsys, "validate", name)
    assert code == 0 and err.startswith("./")
    assert_safe_lines(err)
    broken = tmp_path / name
    broken.write_text(broken.read_text(encoding="utf-8") + "unknown_key: 1\n", encoding="utf-8")
    for command in (["validate", name], ["lint", name], ["compile", name, "-o", "build"], ["graph", name],
                    ["plan", name, "--base-spec", name]):
        code, out, err = _run(capsys, *command)
        assert code == 1 and "unknown_key" in err + out, (command, err)
        assert_safe_lines(err)
        assert_safe_lines(out)


def test_findings_render_hostile_messages_and_files_safely() -> None:
    findings = [Finding(f"::error::{i}.yaml", 1, 1, "SERVE001", f"bad {injection}", "warning", "n",
                        hint=f"fix {injection}") for i, injection in enumerate(INJECTIONS)]
    assert_safe_lines(render_text(findings))
    github = render_github(findings)
    assert len(github.splitlines()) == len(findings)  # one command per finding, none forged
    assert_safe_lines(github, ours=r"::warning file=%3A%3Aerror%3A%3A\d+\.yaml,")


def test_lock_check_prints_the_registry_s_strings_safely(tmp_path, capsys) -> None:
    spec = tmp_path / "mlops.yaml"
    shutil.copy(HOSTILE, spec)
    lock = (REPO_ROOT / "tests" / "fixtures" / "mlops.lock").read_text(encoding="utf-8")
    hostile = "s3://x/\u202eevil\u2066/##[stop-commands]pause/\u200b"
    (tmp_path / "mlops.lock").write_text(lock.replace(
        "s3://acme-mlflow/artifacts/d90858fff35b4f9998dfd438cd2f1d10/model", f'"{hostile}"'), encoding="utf-8")
    code, out, err = _run(capsys, "lock", str(spec), "--check")
    assert code == 1 and "\\u202eevil" in out, out  # the diff shows the committed line, escaped
    assert_safe_lines(out)
    assert_safe_lines(err)


def test_graph_labels_keep_hostile_text_inside_one_label() -> None:
    from compiler.checked_spec import check_file

    checked = check_file(str(HOSTILE))
    graph = system_graph(checked.spec)
    for node in graph.nodes.values():
        node.label = node.label + "".join(INJECTIONS) + '"]; click x href "javascript:alert(1)"; %%'
    mermaid, dot = to_mermaid(graph), to_dot(graph)
    assert_safe_lines(mermaid)
    assert_safe_lines(dot)
    for line in mermaid.splitlines()[1:]:
        assert line.count('"') % 2 == 0 and "click" not in line.split('"')[0]  # the label never closes early
    for line in dot.splitlines():
        assert len(re.sub(r'\\.', "", line).split('"')) % 2 == 1, line  # DOT strings balanced


def test_terminal_escapes_are_idempotent_and_lose_nothing_visible() -> None:
    for injection in INJECTIONS + ["plain text: é 🚀 ×"]:
        once = terminal.line(injection)
        assert terminal.line(once) == once
    assert terminal.text("plain text: é 🚀 ×") == "plain text: é 🚀 ×"
    assert terminal.path("::x.yaml") == "./::x.yaml" and terminal.path("mlops.yaml") == "mlops.yaml"
