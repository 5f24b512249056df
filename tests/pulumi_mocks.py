"""Pulumi's unit-test mocks, shared by the Pulumi tests: run a program in-process, record what it registers,
and compare that with the manifests `mlops compile` wrote.

No Pulumi CLI or cluster is needed. `new_resource` echoes the inputs back as outputs (so a
CustomResource's apiVersion resolves) and records every registration: type token, name, inputs,
provider. Inputs arrive as the engine would see them: camelCase keys, and numbers in untyped
values as floats, so comparisons go through `canonical`.
"""
from __future__ import annotations

import math
import runpy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pulumi
import pulumi.runtime
import yaml

from backends.pulumi.resources import logical_name

PROVIDER_TYPE = "pulumi:providers:kubernetes"


@dataclass
class Registration:
    type: str
    name: str
    inputs: dict
    provider: str | None


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registrations: list[Registration] = []
        self.calls: list[Any] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registrations.append(Registration(args.typ, args.name, dict(args.inputs), args.provider or None))
        return [args.name + "_id", args.inputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append(args)
        return {}

    @property
    def kubernetes_objects(self) -> list[Registration]:
        return [r for r in self.registrations if r.type.startswith("kubernetes:")]

    @property
    def providers(self) -> list[Registration]:
        return [r for r in self.registrations if r.type == PROVIDER_TYPE]


@dataclass
class MockedRun:
    mocks: RecordingMocks
    outputs: dict[str, Any]
    seconds: float


def run_mocked(program: Callable[[], Any], *, stack: str, project: str = "mlops-test",
               config: dict[str, str] | None = None) -> MockedRun:
    """Run `program` (a callable declaring resources) under fresh mocks for `stack`; wait for every registration."""
    mocks = RecordingMocks()
    pulumi.runtime.set_all_config(dict(config or {}))
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False)

    @pulumi.runtime.test
    def body():
        program()

    started = time.perf_counter()
    outputs = _capture_exports(body)
    return MockedRun(mocks, outputs, time.perf_counter() - started)


def _capture_exports(body: Callable[[], None]) -> dict[str, Any]:
    """Run `body`, collecting what it passes to pulumi.export (plain values only)."""
    exported: dict[str, Any] = {}
    original = pulumi.export

    def export(name: str, value: Any) -> None:
        exported[name] = value
        original(name, value)

    pulumi.export = export
    try:
        body()
    finally:
        pulumi.export = original
    return exported


def run_program_file(path: str | Path, *, stack: str, config: dict[str, str] | None = None) -> MockedRun:
    """Run a Pulumi program file (`__main__.py`) as Pulumi would, under mocks, from its own directory."""
    import os

    path = Path(path)
    previous = os.getcwd()
    os.chdir(path.parent)
    try:
        return run_mocked(lambda: runpy.run_path(str(path), run_name="__main__"), stack=stack, config=config)
    finally:
        os.chdir(previous)


def canonical(value: Any) -> Any:
    """A form in which the engine's view and the manifest compare equal exactly when they mean the same:
    numbers as floats (ints arrive as floats), booleans kept apart from numbers, None-valued keys dropped."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        assert math.isfinite(value)
        return ("number", float(value))
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    return value


def object_key(obj: dict) -> tuple:
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name"))


def manifest_objects(build: Path) -> list[dict]:
    """The objects of the manifest files `mlops compile` wrote under `build/manifests/`."""
    objects = []
    for path in sorted((build / "manifests").rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            objects += [doc for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) if doc]
    return objects


def expected_type(api_version: str, kind: str) -> str:
    """The type token pulumi_kubernetes registers an object under (the core group is spelt `core`)."""
    return f"kubernetes:{api_version if '/' in api_version else 'core/' + api_version}:{kind}"


def assert_registers_the_manifests(run: MockedRun, manifests: list[dict]) -> None:
    """The run registered each manifest object once, with its body, type and logical name, through our provider."""
    registered = run.mocks.kubernetes_objects
    providers = run.mocks.providers
    assert [p.name for p in providers] == ["mlops"], "exactly one explicit provider"
    keys = [object_key(r.inputs) for r in registered]
    assert len(keys) == len(set(keys)), "an object was registered twice"
    assert sorted(keys, key=repr) == sorted((object_key(o) for o in manifests), key=repr)
    wanted = {object_key(o): o for o in manifests}
    for item in registered:
        obj = wanted[object_key(item.inputs)]
        assert item.type == expected_type(obj["apiVersion"], obj["kind"])
        assert item.name == logical_name(obj)
        assert (item.provider or "").endswith("pulumi:providers:kubernetes::mlops::mlops_id"), "through our provider"
        assert canonical(item.inputs) == canonical(obj), f"{item.name} differs from its manifest"
