"""`platform.queues` -> Kueue (v1beta2): a ResourceFlavor per queued GPU pool, a ClusterQueue and a
LocalQueue per queue; the label that submits a pipeline's GPU steps.

- ResourceFlavor: one per GPU pool a queue has a quota on, whose `nodeLabels` are the pool's own
  node label (the label its Karpenter NodePool puts on its nodes and every pod on it selects), so
  Kueue counts a workload against the pool it will run on and injects nothing that contradicts it.
- ClusterQueue: its quotas per flavor on cpu, memory and nvidia.com/gpu (compiler/queues.py), its
  cohort (cluster-wide, so carrying the environment like every cluster-scoped name), only the
  system's namespace; preemption: lower-priority workloads of the queue give way
  (`withinClusterQueue: LowerPriority`), and a queue reclaims its lent quota from borrowers
  (`reclaimWithinCohort: Any`).
- LocalQueue in the system's namespace, the name a pod's `kueue.x-k8s.io/queue-name` label gives.
- Priorities: no WorkloadPriorityClass. Kueue takes a workload's priority from its
  WorkloadPriorityClass label, else from its pods' PriorityClass (kubernetes-sigs/kueue v0.19.2
  pkg/util/priority/priority.go: "k8s priority class should be checked next"), and the pods'
  PriorityClasses (serving > training > batch) are the availability work's; a WorkloadPriorityClass
  has top-level `value`, which Pulumi's CustomResource cannot declare. Serving is never queued: no
  training job holds quota that serving needs.

Kueue admits Argo's step pods through its `pod` integration (enable `pod` in the Kueue
configuration's `integrations.frameworks`, with the system's namespace in
`managedJobsNamespaceSelector`): it gates each labelled pod until its queue has the quota.
"""
from __future__ import annotations

from compiler import queues as facts
from compiler.spec.units import Quantity

from .context import Context
from .labels import metadata, obj
from .pods import NODE_POOL_LABEL, pool_label_value

API_VERSION = "kueue.x-k8s.io/v1beta2"
COMPONENT = "queues"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"   # set by the API server on every Namespace


def flavor_name(ctx: Context, pool: str) -> str:
    return ctx.cluster_name(pool)


def cluster_queue_name(ctx: Context, queue: str) -> str:
    return ctx.cluster_name(queue)


def local_queue_name(ctx: Context, queue: str) -> str:
    return ctx.name(queue)


def step_labels(ctx: Context, pipeline: str, step: str) -> dict[str, str]:
    """The labels that submit one step's pod to its pipeline's queue (none for an unqueued step)."""
    if step not in facts.queued_steps(ctx.spec, pipeline):
        return {}
    return {QUEUE_LABEL: local_queue_name(ctx, ctx.spec.pipelines[pipeline].queue)}


def _flavor(ctx: Context, pool: str) -> dict:
    meta = metadata(ctx, flavor_name(ctx, pool), COMPONENT, f"node_pools.{pool}", namespaced=False)
    return obj(API_VERSION, "ResourceFlavor", meta, spec={"nodeLabels": {NODE_POOL_LABEL: pool_label_value(ctx, pool)}})


def _quantity_of_millis(millis: int) -> str:
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def _flavor_quotas(ctx: Context, queue: str, pool: str) -> dict:
    quota = facts.quota(ctx.spec, queue, pool)
    gpus: dict = {"name": facts.GPU_RESOURCE, "nominalQuota": quota.gpus}
    if quota.borrow is not None:
        gpus["borrowingLimit"] = quota.borrow
    return {"name": flavor_name(ctx, pool), "resources": [
        {"name": "cpu", "nominalQuota": _quantity_of_millis(quota.cpu_millis)},
        {"name": "memory", "nominalQuota": Quantity.of_bytes(quota.memory_bytes).text},
        {"name": "ephemeral-storage", "nominalQuota": Quantity.of_bytes(quota.ephemeral_bytes).text},
        gpus,
    ]}


def _cluster_queue(ctx: Context, name: str) -> dict:
    queue = ctx.spec.platform.queues[name]
    spec: dict = {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ctx.namespace}},
        "queueingStrategy": "BestEffortFIFO",
        "preemption": {"withinClusterQueue": "LowerPriority", "reclaimWithinCohort": "Any"},
        "resourceGroups": [{"coveredResources": list(facts.COVERED_RESOURCES),
                            "flavors": [_flavor_quotas(ctx, name, pool) for pool in sorted(queue.quotas)]}],
    }
    if queue.cohort is not None:
        spec["cohortName"] = ctx.cluster_name(queue.cohort)
    meta = metadata(ctx, cluster_queue_name(ctx, name), COMPONENT, f"platform.queues.{name}", namespaced=False)
    return obj(API_VERSION, "ClusterQueue", meta, spec=spec)


def _local_queue(ctx: Context, name: str) -> dict:
    meta = metadata(ctx, local_queue_name(ctx, name), COMPONENT, f"platform.queues.{name}")
    return obj(API_VERSION, "LocalQueue", meta, spec={"clusterQueue": cluster_queue_name(ctx, name)})


def lower_queues(ctx: Context) -> list[dict]:
    queues = ctx.spec.platform.queues
    if not queues:
        return []
    pools = sorted({pool for queue in queues.values() for pool in queue.quotas})
    objects = [_flavor(ctx, pool) for pool in pools]
    for name in sorted(queues):
        objects += [_cluster_queue(ctx, name), _local_queue(ctx, name)]
    return objects
