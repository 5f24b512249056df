"""Pair the objects of two compiles and say, field by field, what changed in each.

Objects pair by (apiVersion, kind, namespace, name), through a dict: pairing is linear in the
number of objects. The two sides of a pair are compared as they are first (`==`, in C, no copy);
only the subtrees that differ are canonicalised and diffed field by field, and nothing is
serialised to compare: a plan of a 5,000-endpoint spec with one change canonicalises one field.
Raw equality implies canonical equality (the canonical form is a function of the value); like
Python's `==` it takes 1, 1.0 and True for one value, which two compiles never write for one field
(each field's type comes from the validated spec model).

Canonical form (what "unchanged" means):
- mapping key order does not matter (a reordered mlops.yaml reorders the dicts the backend builds);
- a list whose items are all mappings with a distinct identity key (`name`, then `alert`,
  `record`, `key`) is a set keyed by it: Argo tasks, containers, env vars and PrometheusRule
  alerts come out in the order the spec wrote their keys, and reordering keys is not a change;
- other lists keep their order (a command line or a cron list is ordered);
- IGNORED_ANNOTATIONS are dropped (see there why).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Annotations that say where an object came from rather than what it is. `mlops.dev/spec-file`
#: names the file that was compiled: with `--base-spec` the two sides are different files, and the
#: plan must not report every object as changed because of that. The backend's other provenance
#: annotations (spec path, environment, model version, lineage) are stable under reformatting and
#: carry real meaning (a moved model version), so they stay in the diff. No annotation carries a
#: line number or a hash of the spec text (checked in backends/kubernetes/labels.py): if one ever
#: does, it belongs here.
IGNORED_ANNOTATIONS = frozenset({"mlops.dev/spec-file"})

IDENTITY_KEYS = ("name", "alert", "record", "key")
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()

ObjectKey = tuple[str, str, str, str]  # apiVersion, kind, namespace ("" when cluster-scoped), name


def object_key(obj: dict) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")), str(meta.get("namespace") or ""),
            str(meta.get("name", "")))


def _identity_key(items: list) -> str | None:
    """The key that identifies every item of a list of mappings, if there is one."""
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in IDENTITY_KEYS:
        values = [item.get(key) for item in items]
        if all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values) and len(set(values)) == len(values):
            return key
    return None


def canonical(value: Any) -> Any:
    """`value` with identity-keyed lists sorted by identity and ignored annotations removed."""
    return _canonical(value, ())


def _canonical(value: Any, path: tuple) -> Any:
    if isinstance(value, dict):
        result = {}
        for key, child in value.items():
            if path == ("metadata", "annotations") and key in IGNORED_ANNOTATIONS:
                continue
            result[key] = _canonical(child, path + (key,))
        return result
    if isinstance(value, list):
        items = [_canonical(item, path + ("[]",)) for item in value]
        ident = _identity_key(items)
        if ident is not None:
            items.sort(key=lambda item: (type(item[ident]).__name__, item[ident]))
        return items
    return value


def changes_between(old: Any, new: Any, path: tuple = ()) -> list[FieldChange]:
    """`field_changes(canonical(old), canonical(new))`, canonicalising only the subtrees that differ."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        if path == ("metadata", "annotations"):
            old = {k: v for k, v in old.items() if k not in IGNORED_ANNOTATIONS}
            new = {k: v for k, v in new.items() if k not in IGNORED_ANNOTATIONS}
        changes: list[FieldChange] = []
        for key in sorted(set(old) | set(new), key=str):
            changes += changes_between(old.get(key, MISSING), new.get(key, MISSING), path + (key,))
        return changes
    # Lists (whose order may not matter), a type change, scalars: the canonical forms decide.
    return field_changes(_canonical(old, path), _canonical(new, path), path)


def canonical_dump(obj: dict) -> str:
    return json.dumps(canonical(obj), sort_keys=True, separators=(",", ":"), default=str)


# --- field changes ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldChange:
    """One changed leaf (or a whole subtree added/removed): `path` is keys, `[name=x]` selectors and indexes."""

    path: tuple            # of str keys, int indexes, or (identity_key, value) pairs for keyed list items
    old: Any = MISSING
    new: Any = MISSING

    @property
    def dotted(self) -> str:
        return dotted_path(self.path)


def dotted_path(path: Iterable) -> str:
    """`spec.predictor.containers[name=kserve-container].resources.limits.cpu`, `spec.schedules[0]`."""
    text = ""
    for part in path:
        if isinstance(part, tuple):
            text += f"[{part[0]}={part[1]}]"
        elif isinstance(part, int):
            text += f"[{part}]"
        else:
            text += (("." if text else "") + part) if _plain_key(part) else f"[{json.dumps(part)}]"
    return text


def _plain_key(key: str) -> bool:
    return bool(key) and all(ch.isalnum() or ch in "-_/" for ch in key)


def field_changes(old: Any, new: Any, path: tuple = ()) -> list[FieldChange]:
    """The smallest set of changes that turns canonical `old` into canonical `new`."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for key in sorted(set(old) | set(new), key=str):
            changes += field_changes(old.get(key, MISSING), new.get(key, MISSING), path + (key,))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        ident = _identity_key(old)
        if ident is not None and _identity_key(new) == ident:
            before = {item[ident]: item for item in old}
            after = {item[ident]: item for item in new}
            changes = []
            for name in sorted(set(before) | set(after), key=lambda v: (type(v).__name__, v)):
                changes += field_changes(before.get(name, MISSING), after.get(name, MISSING),
                                         path + ((ident, name),))
            return changes
        if len(old) == len(new) and all(isinstance(a, (dict, list)) and type(a) is type(b) for a, b in zip(old, new)):
            changes = []
            for index, (a, b) in enumerate(zip(old, new)):
                changes += field_changes(a, b, path + (index,))
            return changes
    return [FieldChange(path, old, new)]


# --- pairing ----------------------------------------------------------------------------------

@dataclass
class ObjectChange:
    """One object of either side: added, removed, changed or unchanged."""

    action: str                      # "added" | "removed" | "changed" | "unchanged"
    key: ObjectKey
    old: dict | None
    new: dict | None
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def current(self) -> dict:
        """The object as it will be (or was, for a removed one)."""
        return self.new if self.new is not None else self.old  # type: ignore[return-value]


ACTION_ORDER = {"added": 0, "changed": 1, "removed": 2, "unchanged": 3}


def pair_objects(old: list[dict], new: list[dict]) -> list[ObjectChange]:
    """Every object of both sides, classified, sorted by key. Duplicate keys: the last one wins
    (the backend never emits two objects with one key; the API server would not accept them)."""
    before = {object_key(obj): obj for obj in old}
    after = {object_key(obj): obj for obj in new}
    result: list[ObjectChange] = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is None:
            result.append(ObjectChange("added", key, None, b))
        elif b is None:
            result.append(ObjectChange("removed", key, a, None))
        else:
            changes = changes_between(a, b)
            result.append(ObjectChange("changed", key, a, b, changes) if changes else
                          ObjectChange("unchanged", key, a, b))
    return result
