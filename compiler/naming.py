"""Names of generated resources, and the length budgets user-chosen names must fit.

Every Kubernetes name the backends create is derived here, so the validator can check, before
anything is generated, that each one stays within the limit of the system that consumes it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NameBudget:
    section: str       # spec section whose keys the name is derived from
    kind: str          # what the derived name names
    suffix: str        # what is appended to `<system>-<key>`
    limit: int
    why: str


# Why each limit: Knative/KServe add "-predictor-00001" to an InferenceService name and the result
# must be a 63-character label; Argo appends an 11-character timestamp to CronWorkflow names and
# keeps them within 52; Karpenter uses the NodePool name as a label value (63).
BUDGETS = (
    NameBudget("serving", "InferenceService", "", 47, "KServe appends -predictor-00001 and the result must fit 63 characters"),
    NameBudget("pipelines", "CronWorkflow", "", 52, "Argo CronWorkflow names are at most 52 characters"),
    NameBudget("monitoring", "drift CronWorkflow", "-drift", 52, "Argo CronWorkflow names are at most 52 characters"),
    NameBudget("monitoring", "retraining-gate CronWorkflow", "-retrain-gate", 52,
               "Argo CronWorkflow names are at most 52 characters"),
    NameBudget("node_pools", "NodePool", "", 63, "the NodePool name is a label value of at most 63 characters"),
)


def resource_name(system: str, key: str, suffix: str = "") -> str:
    """`<system>-<key><suffix>`: the one way namespaced generated names are formed."""
    return f"{system}-{key}{suffix}"


def cluster_resource_name(system: str, env: str | None, key: str, suffix: str = "") -> str:
    """`<system>-<env>-<key><suffix>` (`<system>-<key><suffix>` for the base): cluster-scoped objects.

    Namespaced objects are kept apart by the namespace; cluster-scoped ones (NodePools,
    EC2NodeClasses, model caches) and the GPU Operator's shared ConfigMaps are not, so two
    environments of one system in one cluster would overwrite each other without the environment
    in the name.
    """
    return resource_name(system, f"{env}-{key}" if env else key, suffix)


# --- derived names that can collide -------------------------------------------------------------
#
# Different spec keys can derive the same object name: a pipeline `fraud-api-drift` and the drift
# check of endpoint `fraud-api` both make the CronWorkflow `<system>-fraud-api-drift`, and the
# later one would silently replace the other. `derived_names` lists every object whose name is
# formed from a spec key, as the backends form it (backends/kubernetes: pipelines.py, monitoring.py,
# serving.py, node_pools.py); names without a key in them (`<system>-training`, the GPU Operator
# ConfigMaps, NetworkPolicies) cannot collide. tests/test_name_collisions.py holds this list
# against what the lowering really produces, so a new object cannot be forgotten here.
# All namespaced objects of one compile share metadata.namespace, so objects collide per kind;
# cluster-scoped names also carry the environment, which is one per compile.

MODEL_CACHE_SUFFIX = "-model-cache"
UNPOOLED_CACHE_GROUP = "default"  # the LocalModelNodeGroup key of cached endpoints without a pool


def derived_names(spec) -> list[tuple[str, str, tuple]]:
    """(kind, name, spec path it is derived from) for every generated object named after a spec key."""
    system = spec.metadata.name
    found: list[tuple[str, str, tuple]] = []

    def add(kind: str, key: str, suffix: str, path: tuple) -> None:
        found.append((kind, resource_name(system, key, suffix), path))

    for key, pool in spec.node_pools.items():
        add("NodePool", key, "", ("node_pools", key))
        add("EC2NodeClass", key, "", ("node_pools", key))
    for key, pipeline in spec.pipelines.items():
        add("WorkflowTemplate", key, "", ("pipelines", key))
        if pipeline.schedules:
            add("CronWorkflow", key, "", ("pipelines", key))
    cache_groups: dict[str, tuple] = {}
    for key, endpoint in spec.serving.items():
        add("InferenceService", key, "", ("serving", key))
        if endpoint.model_cache:
            pool = endpoint.resources.pool
            cache_groups.setdefault(pool or f"\0{UNPOOLED_CACHE_GROUP}",
                                    ("node_pools", pool) if pool else ("serving", key, "model_cache"))
    for group, path in cache_groups.items():
        add("LocalModelNodeGroup", group.lstrip("\0"), MODEL_CACHE_SUFFIX, path)
    for key, monitor in spec.monitoring.items():
        add("PrometheusRule", key, "", ("monitoring", key))
        add("PodMonitor", key, "", ("monitoring", key))
        for part, suffix in (("drift", "-drift"), ("retraining", "-retrain-gate")):
            if getattr(monitor, part) is not None:
                add("CronWorkflow", key, suffix, ("monitoring", key, part))
                add("ConfigMap", key, suffix, ("monitoring", key, part))
    return found


def colliding_names(names: list[tuple[str, str, tuple]]) -> list[tuple[str, str, tuple, tuple]]:
    """(kind, name, first spec path, second spec path) for each name two spec keys derive alike."""
    first: dict[tuple[str, str], tuple] = {}
    collisions = []
    for kind, name, path in names:
        earlier = first.setdefault((kind, name), path)
        if earlier != path:
            collisions.append((kind, name, earlier, path))
    return collisions
