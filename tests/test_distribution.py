"""The distribution is `mlops-compiler`: every install instruction and scaffolded requirement names it.

The package index's project named `mlops` is unrelated, so `pip install 'mlops[pulumi]'` would
install someone else's code. These tests hold every instruction in the repository to the name, and
check the requirement `mlops init` writes for each way pip can have installed this copy.
"""
from __future__ import annotations

import re
import tomllib

import pytest

from compiler import distribution
from tests.conftest import REPO_ROOT


def test_the_project_is_the_distribution_mlops_compiler() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == distribution.NAME == "mlops-compiler"
    assert project["scripts"] == {"mlops": "compiler.cli:entry"}
    assert all(not re.match(r"mlops\[", dependency) for dependency in project["optional-dependencies"]["dev"])


def test_no_instruction_or_requirement_names_the_other_project() -> None:
    files = [REPO_ROOT / "README.md", REPO_ROOT / "action.yml", *(REPO_ROOT / "docs").glob("*.md"),
             *(REPO_ROOT / "compiler").rglob("*.py"), *(REPO_ROOT / "backends").rglob("*.py")]
    wrong = re.compile(r"mlops(\[[^\]]*\])?([<>=~!].*)?")  # a requirement for the project named `mlops`
    offenders = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            for command in line.split("pip install")[1:]:
                arguments = command.split("&&")[0].split("`")[0].split()  # to the end of the command
                offenders += [(path.name, line) for argument in arguments if wrong.fullmatch(argument.strip("'\"`"))]
    assert offenders == []


@pytest.mark.parametrize(("origin", "expected"), [
    (None, "mlops-compiler[pulumi]>=0.1.0"),
    ({"url": "https://github.com/acme/mlops", "vcs_info": {"vcs": "git", "commit_id": "a" * 40,
                                                           "requested_revision": "v0.1.0"}},
     "mlops-compiler[pulumi] @ git+https://github.com/acme/mlops@" + "a" * 40),
    ({"url": "https://x-access-token:ghs_SECRET@github.com/acme/mlops", "vcs_info": {"vcs": "git", "commit_id": "b"}},
     "mlops-compiler[pulumi] @ git+https://github.com/acme/mlops@b"),  # never a token in a committed file
    ({"url": "ssh://git@github.com/acme/mlops", "vcs_info": {"vcs": "git", "commit_id": "c"}, "subdirectory": "py"},
     "mlops-compiler[pulumi] @ git+ssh://git@github.com/acme/mlops@c#subdirectory=py"),
    ({"url": "https://files.example/mlops_compiler-0.1.0.tar.gz", "archive_info": {}},
     "mlops-compiler[pulumi] @ https://files.example/mlops_compiler-0.1.0.tar.gz"),
    ({"url": "file:///home/me/mlops", "dir_info": {"editable": True}}, "mlops-compiler[pulumi]>=0.1.0"),
])
def test_the_scaffolded_requirement_resolves_to_this_copy(origin, expected, monkeypatch) -> None:
    monkeypatch.setattr(distribution, "origin", lambda: origin)
    monkeypatch.setattr(distribution, "version", lambda default="": "0.1.0")
    assert distribution.requirement("pulumi") == expected


def test_the_install_hint_adds_an_extra_to_the_copy_running_here(monkeypatch) -> None:
    monkeypatch.setattr(distribution, "origin", lambda: {"url": "file:///home/me/mlops", "dir_info": {"editable": True}})
    assert distribution.install_command("mlflow") == "pip install -e '/home/me/mlops[mlflow]'"
    monkeypatch.setattr(distribution, "origin", lambda: None)
    monkeypatch.setattr(distribution, "version", lambda default="": "0.1.0")
    assert distribution.install_command("mlflow") == "pip install 'mlops-compiler[mlflow]>=0.1.0'"
