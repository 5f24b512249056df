"""Build a plan: compile both sides for each environment, pair the objects, explain the changes.

Both sides are compiled under the working tree's spec path (and lock path), so the only
differences between them are differences of content; positions on the base side are relabelled
(`HEAD~1:mlops.yaml:12:5`) only when shown. The backend and the lint engine are passed in
(`lower`, `lint`) so the plan can be tested with small hand-made object lists.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..diagnostics import Position, SpecError, UsageError
from ..overrides import applied_overrides
from .costs import cost_lines
from .object_diff import MISSING, changes_between, dotted_path, pair_objects
from .report import (EnvironmentPlan, LintItem, ModelChange, ModelSide, Plan, PipelineDiagram, ResourceChange,
                     SpecChange)
from .revisions import Revision
from .yaml_diff import diff_lines, whole_object_lines

if TYPE_CHECKING:
    from ..checked_spec import CheckedSpec
    from ..lock import Lock
    from ..spec import Spec

Lower = Callable[["CheckedSpec", "Lock | None"], list[dict]]
Lint = Callable[["CheckedSpec", "Lock | None"], list[Any]]

COMPONENT_LABEL = "app.kubernetes.io/component"
SPEC_PATH_ANNOTATION = "mlops.dev/spec-path"
MODEL_ANNOTATION = "mlops.dev/model"
MODEL_VERSION_ANNOTATION = "mlops.dev/model-version"

#: Spec fields that name another entry: a change to the entry named explains a change to the referrer.
REFERENCES = {"model": "models", "registers": "models", "runtime": "runtimes", "pool": "node_pools",
              "pipeline": "pipelines", "preprocessing": "preprocessing"}
#: Sections every generated object depends on.
GLOBAL_SECTIONS = ("metadata", "platform")


def default_lower(checked: "CheckedSpec", lock: "Lock | None") -> list[dict]:
    """What `mlops compile` writes to manifests/ (`lock` is already the usable one: fresh entries only)."""
    from backends.kubernetes import lower

    return lower(checked, lock=lock)


def default_lint(checked: "CheckedSpec", lock: "Lock | None") -> list[Any]:
    from ..lint.engine import lint

    return lint(checked, lock)


class _Side:
    """One revision, parsed once; checked per environment on demand."""

    def __init__(self, revision: Revision, spec_path: str, lock_path: str, display: str):
        from ..loader import load_bytes
        from ..lock import parse_lock
        from ..overlays import environment_names

        self.revision = revision
        self.spec_path = spec_path
        self.display = display
        self.document = None
        self.lock = None
        with self._relabelled():
            if revision.spec is not None:
                self.document = load_bytes(revision.spec, spec_path)
            if revision.lock is not None:
                self.lock = parse_lock(revision.lock, lock_path)
        self.lock_display = revision.lock_name
        self.lock_path = lock_path
        self.env_names = environment_names(self.document.data) if self.document is not None else []

    def _relabelled(self):
        side = self

        class _Relabel:
            def __enter__(self):
                return self

            def __exit__(self, kind, error, tb):
                if isinstance(error, SpecError) and side.display != side.spec_path:
                    raise SpecError([d._replace(position=side.relabel(d.position)) for d in error.diagnostics]) from None
                return False

        return _Relabel()

    def relabel(self, position: Position) -> Position:
        if position.file == self.spec_path:
            return position._replace(file=self.display)
        if position.file == self.lock_path:
            return position._replace(file=self.lock_display)
        return position

    def checked(self, env: str | None) -> "CheckedSpec | None":
        from ..checked_spec import check_document

        if self.document is None or (env is not None and env not in self.env_names):
            return None
        with self._relabelled():
            return check_document(self.document, env)


def build_plan(spec_path: str, base: Revision, head: Revision, *, env: str | None = None, all_envs: bool = False,
               lower: Lower | None = None, lint: Lint | None = None, base_only: bool = False) -> Plan:
    from ..lock import lock_path_for

    lower = lower or default_lower
    lint = lint or default_lint
    lock_path = str(lock_path_for(spec_path))
    before = _Side(base, spec_path, lock_path, f"{base.ref}:{spec_path}" if base.ref else base.label)
    after = _Side(head, spec_path, lock_path, spec_path)
    if head.spec is None:
        raise UsageError(f"{spec_path}: no such file")
    if all_envs:
        envs: list[str | None] = sorted(set(before.env_names) | set(after.env_names)) or [None]
    elif env is None and base_only:
        envs = [None]
    elif env is None:
        # Every target `mlops compile` can build: the base spec and each environment. A change in one
        # overlay (prod's replicas) must never read "No changes" because only the base was compared.
        envs = [None, *sorted(set(before.env_names) | set(after.env_names))]
    else:
        if env is not None and env not in after.env_names:
            known = ", ".join(after.env_names) or "none"
            raise UsageError(f"unknown environment {env!r}; environments in {spec_path}: {known}")
        envs = [env]
    return Plan(spec_path, base, head, [_environment_plan(e, before, after, lower, lint) for e in envs])


def _environment_plan(env: str | None, before: _Side, after: _Side, lower: Lower, lint: Lint) -> EnvironmentPlan:
    from ..lock import usable_lock

    old, new = before.checked(env), after.checked(env)
    notes = []
    if before.document is None:
        notes.append(f"{before.display} does not exist: everything is new.")
    elif old is None:
        notes.append(f"environment {env!r} does not exist at {before.revision.label}: everything in it is new.")
    if new is None:
        notes.append(f"environment {env!r} no longer exists: everything in it is removed.")
    if new is not None:
        from ..lock import placeholder_models

        for problem in placeholder_models(new, after.lock):  # what `mlops compile` refuses
            notes.append(f"{problem.message.split(':', 1)[0]}: no lock entry, so the objects below serve a placeholder "
                         "storage URI (s3://mlops-placeholder/...) that cannot serve; `mlops compile` refuses it "
                         "without --allow-placeholder-models: run `mlops lock`")
    # What compile lowers with: the lock's entries that are fresh for this spec (a stale entry is not served).
    old_usable = usable_lock(old, before.lock)[0] if old is not None else None
    new_usable = usable_lock(new, after.lock)[0] if new is not None else None
    old_objects = lower(old, old_usable) if old is not None else []
    new_objects = lower(new, new_usable) if new is not None else []

    old_data, new_data = spec_data(old.spec if old else None), spec_data(new.spec if new else None)
    spec_changes = _spec_changes(old, new, old_data, new_data, before)
    models = _model_changes(old, old_usable, new, new_usable)
    resources, unchanged = _resources(old_objects, new_objects, spec_changes, models, old_data, new_data,
                                      (_override_origins(old), _override_origins(new)))
    del old_objects, new_objects  # both compiles' objects are not needed past pairing: free them before lint
    introduced, resolved = _lint_delta(lint(old, before.lock) if old is not None else [],
                                       lint(new, after.lock) if new is not None else [], before)
    costs = cost_lines(old.spec if old is not None else None, new.spec if new is not None else None)
    pipelines = _pipeline_diagrams(old.spec if old else None, new.spec if new else None, resources)
    from .destructive import destructive_changes

    return EnvironmentPlan(env, resources, unchanged, spec_changes, models, introduced, resolved, costs, pipelines,
                           notes, destructive_changes(resources))


# --- spec changes -----------------------------------------------------------------------------

def spec_data(spec: "Spec | None") -> dict:
    """The spec as plain data: defaults filled in, overlays applied, `environments` left out (applied already)."""
    if spec is None:
        return {}
    # warnings=False: the GPU request is a float-or-mapping union pydantic warns about while dumping it right
    return spec.model_dump(mode="json", by_alias=True, exclude={"environments"}, warnings=False)


def _source_path(data: Any, path: tuple) -> tuple | None:
    """The source-map path (list indexes) of a diff path (keyed list items), or None when it is not in `data`."""
    result: list = []
    for part in path:
        if isinstance(part, tuple):
            if not isinstance(data, list):
                return None
            key, value = part
            index = next((i for i, item in enumerate(data) if isinstance(item, dict) and item.get(key) == value), None)
            if index is None:
                return None
            result.append(index)
            data = data[index]
        else:
            try:
                data = data[part]
            except (KeyError, IndexError, TypeError):
                return None
            result.append(part)
    return tuple(result)


def _spec_changes(old: "CheckedSpec | None", new: "CheckedSpec | None", old_data: dict, new_data: dict,
                  before: _Side) -> list[SpecChange]:
    result = []
    for change in changes_between(old_data, new_data):
        position = None
        where = _source_path(new_data, change.path) if change.new is not MISSING else None
        if where is not None and new is not None and new.source_map.has(where):
            position = new.source_map.value(where)
        elif old is not None:
            where = _source_path(old_data, change.path)
            if where is not None and old.source_map.has(where):
                position = before.relabel(old.source_map.value(where))
        if position is None and new is not None:
            position = new.source_map.value(change.path[:1])  # a default that changed: its section
        result.append(SpecChange(change.path, change.old, change.new, position))
    return result


# --- model versions ---------------------------------------------------------------------------

def _model_side(checked: "CheckedSpec", usable: "Lock | None", key: str) -> ModelSide:
    """What serving uses for model `key`: `usable` is the lock with its fresh entries only (usable_lock)."""
    from ..lock import LINEAGE_KEYS

    model = checked.spec.models[key]
    if model.huggingface is not None:
        hub = model.huggingface
        return ModelSide(hub.repo, None, hub.revision[:12], "huggingface", hub.storage_uri, {k: None for k in LINEAGE_KEYS})
    registry_name = model.registry_name or key
    entry = usable.entry(key) if usable is not None else None
    if entry is not None:
        return ModelSide(registry_name, entry.version, model.alias, "lock", entry.resolved.artifact_uri,
                         {k: entry.lineage.get(k) for k in LINEAGE_KEYS},
                         {k: entry.lineage_source.get(k, "missing") for k in LINEAGE_KEYS})
    lineage = model.lineage.model_dump() if model.lineage is not None else {}
    return ModelSide(registry_name, model.version, model.alias, "spec" if model.version is not None else "unresolved",
                     None, {k: (str(lineage[k]) if lineage.get(k) is not None else None) for k in LINEAGE_KEYS},
                     {k: "spec" if lineage.get(k) is not None else "missing" for k in LINEAGE_KEYS})


def _model_changes(old: "CheckedSpec | None", old_lock: "Lock | None", new: "CheckedSpec | None",
                   new_lock: "Lock | None") -> list[ModelChange]:
    """Models whose served version, artifact or lineage differ. The locks are the usable ones (usable_lock)."""
    from ..lock import describe_changes

    old_models = old.spec.models if old else {}
    new_models = new.spec.models if new else {}
    serving_endpoints: dict[str, list[str]] = {}  # model -> endpoints, once (not a scan per moved model)
    current = new or old
    for name, endpoint in (current.spec.serving.items() if current is not None else ()):
        serving_endpoints.setdefault(endpoint.model, []).append(name)
    result = []
    for key in sorted(set(old_models) | set(new_models)):
        a = _model_side(old, old_lock, key) if key in old_models else None
        b = _model_side(new, new_lock, key) if key in new_models else None
        if a == b:
            continue
        details: list[str] = []
        if a is not None and b is not None:
            old_entry = old_lock.entry(key) if old_lock is not None else None
            new_entry = new_lock.entry(key) if new_lock is not None else None
            if old_entry is not None and new_entry is not None:
                details = describe_changes(old_entry, new_entry)
            if a.registry_name != b.registry_name:
                details.insert(0, f"registry name {a.registry_name} → {b.registry_name}")
            if a.pinned_by != b.pinned_by:
                details.append(f"pinned by {a.pinned_by} → {b.pinned_by}")
        endpoints = sorted(serving_endpoints.get(key, ()))
        result.append(ModelChange(key, endpoints, a, b, details))
    return result


# --- resources --------------------------------------------------------------------------------

def _annotation(obj: dict | None, key: str) -> str | None:
    if not obj:
        return None
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(key)


def _entry(data: dict, prefix: tuple) -> Any:
    for part in prefix:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _references(value: Any) -> list[tuple]:
    """The entries (section, name) a spec entry's fields name."""
    found, stack = [], [value]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                if key in REFERENCES and isinstance(child, str):
                    found.append((REFERENCES[key], child))
                else:
                    stack.append(child)
        elif isinstance(value, list):
            stack.extend(value)
    return found


def related_entries(spec_path: str | None, data: dict, depth: int = 2) -> list[tuple]:
    """The spec entry an object was lowered from (first), then the entries it names, transitively
    (`depth` hops): an endpoint names its model, runtime and pool; a monitor its endpoint and
    retraining pipeline. A change to any of them can explain a change to the object."""
    if not spec_path:
        return []
    parts = tuple(spec_path.split("."))
    result = [parts]
    frontier = [parts[:2]]
    if parts[0] == "monitoring" and len(parts) > 1:
        frontier.append(("serving", parts[1]))
        result.append(("serving", parts[1]))
    for _ in range(depth):
        next_frontier = []
        for entry in frontier:
            for ref in _references(_entry(data, entry)):
                if ref not in result:
                    result.append(ref)
                    next_frontier.append(ref)
        frontier = next_frontier
    return result


def _mentions(change: ModelChange, texts: list[str]) -> bool:
    """Whether an object's changed text carries one of the model's artifact URIs (the sign that the move reached it)."""
    uris = {side.artifact_uri for side in (change.before, change.after) if side is not None and side.artifact_uri}
    return any(uri in text for uri in uris for text in texts)


def _why(resource_path: str | None, texts: list[str], spec_changes: "SpecChangeIndex",
         models: dict[str, ModelChange], data: dict) -> list[str]:
    """Why an object was added, changed or removed, nearest cause first:
    1. spec changes under the entry it was lowered from, and model moves that reached it (its changed
       fields carry the model's artifact URI);
    2. failing those, changes to the entries that entry names (model, runtime, pool, pipeline, ...)
       and to `metadata`/`platform`, which every object depends on.
    `texts` are the object's changed values (or its whole text, when added or removed)."""
    related = related_entries(resource_path, data)
    reasons = [f"`{change.dotted}`" for change in spec_changes.under([related[0]])] if related else []
    keys = {entry[1] for entry in related if entry[0] == "models"}
    reasons += [model_move(change) for change in models.values() if change.model in keys and _mentions(change, texts)]
    if not reasons:
        reasons = [f"`{change.dotted}`" for change in spec_changes.under(related[1:], GLOBAL_SECTIONS)]
    return list(dict.fromkeys(reasons))


class SpecChangeIndex:
    """The spec changes by their first two path parts (section, entry), so that explaining each changed
    object looks at the changes of the entries it relates to, not at every change of the plan."""

    def __init__(self, changes: list[SpecChange]):
        self.by_entry: dict[tuple, list[int]] = {}
        self.by_section: dict[str, list[int]] = {}
        self.changes = changes
        for index, change in enumerate(changes):
            self.by_entry.setdefault(tuple(change.path[:2]), []).append(index)
            self.by_section.setdefault(change.path[0], []).append(index)

    def under(self, prefixes: list[tuple], sections: tuple = ()) -> list[SpecChange]:
        """Changes at or under any of `prefixes`, or in any of `sections`, in the plan's order."""
        found: set[int] = set()
        for prefix in prefixes:
            candidates = self.by_entry.get(tuple(prefix[:2]), ()) if len(prefix) >= 2 else \
                self.by_section.get(prefix[0], ()) if prefix else range(len(self.changes))
            found.update(i for i in candidates if self.changes[i].path[:len(prefix)] == prefix)
        for section in sections:
            found.update(self.by_section.get(section, ()))
        return [self.changes[i] for i in sorted(found)]


def model_move(change: ModelChange) -> str:
    """`model fraud-xgb v7 → v8 (mlops.lock)` or the first detail."""
    before = change.before.label if change.before else "none"
    after = change.after.label if change.after else "none"
    if before != after:
        return f"model {change.model} {before} → {after}"
    return f"model {change.model}: " + "; ".join(change.details or ["its lock entry changed"])


def _value(value: Any) -> Any:
    return None if value is MISSING else value


def _component(obj: dict) -> str:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return str(labels.get(COMPONENT_LABEL) or obj.get("kind") or "other")


def _override_origins(checked: "CheckedSpec | None") -> list[str]:
    from ..overrides import origins

    return origins(checked) if checked is not None and checked.spec.overrides else []


def _override_causes(pair: Any, spec_changes: list[SpecChange], origins: tuple[list[str], list[str]]) -> list[str]:
    """The spec changes of the overrides that patched the object on either side (`overrides[i]...`)."""
    from ..overrides import SECTION, applied_overrides

    reasons = []
    for obj, written in zip((pair.old, pair.new), origins):
        for origin in applied_overrides(obj):
            if origin in written:
                here = (SECTION, written.index(origin))
                # A change at or under the override, or of the whole list around it.
                reasons += [f"`{c.dotted}`" for c in spec_changes
                            if c.path[:2] == here or here[:len(c.path)] == tuple(c.path)]
    return reasons


def _resources(old_objects: list[dict], new_objects: list[dict], spec_changes: list[SpecChange],
               models: list[ModelChange], old_data: dict, new_data: dict,
               override_origins: tuple[list[str], list[str]] = ([], [])) -> tuple[list[ResourceChange], int]:
    by_model = {change.model: change for change in models}
    index = SpecChangeIndex(spec_changes)
    result, unchanged = [], 0
    for pair in pair_objects(old_objects, new_objects):
        if pair.action == "unchanged":
            unchanged += 1
            continue
        current = pair.current
        spec_path = _annotation(current, SPEC_PATH_ANNOTATION)
        if pair.action == "changed":
            diff = diff_lines(pair.changes)
        else:
            diff = whole_object_lines(current, "+" if pair.action == "added" else "-")
        texts = ([json.dumps([_value(c.old), _value(c.new), c.dotted], default=str) for c in pair.changes]
                 if pair.action == "changed" else [json.dumps(current, default=str)])
        why = _why(spec_path, texts, index, by_model, new_data if pair.new is not None else old_data)
        why = list(dict.fromkeys(why + _override_causes(pair, spec_changes, override_origins)))
        result.append(ResourceChange(pair.action, pair.key, _component(current), spec_path, pair.changes, diff, why,
                                     applied_overrides(current)))
    return result, unchanged


# --- lint delta -------------------------------------------------------------------------------

def _lint_identity(finding: Any) -> tuple:
    """Findings are the same across revisions when code, spec path and message are: lines move on a reformat."""
    return (finding.code, tuple(finding.path), finding.message)


def _lint_item(finding: Any, side: _Side | None) -> LintItem:
    position = Position(finding.file, finding.line, finding.col)
    if side is not None:
        position = side.relabel(position)
    return LintItem(finding.code, finding.severity, finding.name, finding.message, dotted_path(finding.path), position)


def _lint_delta(old: list, new: list, before: _Side) -> tuple[list[LintItem], list[LintItem]]:
    old_count = Counter(_lint_identity(f) for f in old)
    new_count = Counter(_lint_identity(f) for f in new)
    introduced, resolved = [], []
    seen: Counter = Counter()
    for finding in sorted(new, key=lambda f: (f.code, f.line, f.col, f.message)):
        identity = _lint_identity(finding)
        seen[identity] += 1
        if seen[identity] > old_count[identity]:
            introduced.append(_lint_item(finding, None))
    seen = Counter()
    for finding in sorted(old, key=lambda f: (f.code, f.line, f.col, f.message)):
        identity = _lint_identity(finding)
        seen[identity] += 1
        if seen[identity] > new_count[identity]:
            resolved.append(_lint_item(finding, before))
    return introduced, resolved


# --- pipelines --------------------------------------------------------------------------------

def _pipeline_diagrams(old: "Spec | None", new: "Spec | None", resources: list[ResourceChange]) -> list[PipelineDiagram]:
    from ..graph import Edge, Graph, Node, add_pipeline, node_id, step_label, to_mermaid

    old_pipelines = old.pipelines if old else {}
    new_pipelines = new.pipelines if new else {}
    touched_by_objects = {r.spec_path.split(".")[1] for r in resources
                          if r.spec_path and r.spec_path.startswith("pipelines.") and r.spec_path.count(".") >= 1}
    result = []
    for name in sorted(set(old_pipelines) | set(new_pipelines)):
        a, b = old_pipelines.get(name), new_pipelines.get(name)
        if a is not None and b is not None:
            steps: dict[str, str] = {}
            for step in sorted(set(a.steps) | set(b.steps)):
                if step not in a.steps:
                    steps[step] = "added"
                elif step not in b.steps:
                    steps[step] = "removed"
                elif a.steps[step] != b.steps[step]:
                    steps[step] = "changed"
            if a == b and name not in touched_by_objects:
                continue
            action, pipeline = "changed", b
        elif b is not None:
            action, pipeline, steps = "added", b, {step: "added" for step in b.steps}
        else:
            action, pipeline, steps = "removed", a, {step: "removed" for step in a.steps}  # type: ignore[union-attr]
        graph = Graph("LR")
        cluster = add_pipeline(graph, name, pipeline, steps)
        if action == "changed" and a is not None:
            for step in a.steps:  # removed steps stay in the picture, struck out, where they were
                if step not in b.steps:  # type: ignore[union-attr]
                    cluster.nodes.append(graph.add(Node(node_id("step", name, step), step_label(step, a.steps[step]),
                                                        "step", "removed")))
                    graph.edges += [Edge(node_id("step", name, before), node_id("step", name, step), "", "dotted")
                                    for before in a.steps[step].after if before in b.steps or before in a.steps]
        result.append(PipelineDiagram(name, action, to_mermaid(graph), steps))
    return result
