"""Both Pulumi programs declare exactly the objects of the manifests, proven under Pulumi's mocks.

For the example in every environment and every tests/cases/ spec, `mlops compile --backend all` writes
the manifests and the emitted program; the emitted program and the runtime program (`deploy()`) are
each run in-process under `pulumi.runtime.set_mocks`, and what they register must equal the objects
of the manifest files on disk: same kinds, names, namespaces and bodies, object for object, each
through the one explicit provider. No Pulumi CLI or cluster is involved.
"""
from __future__ import annotations

import os
import py_compile
import shutil
from pathlib import Path

import pulumi
import pytest
import yaml
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from backends.pulumi import deploy, emit, runtime
from backends.pulumi.resource_data import digest
from backends.pulumi.resources import CUSTOM_RESOURCE, KINDS
from compiler.cli import main
from tests.compile_support import CASES, COMPILED, EXAMPLE, EXAMPLES, checked, example_lock
from tests.conftest import REPO_ROOT
from tests.pulumi_mocks import assert_registers_the_manifests, manifest_objects, run_mocked, run_program_file

HOSTILE = REPO_ROOT / "tests" / "pulumi_cases" / "hostile-strings.yaml"
PROGRAMS = COMPILED + [("hostile-strings", HOSTILE, None)]


def compile_all(spec: Path, env: str | None, out: Path) -> Path:
    """`mlops compile --backend all` into `out`; the environment's build directory."""
    args = ["compile", str(spec), "-o", str(out), "--backend", "all", "--allow-placeholder-models"] + (["--env", env] if env else [])
    assert main(args) == 0
    return out / (env or "base")


def stack_for(env: str | None) -> str:
    return env or "base"  # a spec without environments deploys its base to any stack


@pytest.mark.parametrize(("spec", "env"), [(p, e) for _, p, e in PROGRAMS], ids=[i for i, _, _ in PROGRAMS])
def test_emitted_program_registers_exactly_the_manifests(spec, env, tmp_path) -> None:
    build = compile_all(spec, env, tmp_path)
    program = build / "pulumi" / "__main__.py"
    py_compile.compile(str(program), doraise=True)
    run = run_program_file(program, stack=stack_for(env))
    assert_registers_the_manifests(run, manifest_objects(build))


# A stack deploys an environment: a spec with environments has no `base` stack.
RUNTIME = [(i, p, e) for i, p, e in PROGRAMS if e is not None or (p != EXAMPLE and p not in EXAMPLES)]


@pytest.mark.parametrize(("spec", "env"), [(p, e) for _, p, e in RUNTIME], ids=[i for i, _, _ in RUNTIME])
def test_runtime_program_registers_exactly_the_manifests(spec, env, tmp_path, monkeypatch) -> None:
    if spec in CASES:  # focused lowering cases are not lint-clean (no lock, no lineage); the gate is tested below
        monkeypatch.setattr(runtime, "report_lint", lambda checked, lock: None)
    build = compile_all(spec, env, tmp_path)
    run = run_mocked(lambda: deploy(str(spec)), stack=stack_for(env))
    assert_registers_the_manifests(run, manifest_objects(build))


def test_both_programs_export_the_same_stack_outputs(tmp_path) -> None:
    build = compile_all(EXAMPLE, "prod", tmp_path)
    emitted = run_program_file(build / "pulumi" / "__main__.py", stack="prod").outputs
    runtime = run_mocked(lambda: deploy(str(EXAMPLE)), stack="prod").outputs
    assert emitted == runtime
    assert runtime["environment"] == "prod" and runtime["namespace"] == "fraud-ml"
    assert runtime["endpoints"] == {"fraud-api": "fraud-fraud-api", "merchant-embed": "fraud-merchant-embed"}
    assert runtime["model_versions"]["merchant-embed"] == {"model": "merchant-embed", "version": "2"}
    assert runtime["pipelines"] == ["fraud-embed-merchants", "fraud-train-fraud"]


def test_hostile_strings_are_registered_as_data_and_nothing_runs(tmp_path, monkeypatch) -> None:
    spec = tmp_path / "mlops.yaml"
    shutil.copy(HOSTILE, spec)
    build = compile_all(spec, None, tmp_path / "build")
    calls = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    run = run_program_file(build / "pulumi" / "__main__.py", stack="base")
    assert calls == [] and not list(tmp_path.rglob("SENTINEL"))
    command = yaml.safe_load(HOSTILE.read_text())["pipelines"]["nightly"]["steps"]["run"]["command"]
    registered = [r.inputs for r in run.mocks.kubernetes_objects if r.inputs["kind"] == "WorkflowTemplate"]
    assert command in _all_lists(registered[0])  # verbatim, as data
    assert_registers_the_manifests(run, manifest_objects(build))


def _all_lists(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _all_lists(item)
    elif isinstance(value, list):
        yield value
        for item in value:
            yield from _all_lists(item)


class PythonSnapshotExtension(SingleFileSnapshotExtension):
    """`snapshots/<test module>/<test name without test_>.py`: the emitted program as a reviewer reads it.

    The `test_` prefix is dropped so that `pytest .` never collects a snapshot as a test module.
    """

    _write_mode = WriteMode.TEXT
    file_extension = "py"

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(REPO_ROOT / "snapshots" / test_location.basename)

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        return super().get_snapshot_name(test_location=test_location, index=index).removeprefix("test_")

    def serialize(self, data, **kwargs) -> str:
        return data


class JsonSnapshotExtension(PythonSnapshotExtension):
    """`snapshots/<test module>/<test name without test_>.json`: the program's data as a reviewer reads it."""

    file_extension = "json"


def test_emitted_program_of_the_example(snapshot, tmp_path) -> None:
    emit(checked(EXAMPLE, "prod"), example_lock(), tmp_path)
    program = (tmp_path / "pulumi" / "__main__.py").read_text(encoding="utf-8")
    assert program == snapshot.use_extension(PythonSnapshotExtension)
    again = tmp_path / "again"
    emit(checked(EXAMPLE, "prod"), example_lock(), again)
    assert (again / "pulumi" / "__main__.py").read_text(encoding="utf-8") == program  # deterministic
    assert (again / "pulumi" / "resources.json").read_bytes() == (tmp_path / "pulumi" / "resources.json").read_bytes()
    assert (tmp_path / "pulumi" / "Pulumi.yaml").read_text() == (
        'name: "fraud"\n'
        'description: "fraud (prod), compiled by mlops from mlops.yaml.example: the objects of ../manifests/"\n'
        "runtime: python\n")
    assert (tmp_path / "pulumi" / "requirements.txt").read_text() == "pulumi>=3.100,<4\npulumi-kubernetes>=4.10,<5\n"


def test_emitted_resources_of_the_example(snapshot, tmp_path) -> None:
    emit(checked(EXAMPLE, "prod"), example_lock(), tmp_path)
    data = (tmp_path / "pulumi" / "resources.json").read_text(encoding="ascii")
    assert data == snapshot.use_extension(JsonSnapshotExtension)


def test_the_emitted_program_is_the_same_short_code_whatever_the_number_of_objects(tmp_path) -> None:
    from bench.synthetic_spec import write_synthetic_spec

    programs = {}
    for n in (2, 40):
        (tmp_path / f"s{n}").mkdir()
        spec = write_synthetic_spec(tmp_path / f"s{n}" / "mlops.yaml", n)
        build = compile_all(spec, "prod", tmp_path / f"out{n}")
        programs[n] = (build / "pulumi" / "__main__.py").read_text(encoding="utf-8")
        assert len(programs[n].splitlines()) < 120  # the objects are data beside it, not code
    # Only the object count and the data's digest differ: the code does not grow with the spec.
    differing = [(a, b) for a, b in zip(programs[2].splitlines(), programs[40].splitlines()) if a != b]
    assert [a.split(" = ")[0] if " = " in a else a[:17] for a, _ in differing] == [
        "# It declares the", "COUNT", "SHA256"], differing


@pytest.mark.parametrize("tamper", ["edit", "code"])
def test_the_emitted_program_refuses_data_it_was_not_compiled_with(tamper, tmp_path) -> None:
    build = compile_all(EXAMPLE, "prod", tmp_path)
    data = build / "pulumi" / "resources.json"
    text = data.read_text(encoding="ascii")
    program = build / "pulumi" / "__main__.py"
    if tamper == "edit":  # a changed replica count, say: deploy what was compiled, or nothing
        data.write_text(text.replace('"minReplicas": 3', '"minReplicas": 30', 1), encoding="ascii")
        refusal = "not the file this program was compiled with"
    else:  # a class outside the table, even with the digest forged too: the data cannot pick the code
        forged = text.replace('"class": "core.v1.Namespace"', '"class": "core.v1.Pod"', 1)
        data.write_text(forged, encoding="ascii")
        source = program.read_text(encoding="utf-8")
        program.write_text(source.replace(digest(text), digest(forged)), encoding="utf-8")
        refusal = "names the class 'core.v1.Pod', not one of CLASSES"
    assert data.read_text(encoding="ascii") != text
    with pytest.raises(pulumi.RunError, match=refusal):
        run_program_file(program, stack="prod")


def test_emitted_program_refuses_a_stack_of_another_environment(tmp_path) -> None:
    build = compile_all(EXAMPLE, "prod", tmp_path)
    with pytest.raises(pulumi.RunError, match="compiled for the environment 'prod'.*not to 'dev'"):
        run_program_file(build / "pulumi" / "__main__.py", stack="dev")


def test_runtime_refuses_a_stack_that_names_no_environment() -> None:
    with pytest.raises(pulumi.RunError, match=r"stack 'staging' matches no environment of .*\(dev, prod\)"):
        run_mocked(lambda: deploy(str(EXAMPLE)), stack="staging")


def test_runtime_lint_errors_stop_the_deploy_before_any_resource(tmp_path) -> None:
    spec = tmp_path / "mlops.yaml"  # the example without its lock: an alias nobody pinned (REPRO001)
    shutil.copy(EXAMPLE, spec)
    mocks_seen = []
    with pytest.raises(pulumi.RunError, match=r"(?s)lint found 1 error.*REPRO001"):
        run_mocked(lambda: mocks_seen.append(deploy(str(spec))), stack="prod")
    assert mocks_seen == []


def test_runtime_provider_takes_kubeconfig_and_context_from_stack_config() -> None:
    run = run_mocked(lambda: deploy(str(EXAMPLE)), stack="dev",
                     config={"mlops:context": "dev-cluster", "kubernetes:kubeconfig": "/home/me/.kube/dev"})
    assert run.mocks.providers[0].inputs == {"context": "dev-cluster", "kubeconfig": "/home/me/.kube/dev"}
    bare = run_mocked(lambda: deploy(str(EXAMPLE)), stack="dev")
    assert bare.mocks.providers[0].inputs == {}  # the ambient kubeconfig and its current context


def test_every_mapped_kind_is_a_pulumi_kubernetes_class_with_its_type_token() -> None:
    import importlib

    for (api_version, kind), (module, name) in KINDS.items():
        cls = getattr(importlib.import_module(f"pulumi_kubernetes.{module}"), name)
        assert cls.__name__ == kind
        group, _, version = api_version.rpartition("/")
        assert module.split(".")[-1] == version and (group or "core").split(".")[0] == module.split(".")[0]
    assert CUSTOM_RESOURCE == ("apiextensions", "CustomResource")


def test_cases_are_present() -> None:
    assert CASES, "tests/cases/ holds the focused specs every backend compiles"
