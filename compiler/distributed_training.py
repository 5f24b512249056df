"""Distributed training steps (`pipelines.*.steps.*.distributed`): what Kubeflow Trainer can run.

A distributed step is one Kubeflow Trainer TrainJob (kubeflow/trainer v2.3.0) of `nodes` pods, one
per node, each running `gpus_per_node` torchrun processes; its `resources` are one node's.

Refused at validation, at the position that asks for it:
- no pool, a pool without GPUs, or a pool that shares its GPUs (MIG, MPS, time-slicing): NCCL's
  all-reduce across nodes needs whole GPUs of one kind, and a shared GPU's neighbours starve it;
- `gpus_per_node` above the pool's (a pod's GPUs are on one node), or different from the step's
  own `resources.gpu`, or a fractional/MIG `resources.gpu`;
- more nodes than the pool may grow to (`nodes.max`): the gang would never be complete;
- in a queued pipeline, more GPUs (nodes x gpus_per_node) than its queue can ever hold on the pool:
  its quota, plus what it may borrow (`borrow`, or, in a cohort without a limit, the cohort's other
  quotas on the pool). Kueue admits a TrainJob whole (one workload) or not at all;
- `env_from` and `features`: the TrainJob's trainer takes env entries only (TrainJob
  spec.trainer.env) and Trainer's webhook refuses env in runtime patches of the node container
  (pkg/runtime/framework/plugins/jobset/jobset.go Validate);
- torchrun's own variables in `env` (PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK,
  PET_MASTER_ADDR, PET_MASTER_PORT: pkg/constants/constants.go TorchRunReservedEnvNames), which
  Trainer sets and its webhook refuses (pkg/runtime/framework/plugins/torch/torch.go Validate).

Lint reads this module: standard library only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .diagnostics import DiagnosticBag
from .source_map import SourceMap
from .validation import dotted

if TYPE_CHECKING:
    from .spec import Spec
    from .spec.pipelines import Step

#: kubeflow/trainer v2.3.0 pkg/constants/constants.go TorchRunReservedEnvNames.
TORCHRUN_RESERVED_ENV = ("PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT")


def gpus_per_node(step: "Step") -> int:
    """The torchrun processes (GPUs) of each node: `distributed.gpus_per_node`, else `resources.gpu`."""
    written = step.distributed.gpus_per_node
    if written is not None:
        return written
    gpu = step.resources.gpu
    return int(gpu) if isinstance(gpu, (int, float)) else 0


def distributed_steps(spec: "Spec") -> list[tuple[str, str, "Step"]]:
    return [(name, step_name, step) for name, pipeline in spec.pipelines.items()
            for step_name, step in pipeline.steps.items() if step.distributed is not None]


def check_distributed_training(spec: "Spec", source_map: SourceMap) -> None:
    """Raise SpecError with every distributed step Kubeflow Trainer could not run as written."""
    bag = DiagnosticBag()
    for pipeline, step_name, step in distributed_steps(spec):
        here = ("pipelines", pipeline, "steps", step_name)
        distributed = step.distributed
        pool_name = step.resources.pool
        pool = spec.node_pools.get(pool_name) if pool_name else None
        gpu = step.resources.gpu
        if gpu is not None and not (isinstance(gpu, (int, float)) and float(gpu).is_integer() and gpu >= 1):
            path = (*here, "resources", "gpu")
            bag.add(source_map.value(path), f"{dotted(path)}: a distributed step takes whole GPUs per node, not "
                    f"{gpu!r}", path, hint="e.g. gpu: 8 on an 8-GPU exclusive pool")
        elif gpu is not None and distributed.gpus_per_node is not None and int(gpu) != distributed.gpus_per_node:
            path = (*here, "distributed", "gpus_per_node")
            bag.add(source_map.value(path), f"{dotted(path)}: {distributed.gpus_per_node} differs from the step's "
                    f"resources.gpu ({int(gpu)}); both are one node's GPUs", path,
                    hint="write one of them, or the same number in both")
        if pool is None or not pool.is_gpu:
            path = (*here, "resources", "pool") if pool_name else (*here, "resources")
            gpu_pools = sorted(p for p, d in spec.node_pools.items() if d.is_gpu and d.sharing.mode == "exclusive")
            what = "names no pool" if pool_name is None else f"pool {pool_name!r} has no GPUs"
            bag.add(source_map.value(path) if pool_name else source_map.key(path),
                    f"{dotted(path)}: a distributed step runs on an exclusive GPU pool; the step {what}", path,
                    hint=f"exclusive GPU pools: {', '.join(gpu_pools)}" if gpu_pools else "define an exclusive GPU pool")
        else:
            if pool.sharing.mode != "exclusive":
                path = (*here, "resources", "pool")
                bag.add(source_map.value(path), f"{dotted(path)}: pool {pool_name!r} shares its GPUs "
                        f"({pool.sharing.mode.replace('_', '-')}); NCCL across nodes needs whole GPUs "
                        "(no MIG, MPS or time-slicing)", path, hint="use a pool with sharing: exclusive")
            per_node = gpus_per_node(step)
            if per_node < 1:
                path = (*here, "distributed")
                bag.add(source_map.key(path), f"{dotted(path)}: no GPUs per node: set distributed.gpus_per_node "
                        "or resources.gpu", path, hint=f"e.g. gpus_per_node: {pool.gpus_per_node}")
            elif per_node > pool.gpus_per_node:
                written = distributed.gpus_per_node is not None
                path = (*here, "distributed", "gpus_per_node") if written else (*here, "resources", "gpu")
                bag.add(source_map.value(path), f"{dotted(path)}: {per_node} GPUs per node, and pool {pool_name!r}'s "
                        f"nodes have {pool.gpus_per_node}", path, hint=f"at most {pool.gpus_per_node}, or more nodes")
            if distributed.nodes > pool.nodes.max:
                path = (*here, "distributed", "nodes")
                bag.add(source_map.value(path), f"{dotted(path)}: {distributed.nodes} nodes, and pool {pool_name!r} "
                        f"grows to {pool.nodes.max} (nodes.max): the gang would never be complete", path,
                        hint=f"raise node_pools.{pool_name}.nodes.max to {distributed.nodes}, or use fewer nodes")
        if pool is not None and pool.is_gpu:
            reach = _queue_reach(spec, spec.pipelines[pipeline].queue, pool_name)
            needed = distributed.nodes * gpus_per_node(step)
            if reach is not None and needed > reach:
                queue = spec.pipelines[pipeline].queue
                path = (*here, "distributed", "nodes")
                bag.add(source_map.value(path), f"{dotted(path)}: {distributed.nodes} nodes x {gpus_per_node(step)} "
                        f"GPUs = {needed}, and queue {queue!r} can hold at most {reach} GPUs of pool {pool_name!r}: "
                        "Kueue admits the TrainJob whole or never", path,
                        hint=f"raise platform.queues.{queue}.quotas.{pool_name}.gpus (or its borrow), or use "
                             "fewer nodes")
        if step.env_from:
            path = (*here, "env_from")
            bag.add(source_map.key(path), f"{dotted(path)}: a TrainJob's trainer takes env entries only (no envFrom)",
                    path, hint="name each variable under env, e.g. {secret: name/key}")
        if step.features is not None:
            path = (*here, "features")
            bag.add(source_map.key(path), f"{dotted(path)}: a distributed step does not mount the feature store",
                    path, hint="read the features in an earlier single-node step and pass the files on")
        for name in step.env:
            if name in TORCHRUN_RESERVED_ENV:
                path = (*here, "env", name)
                bag.add(source_map.key(path), f"{dotted(path)}: {name} is set by Kubeflow Trainer for torchrun",
                        path, hint="remove it: nodes and gpus_per_node decide it")
    bag.raise_if_any()


def _queue_reach(spec: "Spec", queue: str | None, pool: str) -> int | None:
    """The most GPUs of `pool` a workload of `queue` can be admitted with; None when not queued there."""
    queues = spec.platform.queues
    if queue is None or queue not in queues or pool not in queues[queue].quotas:
        return None   # check_queues reports an unknown queue or a pool without quota
    own = queues[queue].quotas[pool]
    cohort = queues[queue].cohort
    if cohort is None:
        return own.gpus
    if own.borrow is not None:
        return own.gpus + own.borrow
    return sum(q.quotas[pool].gpus for q in queues.values() if q.cohort == cohort and pool in q.quotas)
