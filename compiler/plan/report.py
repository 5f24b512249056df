"""What a plan says, as data: the Markdown and JSON writers render this and nothing else."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Position
from .costs import CostLine
from .object_diff import FieldChange, ObjectKey
from .revisions import Revision


@dataclass
class ResourceChange:
    """One added, changed or removed Kubernetes object."""

    action: str                       # added | changed | removed
    key: ObjectKey                    # apiVersion, kind, namespace, name
    component: str                    # app.kubernetes.io/component (the kind when there is none)
    spec_path: str | None             # mlops.dev/spec-path: the spec entry it was lowered from
    changes: list[FieldChange]        # changed objects: the changed fields
    diff: list[str]                   # diff lines (` `/`-`/`+` + YAML): minimal for changed, whole otherwise
    why: list[str] = field(default_factory=list)   # the spec changes and model moves that explain it
    overrides: list[str] = field(default_factory=list)  # spec paths of the `overrides` that patched it

    @property
    def api_version(self) -> str:
        return self.key[0]

    @property
    def kind(self) -> str:
        return self.key[1]

    @property
    def namespace(self) -> str:
        return self.key[2]

    @property
    def name(self) -> str:
        return self.key[3]


@dataclass
class SpecChange:
    """One changed value of the spec itself (overlays applied, defaults filled in)."""

    path: tuple
    old: Any
    new: Any
    position: Position | None         # where the new value is written (the old one, when removed)

    @property
    def dotted(self) -> str:
        from .object_diff import dotted_path

        return dotted_path(self.path)


@dataclass
class ModelSide:
    """The version an endpoint serves on one side of the plan."""

    registry_name: str
    version: int | None               # None: an alias no lock has resolved
    alias: str | None
    pinned_by: str                    # "lock" | "spec" | "unresolved" | "huggingface" (alias: the commit)
    artifact_uri: str | None
    lineage: dict[str, str | None]
    #: where each lineage fact comes from: version-tag | run-tag (the registry), spec (declared by hand), missing
    lineage_source: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.pinned_by == "huggingface":
            return f"{self.registry_name}@{self.alias}"
        version = f"v{self.version}" if self.version is not None else "unresolved"
        return f"{version} (alias {self.alias})" if self.alias else version


@dataclass
class ModelChange:
    model: str                        # key under `models:`
    endpoints: list[str]              # serving entries that serve it
    before: ModelSide | None
    after: ModelSide | None
    details: list[str]                # what moved, in words

    @property
    def moves(self) -> bool:
        """The served version changes (or the model comes or goes); False when only its artifact location,
        run id, lineage or how it is pinned changed: the same version, re-registered or re-locked."""
        if self.before is None or self.after is None:
            return True
        return (self.before.registry_name, self.before.version) != (self.after.registry_name, self.after.version)


@dataclass
class LintItem:
    code: str
    severity: str
    name: str
    message: str
    path: str                         # dotted spec path
    position: Position


@dataclass
class PipelineDiagram:
    name: str
    action: str                       # added | changed | removed
    mermaid: str
    steps: dict[str, str]             # step -> added | changed | removed (unchanged steps omitted)


@dataclass
class EnvironmentPlan:
    env: str | None                   # None: the base spec, no overlay
    resources: list[ResourceChange]
    unchanged: int
    spec_changes: list[SpecChange]
    models: list[ModelChange]
    lint_introduced: list[LintItem]
    lint_resolved: list[LintItem]
    costs: list[CostLine]
    pipelines: list[PipelineDiagram]
    notes: list[str] = field(default_factory=list)
    destructive: list = field(default_factory=list)   # destructive.Destructive: what the change deletes

    @property
    def name(self) -> str:
        return self.env or "base"

    def count(self, action: str) -> int:
        return sum(1 for r in self.resources if r.action == action)

    @property
    def cost_changed(self) -> bool:
        return any(line.changed for line in self.costs)

    @property
    def has_changes(self) -> bool:
        return bool(self.resources or self.models or self.lint_introduced or self.lint_resolved
                    or self.cost_changed or self.spec_changes)

    def by_component(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for resource in self.resources:
            row = counts.setdefault(resource.component, {"added": 0, "changed": 0, "removed": 0})
            row[resource.action] += 1
        return dict(sorted(counts.items()))


@dataclass
class Plan:
    spec: str                         # the spec path as given
    base: Revision
    head: Revision
    environments: list[EnvironmentPlan]

    @property
    def has_changes(self) -> bool:
        return any(env.has_changes for env in self.environments)
