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
