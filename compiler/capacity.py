"""What one node of a pool offers: the GPU resources the device plugin advertises, and the instance types
its NodePool can launch.

Lowering (NodePool requirements and limits, NodeOverlays) and the capacity lint rules read this, so
the pool Karpenter provisions and the pool lint reasons about are the same pool. Standard library
and the two fact tables only: it is on the `mlops lint` path.

- GPU resources per node: `nvidia.com/gpu` x GPUs on an exclusive pool; x `replicas` when
  time-sliced or shared by MPS (the device plugin advertises every replica, `renameByDefault:
  false` keeps the name); under MIG with `mig_strategy: mixed`, `nvidia.com/mig-<profile>` x the
  layout's count x GPUs and no whole `nvidia.com/gpu`; with `single`, every slice as `nvidia.com/gpu`.
- Instance types: what the NodePool's requirements select from compiler/instance_types.py: the
  listed `instance_types`, or for a GPU pool every instance type with the accelerator's GPU (its
  EC2 GPU name and per-GPU memory) and `gpus_per_node` of them, of `instance_families` when set; a CPU pool without a list may launch
  any amd64 instance type of categories c, m and r (`CPU_POOL_BOUNDS`), which the table does not
  hold row by row.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from . import gpu_catalogue, instance_types

#: The root volume (GiB) of every node mlops' EC2NodeClass launches (backends/kubernetes/node_pools.py):
#: images, emptyDirs (KServe's storage initializer downloads the model into one) and the model cache.
ROOT_VOLUME_GIB = {"gpu": 200, "cpu": 100}


def root_volume_gib(pool) -> int:
    """A pool's root disk: its `root_volume_gib`, else 200 GiB for GPU pools (images, drivers, model caches), 100 for CPU."""
    return pool.root_volume_gib or ROOT_VOLUME_GIB["gpu" if pool.is_gpu else "cpu"]
from .gpu_catalogue import mig_resource_name
from .instance_types import InstanceType

if TYPE_CHECKING:
    from .gpu_catalogue import Accelerator
    from .spec.node_pools import NodePool
    from .spec.resources import Resources

GPU_RESOURCE = "nvidia.com/gpu"
#: Karpenter's architecture requirement on every generated NodePool.
ARCH = "amd64"


def mig_devices(pool: "NodePool") -> dict[str, int]:
    """The MIG instances of one GPU of a MIG pool: the layout, or as many of `profile` as fit."""
    mig = pool.sharing.mig
    if mig.layout is not None:
        return dict(sorted(mig.layout.items()))
    accelerator = gpu_catalogue.get(pool.accelerator or "")
    profile = accelerator.mig_profiles.get(mig.profile) if accelerator else None
    return {mig.profile: profile.max_count if profile else 1}


def advertised_gpus(pool: "NodePool", mig_strategy: str) -> dict[str, int]:
    """Extended GPU resources one node of `pool` advertises once the device plugin runs ({} for CPU pools)."""
    if not pool.is_gpu:
        return {}
    gpus = pool.gpus_per_node
    mode = pool.sharing.mode
    if mode in ("time_slicing", "mps"):
        return {GPU_RESOURCE: gpus * pool.sharing.replicas}
    if mode == "mig" and mig_strategy == "mixed":
        return {GPU_RESOURCE: 0, **{mig_resource_name(profile): gpus * count
                                    for profile, count in mig_devices(pool).items()}}
    if mode == "mig" and mig_strategy == "single":
        return {GPU_RESOURCE: gpus * sum(mig_devices(pool).values())}
    return {GPU_RESOURCE: gpus}


def requested_gpus(resources: "Resources", mig_strategy: str) -> dict[str, int]:
    """The extended resources one pod asking for `resources` requests: nvidia.com/gpu, or a MIG slice."""
    profile = resources.mig_profile
    if profile is not None:
        # Under the single strategy MIG devices are advertised as nvidia.com/gpu.
        return {mig_resource_name(profile): 1} if mig_strategy == "mixed" else {GPU_RESOURCE: 1}
    if resources.gpu_count > 0:
        return {GPU_RESOURCE: max(1, math.ceil(resources.gpu_count))}  # a fraction is GPU006; lowered rounded up
    return {}


def gpu_memory_bytes(accelerator: "Accelerator") -> int:
    """Memory of one GPU: what EC2 reports for its instance types (L4: 22888 MiB), else the catalogue's."""
    reported = instance_types.gpu_memory_mib(accelerator.aws_instance_types)
    return reported * 2**20 if reported else accelerator.memory_bytes


def gpu_name(pool: "NodePool") -> str | None:
    """The `karpenter.k8s.aws/instance-gpu-name` a GPU pool requires (the catalogue key where EC2 has none)."""
    accelerator = gpu_catalogue.get(pool.accelerator or "")
    if accelerator is None:
        return None
    return accelerator.aws_gpu_name or accelerator.key


def gpu_memory_mib(pool: "NodePool") -> int | None:
    """The `karpenter.k8s.aws/instance-gpu-memory` a GPU pool requires (None: no EC2 instance type has it)."""
    accelerator = gpu_catalogue.get(pool.accelerator or "")
    return instance_types.gpu_memory_mib(accelerator.aws_instance_types) if accelerator else None


def gpu_instance_types(pool: "NodePool") -> list[InstanceType]:
    """Every amd64 instance type of the table with the pool's GPU (its EC2 name and per-GPU memory), any count."""
    name, memory = gpu_name(pool), gpu_memory_mib(pool)
    return [row for row in instance_types.INSTANCE_TYPES.values() if row.arch == ARCH and row.gpu_name == name
            and (memory is None or row.gpu_memory_mib == memory)]


def launchable_instance_types(pool: "NodePool") -> list[InstanceType] | None:
    """The rows of the instance-type table the pool's NodePool may launch, in the table's order.

    None when the table cannot say: a listed instance type it does not know, or a CPU pool without
    `instance_types` (bounded by `instance_types.CPU_POOL_BOUNDS` instead).
    """
    if pool.is_gpu:
        candidates = [row for row in gpu_instance_types(pool) if row.gpu_count == pool.gpus_per_node
                      and (not pool.instance_families or row.family in pool.instance_families)]
        if not pool.instance_types:
            return candidates
    elif not pool.instance_types:
        return None
    rows = [instance_types.get(name) for name in pool.instance_types]
    if None in rows:
        return None
    return [row for row in rows if row is not None and row.arch == ARCH and (not pool.is_gpu or row in candidates)]
