"""GPU queues: what each queue's quota on a pool is, and the queue settings Kueue could not carry out.

Kueue (kubernetes-sigs/kueue v0.19.2) admits a workload only when a ClusterQueue flavor covers every
resource its pods request (pkg/scheduler/flavorassigner/flavorassigner.go: a resource no resource
group covers makes the workload inadmissible), so a quota names CPU and memory beside the GPUs.
Without them in the spec they are the GPUs' share of the pool's instance type (the catalogue in
compiler/instance_types.py); a pool without known instance types needs them written.

Refused at validation, at the position that asks for it:
- a quota on a pool that does not exist or has no GPUs (the flavor is one per GPU pool);
- CPU or memory that cannot be derived;
- a pipeline naming an unknown queue, or a queued pipeline's GPU step on a pool its queue has no
  quota on: no flavor's node labels match the step's node selector, so it would wait forever.

Lint reads this module: standard library only.
"""
from __future__ import annotations

import math
from typing import NamedTuple, TYPE_CHECKING

from .diagnostics import DiagnosticBag
from .source_map import SourceMap
from .validation import dotted

if TYPE_CHECKING:
    from .spec import Spec

GPU_RESOURCE = "nvidia.com/gpu"
#: The resources every flavor covers, in the order Kueue requires each flavor to list them
#: (pkg/webhooks/clusterqueue_webhook.go validateFlavorQuotas: "must match the name in coveredResources").
#: ephemeral-storage is covered too: a pod requesting a resource no flavor covers is never admitted
#: (pkg/scheduler/flavorassigner: "resource ... unavailable in ClusterQueue"), and steps may request it.
COVERED_RESOURCES = ("cpu", "memory", "ephemeral-storage", GPU_RESOURCE)


class Quota(NamedTuple):
    gpus: int
    cpu_millis: int
    memory_bytes: int
    ephemeral_bytes: int  # the root disks of the nodes the GPUs fill
    borrow: int | None


def _instance(spec: "Spec", pool: str):
    from .instance_types import get

    for name in spec.node_pools[pool].instance_types:
        found = get(name)
        if found is not None:
            return found
    return None


def quota(spec: "Spec", queue: str, pool: str) -> Quota | None:
    """The queue's quota on `pool`, or None when its CPU or memory cannot be derived."""
    written = spec.platform.queues[queue].quotas[pool]
    node_pool = spec.node_pools[pool]
    instance = _instance(spec, pool)
    share = written.gpus / node_pool.gpus_per_node
    if written.cpu is not None:
        cpu = math.ceil(written.cpu.value * 1000)
    elif instance is not None:
        cpu = math.ceil(instance.vcpus * 1000 * share)
    else:
        return None
    if written.memory is not None:
        memory = written.memory.bytes
    elif instance is not None:
        memory = math.ceil(instance.memory_mib * 2**20 * share)
    else:
        return None
    from .capacity import root_volume_gib

    nodes = math.ceil(share)
    return Quota(written.gpus, cpu, memory, root_volume_gib(node_pool) * nodes * 2**30, written.borrow)


def queued_steps(spec: "Spec", pipeline: str) -> list[str]:
    """The steps of a queued pipeline that wait in its queue: those that request GPUs."""
    definition = spec.pipelines[pipeline]
    if definition.queue is None:
        return []
    return [name for name, step in definition.steps.items() if step.resources.uses_gpu]


def check_queues(spec: "Spec", source_map: SourceMap) -> None:
    """Raise SpecError with every queue setting Kueue could not carry out."""
    bag = DiagnosticBag()
    queues = spec.platform.queues
    for name, queue in queues.items():
        for pool in queue.quotas:
            path = ("platform", "queues", name, "quotas", pool)
            if pool not in spec.node_pools or not spec.node_pools[pool].is_gpu:
                gpu_pools = sorted(p for p, d in spec.node_pools.items() if d.is_gpu)
                what = "is not a node pool" if pool not in spec.node_pools else "has no GPUs"
                bag.add(source_map.key(path), f"{dotted(path)}: {pool!r} {what}; a queue's quotas are on GPU pools "
                        "(one Kueue ResourceFlavor each)", path,
                        hint=f"GPU pools: {', '.join(gpu_pools)}" if gpu_pools else "define a GPU pool first")
            elif quota(spec, name, pool) is None:
                bag.add(source_map.key(path), f"{dotted(path)}: pool {pool!r} has no instance type the catalogue "
                        "knows, so the CPU and memory beside the GPUs cannot be derived (Kueue admits a workload "
                        "only when its queue covers every resource it requests)", path,
                        hint="write cpu and memory, e.g. {gpus: 8, cpu: 96, memory: 1000Gi}")
    for name, pipeline in spec.pipelines.items():
        if pipeline.queue is None:
            continue
        path = ("pipelines", name, "queue")
        if pipeline.queue not in queues:
            known = sorted(queues)
            bag.add(source_map.value(path), f"{dotted(path)}: unknown queue {pipeline.queue!r}", path,
                    hint=f"known: {', '.join(known)}" if known else "define it under platform.queues")
            continue
        covered = queues[pipeline.queue].quotas
        for step in queued_steps(spec, name):
            pool = spec.pipelines[name].steps[step].resources.pool
            if pool not in covered:
                here = ("pipelines", name, "steps", step, "resources", "pool")
                bag.add(source_map.value(here), f"{dotted(here)}: queue {pipeline.queue!r} has no quota on pool "
                        f"{pool!r}: Kueue would never admit the step", here,
                        hint=f"add platform.queues.{pipeline.queue}.quotas.{pool}, or run the step on "
                             + ", ".join(sorted(covered)))
    bag.raise_if_any()
