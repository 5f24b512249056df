"""`mlops plan --base` reads the history of the work tree the spec is in, never a repository a pull request
planted beside it, runs no program the repository's config names, and reads no more than a spec's bound
(issue 14, items 7 and 9).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.plan import revisions
from tests.compile_support import EXAMPLE

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
CHANGED = ("replicas: {min: 2, max: 20}", "replicas: {min: 6, max: 20}")


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                            capture_output=True, text=True, check=True)
    return result.stdout


def plan_json(spec: Path, cwd: Path, capsys, *args: str) -> tuple[int, dict | None, str]:
    before = Path.cwd()
    os.chdir(cwd)
    try:
        code = main(["plan", str(spec), "--format", "json", *args])
    finally:
        os.chdir(before)
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


@pytest.fixture
def planted(tmp_path) -> Path:
    """A repository whose subfolder `sub/` holds the spec and, committed beside it, a bare repository
    (config: core.bare=false, core.worktree=., core.fsmonitor=a command) whose history has another spec."""
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "-q", "-b", "main")
    (outer / "sub").mkdir()
    shutil.copy(EXAMPLE, outer / "sub" / "mlops.yaml")
    git(outer, "add", "-A")
    git(outer, "commit", "-q", "-m", "base")
    evil = tmp_path / "evil"
    evil.mkdir()
    git(evil, "init", "-q", "-b", "main")
    (evil / "mlops.yaml").write_text(EXAMPLE.read_text().replace(*CHANGED))
    git(evil, "add", "-A")
    git(evil, "commit", "-q", "-m", "attacker's history")
    shutil.copytree(evil / ".git", outer / "sub", dirs_exist_ok=True)
    for key, value in (("core.bare", "false"), ("core.worktree", "."),
                       ("core.fsmonitor", f"touch {tmp_path / 'pwned'}")):
        git(outer, "config", "-f", "sub/config", key, value)
    git(outer, "add", "-A")
    git(outer, "commit", "-q", "-m", "a pull request adds files")
    return outer


def test_plan_reads_the_work_trees_history_not_a_planted_bare_repository(planted, capsys, tmp_path):
    """Before: `git -C sub show main:./mlops.yaml` found sub/ itself as the repository: the attacker's base."""
    assert git(planted / "sub", "show", "main:./mlops.yaml") != EXAMPLE.read_text()  # plain git is fooled
    code, plan, err = plan_json(planted / "sub" / "mlops.yaml", planted, capsys, "--base", "main")
    assert code == 0, err
    assert all(not section["resources"] for section in plan["environments"]), plan  # the real base: no change
    assert not (tmp_path / "pwned").exists()


def test_a_spec_in_a_nested_repository_of_the_work_tree_is_refused(tmp_path, capsys):
    outer = tmp_path / "outer"
    (outer / "inner").mkdir(parents=True)
    git(outer, "init", "-q", "-b", "main")
    git(outer / "inner", "init", "-q", "-b", "main")
    shutil.copy(EXAMPLE, outer / "inner" / "mlops.yaml")
    git(outer / "inner", "add", "-A")
    git(outer / "inner", "commit", "-q", "-m", "inner")
    code, _, err = plan_json(outer / "inner" / "mlops.yaml", outer, capsys, "--base", "main")
    assert code == 2 and "reads history only from the work tree's own repository" in err, err
    code, _, err = plan_json(outer / "inner" / "mlops.yaml", outer / "inner", capsys, "--base", "main")
    assert code == 0, err  # from inside it, it is the work tree mlops runs in


def test_no_git_call_can_run_a_program_from_the_repositorys_config(tmp_path, capsys, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copy(EXAMPLE, repo / "mlops.yaml")
    (repo / ".gitattributes").write_text("*.yaml filter=evil diff=evil\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    marker = tmp_path / "ran"
    for key in ("core.fsmonitor", "core.pager", "diff.external", "core.sshCommand", "filter.evil.smudge",
                "filter.evil.clean", "filter.evil.process", "diff.evil.textconv", "credential.helper"):
        git(repo, "config", key, f"sh -c 'echo {key} >> {marker}; cat'")
    calls = []
    real = revisions._git
    monkeypatch.setattr(revisions, "_git", lambda args, directory: calls.append(args) or real(args, directory))
    code, plan, err = plan_json(repo / "mlops.yaml", repo, capsys, "--base", "main")
    assert code == 0, err
    assert not marker.exists(), marker.read_text()
    assert calls and all(args[0] in ("rev-parse", "--git-dir") for args in calls)


def test_a_huge_committed_spec_is_not_read(tmp_path, capsys):
    """Before: `git show` output was read whole into memory."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "mlops.yaml").write_bytes(b"# " + b"x" * (9 * 2**20) + b"\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "big")
    shutil.copy(EXAMPLE, repo / "mlops.yaml")
    code, _, err = plan_json(repo / "mlops.yaml", repo, capsys, "--base", "main")
    assert code == 1 and "main:mlops.yaml:1:1: error: file is 9437187 bytes at main; the limit is" in err, err
