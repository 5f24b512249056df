"""Build a compiler.lock.Lock from a rule case's compact `lock:` mapping.

    lock:
      fraud-xgb: {version: 3, previous: [2, 1], lineage: {data_version: d, ...}, fresh: true}

`fresh: false` makes the entry stale (a spec hash made for another spec); lineage keys left out are
missing in the registry; `from_spec: [keys]` marks lineage keys the lock took from the spec. A previous
version may be a mapping `{version: 2, images: {endpoint: image}}` (what it was served with).
"""
from __future__ import annotations

from compiler.checked_spec import CheckedSpec
from compiler.lock import LINEAGE_KEYS, Lock, LockedModel, LockedVersion


def build_lock(description: dict, checked: CheckedSpec) -> Lock:
    from compiler.lock import lock_requirements

    requirements = lock_requirements(checked)
    models = {}
    for key, entry in description.items():
        model = checked.spec.models[key]
        lineage = {k: entry.get("lineage", {}).get(k) for k in LINEAGE_KEYS}
        models[key] = LockedModel(
            key=key, registry_name=model.registry_name or key, alias=model.alias, requested_version=model.version,
            resolved=LockedVersion(entry["version"], f"models:/{key}/{entry['version']}"),
            lineage=lineage, lineage_source={k: ("spec" if k in entry.get("from_spec", ()) else "version-tag")
                                             if v else "missing" for k, v in lineage.items()},
            previous=tuple(_previous(key, v) for v in entry.get("previous", [])),
            spec_hash=requirements[key].spec_hash if entry.get("fresh", True) else "sha256:0000000000000000")
    return Lock(str(checked.path).replace(".yaml", ".lock"), models)


def _previous(key: str, item) -> LockedVersion:
    if isinstance(item, int):
        return LockedVersion(item, f"models:/{key}/{item}")
    return LockedVersion(item["version"], f"models:/{key}/{item['version']}",
                         images=tuple(sorted((item.get("images") or {}).items())))
