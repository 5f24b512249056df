"""What every lowering function needs besides its own spec section: the spec, the environment, the lock.

`Context` is built once per compile by `backends.kubernetes.lower` and passed down; it is read-only.
It answers the questions several sections share: the name of a generated object, which model
version an endpoint serves and from which storage URI. The lock given here is used as is: the
compile command first drops stale entries (`compiler.lock.usable_lock`). Without an entry the URI
is `placeholder_uri(...)`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from compiler.naming import cluster_resource_name, resource_name
from compiler.spec import Spec

if TYPE_CHECKING:
    from compiler.lock import Lock

#: Where serving points while mlops.lock has no fresh entry for a model: a bucket that does not
#: exist, so the manifests still apply (KServe's webhook accepts s3://) and the model server fails
#: to download, loudly; `mlops compile --frozen` refuses instead.
PLACEHOLDER_BUCKET = "s3://mlops-placeholder"


def placeholder_uri(registry_name: str, alias: str | None, version: int | None) -> str:
    """`s3://mlops-placeholder/<registry_name>/versions/<N>` or `.../aliases/<alias>`."""
    if version is not None:
        return f"{PLACEHOLDER_BUCKET}/{registry_name}/versions/{version}"
    return f"{PLACEHOLDER_BUCKET}/{registry_name}/aliases/{alias}"


@dataclass(frozen=True)
class ModelRef:
    """One deployable model version: what serving downloads and where it came from."""

    model_key: str
    registry_name: str
    version: int | None          # None: an alias not resolved by a lock
    alias: str | None
    storage_uri: str
    lineage: tuple[tuple[str, str], ...] = ()   # (key, value), LINEAGE_KEYS order, only known ones
    locked: bool = False
    revision: str | None = None  # a Hugging Face commit (pinned by the spec itself)
    #: A kept previous version: (endpoint, image) it was served with, as the lock recorded it; empty for the
    #: current version (served with today's runtime image) and for a version whose record is missing.
    served_images: tuple[tuple[str, str], ...] = ()
    previous: bool = False      # a kept earlier version (its preprocessing version is its own lineage's)

    def served_image(self, endpoint: str) -> str | None:
        return dict(self.served_images).get(endpoint)

    @property
    def label(self) -> str:
        """The version as annotations and object names show it: `7`, the alias when unresolved, or a
        Hugging Face commit's first 12 digits."""
        if self.revision is not None:
            return self.revision[:12]
        return str(self.version) if self.version is not None else self.alias or "unknown"


@dataclass(frozen=True)
class Context:
    spec: Spec
    env: str | None = None
    lock: "Lock | None" = None
    spec_file: str = "mlops.yaml"
    #: endpoint -> its data contract, normalised (read by `context_for`, compiler/data_contract.py).
    contracts: dict = field(default_factory=dict, compare=False)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def system(self) -> str:
        return self.spec.metadata.name

    @property
    def namespace(self) -> str:
        return self.spec.metadata.namespace

    def name(self, key: str, suffix: str = "") -> str:
        """The name of a namespaced object: `<system>-<key><suffix>`."""
        return resource_name(self.system, key, suffix)

    def cluster_name(self, key: str, suffix: str = "") -> str:
        """The name of a cluster-scoped object (or a key shared cluster-wide): carries the environment."""
        return cluster_resource_name(self.system, self.env, key, suffix)

    def service_account(self, role: str) -> str:
        return self.name(role)

    # --- models ---------------------------------------------------------------------------

    def model_ref(self, model_key: str) -> ModelRef:
        """The version an endpoint serves: the lock's resolution when there is one, else the spec's."""
        cached = self._cache.get(("model", model_key))
        if cached is None:
            cached = self._cache[("model", model_key)] = self._resolve(model_key)
        return cached

    def _resolve(self, model_key: str) -> ModelRef:
        model = self.spec.models[model_key]
        if model.huggingface is not None:
            return ModelRef(model_key, model.huggingface.repo, None, None, model.huggingface.storage_uri,
                            self._spec_lineage(model_key), revision=model.huggingface.revision)
        registry_name = model.registry_name or model_key
        entry = self._lock_entry(model_key)
        if entry is not None:
            lineage = tuple((k, v) for k, v in sorted(entry.lineage.items()) if v)
            return ModelRef(model_key, registry_name, entry.version, model.alias, entry.resolved.artifact_uri,
                            lineage or self._spec_lineage(model_key), locked=True)
        return ModelRef(model_key, registry_name, model.version, model.alias,
                        placeholder_uri(registry_name, model.alias, model.version), self._spec_lineage(model_key))

    def _lock_entry(self, model_key: str):
        return self.lock.entry(model_key) if self.lock is not None else None

    def _spec_lineage(self, model_key: str) -> tuple[tuple[str, str], ...]:
        lineage = self.spec.models[model_key].lineage
        if lineage is None:
            return ()
        return tuple((k, str(v)) for k, v in lineage.model_dump().items() if v is not None)

    def previous_versions(self, model_key: str, keep: int) -> list[ModelRef]:
        """Up to `keep` earlier versions known to be deployable, newest first.

        With a (fresh) lock entry: the lock's `previous` versions. Without one, a model pinned by
        `version: N` has the placeholder URIs of N-1 .. N-keep; an unresolved alias has none.
        """
        if keep <= 0:
            return []
        current = self.model_ref(model_key)
        if current.revision is not None:
            return []  # a pinned commit has no registry history to roll back to
        entry = self._lock_entry(model_key)
        if entry is not None:
            return [ModelRef(model_key, current.registry_name, v.version, None, v.artifact_uri,
                             tuple((k, value) for k, value in v.lineage if value), locked=True,
                             served_images=v.images, previous=True)
                    for v in entry.previous[:keep]]
        if current.version is None:
            return []
        versions = range(current.version - 1, max(current.version - keep, 1) - 1, -1)
        return [ModelRef(model_key, current.registry_name, v, None,
                         placeholder_uri(current.registry_name, None, v), previous=True) for v in versions]
