"""Names of generated resources, and the length budgets user-chosen names must fit.

Every Kubernetes name the backends create is derived here, so the validator can check, before
anything is generated, that each one stays within the limit of the system that consumes it.
"""
from __future__ import annotations

from typing import NamedTuple

from .autoscaling import through_interceptor


class NameBudget(NamedTuple):
    section: str       # spec section whose keys the name is derived from
    kind: str          # what the derived name names
    suffix: str        # what is appended to `<system>-<key>`
    limit: int
    why: str
    cluster_scoped: bool = False   # the name carries the environment (`cluster_resource_name`)


# Why each limit: Knative/KServe add "-predictor-00001" to an InferenceService name and the result
# must be a 63-character label; Argo appends an 11-character timestamp to CronWorkflow names and
# keeps them within 52; Karpenter uses the NodePool name as a label value (63), and so do the GPU
# Operator's config keys (`nvidia.com/device-plugin.config`, `nvidia.com/mig.config`) derived from it.
BUDGETS = (
    NameBudget("serving", "InferenceService", "", 47, "KServe appends -predictor-00001 and the result must fit 63 characters"),
    NameBudget("pipelines", "CronWorkflow", "", 52, "Argo CronWorkflow names are at most 52 characters"),
    NameBudget("monitoring", "monitor-jobs CronWorkflow", "-monitor", 52,
               "Argo CronWorkflow names are at most 52 characters"),
    NameBudget("node_pools", "NodePool", "", 63, "the NodePool name is a label value of at most 63 characters",
               cluster_scoped=True),
)


def has_monitor_jobs(monitor) -> bool:
    """Whether an endpoint's monitoring runs jobs (drift, estimation, the retraining gate): one CronWorkflow."""
    truth = monitor.ground_truth
    return bool(monitor.drift or monitor.retraining or (truth is not None and truth.estimation != "none"))


#: The name of the DAG template of a pipeline's WorkflowTemplate (its entrypoint); no step may share it.
DAG_TEMPLATE = "dag"


def derived_name(budget: NameBudget, system: str, env: str | None, key: str) -> str:
    """The name `budget` limits, for `key` in environment `env` (None: the base)."""
    if budget.cluster_scoped:
        return cluster_resource_name(system, env, key, budget.suffix)
    return resource_name(system, key, budget.suffix)


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
        add("AKSNodeClass" if spec.platform.cloud == "azure" else "EC2NodeClass", key, "", ("node_pools", key))
        if pool.sharing.mode != "exclusive":
            add("NodeOverlay", key, "", ("node_pools", key, "sharing"))
    for key, pipeline in spec.pipelines.items():
        add("WorkflowTemplate", key, "", ("pipelines", key))
        if pipeline.schedules:
            add("CronWorkflow", key, "", ("pipelines", key))
        if any(step.resources.uses_gpu for step in pipeline.steps.values()):   # pipeline_alerts.py
            add("PrometheusRule", key, "-gpu-alerts", ("pipelines", key))
    cache_groups: dict[str, tuple] = {}
    for key, endpoint in spec.serving.items():
        add("InferenceService", key, "", ("serving", key))
        if through_interceptor(endpoint, spec.platform.serving_mode):
            add("HTTPScaledObject", key, "", ("serving", key))
        if endpoint.replicas.max > 1 and endpoint.availability.disruption_budget:   # backends/kubernetes/availability.py
            add("PodDisruptionBudget", key, "-predictor", ("serving", key, "availability"))
        if endpoint.model_cache:
            pool = endpoint.resources.pool
            cache_groups.setdefault(pool or f"\0{UNPOOLED_CACHE_GROUP}",
                                    ("node_pools", pool) if pool else ("serving", key, "model_cache"))
    for group, path in cache_groups.items():
        add("LocalModelNodeGroup", group.lstrip("\0"), MODEL_CACHE_SUFFIX, path)
    for key, monitor in spec.monitoring.items():
        add("PrometheusRule", key, "", ("monitoring", key))
        add("PodMonitor", key, "", ("monitoring", key))
        if has_monitor_jobs(monitor):
            add("CronWorkflow", key, "-monitor", ("monitoring", key))
        if monitor.drift is not None or monitor.retraining is not None:
            add("ServiceMonitor", key, "-pushgateway", ("monitoring", key))
        truth = monitor.ground_truth
        for part, suffix, present in (("drift", "-drift", monitor.drift is not None),
                                      ("ground_truth", "-estimate", truth is not None and truth.estimation != "none"),
                                      ("retraining", "-retrain-gate", monitor.retraining is not None)):
            if present:
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
