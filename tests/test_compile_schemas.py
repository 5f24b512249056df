"""Every object of every compiled spec validates against the schema the API server would apply."""
from __future__ import annotations

import pytest

from backends.kubernetes import lower_files
from tests.compile_support import COMPILED, EXAMPLE, checked, created_objects, example_lock
from tests.k8s_schemas import get_validator


def _errors(files: dict, kubernetes_version: str) -> list[str]:
    validator = get_validator(kubernetes_version)
    # with what resource templates create (TrainJobs, the retraining gate's Workflows)
    return [f"{path}: {error}" for path, objects in files.items() for top in objects
            for obj in [top, *created_objects(top)] for error in validator.validate(obj)]


@pytest.mark.parametrize(("path", "env"), [(p, e) for _, p, e in COMPILED], ids=[i for i, _, _ in COMPILED])
def test_every_object_validates(path, env) -> None:
    spec = checked(path, env)
    files = lower_files(spec)
    assert files, "nothing was compiled"
    assert _errors(files, spec.spec.platform.kubernetes) == []


@pytest.mark.parametrize("env", [None, "dev", "prod"])
def test_every_object_validates_with_a_lock(env) -> None:
    """With a lock: pinned URIs, Standard canaries against the previous version, rollback files."""
    spec = checked(EXAMPLE, env)
    files = lower_files(spec, example_lock())
    assert any(path.startswith("rollback/fraud-api/") for path in files)
    assert _errors(files, spec.spec.platform.kubernetes) == []


def test_every_kind_is_validated_by_a_real_schema() -> None:
    """No object slips through as 'unknown kind': each one has a CRD or a core schema."""
    validator = get_validator("1.31")
    kinds = set()
    for _, path, env in COMPILED:
        for objects in lower_files(checked(path, env)).values():
            kinds.update((obj["apiVersion"], obj["kind"]) for top in objects for obj in [top, *created_objects(top)])
    assert ("trainer.kubeflow.org/v1alpha1", "TrainJob") in kinds
    for api_version, kind in sorted(kinds):
        errors = validator.validate({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"},
                                     "spec": {"bogus-field": 1}})
        assert errors, f"{api_version}/{kind} accepted an unknown field: it is not validated strictly"
