"""SCHED: what Karpenter would never launch a node for, and deadlines a pipeline cannot keep.

Node sizes come from compiler/instance_types.py (Karpenter's allocatable figures) and what a pool
can launch from compiler/capacity.py, the same functions the NodePool is lowered with.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

from ... import capacity, gpu_catalogue
from ...instance_types import CPU_POOL_BOUNDS, CPU_POOL_CATEGORIES, get as instance_type
from ..relations import gib, workloads
from ..rule import Context, Problem, RuleOptions, rule


def _cpu(millis: int) -> str:
    return f"{millis / 1000:g} CPU"


def _aws(ctx: Context) -> bool:
    return ctx.spec.platform.cloud == "aws"


@rule("SCHED001", "workload-exceeds-node", "error",
      "A workload asks for more CPU or memory than any instance type its pool can launch has allocatable.")
def workload_exceeds_node(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    On `cloud: aws`, compares the CPU and memory every endpoint and pipeline step requests with
    what Karpenter computes as allocatable on the instance types the step's pool can launch
    (the listed `instance_types`, or every instance type with the pool's GPU; a CPU pool without a
    list is bounded by the largest c, m or r instance type): one instance type must hold the
    whole request.

    ## Why is this bad?
    Karpenter only launches a node when some instance type fits the pod's requests after
    kube-reserved and eviction overhead; otherwise the pod stays Pending with "no instance type
    satisfied resources". A step that asks for 128Gi on a pool of `g6.xlarge` (15Gi allocatable)
    never runs, and nothing fails before the schedule fires.

    ## Example
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, nodes: {max: 4}, instance_types: [g6.xlarge]}
    serving:
      embed-api:
        model: embedder
        runtime: serve
        resources: {cpu: 8, memory: 32Gi, gpu: 1, pool: gpu-serve}   # g6.xlarge: 4 vCPU, 16 GiB
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, nodes: {max: 4}, instance_types: [g6.4xlarge]}   # 16 vCPU, 64 GiB
    serving:
      embed-api:
        model: embedder
        runtime: serve
        resources: {cpu: 8, memory: 32Gi, gpu: 1, pool: gpu-serve}
    ```
    """
    if not _aws(ctx):
        return
    for work in workloads(ctx.spec):
        res = work.resources
        pool = ctx.spec.node_pools.get(res.pool or "")
        if pool is None or (res.cpu is None and res.memory is None):
            continue
        cpu = math.ceil(res.cpu.value * 1000) if res.cpu is not None else 0
        memory = res.memory.bytes if res.memory is not None else 0
        types = capacity.launchable_instance_types(pool)
        if types is None:
            if pool.instance_types:
                continue  # an instance type the table does not know: nothing to compare with
            largest_cpu, largest_memory = CPU_POOL_BOUNDS.cpu_millis, CPU_POOL_BOUNDS.memory_mib * 2**20
            where = (f"pool {res.pool!r} launches instance types of categories {', '.join(CPU_POOL_CATEGORIES)}, "
                     f"the largest with {_cpu(largest_cpu)} ({CPU_POOL_BOUNDS.largest_cpu}) and "
                     f"{gib(largest_memory)} ({CPU_POOL_BOUNDS.largest_memory}) allocatable")
            fits = cpu <= largest_cpu and memory <= largest_memory
        elif not types:
            continue  # SCHED003: the pool launches nothing at all
        else:
            largest_cpu = max(t.allocatable_cpu_millis for t in types)
            largest_memory = max(t.allocatable_memory_bytes for t in types)
            fits = any(t.allocatable_cpu_millis >= cpu and t.allocatable_memory_bytes >= memory for t in types)
            sizes = ", ".join(f"{t.name} {_cpu(t.allocatable_cpu_millis)}/{gib(t.allocatable_memory_bytes)}"
                              for t in types[:4]) + (", ..." if len(types) > 4 else "")
            where = f"pool {res.pool!r} can launch (allocatable CPU/memory) {sizes}"
        if fits:
            continue
        asked = " and ".join(part for part in (_cpu(cpu) if res.cpu is not None else "",
                                               f"{gib(memory)} memory" if res.memory is not None else "") if part)
        if cpu > largest_cpu:
            path = work.path + ("resources", "cpu")
        elif memory > largest_memory:
            path = work.path + ("resources", "memory")
        else:
            path = work.path + ("resources",)
        yield Problem(path, f"{work.label} asks for {asked}, but no node of its pool holds that: {where}; "
                      "Karpenter will launch no node and the pod stays Pending",
                      hint="lower the request, or give the pool a larger instance type",
                      at="key" if path[-1] == "resources" else "value")


@rule("SCHED002", "min-replicas-exceed-pool-limit", "error",
      "The minimum replicas of the endpoints on a GPU pool need more GPUs (or MIG slices, or shared GPU replicas) "
      "than the pool's `nodes.max` nodes offer.")
def min_replicas_exceed_pool_limit(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For every GPU pool, adds up what the endpoints placed there request at `replicas.min`
    (whole GPUs, MIG slices of each profile, or time-sliced / MPS shares) and compares it with
    what `nodes.max` nodes advertise: `gpus_per_node` GPUs each, times `replicas` on shared
    pools, or the MIG layout's count of each profile per GPU. It reports at the endpoint when it
    alone needs more, else at the pool's `nodes.max`.

    ## Why is this bad?
    The NodePool's limits stop Karpenter at `nodes.max` nodes' worth of GPUs. Replicas past
    that stay Pending for good: the endpoint never reaches its minimum, its rollout never
    completes, and the autoscaler keeps asking for pods that cannot exist.

    ## Example
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, gpus_per_node: 1, nodes: {max: 2}}
    serving:
      fraud-api:
        model: fraud-xgb
        runtime: serve
        replicas: {min: 3, max: 6}
        resources: {gpu: 1, pool: gpu-serve}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, gpus_per_node: 1, nodes: {max: 6}}
    serving:
      fraud-api:
        model: fraud-xgb
        runtime: serve
        replicas: {min: 3, max: 6}
        resources: {gpu: 1, pool: gpu-serve}
    ```
    """
    strategy = ctx.spec.platform.gpu_operator.mig_strategy
    for pool_name, pool in ctx.spec.node_pools.items():
        per_node = capacity.advertised_gpus(pool, strategy)
        if not per_node:
            continue
        demand: dict[str, int] = {}
        users: dict[str, list[str]] = {}
        reported: set[str] = set()  # resources an endpoint alone already exceeds
        for name, endpoint in ctx.spec.serving.items():
            if endpoint.resources.pool != pool_name:
                continue
            for resource, count in capacity.requested_gpus(endpoint.resources, strategy).items():
                need = count * endpoint.replicas.min
                if not need:
                    continue
                demand[resource] = demand.get(resource, 0) + need
                users.setdefault(resource, []).append(name)
                limit = per_node.get(resource, 0) * pool.nodes.max
                if need > limit:
                    reported.add(resource)
                    yield Problem(("serving", name, "replicas", "min"),
                                  f"endpoint {name!r} needs {need} {resource} at replicas.min {endpoint.replicas.min}, "
                                  f"but pool {pool_name!r} offers {limit} ({_offer(pool, per_node, resource)})",
                                  hint=f"raise node_pools.{pool_name}.nodes.max, or lower replicas.min")
        for resource, need in sorted(demand.items()):
            limit = per_node.get(resource, 0) * pool.nodes.max
            if need > limit and resource not in reported:
                yield Problem(("node_pools", pool_name, "nodes", "max"),
                              f"the endpoints on pool {pool_name!r} ({', '.join(users[resource])}) need {need} "
                              f"{resource} at their minimum replicas, but the pool offers {limit} "
                              f"({_offer(pool, per_node, resource)})",
                              hint=f"raise nodes.max to {math.ceil(need / per_node[resource])}"
                              if per_node.get(resource) else "give these endpoints a pool that offers this resource")


def _offer(pool, per_node: dict[str, int], resource: str) -> str:
    return f"{per_node.get(resource, 0)} per node x nodes.max {pool.nodes.max}"


@rule("SCHED003", "pool-launches-no-instance-type", "error",
      "A pool's NodePool requirements exclude an instance type it lists, or every EC2 instance type (no type has "
      "its GPU, that many of them, or the amd64 architecture).")
def pool_launches_no_instance_type(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    On `cloud: aws`, applies the pool's NodePool requirements (amd64; for GPU pools the GPU's EC2
    name, `gpus_per_node` and the GPU's memory) to every instance type it lists, and for a GPU pool
    without `instance_types` to every EC2 instance type with that GPU, using the facts of
    compiler/instance_types.py.

    ## Why is this bad?
    Karpenter launches only instance types that satisfy every requirement. A listed `g5.xlarge`
    in an `l4` pool, an `m7g` (arm64) type, or `gpus_per_node: 2` where EC2 sells L4s by 1, 4 and 8
    leaves the NodePool with nothing to launch: pods stay Pending with "no instance type met the
    requirements", and an a30 pool on EC2 (which has no A30) never gets a node.

    ## Example
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, gpus_per_node: 1, nodes: {max: 2}, instance_types: [g5.xlarge]}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, gpus_per_node: 1, nodes: {max: 2}, instance_types: [g6.xlarge]}
    ```
    """
    if not _aws(ctx):
        return
    for name, pool in ctx.spec.node_pools.items():
        here = ("node_pools", name)
        accelerator = gpu_catalogue.get(pool.accelerator or "")
        wanted = (f"{pool.gpus_per_node} x {capacity.gpu_name(pool)} ({capacity.gpu_memory_mib(pool)} MiB each, "
                  f"{accelerator.key})" if accelerator else "")
        if pool.instance_types:
            for i, type_name in enumerate(pool.instance_types):
                row = instance_type(type_name)
                if row is None:
                    continue
                if row.arch != capacity.ARCH:
                    why = f"it is {row.arch}, and the pool's nodes are {capacity.ARCH}"
                elif accelerator is not None and row not in (capacity.launchable_instance_types(pool) or []):
                    has = (f"{row.gpu_count} x {row.gpu_name} ({row.gpu_memory_mib} MiB each)" if row.gpu_name
                           else "no GPU")
                    why = f"it has {has}; the pool asks for {wanted}"
                else:
                    continue
                yield Problem(here + ("instance_types", i), f"node pool {name!r} lists {type_name}, which its "
                              f"NodePool requirements exclude: {why}",
                              hint=_alternatives(pool) or "remove it from instance_types")
        elif accelerator is not None and not capacity.launchable_instance_types(pool):
            counts = sorted({row.gpu_count for row in capacity.gpu_instance_types(pool)} - {0})
            if counts:
                yield Problem(here + ("gpus_per_node",), f"node pool {name!r}: no EC2 instance type has "
                              f"{pool.gpus_per_node} x {accelerator.key}; they come with "
                              f"{', '.join(map(str, counts))} GPUs",
                              hint=f"set gpus_per_node to one of {', '.join(map(str, counts))}")
            else:
                yield Problem(here + ("accelerator",), f"node pool {name!r}: no EC2 instance type has the "
                              f"{accelerator.key} GPU, so Karpenter can launch no node for it",
                              hint="choose an accelerator EC2 offers (t4, a10g, l4, l40s, a100-40gb, a100-80gb, "
                                   "h100-80gb, h200-141gb), or platform.cloud: generic for your own nodes")


def _alternatives(pool) -> str:
    fitting = [row.name for row in capacity.gpu_instance_types(pool) if row.gpu_count == pool.gpus_per_node] \
        if pool.is_gpu else []
    return f"instance types that fit: {', '.join(fitting[:6])}" if fitting else ""


@rule("SCHED004", "step-deadline-exceeds-pipeline", "warning",
      "A pipeline step's `timeout` is longer than the pipeline's `timeout`.")
def step_deadline_exceeds_pipeline(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Compares every step's `timeout` with the `timeout` of its pipeline.

    ## Why is this bad?
    Argo stops the whole workflow at the pipeline's deadline (`activeDeadlineSeconds` of the
    Workflow), whatever the step's own deadline says: a 6h training step in a 4h pipeline is
    killed after at most 4h, and the 6h it was promised was never available. One of the two
    numbers is wrong.

    ## Example
    ```yaml
    pipelines:
      train:
        runtime: train
        timeout: 4h
        steps:
          fit: {command: [python, -m, fit], timeout: 6h}
    ```

    ## Use instead
    ```yaml
    pipelines:
      train:
        runtime: train
        timeout: 8h
        steps:
          fit: {command: [python, -m, fit], timeout: 6h}
    ```
    """
    for name, pipeline in ctx.spec.pipelines.items():
        if pipeline.timeout is None:
            continue
        for step_name, step in pipeline.steps.items():
            if step.timeout is not None and step.timeout.seconds > pipeline.timeout.seconds:
                yield Problem(("pipelines", name, "steps", step_name, "timeout"),
                              f"step '{name}.{step_name}' may run {step.timeout.text}, but pipeline {name!r} is "
                              f"stopped after {pipeline.timeout.text}",
                              hint=f"raise pipelines.{name}.timeout to at least {step.timeout.text}, or shorten the "
                                   "step's timeout")
