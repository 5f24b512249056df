"""GPU: how workloads are placed on GPU node pools and how the GPUs are shared."""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ... import capacity
from ...gpu_catalogue import MIG_USABLE_PERCENT, get as accelerator, layout_problem, smallest_profile_fitting
from ...spec.units import Percentage
from ..relations import gib, workloads
from ..rule import Context, Problem, RuleOptions, rule


class WholeGpuOptions(RuleOptions):
    whole_gpu_min_use: Percentage = Field(default=Percentage.parse("50%"),
                                          description="Share of one GPU's memory a workload must declare to "
                                                      "deserve a whole GPU.")


@rule("GPU001", "whole-gpu-underused", "warning",
      "A workload takes whole GPUs on an exclusive pool while its declared `gpu_memory` is under half of one "
      "GPU's memory.", options=WholeGpuOptions)
def whole_gpu_underused(ctx: Context, options: WholeGpuOptions) -> Iterator[Problem]:
    """## What it does
    For every endpoint that requests whole GPUs on a pool with `sharing: exclusive`, compares the
    model's declared `gpu_memory` with the memory of one GPU of the pool's accelerator. Under
    `whole_gpu_min_use` (50%) it names the smallest MIG profile that fits, or a time-slicing
    setting for GPUs without MIG.

    ## Why is this bad?
    GPUs are the most expensive line of an ML bill, and an inference model that needs 3 GiB
    leaves the other 77 GiB of an A100 idle. Kubernetes cannot hand the rest to anyone else:
    a whole-GPU request is exclusive. A MIG slice or a time-sliced share serves the same model
    at a fraction of the cost.

    ## Example
    ```yaml
    node_pools:
      gpu-serve: {accelerator: a100-80gb, sharing: exclusive, nodes: {max: 2}}
    models:
      fraud-xgb: {version: 7, format: xgboost, gpu_memory: 3Gi}
    serving:
      fraud-api:
        model: fraud-xgb
        runtime: serve
        resources: {gpu: 1, pool: gpu-serve}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-serve: {accelerator: a100-80gb, sharing: {mig: {profile: 1g.10gb}}, nodes: {max: 2}}
    models:
      fraud-xgb: {version: 7, format: xgboost, gpu_memory: 3Gi}
    serving:
      fraud-api:
        model: fraud-xgb
        runtime: serve
        resources: {gpu: {mig: 1g.10gb}, pool: gpu-serve}
    ```
    """
    for work in workloads(ctx.spec):
        pool = ctx.spec.node_pools.get(work.resources.pool or "")
        if (work.gpu_memory_bytes is None or work.resources.gpu_count < 1 or pool is None
                or pool.sharing.mode != "exclusive" or not pool.accelerator):
            continue
        acc = accelerator(pool.accelerator)
        if acc is None or work.gpu_memory_bytes >= acc.memory_bytes * options.whole_gpu_min_use.fraction:
            continue
        profile = smallest_profile_fitting(acc, work.gpu_memory_bytes)
        if profile is not None:
            suggestion = (f"a MIG slice: sharing {{mig: {{profile: {profile.name}}}}} on the pool and "
                          f"resources.gpu {{mig: {profile.name}}}")
        else:
            share = max(2, min(48, acc.memory_bytes // max(work.gpu_memory_bytes, 1)))
            suggestion = f"time-slicing: sharing {{time_slicing: {{replicas: {share}}}}} on the pool"
        used = work.gpu_memory_bytes / acc.memory_bytes
        yield Problem(work.path + ("resources", "gpu"),
                      f"{work.label} takes a whole {acc.key} ({gib(acc.memory_bytes)}) for "
                      f"{gib(work.gpu_memory_bytes)} of declared GPU memory ({used:.0%}); {suggestion} fits it",
                      hint=f"use {suggestion}")


@rule("GPU002", "mig-profile-unsupported", "error",
      "A MIG profile is not offered by the pool's accelerator (or the accelerator has no MIG), or a layout "
      "exceeds the GPU's slices.")
def mig_profile_unsupported(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks each pool's `sharing.mig` against NVIDIA's MIG configurations for its accelerator:
    the accelerator must support MIG (t4, a10g, l4 and l40s do not), every profile must be one it
    offers, and a layout must fit one GPU's compute and memory slices.

    ## Why is this bad?
    The GPU Operator's mig-manager cannot apply a configuration the hardware does not have: the
    node stays unpartitioned or in a failed MIG state, and every pod asking for a slice stays
    Pending, with the reason only in the mig-manager's logs.

    ## Example
    ```yaml
    node_pools:
      gpu-mig:
        accelerator: a100-80gb
        sharing: {mig: {layout: {3g.40gb: 2, 2g.20gb: 1}}}   # 8 compute slices; an A100 has 7
        nodes: {max: 1}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-mig:
        accelerator: a100-80gb
        sharing: {mig: {layout: {3g.40gb: 1, 2g.20gb: 1, 1g.10gb: 2}}}
        nodes: {max: 1}
    ```
    """
    for name, pool in ctx.spec.node_pools.items():
        mig = pool.sharing.mig
        acc = accelerator(pool.accelerator or "")
        if mig is None or acc is None:
            continue
        here = ("node_pools", name, "sharing", "mig")
        hint = f"choose from {acc.key}'s MIG profiles: {', '.join(acc.mig_profiles)}" if acc.has_mig else \
            "choose an accelerator with MIG (a30, a100-40gb, a100-80gb, h100-80gb, h200-141gb) or share with " \
            "time_slicing"
        if not acc.has_mig:
            yield Problem(here, f"node pool {name!r}: {layout_problem(acc, {})}", hint=hint, at="key")
        elif mig.profile is not None:
            if mig.profile not in acc.mig_profiles:
                yield Problem(here + ("profile",), f"node pool {name!r}: {acc.key} has no MIG profile "
                              f"{mig.profile!r}", hint=hint)
        elif (problem := layout_problem(acc, mig.layout or {})) is not None:
            unknown = next((p for p in mig.layout or {} if p not in acc.mig_profiles), None)
            path, at = (here + ("layout", unknown), "key") if unknown else (here + ("layout",), "value")
            yield Problem(path, f"node pool {name!r}: {problem}", hint=hint, at=at)


@rule("GPU003", "shared-gpu-memory-overcommit", "error",
      "On a time-slicing or MPS pool, replicas x the largest `gpu_memory` of the workloads placed there exceeds "
      "one GPU's memory.")
def shared_gpu_memory_overcommit(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For each pool shared by `time_slicing` or `mps`, multiplies the number of pods that may share
    one GPU (`replicas`) by the largest `gpu_memory` of the workloads placed on the pool, and
    compares it with one GPU's memory.

    ## Why is this bad?
    Time-slicing and MPS share a GPU's compute, not its memory: there is no memory isolation.
    When the pods on one GPU together allocate more than it has, one of them hits CUDA OOM, and
    with MPS a fault takes every client on that GPU down with it.

    ## Example
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, sharing: {time_slicing: {replicas: 4}}, nodes: {max: 4}}
    models:
      embedder: {version: 3, format: pytorch, gpu_memory: 8Gi}    # 4 x 8Gi > 24Gi
    serving:
      embed-api: {model: embedder, runtime: serve, resources: {gpu: 1, pool: gpu-serve}}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, sharing: {time_slicing: {replicas: 2}}, nodes: {max: 4}}
    models:
      embedder: {version: 3, format: pytorch, gpu_memory: 8Gi}    # 2 x 8Gi <= 24Gi
    serving:
      embed-api: {model: embedder, runtime: serve, resources: {gpu: 1, pool: gpu-serve}}
    ```
    """
    placed = list(workloads(ctx.spec))
    for name, pool in ctx.spec.node_pools.items():
        acc = accelerator(pool.accelerator or "")
        mode = pool.sharing.mode
        if acc is None or mode not in ("time_slicing", "mps"):
            continue
        sized = [w for w in placed if w.resources.pool == name and w.resources.uses_gpu and w.gpu_memory_bytes]
        if not sized:
            continue
        largest = max(sized, key=lambda w: w.gpu_memory_bytes or 0)
        total = pool.sharing.replicas * (largest.gpu_memory_bytes or 0)
        if total > acc.memory_bytes:
            fits = acc.memory_bytes // (largest.gpu_memory_bytes or 1)
            yield Problem(("node_pools", name, "sharing", mode, "replicas"),
                          f"node pool {name!r} shares each {acc.key} ({gib(acc.memory_bytes)}) between "
                          f"{pool.sharing.replicas} pods, but {largest.label} needs "
                          f"{gib(largest.gpu_memory_bytes or 0)}"
                          f": {gib(total)} would be allocated with no memory isolation",
                          hint=f"lower {mode}.replicas to {fits} or less, or use MIG for isolated memory"
                          if fits >= 2 else "give this workload a whole GPU or a MIG slice")


@rule("GPU004", "gpu-oom-unobservable", "warning",
      "A GPU workload has no GPU-memory alert (no monitoring entry, or GPU alerts turned off).")
def gpu_oom_unobservable(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks that every endpoint using a GPU has a `monitoring:` entry with GPU alerts on
    (`alerts.gpu`, default true), which generates GPU-memory (DCGM framebuffer) and XID alerts.

    ## Why is this bad?
    A CUDA out-of-memory error kills the model server process; Kubernetes shows a restart with an
    unhelpful exit code, and nothing in the pod's status says "GPU memory". Without a DCGM memory
    alert the first sign is users' errors, and the cause stays invisible.

    ## Example
    ```yaml
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve, resources: {gpu: 1, pool: gpu-serve}}
    monitoring:
      fraud-api:
        slo: {latency_p99: 250ms}
        alerts: {gpu: false}
    ```

    ## Use instead
    ```yaml
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve, resources: {gpu: 1, pool: gpu-serve}}
    monitoring:
      fraud-api:
        slo: {latency_p99: 250ms}
        alerts: {gpu: true}
    ```
    """
    for name, endpoint in ctx.spec.serving.items():
        if not endpoint.resources.uses_gpu:
            continue
        monitor = ctx.spec.monitoring.get(name)
        if monitor is None:
            yield Problem(("serving", name, "resources", "gpu"), f"endpoint {name!r} uses a GPU but has no "
                          "monitoring entry: a GPU out-of-memory kill will show as an unexplained restart",
                          hint=f"add monitoring.{name} (GPU memory and XID alerts are on by default)")
        elif not monitor.alerts.gpu:
            yield Problem(("monitoring", name, "alerts", "gpu"), f"endpoint {name!r} uses a GPU but its GPU "
                          "alerts are off: a GPU out-of-memory kill will show as an unexplained restart",
                          hint="set alerts.gpu: true")


@rule("GPU005", "gpu-pool-untainted", "warning", "A GPU pool has `taint: false`.")
def gpu_pool_untainted(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks that every pool with an `accelerator` keeps its taint (`taint: true`, the default),
    so only pods that ask for a GPU (and tolerate the taint) are scheduled there.

    ## Why is this bad?
    Without the taint, the scheduler places ordinary CPU pods on GPU nodes whenever they have
    room: the GPU nodes never scale down, the GPU pods find their nodes full, and the bill pays
    GPU prices for CPU work.

    ## Example
    ```yaml
    node_pools:
      gpu-train: {accelerator: a100-80gb, gpus_per_node: 8, nodes: {max: 2}, taint: false}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-train: {accelerator: a100-80gb, gpus_per_node: 8, nodes: {max: 2}}   # taint defaults to true
    ```
    """
    for name, pool in ctx.spec.node_pools.items():
        if pool.is_gpu and not pool.taint:
            yield Problem(("node_pools", name, "taint"), f"GPU pool {name!r} is not tainted: CPU-only pods will "
                          "be scheduled on its GPU nodes",
                          hint="remove `taint: false` (GPU pools are tainted by default)")


@rule("GPU006", "gpu-request-unsatisfiable", "error",
      "A workload asks for more GPUs than any node of its pool has, a fractional GPU, a MIG profile its pool "
      "does not expose, or a GPU with no GPU pool.")
def gpu_request_unsatisfiable(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks every GPU request of endpoints and pipeline steps against the pool it names: the pool
    must be a GPU pool, a whole-GPU count must be a whole number no larger than the GPUs one node
    advertises (`gpus_per_node`, times `replicas` on shared pools), and a MIG request must name a
    profile the pool is partitioned into.

    ## Why is this bad?
    Kubernetes does not reject an unsatisfiable request: the pod stays Pending forever (or the
    autoscaler keeps adding nodes that cannot host it). A pipeline step then never runs, and a
    rollout never finishes, with the reason buried in scheduler events.

    ## Example
    ```yaml
    node_pools:
      gpu-mig: {accelerator: a100-80gb, sharing: {mig: {profile: 1g.10gb}}, nodes: {max: 1}}
    serving:
      embed-api:
        model: embedder
        runtime: serve
        resources: {gpu: {mig: 3g.40gb}, pool: gpu-mig}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-mig: {accelerator: a100-80gb, sharing: {mig: {layout: {1g.10gb: 4, 3g.40gb: 1}}}, nodes: {max: 1}}
    serving:
      embed-api:
        model: embedder
        runtime: serve
        resources: {gpu: {mig: 3g.40gb}, pool: gpu-mig}
    ```
    """
    strategy = ctx.spec.platform.gpu_operator.mig_strategy
    for work in workloads(ctx.spec):
        res = work.resources
        if not res.uses_gpu:
            continue
        gpu_path = work.path + ("resources", "gpu")
        pool = ctx.spec.node_pools.get(res.pool or "")
        if pool is None or not pool.is_gpu:
            if pool is None:
                where, path = "names no pool", gpu_path
            else:
                where, path = f"runs on pool {res.pool!r}, which has no accelerator", work.path + ("resources", "pool")
            yield Problem(path, f"{work.label} asks for a GPU but {where}",
                          hint="set resources.pool to a GPU node pool (one with an accelerator)")
            continue
        if res.mig_profile is not None:
            offered = pool.sharing.mig.profiles if pool.sharing.mig else []
            if res.mig_profile not in offered:
                exposes = f"exposes only {', '.join(offered)}" if offered else "is not partitioned with MIG"
                yield Problem(gpu_path + ("mig",), f"{work.label} asks for MIG slice {res.mig_profile} but pool "
                              f"{res.pool!r} {exposes}",
                              hint=f"request one of the pool's profiles, or add {res.mig_profile} to its MIG layout")
            continue
        count = res.gpu_count
        advertised = pool.gpus_per_node * pool.sharing.replicas
        if count > 1 and pool.sharing.mode in ("time_slicing", "mps") and count == int(count):
            continue  # GPU009: the device plugin refuses any request above one shared GPU
        if count != int(count):
            yield Problem(gpu_path, f"{work.label} asks for {count:g} GPUs: Kubernetes allocates whole GPUs only",
                          hint="request a whole number of GPUs, a MIG slice ({mig: 1g.10gb}), or a time-sliced "
                               "pool's share (gpu: 1)")
        elif pool.sharing.mode == "mig" and strategy == "mixed":
            yield Problem(gpu_path, f"{work.label} asks for {count:g} whole GPU(s) on pool {res.pool!r}, whose GPUs "
                          "are all partitioned into MIG slices (mig_strategy mixed exposes no whole GPUs)",
                          hint=f"request a slice: gpu: {{mig: {pool.sharing.mig.profiles[0]}}}" if pool.sharing.mig
                          else None)
        elif count > advertised:
            yield Problem(gpu_path, f"{work.label} asks for {count:g} GPUs but a node of pool {res.pool!r} has "
                          f"{advertised}", hint=f"request at most {advertised}, or raise gpus_per_node")


@rule("GPU007", "mig-strategy-mismatch", "error",
      "A pool mixes MIG profiles while `platform.gpu_operator.mig_strategy` is `single` (or uses MIG while it "
      "is `none`).")
def mig_strategy_mismatch(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks each MIG pool against the GPU Operator's `mig_strategy`: `none` exposes no MIG
    devices at all, and `single` requires every GPU of a node to use one profile.

    ## Why is this bad?
    With `single`, the device plugin advertises MIG devices as plain `nvidia.com/gpu` and refuses
    nodes whose slices differ; with `none`, it ignores MIG. Either way the pods asking for the
    pool's slices never schedule, and the node reports zero allocatable GPUs.

    ## Example
    ```yaml
    platform:
      gpu_operator: {mig_strategy: single}
    node_pools:
      gpu-mig: {accelerator: h100-80gb, sharing: {mig: {layout: {1g.10gb: 4, 3g.40gb: 1}}}, nodes: {max: 1}}
    ```

    ## Use instead
    ```yaml
    platform:
      gpu_operator: {mig_strategy: mixed}
    node_pools:
      gpu-mig: {accelerator: h100-80gb, sharing: {mig: {layout: {1g.10gb: 4, 3g.40gb: 1}}}, nodes: {max: 1}}
    ```
    """
    strategy = ctx.spec.platform.gpu_operator.mig_strategy
    for name, pool in ctx.spec.node_pools.items():
        mig = pool.sharing.mig
        if mig is None:
            continue
        here = ("node_pools", name, "sharing", "mig")
        if strategy == "none":
            yield Problem(here, f"node pool {name!r} uses MIG but platform.gpu_operator.mig_strategy is none: "
                          "no MIG device will be advertised", at="key",
                          hint="set platform.gpu_operator.mig_strategy: mixed (or single for one profile)")
        elif strategy == "single" and len(mig.profiles) > 1:
            yield Problem(here + ("layout",), f"node pool {name!r} mixes MIG profiles {', '.join(mig.profiles)} "
                          "but platform.gpu_operator.mig_strategy is single",
                          hint="set platform.gpu_operator.mig_strategy: mixed, or use one profile per pool")


@rule("GPU008", "gpu-memory-exceeds-request", "error",
      "A served model's `gpu_memory` is larger than the memory of the GPUs (or the MIG slice) its endpoint requests.")
def gpu_memory_exceeds_request(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For every endpoint whose model declares `gpu_memory`, compares it with the GPU memory the
    endpoint asks for: whole GPUs times the memory of one (what EC2 reports for the pool's
    accelerator, e.g. 22888 MiB for an L4), or a MIG slice's memory (credited, as GPU001 does,
    with `MIG_USABLE_PERCENT` % of the profile's nominal size: 1g.10gb holds 8.8Gi).

    ## Why is this bad?
    A model does not shrink to fit: the server runs out of GPU memory while loading, CUDA OOM
    kills it, and the pod restarts in a loop. The spec already says it cannot fit.

    ## Example
    ```yaml
    node_pools:
      gpu-mig: {accelerator: a100-80gb, sharing: {mig: {profile: 1g.10gb}}, nodes: {max: 1}}
    models:
      embedder: {version: 3, format: pytorch, gpu_memory: 16Gi}
    serving:
      embed-api: {model: embedder, runtime: serve, resources: {gpu: {mig: 1g.10gb}, pool: gpu-mig}}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-mig: {accelerator: a100-80gb, sharing: {mig: {profile: 2g.20gb}}, nodes: {max: 1}}
    models:
      embedder: {version: 3, format: pytorch, gpu_memory: 16Gi}
    serving:
      embed-api: {model: embedder, runtime: serve, resources: {gpu: {mig: 2g.20gb}, pool: gpu-mig}}
    ```
    """
    for work in workloads(ctx.spec):
        res = work.resources
        pool = ctx.spec.node_pools.get(res.pool or "")
        acc = accelerator(pool.accelerator or "") if pool else None
        if work.gpu_memory_bytes is None or acc is None or not res.uses_gpu:
            continue
        if res.mig_profile is not None:
            profile = acc.mig_profiles.get(res.mig_profile)
            if profile is None:
                continue  # GPU002/GPU006 report the profile itself
            has, what = profile.usable_memory_bytes, (f"a {profile.name} slice ({gib(profile.usable_memory_bytes)} "
                                                      f"usable, {MIG_USABLE_PERCENT}% of {profile.memory_gb}GB)")
        else:
            count = max(1, int(res.gpu_count))
            has = count * capacity.gpu_memory_bytes(acc)
            what = f"{count} x {acc.key} ({gib(has)})"
        if work.gpu_memory_bytes > has:
            model = ctx.spec.serving[work.path[1]].model if work.kind == "endpoint" else None
            yield Problem(work.path + ("resources", "gpu"),
                          f"{work.label} requests {what}, but model {model!r} needs {gib(work.gpu_memory_bytes)} of "
                          "GPU memory: it cannot load", hint="request a larger MIG slice, more GPUs or a GPU with "
                          "more memory, or correct the model's gpu_memory")


@rule("GPU009", "shared-gpu-request-above-one", "error",
      "A workload asks for 2 or more GPUs on a time-sliced or MPS pool.")
def shared_gpu_request_above_one(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks every whole-GPU request on a pool shared with `time_slicing` or `mps`: it must be 1.

    ## Why is this bad?
    The generated device-plugin config sets `failRequestsGreaterThanOne: true` (NVIDIA's
    recommendation, and the default for MPS): two shares of a time-sliced GPU are not twice the
    GPU, they may even be the same GPU. The device plugin refuses such an allocation, and the pod
    fails to start with `UnexpectedAdmissionError` on every node it is bound to.

    ## Example
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, sharing: {time_slicing: {replicas: 4}}, nodes: {max: 2}}
    serving:
      llm-api: {model: llm, runtime: serve, resources: {gpu: 2, pool: gpu-serve}}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-serve: {accelerator: l4, sharing: {time_slicing: {replicas: 4}}, nodes: {max: 2}}
      gpu-multi: {accelerator: l4, gpus_per_node: 4, nodes: {max: 1}}
    serving:
      llm-api: {model: llm, runtime: serve, resources: {gpu: 2, pool: gpu-multi}}
    ```
    """
    for work in workloads(ctx.spec):
        res = work.resources
        pool = ctx.spec.node_pools.get(res.pool or "")
        if pool is None or pool.sharing.mode not in ("time_slicing", "mps") or res.gpu_count <= 1:
            continue
        if res.gpu_count != int(res.gpu_count):
            continue  # GPU006: fractional
        mode = "time-sliced" if pool.sharing.mode == "time_slicing" else "shared by MPS"
        yield Problem(work.path + ("resources", "gpu"),
                      f"{work.label} asks for {res.gpu_count:g} GPUs on pool {res.pool!r}, whose GPUs are {mode}: the "
                      "device plugin refuses more than one shared GPU per container (failRequestsGreaterThanOne)",
                      hint="request gpu: 1, or run it on an exclusive pool with enough GPUs per node")


@rule("GPU010", "mps-with-mixed-mig-strategy", "error",
      "A pool shares GPUs with MPS while `platform.gpu_operator.mig_strategy` is `mixed`.")
def mps_with_mixed_mig_strategy(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks that no pool uses `sharing: {mps: ...}` while the GPU Operator runs the device plugin
    with `mig_strategy: mixed`.

    ## Why is this bad?
    The MIG strategy is one flag for the whole cluster, and the NVIDIA device plugin refuses to
    start with an MPS config under `--mig-strategy=mixed` ("using --mig-strategy=mixed is not
    supported with MPS"): on the MPS pool's nodes no GPU is ever advertised, and its pods stay
    Pending.

    ## Example
    ```yaml
    platform:
      gpu_operator: {mig_strategy: mixed}
    node_pools:
      gpu-serve: {accelerator: l4, sharing: {mps: {replicas: 4}}, nodes: {max: 2}}
    ```

    ## Use instead
    ```yaml
    platform:
      gpu_operator: {mig_strategy: mixed}
    node_pools:
      gpu-serve: {accelerator: l4, sharing: {time_slicing: {replicas: 4}}, nodes: {max: 2}}
    ```
    """
    if ctx.spec.platform.gpu_operator.mig_strategy != "mixed":
        return
    for name, pool in ctx.spec.node_pools.items():
        if pool.sharing.mode == "mps":
            yield Problem(("node_pools", name, "sharing", "mps"), f"node pool {name!r} shares its GPUs with MPS, "
                          "but platform.gpu_operator.mig_strategy is mixed: the device plugin does not start with "
                          "both", hint="use time_slicing on this pool, or mig_strategy single/none", at="key")


def _offered(ctx: Context):
    """(name, pool, accelerator, offering) of every GPU pool on azure or gcp; offering None: not sold there."""
    from ...gpu_catalogue import offering

    cloud = ctx.spec.platform.cloud
    if cloud not in ("azure", "gcp"):
        return
    for name, pool in ctx.spec.node_pools.items():
        acc = accelerator(pool.accelerator or "")
        if acc is not None:
            yield name, pool, acc, offering(acc.key, cloud)


_CLOUD_NAMES = {"azure": "Azure", "gcp": "Google Cloud"}


@rule("GPU021", "gpu-not-offered-on-cloud", "error",
      "On cloud azure or gcp, a GPU pool's accelerator, GPU count or instance types are not a machine that cloud "
      "sells with that GPU.")
def gpu_not_offered_on_cloud(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    On `cloud: azure` and `cloud: gcp`, checks every GPU pool against the catalogue's machines of
    that cloud (compiler/gpu_catalogue.py `offering`): the cloud must sell the accelerator, with
    `gpus_per_node` GPUs on one machine, and every listed `instance_types` entry must be one of
    those machines. (`cloud: aws` has SCHED002/SCHED003 for the same.)

    ## Why is this bad?
    On Azure the NodePool asks Karpenter for a VM size that does not exist (or has another GPU),
    so no node is ever launched and the pods stay Pending; on GKE the node pool cannot be created
    and `pulumi up` fails halfway.

    ## Example
    ```yaml
    platform: {cloud: azure}
    node_pools:
      gpu-serve: {accelerator: l4, nodes: {max: 2}}   # Azure has no L4 VM size
    ```

    ## Use instead
    ```yaml
    platform: {cloud: azure}
    node_pools:
      gpu-serve: {accelerator: a10, nodes: {max: 2}}   # Standard_NV36ads_A10_v5
    ```
    """
    from ...gpu_catalogue import offered_on

    cloud = ctx.spec.platform.cloud
    for name, pool, acc, offer in _offered(ctx):
        here = ("node_pools", name)
        where = _CLOUD_NAMES[cloud]
        if offer is None:
            yield Problem(here + ("accelerator",), f"node pool {name!r}: {where} sells no machine with the "
                          f"{acc.key} GPU", hint=f"choose one {where} offers: {', '.join(offered_on(cloud))}")
            continue
        fitting = offer.machines_with(pool.gpus_per_node)
        if not fitting:
            counts = ", ".join(map(str, offer.gpu_counts))
            yield Problem(here + ("gpus_per_node",), f"node pool {name!r}: no {where} machine has "
                          f"{pool.gpus_per_node} x {acc.key}; they come with {counts} GPUs",
                          hint=f"set gpus_per_node to one of {counts}")
            continue
        names = [machine.name for machine in fitting]
        for i, type_name in enumerate(pool.instance_types):
            if type_name not in names:
                yield Problem(here + ("instance_types", i), f"node pool {name!r} lists {type_name!r}, which is "
                              f"not a {where} machine with {pool.gpus_per_node} x {acc.key}",
                              hint=f"machines that fit: {', '.join(names)}")


@rule("GPU022", "gpu-sharing-unsupported-on-gke", "error",
      "On cloud gcp, a pool's GPU sharing is one GKE node pools cannot configure: a mixed MIG layout, a partition "
      "size GKE does not offer, or MIG under the mixed strategy.")
def gpu_sharing_unsupported_on_gke(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    On `cloud: gcp`, checks each GPU pool's `sharing` against what a GKE node pool can set:
    MIG is one `gpu_partition_size` for every GPU of the node pool (so a `layout` is impossible),
    from the sizes GKE offers for that GPU; GKE advertises each partition as one `nvidia.com/gpu`,
    so `platform.gpu_operator.mig_strategy: mixed` (pods asking for `nvidia.com/mig-<profile>`)
    can never be scheduled there.

    ## Why is this bad?
    GKE refuses to create the node pool (an unsupported partition size), or creates it while the
    pods ask for a resource no GKE node advertises and stay Pending.

    ## Example
    ```yaml
    platform: {cloud: gcp, gke: {cluster: ml, location: us-central1}, gpu_operator: {mig_strategy: single}}
    node_pools:
      gpu-mig: {accelerator: a100-80gb, sharing: {mig: {layout: {3g.40gb: 1, 1g.10gb: 4}}}, nodes: {max: 1}}
    ```

    ## Use instead
    ```yaml
    platform: {cloud: gcp, gke: {cluster: ml, location: us-central1}, gpu_operator: {mig_strategy: single}}
    node_pools:
      gpu-mig: {accelerator: a100-80gb, sharing: {mig: {profile: 1g.10gb}}, nodes: {max: 1}}
    ```
    """
    if ctx.spec.platform.cloud != "gcp":
        return
    for name, pool, acc, offer in _offered(ctx):
        mig = pool.sharing.mig
        if mig is None or offer is None or not acc.has_mig:
            continue  # GPU021 / GPU002 say what is wrong
        here = ("node_pools", name, "sharing", "mig")
        sizes = ", ".join(offer.mig_partitions)
        if mig.layout is not None:
            yield Problem(here + ("layout",), f"node pool {name!r}: a GKE node pool partitions every GPU into one "
                          "size (gpu_partition_size); a mixed MIG layout cannot be configured",
                          hint=f"use profile: <size> (GKE offers {sizes} on {acc.key}), one pool per size",
                          at="key")
        elif mig.profile not in offer.mig_partitions and mig.profile in acc.mig_profiles:
            yield Problem(here + ("profile",), f"node pool {name!r}: GKE does not offer the partition size "
                          f"{mig.profile} on {acc.key}", hint=f"use one of {sizes}")
        if ctx.spec.platform.gpu_operator.mig_strategy == "mixed":
            yield Problem(("platform", "gpu_operator", "mig_strategy"), f"node pool {name!r} uses MIG on GKE, which "
                          "advertises each partition as nvidia.com/gpu; with mig_strategy mixed its pods ask for "
                          "nvidia.com/mig-<profile>, which no GKE node has", hint="set mig_strategy: single")


# --- what MIG and MPS cannot do (docs/traps.md, "MIG and MPS limitations") ---------------------------------

MIG_GUIDE = "https://docs.nvidia.com/datacenter/tesla/mig-user-guide/"
MPS_GUIDE = "https://docs.nvidia.com/deploy/mps/"
#: Launchers that start one process per GPU and connect them with NCCL/MPI (multi-GPU training).
MULTI_PROCESS_LAUNCHERS = frozenset({"torchrun", "deepspeed", "accelerate", "mpirun", "mpiexec", "horovodrun",
                                     "torch.distributed.run", "torch.distributed.launch"})


def _pool_mode(ctx: Context, pool_name: str | None) -> str | None:
    pool = ctx.spec.node_pools.get(pool_name or "")
    return pool.sharing.mode if pool is not None else None


@rule("GPU011", "mig-slices-as-one-device", "error",
      "A workload asks for 2 or more GPUs on a MIG pool: it gets that many separate MIG devices, which a CUDA "
      "process cannot use as one device (nor even see together).")
def mig_slices_as_one_device(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags every workload that requests `gpu: N` (N of 2 or more) on a pool whose GPUs are split with
    MIG. Under `mig_strategy: single` the device plugin advertises each MIG slice as one
    `nvidia.com/gpu`, so the request schedules: the pod gets N slices.

    ## Why is this bad?
    N MIG slices are N separate devices, not one bigger GPU: their memory and SMs cannot be pooled,
    and a CUDA process enumerates a single MIG instance only (NVIDIA MIG User Guide, "Device
    Enumeration" and "Application Considerations": <https://docs.nvidia.com/datacenter/tesla/mig-user-guide/>).
    A model that needs two slices' memory runs out of memory on the first; a framework that
    spreads over "its GPUs" finds one.

    ## Example
    ```yaml
    platform: {gpu_operator: {mig_strategy: single}}
    node_pools:
      gpu-mig: {accelerator: a100-80gb, gpus_per_node: 8, sharing: {mig: {profile: 3g.40gb}}}
    serving:
      llm: {model: llm, runtime: serve, resources: {gpu: 2, pool: gpu-mig}}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-mig: {accelerator: a100-80gb, gpus_per_node: 8, sharing: {mig: {profile: 7g.80gb}}}
    serving:
      llm: {model: llm, runtime: serve, resources: {gpu: 1, pool: gpu-mig}}   # one slice big enough
    ```
    or run it on an exclusive pool with whole GPUs.
    """
    for work in workloads(ctx.spec):
        res = work.resources
        if _pool_mode(ctx, res.pool) != "mig" or res.gpu_count < 2:
            continue
        yield Problem(work.path + ("resources", "gpu"),
                      f"{work.label} asks for {res.gpu_count:g} GPUs on pool {res.pool!r}, whose GPUs are MIG slices: "
                      "it gets separate MIG devices, which cannot be used as one device and of which a CUDA process "
                      f"sees only one (NVIDIA MIG User Guide, Device Enumeration: {MIG_GUIDE})",
                      hint="request one slice large enough (a bigger MIG profile), or whole GPUs on an exclusive pool")


def _multi_process_launch(command: list[str], args: list[str], env: dict[str, str]) -> str | None:
    """What in a step says it runs one process per GPU talking NCCL/MPI (None: nothing does)."""
    words = [*command, *args]
    for word in words[:3]:
        name = word.rsplit("/", 1)[-1]
        if name in MULTI_PROCESS_LAUNCHERS:
            return f"it is launched with {name}"
    nccl = sorted(k for k in env if k.startswith("NCCL_"))
    if nccl:
        return f"it sets {nccl[0]}"
    return None


@rule("GPU012", "multi-gpu-communication-on-mig", "error",
      "A multi-GPU (NCCL/MPI) training step runs on a MIG pool: MIG instances have no peer-to-peer or NVLink between "
      "them, and a pod's process sees one instance.")
def multi_gpu_communication_on_mig(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags pipeline steps on a MIG pool that are launched as multi-process GPU jobs (`torchrun`,
    `deepspeed`, `accelerate`, `mpirun`, `horovodrun`, `python -m torch.distributed.run`) or
    configure NCCL (`NCCL_*` in `env`).

    ## Why is this bad?
    Distributed training moves gradients between GPUs over peer-to-peer PCIe or NVLink. MIG
    supports neither between instances ("No GPU to GPU P2P (either PCIe or NVLink) is supported",
    NVIDIA MIG User Guide, Deployment Considerations > Application Considerations:
    <https://docs.nvidia.com/datacenter/tesla/mig-user-guide/>), and a CUDA process enumerates only
    one MIG instance, so one pod has no multi-GPU at all. The job either fails to initialise NCCL,
    falls back to the host network, or trains on one slice believing it has several.

    ## Example
    ```yaml
    pipelines:
      train:
        runtime: train
        steps:
          fit:
            command: [torchrun, --nproc_per_node=2, train.py]
            resources: {gpu: {mig: 3g.40gb}, pool: gpu-mig}
    ```

    ## Use instead
    ```yaml
    pipelines:
      train:
        runtime: train
        steps:
          fit:
            command: [torchrun, --nproc_per_node=2, train.py]
            resources: {gpu: 2, pool: gpu-train}    # exclusive whole GPUs, NVLink between them
    ```
    """
    for pipeline_name, pipeline in ctx.spec.pipelines.items():
        for step_name, step in pipeline.steps.items():
            if _pool_mode(ctx, step.resources.pool) != "mig":
                continue
            why = _multi_process_launch(step.command, step.args, step.env)
            if why is None:
                continue
            yield Problem(("pipelines", pipeline_name, "steps", step_name, "resources", "pool"),
                          f"step '{pipeline_name}.{step_name}' is a multi-GPU job ({why}) on MIG pool "
                          f"{step.resources.pool!r}: MIG instances have no peer-to-peer or NVLink between them and "
                          f"a process sees one instance (NVIDIA MIG User Guide, Application Considerations: {MIG_GUIDE})",
                          hint="run multi-GPU training on an exclusive pool with whole GPUs")


@rule("GPU013", "mps-clients-not-isolated", "warning",
      "An MPS pool is shared by more than one workload, or by the replicas of one endpoint: a fatal GPU fault of one "
      "MPS client is reported to every client on that GPU.")
def mps_clients_not_isolated(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags a pool that shares its GPUs with MPS when it runs more than one workload (endpoints or
    pipeline steps), or the replicas of one endpoint, which the scheduler may pack onto the same GPU.

    ## Why is this bad?
    MPS clients share one GPU context through the MPS server. Their memory is protected from each
    other, but a fatal GPU exception (an illegal address, an XID 13/31/43) is not contained to the
    client that caused it: it is reported to every client on the GPU, which must all exit (NVIDIA
    Multi-Process Service, "When to Use MPS" > "Considerations" > "Memory Protection and Error
    Containment": <https://docs.nvidia.com/deploy/mps/>). One endpoint's bad request then kills the
    batch job beside it, or all replicas of the endpoint at once. MIG isolates faults between
    instances; time-slicing at least gives each pod its own context.

    ## Example
    ```yaml
    node_pools:
      gpu-shared: {accelerator: l4, sharing: {mps: {replicas: 4}}, nodes: {max: 2}}
    serving:
      fraud-api: {model: fraud, runtime: serve, resources: {gpu: 1, pool: gpu-shared}}
      search-api: {model: search, runtime: serve, resources: {gpu: 1, pool: gpu-shared}}
    ```

    ## Use instead
    ```yaml
    node_pools:
      gpu-shared: {accelerator: a100-80gb, sharing: {mig: {profile: 1g.10gb}}, nodes: {max: 2}}
    serving:
      fraud-api: {model: fraud, runtime: serve, resources: {gpu: {mig: 1g.10gb}, pool: gpu-shared}}
      search-api: {model: search, runtime: serve, resources: {gpu: {mig: 1g.10gb}, pool: gpu-shared}}
    ```
    or give each workload a pool of its own.
    """
    tenants: dict[str, list[str]] = {}
    for work in workloads(ctx.spec):
        if work.resources.uses_gpu and _pool_mode(ctx, work.resources.pool) == "mps":
            tenants.setdefault(work.resources.pool or "", []).append(work.label)
    for pool_name, labels in tenants.items():
        path = ("node_pools", pool_name, "sharing", "mps")
        if len(labels) > 1:
            yield Problem(path, f"MPS pool {pool_name!r} runs {', '.join(labels)}: a fatal GPU fault of one MPS client "
                          f"is reported to every client on the GPU, so one takes the others down ({MPS_GUIDE}, Memory "
                          "Protection and Error Containment)", at="key",
                          hint="give each workload its own pool, or share with MIG, which isolates faults")
            continue
        endpoint = next((e for e in ctx.spec.serving.values() if e.resources.pool == pool_name), None)
        if endpoint is not None and endpoint.replicas.max > 1:
            yield Problem(path, f"MPS pool {pool_name!r} runs the replicas of {labels[0]}, which may share one GPU: a "
                          "fatal GPU fault of one replica is reported to every client on that GPU, taking the "
                          f"others down with it ({MPS_GUIDE}, Memory Protection and Error Containment)", at="key",
                          hint="share with MIG or time-slicing, or spread the replicas over GPUs")
