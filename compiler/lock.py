"""mlops.lock: the model versions a spec serves, pinned, with their lineage. Reading it needs no network.

`mlops lock` (compiler/registry.py, MLflow) writes it; compile, lint and plan only read it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, Position, SpecError

LINEAGE_KEYS = ("data_version", "preprocessing_version", "code_version")


@dataclass(frozen=True)
class LockedVersion:
    """One registry version: what serving downloads and where it came from."""

    version: int
    artifact_uri: str
    run_id: str | None = None
    status: str = "READY"


@dataclass(frozen=True)
class LockedModel:
    """A model of the spec as the registry resolved it."""

    key: str                                  # the key under `models:` in the spec
    registry_name: str
    alias: str | None                         # what the spec asked for (one of alias / version)
    requested_version: int | None
    resolved: LockedVersion                   # the version alias/version resolved to
    lineage: dict[str, str | None]            # LINEAGE_KEYS -> value (None when nobody recorded it)
    lineage_source: dict[str, str]            # LINEAGE_KEYS -> "version-tag" | "run-tag" | "spec" | "missing"
    previous: tuple[LockedVersion, ...]       # earlier deployable versions, newest first
    spec_hash: str                            # model_spec_hash() of the spec entry it was resolved for

    @property
    def version(self) -> int:
        return self.resolved.version


@dataclass
class Lock:
    path: str
    models: dict[str, LockedModel] = field(default_factory=dict)

    def entry(self, model_key: str) -> LockedModel | None:
        return self.models.get(model_key)


def lock_path_for(spec_path: str | Path) -> Path:
    """mlops.yaml -> mlops.lock; mlops.yaml.example -> mlops.lock.example; other.yaml -> other.lock."""
    spec = Path(spec_path)
    name = spec.name
    if "mlops.yaml" in name:
        return spec.with_name(name.replace("mlops.yaml", "mlops.lock", 1))
    if "mlops.yml" in name:
        return spec.with_name(name.replace("mlops.yml", "mlops.lock", 1))
    return spec.with_name(spec.stem + ".lock")


def model_spec_hash(registry_name: str, alias: str | None, version: int | None, keep_previous: int) -> str:
    """Hash of what a lock entry depends on: a change to any of these makes the entry stale."""
    payload = json.dumps({"registry_name": registry_name, "alias": alias, "version": version,
                          "keep_previous": keep_previous}, sort_keys=True)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:16]
