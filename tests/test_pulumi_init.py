"""`mlops init`: the scaffolded Pulumi project runs (under mocks) and declares what compile writes."""
from __future__ import annotations

import py_compile
import re
import shutil

import pulumi
import pytest
import yaml

from compiler.cli import main
from compiler.lock import lock_path_for
from tests.compile_support import EXAMPLE
from tests.pulumi_mocks import assert_registers_the_manifests, manifest_objects, run_program_file

FILES = ["Pulumi.yaml", "__main__.py", "requirements.txt", "Pulumi.dev.yaml", "Pulumi.prod.yaml",
         ".pre-commit-config.yaml"]


@pytest.fixture
def project(tmp_path):
    """The example as a user's mlops.yaml, with its lock, in an empty directory."""
    shutil.copy(EXAMPLE, tmp_path / "mlops.yaml")
    shutil.copy(lock_path_for(EXAMPLE), tmp_path / "mlops.lock")
    return tmp_path


def test_init_writes_the_project_beside_the_spec(project) -> None:
    assert main(["init", str(project / "mlops.yaml")]) == 0
    assert sorted(p.name for p in project.iterdir()) == sorted(FILES + ["mlops.yaml", "mlops.lock"])
    assert (project / "__main__.py").read_text() == (
        "# -*- coding: utf-8 -*-\n"
        "# Scaffolded by `mlops init`: the Pulumi stack name selects the environment of the spec.\n"
        "from backends.pulumi import deploy\ndeploy('mlops.yaml')\n")
    assert yaml.safe_load((project / "Pulumi.yaml").read_text())["runtime"] == "python"
    assert yaml.safe_load((project / "Pulumi.yaml").read_text())["name"] == "fraud"
    assert yaml.safe_load((project / "Pulumi.prod.yaml").read_text()) == {"config": {}}
    requirement = (project / "requirements.txt").read_text().splitlines()[-1]
    assert requirement.startswith("mlops-compiler[pulumi]")  # the index's `mlops` is an unrelated project
    hook = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    assert (hook["entry"], hook["args"], hook["pass_filenames"]) == ("mlops lint --all-envs", ["mlops.yaml"], False)
    assert [name for name in ("mlops.yaml", "mlops.lock", "other.yaml", "mlops.yaml.bak")
            if re.search(hook["files"], name)] == ["mlops.yaml", "mlops.lock"]
    py_compile.compile(str(project / "__main__.py"), doraise=True)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_scaffolded_program_deploys_the_manifests_under_mocks(project, env) -> None:
    assert main(["init", str(project / "mlops.yaml")]) == 0
    assert main(["compile", str(project / "mlops.yaml"), "--env", env, "-o", str(project / "build"),
                 "--backend", "kubernetes"]) == 0
    run = run_program_file(project / "__main__.py", stack=env)
    assert_registers_the_manifests(run, manifest_objects(project / "build" / env))
    assert run.outputs["environment"] == env


def test_a_stack_named_after_no_environment_is_a_clear_error(project) -> None:
    assert main(["init", str(project / "mlops.yaml")]) == 0
    with pytest.raises(pulumi.RunError, match=r"stack 'qa' matches no environment of mlops.yaml \(dev, prod\)"):
        run_program_file(project / "__main__.py", stack="qa")


def test_init_never_overwrites_without_force(project, capsys) -> None:
    (project / ".pre-commit-config.yaml").write_text("repos: []  # mine\n")
    (project / "Pulumi.yaml").write_text("name: mine\nruntime: python\n")
    assert main(["init", str(project / "mlops.yaml")]) == 0
    assert (project / ".pre-commit-config.yaml").read_text() == "repos: []  # mine\n"
    assert (project / "Pulumi.yaml").read_text() == "name: mine\nruntime: python\n"
    assert (project / "__main__.py").exists()
    err = capsys.readouterr().err
    assert "kept" in err and "Pulumi.yaml: it exists (--force overwrites it)" in err and "mlops-lint hook" in err
    before = (project / "__main__.py").read_text()
    (project / "__main__.py").write_text(before + "# my edit\n")
    assert main(["init", str(project / "mlops.yaml")]) == 0
    assert (project / "__main__.py").read_text().endswith("# my edit\n")
    assert main(["init", str(project / "mlops.yaml"), "--force"]) == 0
    assert (project / "__main__.py").read_text() == before
    assert "mlops-lint" in (project / ".pre-commit-config.yaml").read_text()


def test_init_refuses_an_invalid_spec_and_writes_nothing(tmp_path) -> None:
    (tmp_path / "mlops.yaml").write_text("apiVersion: mlops/v1\nkind: System\nmetadata: {name: Bad_Name}\n")
    assert main(["init", str(tmp_path / "mlops.yaml")]) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["mlops.yaml"]


def test_init_of_a_spec_without_environments_writes_no_stack_file(tmp_path) -> None:
    spec = tmp_path / "pipelines.yaml"
    shutil.copy(EXAMPLE.parent / "tests" / "cases" / "gpu-pipeline.yaml", spec)
    assert main(["init", str(spec)]) == 0
    assert not list(tmp_path.glob("Pulumi.*.yaml"))
    assert (tmp_path / "__main__.py").read_text().endswith("deploy('pipelines.yaml')\n")
    hook = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    assert (hook["files"], hook["args"]) == (r"^(pipelines\.yaml|pipelines\.lock)$", ["pipelines.yaml"])


def _repository(tmp_path):
    """A git repository whose spec lives in infra/ (`.git` is what marks the root, as for pre-commit)."""
    (tmp_path / ".git").mkdir()
    infra = tmp_path / "infra"
    infra.mkdir()
    shutil.copy(EXAMPLE, infra / "mlops.yaml")
    shutil.copy(lock_path_for(EXAMPLE), infra / "mlops.lock")
    return tmp_path, infra


def test_init_in_a_subdirectory_writes_the_pre_commit_config_at_the_repository_root(tmp_path) -> None:
    root, infra = _repository(tmp_path)
    assert main(["init", str(infra / "mlops.yaml")]) == 0
    assert not (infra / ".pre-commit-config.yaml").exists()  # pre-commit never reads it there
    hook = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    assert hook["args"] == ["infra/mlops.yaml"] and hook["verbose"] is True
    assert [name for name in ("infra/mlops.yaml", "infra/mlops.lock", "mlops.yaml", "infra/other.yaml")
            if re.search(hook["files"], name)] == ["infra/mlops.yaml", "infra/mlops.lock"]


def test_init_merges_the_hook_into_an_existing_root_config_once(tmp_path, capsys) -> None:
    root, infra = _repository(tmp_path)
    existing = ("# our hooks\nrepos:\n- repo: https://github.com/pre-commit/pre-commit-hooks\n  rev: v5.0.0\n"
                "  hooks:\n  - id: trailing-whitespace\n")
    (root / ".pre-commit-config.yaml").write_text(existing)
    assert main(["init", str(infra / "mlops.yaml")]) == 0
    text = (root / ".pre-commit-config.yaml").read_text()
    assert text.startswith(existing)  # the user's file and comments are kept as written
    repos = yaml.safe_load(text)["repos"]
    assert [hook["id"] for repo in repos for hook in repo["hooks"]] == ["trailing-whitespace", "mlops-lint"]
    assert repos[1]["hooks"][0]["args"] == ["infra/mlops.yaml"]
    assert "added the mlops-lint hook to" in capsys.readouterr().err
    assert main(["init", str(infra / "mlops.yaml")]) == 0
    assert (root / ".pre-commit-config.yaml").read_text() == text  # a second init adds nothing
