"""The one place that decides key order and object order.

Keys: an object starts apiVersion, kind, metadata (name, namespace, labels, annotations), spec,
data; every other mapping is written as hera writes Argo objects: `name` first, then scalars,
then lists, then mappings, each group in the order lowering built it (free-form maps such as
labels are built sorted). Objects: the Namespace first, then by component (platform, node pools,
pipelines, serving, monitoring), then by file, kind rank and name.
"""
from __future__ import annotations

_TOP = ("apiVersion", "kind", "metadata", "spec", "data")
_METADATA = ("name", "generateName", "namespace", "labels", "annotations")


def _group(value) -> int:
    if isinstance(value, dict):
        return 3
    if isinstance(value, (list, tuple)):
        return 2
    return 1


def _ordered(mapping: dict) -> dict:
    keys = sorted(mapping, key=lambda k: (0 if k == "name" else _group(mapping[k])))  # stable sort
    return {key: canonical(mapping[key]) for key in keys}


def canonical(value):
    """`value` with every mapping's keys in the canonical order (lists keep their order)."""
    if isinstance(value, dict):
        return _ordered(value)
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    return value


def canonical_object(obj: dict) -> dict:
    result = {key: obj[key] for key in _TOP if key in obj}
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        result["metadata"] = {**{k: meta[k] for k in _METADATA if k in meta},
                              **{k: canonical(v) for k, v in meta.items() if k not in _METADATA}}
    for key in ("spec", "data"):
        if key in result:
            result[key] = canonical(result[key])
    rest = {key: value for key, value in obj.items() if key not in _TOP}
    result.update(_ordered(rest))
    return result
