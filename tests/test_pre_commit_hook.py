"""The hooks of .pre-commit-hooks.yaml, run by pre-commit itself (`pre-commit try-repo`): pre-commit
builds the hook's own environment from this repository (a regular pip install, as for any user),
passes the changed spec files, and a finding at `--fail-on` or an invalid spec fails the commit with
file:line:col in the output."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "mlops.yaml.example"
LOCK = REPO / "tests" / "fixtures" / "mlops.lock"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    # One home for the module: pre-commit installs the hook environment once and reuses it.
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return tmp_path_factory.mktemp("pre-commit-home")


def project(root: Path, spec_text: str) -> Path:
    """A git repository that keeps an mlops.yaml and its lock, as a user's would."""
    root.mkdir()
    (root / "mlops.yaml").write_text(spec_text, encoding="utf-8")
    shutil.copy(LOCK, root / "mlops.lock")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run(git + ["init", "-q"], cwd=root, check=True)
    subprocess.run(git + ["add", "."], cwd=root, check=True)
    return root


def try_repo(root: Path, hook: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--files", "mlops.yaml"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)


def test_hooks_pass_on_the_example(tmp_path, pre_commit_home):
    root = project(tmp_path / "clean", EXAMPLE.read_text(encoding="utf-8"))
    for hook, name in (("mlops-lint", "mlops lint"), ("mlops-validate", "mlops validate")):
        result = try_repo(root, hook, pre_commit_home)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{name}..." in result.stdout and "Passed" in result.stdout


PINNED = "    version: 2.3.1\n"
FAILURES = [
    # hook, what replaces the preprocessing version line, lines after it, column, what the output says
    ("mlops-lint", "    version: latest\n", 0, 14, "SKEW002 [error]"),
    ("mlops-validate", PINNED + "    versoin: 2\n", 1, 5, "versoin"),
]


@pytest.mark.parametrize("hook, replacement, below, col, says", FAILURES, ids=[f[0] for f in FAILURES])
def test_hook_fails_the_commit(tmp_path, pre_commit_home, hook, replacement, below, col, says):
    """An error-level finding (lint) or an invalid spec (validate) fails the commit, at file:line:col."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert PINNED in text
    root = project(tmp_path / hook, text.replace(PINNED, replacement, 1))
    line = text.splitlines().index(PINNED.rstrip("\n")) + 1 + below
    result = try_repo(root, hook, pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    position = next((out for out in result.stdout.splitlines() if out.startswith(f"mlops.yaml:{line}:{col}:")), "")
    assert says in position, result.stdout


def test_warnings_show_in_a_passing_commit(tmp_path, pre_commit_home):
    """pre-commit hides a passing hook's output; the hook is `verbose` so warning-level traps are seen."""
    text = EXAMPLE.read_text(encoding="utf-8")
    moving = text.replace("ghcr.io/acme/fraud-serve:1.4.2", "ghcr.io/acme/fraud-serve:latest", 1)
    assert moving != text
    root = project(tmp_path / "warning", moving)
    result = try_repo(root, "mlops-lint", pre_commit_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout and "DEPS002 [warning]" in result.stdout, result.stdout


def test_the_lint_hook_is_verbose():
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["mlops-lint"].get("verbose") is True
