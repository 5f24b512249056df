"""The Kubernetes backend: lower a checked spec into Kubernetes objects (plain dicts), one module per section.

    lower(checked, lock=None) -> [object, ...]           every manifest object, in final order
    lower_files(checked, lock=None) -> {path: [object]}   the same objects grouped by output file,
                                                           plus rollback/<endpoint>/v<N>.yaml
    objects_by_file(...)                                   alias of lower_files

Paths are relative to the environment's output directory (`build/<env>/`): `manifests/...` and
`rollback/...`. Lowering is pure: no I/O, no clock, no randomness; the writer (writer.py) and the
compile command (compiler/commands/compile.py) turn the result into files.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .alertmanager import alertmanager_config
from .context import Context
from .monitoring import lower_monitor
from .feature_store import lower_feature_store
from .namespace import lower_namespace
from .node_pools import lower_node_pools
from .queues import lower_queues
from .order import canonical_object
from .pipelines import lower_pipeline
from .pipeline_alerts import pipeline_rule
from .serving import lower_endpoint, lower_rollbacks, model_cache_node_groups

if TYPE_CHECKING:
    from compiler.checked_spec import CheckedSpec
    from compiler.lock import Lock

__all__ = ["Context", "MANIFESTS", "ROLLBACK", "context_for", "lower", "lower_context", "lower_files",
           "objects_by_file"]

MANIFESTS = "manifests"
ROLLBACK = "rollback"


def context_for(checked: "CheckedSpec", lock: "Lock | None" = None) -> Context:
    """The lowering context; the data contracts the spec names are read here, before the pure lowering."""
    from pathlib import PurePath

    from compiler.data_contract import read_contracts

    return Context(spec=checked.spec, env=checked.env, lock=lock, spec_file=PurePath(checked.path).name,
                   contracts=read_contracts(checked)[0])


def lower_context(ctx: Context) -> dict[str, list[dict]]:
    """Output path -> objects, manifests first in apply order (namespace, node pools, pipelines, serving,
    monitoring, alert delivery; each group by name), then the rollback files."""
    spec = ctx.spec
    files: dict[str, list[dict]] = {f"{MANIFESTS}/namespace.yaml": lower_namespace(ctx) + lower_feature_store(ctx)}
    pools = lower_node_pools(ctx) + model_cache_node_groups(ctx)
    if pools:
        files[f"{MANIFESTS}/node-pools.yaml"] = pools
    queues = lower_queues(ctx)
    if queues:
        files[f"{MANIFESTS}/queues.yaml"] = queues
    for name in sorted(spec.pipelines):
        files[f"{MANIFESTS}/pipelines/{name}.yaml"] = lower_pipeline(ctx, name)
    for name in sorted(spec.serving):
        files[f"{MANIFESTS}/serving/{name}.yaml"] = lower_endpoint(ctx, name)
    for name in sorted(spec.monitoring):
        files[f"{MANIFESTS}/monitoring/{name}.yaml"] = lower_monitor(ctx, name)
    for name in sorted(spec.pipelines):
        gpu_alerts = pipeline_rule(ctx, name)   # OOM kills, GPU memory and XID errors of its GPU steps
        if gpu_alerts is not None:
            files[f"{MANIFESTS}/monitoring/pipelines/{name}.yaml"] = [gpu_alerts]
    alerting = alertmanager_config(ctx)
    if alerting:
        files[f"{MANIFESTS}/alerting.yaml"] = alerting
    for name in sorted(spec.serving):
        for version, objects in lower_rollbacks(ctx, name).items():
            files[f"{ROLLBACK}/{name}/{version}.yaml"] = objects
    return {path: [canonical_object(o) for o in objects] for path, objects in files.items()}


def lower_files(checked: "CheckedSpec", lock: "Lock | None" = None) -> dict[str, list[dict]]:
    """`lower_context`, then the spec's `overrides` patched onto the objects: what every backend and the plan declare."""
    files = lower_context(context_for(checked, lock))
    if not checked.spec.overrides:
        return files
    from compiler.overrides import apply_overrides

    return {path: [canonical_object(o) for o in objects] for path, objects in apply_overrides(checked, files).items()}


objects_by_file = lower_files


def lower(checked: "CheckedSpec", lock: "Lock | None" = None) -> list[dict]:
    """Every object `kubectl apply -k manifests/` creates, in apply order (rollback files excluded)."""
    files = lower_files(checked, lock)
    return [o for path, objects in files.items() if path.startswith(MANIFESTS + "/") for o in objects]
