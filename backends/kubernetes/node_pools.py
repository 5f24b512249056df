"""`node_pools:` -> Karpenter NodePool + EC2NodeClass (cloud aws) or + AKSNodeClass (cloud azure), NodeOverlays,
and the NVIDIA GPU sharing configs. On cloud gcp the node pools are GKE node pools the Pulumi program
declares (backends/pulumi/gke_node_pools.py): nothing here, as GKE shares GPUs on the node pool itself.

Names: NodePools, EC2NodeClasses and NodeOverlays are cluster-scoped, and the GPU Operator's
ConfigMaps, their keys and the node labels selecting them are shared by the whole cluster: all of
them carry the environment (`ctx.cluster_name`), so two environments in one cluster never
overwrite each other. docs/gpu.md says what the ClusterPolicy must point at.

Sharing is configured per pool through node labels the GPU Operator watches:
- time-slicing and MPS: one key per pool in the device-plugin ConfigMap, selected by
  `nvidia.com/device-plugin.config=<key>` (ClusterPolicy `spec.devicePlugin.config.name` must name
  the ConfigMap; it lives in the operator's namespace);
- MIG: one named config per pool in a mig-parted ConfigMap, selected by `nvidia.com/mig.config=<key>`
  (ClusterPolicy `spec.migManager.config.name`), plus `all-disabled`: the operator labels every
  MIG-capable node without a config with it (ClusterPolicy default), and exclusive pools of
  MIG-capable GPUs ask for it explicitly.
`cloud: generic` gets the configs only; its nodes must carry the same labels and taints.
`cloud: gcp` gets no configs: GKE configures time-sharing, MPS and MIG partitions per node pool
(`gpu_sharing_config`, `gpu_partition_size`) and its own device plugin reads them from the node.

Azure (AKS node auto-provisioning, Azure/karpenter-provider-azure v1.14.2): the same `karpenter.sh/v1`
NodePool, with Azure's well-known labels (`karpenter.azure.com/sku-gpu-name`, `sku-gpu-count`,
`sku-family`), the exact VM sizes of the accelerator (two A100s and two H100s share a GPU name) and an
`AKSNodeClass` (`karpenter.azure.com/v1beta1`) whose `gpu.mode: Driver` lets AKS install the NVIDIA
driver (the GPU Operator then runs with `driver.enabled=false`, docs/clouds.md).

Instance types: a GPU pool requires its GPU's EC2 name, count and per-GPU memory (an a100-80gb
pool must not launch A100-40GB instances, where its MIG profiles do not exist); a CPU pool without
`instance_types` requires categories c, m and r (no GPU, accelerator or burstable instances).

What Karpenter cannot know: it sizes a node from the instance type (`nvidia.com/gpu` = GPU
count) before the device plugin runs. A time-sliced or MPS node advertises `replicas` times as many
`nvidia.com/gpu`, and a MIG node `nvidia.com/mig-<profile>` resources Karpenter has never heard of,
so it would launch a node per shared GPU or never launch one for a MIG request. A NodeOverlay
(karpenter.sh/v1alpha1; Karpenter's `NodeOverlay` feature gate) gives the pool's instance types the
capacity the device plugin will advertise (compiler/capacity.py), and the NodePool's limits count
the same resources.

Disruption: pools that run pipeline steps are only consolidated when empty and never expire, and
every step pod carries `karpenter.sh/do-not-disrupt`, so a training run is not evicted for a
cheaper node. Karpenter has no minimum node count for dynamic pools: `nodes.min` is kept as an
annotation (`mlops.dev/nodes-min`) for the plan and cost estimates. (Karpenter v1.14's alpha static
NodePools, `spec.replicas`, keep a fixed count but allow only `limits.nodes` and ignore consolidation:
not a minimum under a dynamic pool, so they are not used.) `disruption.budgets` replace the default
budget of 10 %.

Capacity: `spot-or-on-demand` allows both capacity types; Karpenter launches spot when it is offered
and falls back to on-demand when it is not (its capacity-type selection prefers spot when both are
allowed).
"""
from __future__ import annotations

from compiler import capacity, gpu_catalogue
from compiler.capacity import root_volume_gib
from compiler.instance_types import CPU_POOL_CATEGORIES
from compiler.spec.node_pools import NodePool
from compiler.yaml_emitter import dump_document

from .context import Context
from .labels import DOMAIN, NODE_POOL_LABEL, ZONE_LABEL, metadata, obj
from .pods import GPU_RESOURCE, pool_label_value

COMPONENT = "node-pool"
GPU_OPERATOR_NAMESPACE = "gpu-operator"
DEVICE_PLUGIN_LABEL = "nvidia.com/device-plugin.config"
MIG_CONFIG_LABEL = "nvidia.com/mig.config"
MIG_DISABLED = "all-disabled"
NODE_POOL_NAME_LABEL = "karpenter.sh/nodepool"
EC2_NODE_CLASS = {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass"}
AKS_NODE_CLASS = {"group": "karpenter.azure.com", "kind": "AKSNodeClass"}
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
#: Azure's SKU families for CPU pools without instance types: general purpose, memory and compute optimised.
AZURE_CPU_FAMILIES = ("D", "E", "F")
AZURE_IMAGE_FAMILY = "Ubuntu2204"
ACCELERATOR_ANNOTATION = f"{DOMAIN}/accelerator"
#: Amazon Linux 2023: Karpenter picks the NVIDIA variant for GPU instance types.
AMI_ALIAS = "al2023@latest"


def lower_node_pools(ctx: Context) -> list[dict]:
    pools = ctx.spec.node_pools
    objects: list[dict] = []
    cloud = ctx.spec.platform.cloud
    if cloud in ("aws", "azure"):
        node_class = ec2_node_class if cloud == "aws" else aks_node_class
        for name in sorted(pools):
            objects.append(node_class(ctx, name, pools[name]))
            objects.append(node_pool(ctx, name, pools[name]))
            overlay = node_overlay(ctx, name, pools[name])
            if overlay is not None:
                objects.append(overlay)
    if cloud == "gcp":
        return objects  # GKE shares GPUs per node pool: no device-plugin or MIG configs
    device_plugin = device_plugin_config(ctx)
    if device_plugin is not None:
        objects.append(device_plugin)
    mig = mig_parted_config(ctx)
    if mig is not None:
        objects.append(mig)
    return objects


def pool_resource_name(ctx: Context, pool_name: str) -> str:
    """The NodePool / EC2NodeClass / NodeOverlay name, and the `mlops.dev/node-pool` value its nodes carry."""
    return pool_label_value(ctx, pool_name)


def sharing_key(ctx: Context, pool_name: str) -> str:
    """The pool's key in the GPU Operator's ConfigMaps, and the node-label value selecting it."""
    return ctx.cluster_name(pool_name)


def node_labels(ctx: Context, name: str, pool: NodePool) -> dict[str, str]:
    """The labels nodes of this pool carry: workloads select the pool, the GPU Operator the sharing config."""
    result = {NODE_POOL_LABEL: pool_resource_name(ctx, name)}
    if ctx.spec.platform.cloud == "gcp":
        return result  # GKE's own labels select sharing (backends/kubernetes/gke.py)
    if pool.sharing.mode in ("time_slicing", "mps"):
        result[DEVICE_PLUGIN_LABEL] = sharing_key(ctx, name)
    elif pool.sharing.mode == "mig":
        result[MIG_CONFIG_LABEL] = sharing_key(ctx, name)
    elif (accelerator := gpu_catalogue.get(pool.accelerator or "")) is not None and accelerator.has_mig:
        result[MIG_CONFIG_LABEL] = MIG_DISABLED  # whole GPUs: no MIG left over from an earlier use of the node
    return dict(sorted(result.items()))


def runs_pipelines(ctx: Context, name: str) -> bool:
    return any(step.resources.pool == name for p in ctx.spec.pipelines.values() for step in p.steps.values())


def capacity_types(pool: NodePool) -> list[str]:
    """`karpenter.sh/capacity-type` values: spot-or-on-demand allows both (Karpenter prefers spot)."""
    return ["on-demand", "spot"] if pool.capacity == "spot-or-on-demand" else [pool.capacity]


def _requirements(ctx: Context, pool: NodePool) -> list[dict]:
    requirements = [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity_types(pool)},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    if pool.zones:
        requirements.append({"key": ZONE_LABEL, "operator": "In", "values": sorted(pool.zones)})
    if ctx.spec.platform.cloud == "azure":
        return requirements + _azure_requirements(pool)
    if pool.instance_types:
        requirements.append({"key": INSTANCE_TYPE_LABEL, "operator": "In",
                             "values": sorted(pool.instance_types)})
    if pool.instance_families:
        requirements.append({"key": "karpenter.k8s.aws/instance-family", "operator": "In",
                             "values": sorted(pool.instance_families)})
    elif not pool.is_gpu and not pool.instance_types:
        requirements.append({"key": "karpenter.k8s.aws/instance-category", "operator": "In",
                             "values": list(CPU_POOL_CATEGORIES)})
    if pool.is_gpu:
        requirements.append({"key": "karpenter.k8s.aws/instance-gpu-name", "operator": "In",
                             "values": [capacity.gpu_name(pool)]})
        requirements.append({"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "In",
                             "values": [str(pool.gpus_per_node)]})
        memory = capacity.gpu_memory_mib(pool)
        if memory is not None:
            requirements.append({"key": "karpenter.k8s.aws/instance-gpu-memory", "operator": "In",
                                 "values": [str(memory)]})
    return requirements


def azure_size_names_gpu(size: str, gpu_name: str) -> bool:
    """Whether an Azure VM size's name carries its accelerator (`Standard_NC24ads_A100_v4`: A100), which is
    where the provider's `sku-gpu-name` comes from (skewer's VMSizeType.AcceleratorType)."""
    return f"_{gpu_name}_".lower() in f"{size}_".lower()


def _azure_requirements(pool: NodePool) -> list[dict]:
    """Azure's well-known labels (karpenter.azure.com); GPU pools also name the accelerator's exact VM sizes."""
    requirements: list[dict] = []
    if pool.instance_families or not pool.is_gpu:
        requirements.append({"key": "karpenter.azure.com/sku-family", "operator": "In",
                             "values": sorted(pool.instance_families) or list(AZURE_CPU_FAMILIES)})
    if not pool.is_gpu:
        if pool.instance_types:
            requirements.append({"key": INSTANCE_TYPE_LABEL, "operator": "In", "values": sorted(pool.instance_types)})
        return requirements
    offer = gpu_catalogue.offering(pool.accelerator or "", "azure")
    gpu_name = offer.gpu_name if offer else (pool.accelerator or "").upper()
    sizes = sorted(pool.instance_types) or sorted(m.name for m in (offer.machines_with(pool.gpus_per_node)
                                                                   if offer else ()))
    # The provider parses sku-gpu-name from the size's name; Standard_ND96asr_v4 (A100 40 GB) names no GPU
    # and gets none, so the label is required only where every size carries it.
    if all(azure_size_names_gpu(size, gpu_name) for size in sizes):
        requirements.append({"key": "karpenter.azure.com/sku-gpu-name", "operator": "In", "values": [gpu_name]})
    requirements.append({"key": "karpenter.azure.com/sku-gpu-count", "operator": "In",
                         "values": [str(pool.gpus_per_node)]})
    if sizes:  # none: GPU021 says the cloud sells no such node; the pool then launches nothing
        requirements.append({"key": INSTANCE_TYPE_LABEL, "operator": "In", "values": sizes})
    return requirements


def _budgets(pool: NodePool) -> list[dict]:
    if not pool.disruption.budgets:
        return [{"nodes": "10%"}]
    budgets = []
    for budget in pool.disruption.budgets:
        item: dict = {"nodes": budget.nodes}
        if budget.schedule is not None:
            item.update(schedule=budget.schedule, duration=budget.duration)
        if budget.reasons:
            item["reasons"] = sorted(set(budget.reasons))
        budgets.append(item)
    return budgets


def _disruption(ctx: Context, name: str) -> dict:
    budgets = _budgets(ctx.spec.node_pools[name])
    if runs_pipelines(ctx, name):
        return {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m", "budgets": budgets}
    return {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m", "budgets": budgets}


def _limits(ctx: Context, pool: NodePool) -> dict[str, str]:
    """At most `nodes.max` nodes, counted in the GPU resources the nodes advertise (as the NodeOverlay says)."""
    per_node = capacity.advertised_gpus(pool, ctx.spec.platform.gpu_operator.mig_strategy)
    limits = {resource: str(count * pool.nodes.max) for resource, count in sorted(per_node.items()) if count}
    return limits or {"nodes": str(pool.nodes.max)}


def node_pool(ctx: Context, name: str, pool: NodePool) -> dict:
    resource = pool_resource_name(ctx, name)
    template_spec: dict = {
        "nodeClassRef": {**(AKS_NODE_CLASS if ctx.spec.platform.cloud == "azure" else EC2_NODE_CLASS),
                         "name": resource},
        "requirements": _requirements(ctx, pool),
        "expireAfter": "Never" if runs_pipelines(ctx, name) else "720h",
    }
    if pool.is_gpu and pool.taint:
        template_spec["taints"] = [{"key": GPU_RESOURCE, "value": "true", "effect": "NoSchedule"}]
    annotations = {f"{DOMAIN}/nodes-min": str(pool.nodes.min), f"{DOMAIN}/nodes-max": str(pool.nodes.max)}
    if pool.accelerator:
        annotations[ACCELERATOR_ANNOTATION] = pool.accelerator
    meta = metadata(ctx, resource, COMPONENT, f"node_pools.{name}", namespaced=False,
                    extra_annotations=annotations)
    return obj("karpenter.sh/v1", "NodePool", meta, spec={
        "template": {"metadata": {"labels": node_labels(ctx, name, pool)}, "spec": template_spec},
        "disruption": _disruption(ctx, name),
        "limits": _limits(ctx, pool),
    })


def node_overlay(ctx: Context, name: str, pool: NodePool) -> dict | None:
    """The GPU capacity the device plugin will advertise on the pool's nodes, for Karpenter to plan with.

    None when it is what Karpenter already assumes (whole GPUs, or a CPU pool).
    """
    per_node = capacity.advertised_gpus(pool, ctx.spec.platform.gpu_operator.mig_strategy)
    if per_node in ({}, {GPU_RESOURCE: pool.gpus_per_node}):
        return None
    resource = pool_resource_name(ctx, name)
    meta = metadata(ctx, resource, COMPONENT, f"node_pools.{name}.sharing", namespaced=False)
    return obj("karpenter.sh/v1alpha1", "NodeOverlay", meta, spec={
        "requirements": [{"key": NODE_POOL_NAME_LABEL, "operator": "In", "values": [resource]}],
        "capacity": {key: str(count) for key, count in sorted(per_node.items())},
    })


def ec2_node_class(ctx: Context, name: str, pool: NodePool) -> dict:
    resource = pool_resource_name(ctx, name)
    discovery = [{"tags": {"karpenter.sh/discovery": ctx.system}}]
    meta = metadata(ctx, resource, COMPONENT, f"node_pools.{name}", namespaced=False)
    return obj("karpenter.k8s.aws/v1", "EC2NodeClass", meta, spec={
        "amiSelectorTerms": [{"alias": pool.image or AMI_ALIAS}],
        "role": f"KarpenterNodeRole-{ctx.system}",
        "subnetSelectorTerms": discovery,
        "securityGroupSelectorTerms": discovery,
        # IMDSv2 only, and not reachable from pods (hop limit 1).
        "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                            "httpPutResponseHopLimit": 1, "httpTokens": "required"},
        "blockDeviceMappings": [{
            "deviceName": "/dev/xvda",
            "rootVolume": True,
            "ebs": {"volumeSize": f"{root_volume_gib(pool)}Gi", "volumeType": "gp3",
                    "encrypted": True, "deleteOnTermination": True},
        }],
        "tags": {f"{DOMAIN}/system": ctx.system, f"{DOMAIN}/node-pool": resource},
    })


def aks_node_class(ctx: Context, name: str, pool: NodePool) -> dict:
    resource = pool_resource_name(ctx, name)
    meta = metadata(ctx, resource, COMPONENT, f"node_pools.{name}", namespaced=False)
    spec: dict = {
        "imageFamily": pool.image or AZURE_IMAGE_FAMILY,
        "osDiskSizeGB": root_volume_gib(pool),
        "tags": {f"{DOMAIN}/system": ctx.system, f"{DOMAIN}/node-pool": resource},
    }
    if pool.is_gpu:
        spec["gpu"] = {"mode": "Driver"}  # AKS installs the NVIDIA driver; the GPU Operator must not
    return obj("karpenter.azure.com/v1beta1", "AKSNodeClass", meta, spec=spec)


def _sharing_config(pool: NodePool) -> dict:
    mode = "timeSlicing" if pool.sharing.mode == "time_slicing" else "mps"
    return {
        "version": "v1",
        "sharing": {mode: {
            "renameByDefault": False,
            "failRequestsGreaterThanOne": True,
            "resources": [{"name": GPU_RESOURCE, "replicas": pool.sharing.replicas}],
        }},
    }


def device_plugin_config(ctx: Context) -> dict | None:
    """The NVIDIA device-plugin ConfigMap: one key per time-sliced or MPS pool."""
    data = {sharing_key(ctx, name): dump_document(_sharing_config(pool))
            for name, pool in sorted(ctx.spec.node_pools.items()) if pool.sharing.mode in ("time_slicing", "mps")}
    if not data:
        return None
    meta = metadata(ctx, ctx.cluster_name("device-plugin-config"), COMPONENT, "node_pools",
                    namespace=GPU_OPERATOR_NAMESPACE)
    return obj("v1", "ConfigMap", meta, data=data)


def mig_parted_config(ctx: Context) -> dict | None:
    """A mig-parted config (GPU Operator MIG manager): `all-disabled` and one named config per MIG pool."""
    configs = {sharing_key(ctx, name): [{"devices": "all", "mig-enabled": True,
                                         "mig-devices": capacity.mig_devices(pool)}]
               for name, pool in sorted(ctx.spec.node_pools.items()) if pool.sharing.mode == "mig"}
    if not configs:
        return None
    configs = {MIG_DISABLED: [{"devices": "all", "mig-enabled": False}], **configs}
    meta = metadata(ctx, ctx.cluster_name("mig-parted-config"), COMPONENT, "node_pools",
                    namespace=GPU_OPERATOR_NAMESPACE)
    return obj("v1", "ConfigMap", meta, data={"config.yaml": dump_document({"version": "v1", "mig-configs": configs})})
