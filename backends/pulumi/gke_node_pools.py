"""GKE node pools (cloud gcp): `gcp.container.NodePool` resources, one per `node_pools:` entry.

GKE has no Karpenter. A GKE platform team declares GPU node pools as cloud resources, next to the
cluster, and lets GKE's cluster autoscaler scale each between `nodes.min` and `nodes.max`; GKE then
installs the NVIDIA driver (`gpu_driver_installation_config`), runs its own device plugin, and applies
the node pool's GPU sharing (`gpu_sharing_config`: TIME_SHARING or MPS with
`max_shared_clients_per_gpu`; `gpu_partition_size` for MIG). So the Pulumi program, not the
manifests, carries them: `deploy()` (runtime.py) and the emitted program both declare what
`gke_node_pools()` returns, and the manifests carry only what pods select (backends/kubernetes/gke.py).
docs/clouds.md says why node pools and not node auto-provisioning / compute classes.

`gke_node_pools()` is pure data and imports neither pulumi nor pulumi_gcp; `declare()` does.
Field names are pulumi-gcp's (`NodePoolArgs`, `NodePoolNodeConfigArgs`, ... in
pulumi_gcp/container/_inputs.py, pulumi-gcp 10.x), as snake_case dict keys.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, NamedTuple

from backends.kubernetes.gke import SHARING_STRATEGIES, accelerator_type
from backends.kubernetes.labels import NODE_POOL_LABEL
from backends.kubernetes.node_pools import pool_resource_name, root_volume_gib
from backends.kubernetes.pods import GPU_RESOURCE
from compiler import gpu_catalogue

if TYPE_CHECKING:
    import pulumi

    from backends.kubernetes.context import Context
    from compiler.spec.node_pools import NodePool

#: The class the emitted program and deploy() instantiate.
CLASS_PATH = "gcp.container.NodePool"
#: GKE's default CPU machine type for CPU pools without instance_types.
DEFAULT_CPU_MACHINE = "e2-standard-4"
DEFAULT_IMAGE_TYPE = "COS_CONTAINERD"
#: GKE's node pool names: RFC 1035 labels of at most 40 characters.
NAME_LIMIT = 40


class GkeNodePool(NamedTuple):
    logical_name: str     # the Pulumi resource name
    spec_path: str        # node_pools.<name>
    args: dict[str, Any]  # gcp.container.NodePool keyword arguments


def machine_type(pool: "NodePool") -> str | None:
    """The pool's GKE machine type: the first listed instance type, else the catalogue's smallest with the GPUs."""
    if pool.instance_types:
        return pool.instance_types[0]
    if not pool.is_gpu:
        return DEFAULT_CPU_MACHINE
    offer = gpu_catalogue.offering(pool.accelerator or "", "gcp")
    machines = offer.machines_with(pool.gpus_per_node) if offer else ()
    return machines[0].name if machines else None


def _guest_accelerator(pool: "NodePool") -> dict[str, Any] | None:
    accelerator = accelerator_type(pool)
    if accelerator is None:
        return None
    item: dict[str, Any] = {
        "type": accelerator,
        "count": pool.gpus_per_node,
        # GKE installs the driver version its node image was qualified with.
        "gpu_driver_installation_config": {"gpu_driver_version": "DEFAULT"},
    }
    mode = pool.sharing.mode
    if mode in SHARING_STRATEGIES:
        item["gpu_sharing_config"] = {"gpu_sharing_strategy": SHARING_STRATEGIES[mode][1],
                                      "max_shared_clients_per_gpu": pool.sharing.replicas}
    elif mode == "mig" and pool.sharing.mig is not None and pool.sharing.mig.profile is not None:
        item["gpu_partition_size"] = pool.sharing.mig.profile
    return item


def node_pool_args(ctx: "Context", name: str, pool: "NodePool") -> dict[str, Any]:
    gke = ctx.spec.platform.gke
    resource = pool_resource_name(ctx, name)
    node_config: dict[str, Any] = {
        "machine_type": machine_type(pool),
        "disk_size_gb": root_volume_gib(pool),
        "disk_type": "pd-balanced",
        "image_type": pool.image or DEFAULT_IMAGE_TYPE,
        "spot": pool.capacity == "spot",
        "labels": {NODE_POOL_LABEL: resource},
        "resource_labels": {"mlops-system": ctx.system, "mlops-node-pool": resource},
        # Pods reach node credentials only through Workload Identity, never the metadata server.
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        "metadata": {"disable-legacy-endpoints": "true"},
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
    }
    accelerator = _guest_accelerator(pool)
    if accelerator is not None:
        node_config["guest_accelerators"] = [accelerator]
        if pool.taint:  # the taint GKE puts on GPU nodes itself, declared so that it is visible and kept
            node_config["taints"] = [{"key": GPU_RESOURCE, "value": "present", "effect": "NO_SCHEDULE"}]
    if gke is not None and gke.service_account:
        node_config["service_account"] = gke.service_account
    args: dict[str, Any] = {
        "name": gke_name(resource),
        "cluster": gke.cluster if gke else "",
        "location": gke.location if gke else "",
        "initial_node_count": pool.nodes.min,
        # Cluster autoscaler bounds: nodes.min is a real minimum on GKE.
        "autoscaling": {"min_node_count": pool.nodes.min, "max_node_count": pool.nodes.max},
        "management": {"auto_repair": True, "auto_upgrade": True},
        "node_config": node_config,
    }
    if gke is not None and gke.project:
        args["project"] = gke.project
    if pool.zones:
        args["node_locations"] = sorted(pool.zones)
    return args


def gke_name(resource: str) -> str:
    """The GKE node pool name (at most 40 characters): the NodePool-style name, shortened with a hash if long."""
    if len(resource) <= NAME_LIMIT:
        return resource
    digest = hashlib.sha256(resource.encode()).hexdigest()[:8]
    return resource[:NAME_LIMIT - 9].rstrip("-") + "-" + digest


def gke_node_pools(ctx: "Context") -> list[GkeNodePool]:
    """The GKE node pools of a `cloud: gcp` spec, by pool name; [] on any other cloud."""
    if ctx.spec.platform.cloud != "gcp":
        return []
    return [GkeNodePool(f"gke-node-pool/{pool_resource_name(ctx, name)}", f"node_pools.{name}",
                        node_pool_args(ctx, name, pool))
            for name, pool in sorted(ctx.spec.node_pools.items())]


def declare(pools: list[GkeNodePool], provider: "pulumi.ProviderResource | None" = None) -> dict[str, Any]:
    """Instantiate each GKE node pool (pulumi_gcp imported only here)."""
    import pulumi
    import pulumi_gcp as gcp

    opts = pulumi.ResourceOptions(provider=provider) if provider is not None else None
    return {pool.logical_name: gcp.container.NodePool(pool.logical_name, **pool.args, opts=opts) for pool in pools}


__all__ = ["CLASS_PATH", "GkeNodePool", "declare", "gke_name", "gke_node_pools", "machine_type",
           "node_pool_args"]
