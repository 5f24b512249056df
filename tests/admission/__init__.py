"""The admission kit: what the controllers receiving our objects would refuse, re-implemented from their code.

A schema says what a field may look like; the admission webhook and the controller that receives an
object decide whether it is accepted and whether anything happens. No API server runs on the build
machines, so each check here re-implements one upstream rule, in our own code, from the upstream
source it cites (`source`: repository, tag, file and function). Where a real client runs here
(promtool, amtool, kubectl kustomize) a check calls it instead.

Two kinds of check, both registered by decorator in the module of their controller
(`tests/admission/<controller>.py`, listed in `tests/admission/registry.py`):

    @object_check("kserve-canary-needs-name", kinds=("InferenceService",),
                  source="kserve/kserve v0.20.0 pkg/apis/serving/v1beta1/inference_service_validation.go: "
                         "validateCanary")
    def canary_needs_name(obj: dict, objects: Objects) -> Iterator[str]:
        ...yield "why it is refused"...

    @compile_check("nvidia-mig-config-has-every-label-value", source="...")
    def mig_labels(objects: Objects) -> Iterator[str]:   # looks across the objects of one compile
        ...

Each yielded string is one refusal. Every check proves that it can fail: its module lists `CASES`,
at least one refused and one accepted `Case` per check (`tests/test_admission.py` holds both), and
the kit runs on every object of every compiled test spec (`tests/admission/specs.py`).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

#: `owner/repo TAG path/in/repo.ext: function or rule` (several sources: separated by "; ").
SOURCE = re.compile(r"^[\w.-]+/[\w.-]+ [\w.+-]+ [\w./-]+\.\w+: \S.*$")


class Objects:
    """The objects of one compile (manifests and rollback files), with lookups across them."""

    def __init__(self, objects: Iterable[dict], label: str = ""):
        self.all = list(objects)
        self.label = label

    def __iter__(self) -> Iterator[dict]:
        return iter(self.all)

    def of_kind(self, *kinds: str) -> list[dict]:
        return [o for o in self.all if o.get("kind") in kinds]

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        for obj in self.all:
            meta = obj.get("metadata") or {}
            if obj.get("kind") == kind and meta.get("name") == name and (
                    namespace is None or meta.get("namespace") == namespace):
                return obj
        return None


ObjectRun = Callable[[dict, Objects], Iterable[str]]
CompileRun = Callable[[Objects], Iterable[str]]


@dataclass(frozen=True)
class Check:
    name: str                   # kebab-case, unique across the kit
    source: str                 # the upstream code it re-implements (SOURCE format)
    kinds: tuple[str, ...]      # object kinds it runs on; () for a check across the whole compile
    run: Callable               # ObjectRun for object checks, CompileRun for compile checks
    module: str = ""

    def refusals(self, objects: Objects) -> list[str]:
        """Every refusal of this check on one compile, each prefixed with the object it is about."""
        found = []
        if not self.kinds:
            found += [f"{self.name}: {message}" for message in self.run(objects)]
            return found
        for obj in objects.of_kind(*self.kinds):
            meta = obj.get("metadata") or {}
            where = f"{obj.get('kind')}/{meta.get('namespace') + '/' if meta.get('namespace') else ''}" \
                    f"{meta.get('name') or meta.get('generateName')}"
            found += [f"{where}: {self.name}: {message}" for message in self.run(obj, objects)]
        return found


#: Filled by the decorators as the controller modules are imported (see registry.py).
CHECKS: list[Check] = []


def _register(check: Check) -> Check:
    if any(existing.name == check.name for existing in CHECKS):
        raise ValueError(f"admission check {check.name!r} is registered twice")
    if not SOURCE.match(check.source):
        raise ValueError(f"admission check {check.name!r}: source {check.source!r} must read "
                         "'owner/repo TAG path/file.ext: function'")
    CHECKS.append(check)
    return check


def object_check(name: str, *, kinds: tuple[str, ...], source: str) -> Callable[[ObjectRun], Check]:
    """Register a check run on every object of `kinds`; the function yields refusals."""
    if not kinds:
        raise ValueError("an object check names the kinds it looks at")

    def register(run: ObjectRun) -> Check:
        return _register(Check(name, source, tuple(kinds), run, run.__module__))

    return register


def compile_check(name: str, *, source: str) -> Callable[[CompileRun], Check]:
    """Register a check run once per compile, across its objects; the function yields refusals."""

    def register(run: CompileRun) -> Check:
        return _register(Check(name, source, (), run, run.__module__))

    return register


@dataclass(frozen=True)
class Case:
    """A fixture for one check: objects it must refuse (`refused=True`) or accept."""

    check: str
    description: str
    objects: list[dict] = field(default_factory=list)
    refused: bool = True
