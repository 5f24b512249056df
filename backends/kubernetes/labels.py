"""Labels, annotations and provenance: what every generated object says about where it came from.

Every object carries `app.kubernetes.io/{name,part-of,component,managed-by}`, the spec's
`metadata.labels` (and the owner), and annotations naming the spec path it was lowered from.
Objects that serve or train a model also carry the model version and its lineage.
"""
from __future__ import annotations

from .context import Context, ModelRef

DOMAIN = "mlops.dev"
MANAGED_BY = "mlops"

SPEC_PATH = f"{DOMAIN}/spec-path"
SPEC_FILE = f"{DOMAIN}/spec-file"
ENVIRONMENT = f"{DOMAIN}/environment"
MODEL = f"{DOMAIN}/model"
MODEL_VERSION = f"{DOMAIN}/model-version"
MODEL_STORAGE_URI = f"{DOMAIN}/model-storage-uri"
MODEL_PINNED = f"{DOMAIN}/model-pinned"
LINEAGE_PREFIX = f"{DOMAIN}/lineage-"
NODE_POOL_LABEL = f"{DOMAIN}/node-pool"
ENDPOINT_LABEL = f"{DOMAIN}/endpoint"
PIPELINE_LABEL = f"{DOMAIN}/pipeline"
#: Kubernetes' well-known node labels (k8s.io/api/core/v1 well_known_labels.go).
ZONE_LABEL = "topology.kubernetes.io/zone"
HOSTNAME_LABEL = "kubernetes.io/hostname"


def labels(ctx: Context, component: str, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The labels of one object: the spec's labels, the owner, then the app.kubernetes.io set (which wins)."""
    result = dict(ctx.spec.metadata.labels)
    if ctx.spec.metadata.owner:
        result[f"{DOMAIN}/owner"] = ctx.spec.metadata.owner
    result.update(extra or {})
    result.update({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": ctx.system,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    })
    return dict(sorted(result.items()))


def selector_labels(ctx: Context, component: str) -> dict[str, str]:
    """The labels generated pods of one component are selected by (network policies, monitors)."""
    return {"app.kubernetes.io/component": component, "app.kubernetes.io/part-of": ctx.system}


def model_annotations(model: ModelRef) -> dict[str, str]:
    result = {
        MODEL: model.registry_name,
        MODEL_VERSION: model.label,
        MODEL_STORAGE_URI: model.storage_uri,
        MODEL_PINNED: "huggingface-revision" if model.revision is not None else "lock" if model.locked else ("spec" if model.version is not None else "unresolved-alias"),
    }
    for key, value in model.lineage:
        result[LINEAGE_PREFIX + key.replace("_", "-")] = value
    return result


def annotations(ctx: Context, spec_path: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    result = {SPEC_FILE: ctx.spec_file, SPEC_PATH: spec_path, ENVIRONMENT: ctx.env or "base"}
    result.update(extra or {})
    return dict(sorted(result.items()))


def metadata(ctx: Context, name: str, component: str, spec_path: str, *, namespaced: bool = True,
             extra_labels: dict[str, str] | None = None,
             extra_annotations: dict[str, str] | None = None, namespace: str | None = None) -> dict:
    """ObjectMeta: name, namespace, labels, annotations."""
    meta: dict = {"name": name}
    if namespaced:
        meta["namespace"] = namespace or ctx.namespace
    meta["labels"] = labels(ctx, component, name, extra_labels)
    meta["annotations"] = annotations(ctx, spec_path, extra_annotations)
    return meta


def obj(api_version: str, kind: str, meta: dict, **body) -> dict:
    """A Kubernetes object in the canonical top-level order."""
    result = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    result.update({key: value for key, value in body.items() if value is not None})
    return result
