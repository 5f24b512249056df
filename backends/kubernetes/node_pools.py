"""`node_pools:` -> Karpenter NodePool + EC2NodeClass (cloud aws) and the NVIDIA GPU sharing configs.

Sharing is configured per pool through node labels the GPU Operator watches:
- time-slicing and MPS: one key per pool in the device-plugin ConfigMap, selected by
  `nvidia.com/device-plugin.config=<key>` (ClusterPolicy `spec.devicePlugin.config.name` must name
  the ConfigMap; it lives in the operator's namespace);
- MIG: one named config per pool in a mig-parted ConfigMap, selected by `nvidia.com/mig.config=<key>`
  (ClusterPolicy `spec.migManager.config.name`).
`cloud: generic` gets the configs only; its nodes must carry the same labels and taints.

Disruption: pools that run pipeline steps are only consolidated when empty and never expire, and
every step pod carries `karpenter.sh/do-not-disrupt`, so a training run is not evicted for a
cheaper node. Karpenter has no minimum node count for dynamic pools: `nodes.min` is kept as an
annotation (`mlops.dev/nodes-min`) for the plan and cost estimates.
"""
from __future__ import annotations

from compiler import gpu_catalogue
from compiler.spec.node_pools import NodePool

from .context import Context
from .labels import DOMAIN, NODE_POOL_LABEL, metadata, obj
from .pods import GPU_RESOURCE
from compiler.yaml_emitter import dump_document

COMPONENT = "node-pool"
GPU_OPERATOR_NAMESPACE = "gpu-operator"
DEVICE_PLUGIN_LABEL = "nvidia.com/device-plugin.config"
MIG_CONFIG_LABEL = "nvidia.com/mig.config"
EC2_NODE_CLASS = {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass"}
#: Amazon Linux 2023: Karpenter picks the NVIDIA variant for GPU instance types.
AMI_ALIAS = "al2023@latest"


def lower_node_pools(ctx: Context) -> list[dict]:
    pools = ctx.spec.node_pools
    objects: list[dict] = []
    if ctx.spec.platform.cloud == "aws":
        for name in sorted(pools):
            objects.append(ec2_node_class(ctx, name, pools[name]))
            objects.append(node_pool(ctx, name, pools[name]))
    device_plugin = device_plugin_config(ctx)
    if device_plugin is not None:
        objects.append(device_plugin)
    mig = mig_parted_config(ctx)
    if mig is not None:
        objects.append(mig)
    return objects


def sharing_key(ctx: Context, pool_name: str) -> str:
    return ctx.name(pool_name)


def node_labels(ctx: Context, name: str, pool: NodePool) -> dict[str, str]:
    """The labels nodes of this pool carry: workloads select the pool, the GPU Operator the sharing config."""
    result = {NODE_POOL_LABEL: ctx.name(name)}
    if pool.sharing.mode in ("time_slicing", "mps"):
        result[DEVICE_PLUGIN_LABEL] = sharing_key(ctx, name)
    elif pool.sharing.mode == "mig":
        result[MIG_CONFIG_LABEL] = sharing_key(ctx, name)
    return dict(sorted(result.items()))


def runs_pipelines(ctx: Context, name: str) -> bool:
    return any(step.resources.pool == name for p in ctx.spec.pipelines.values() for step in p.steps.values())


def _requirements(pool: NodePool) -> list[dict]:
    requirements = [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": [pool.capacity]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    if pool.instance_types:
        requirements.append({"key": "node.kubernetes.io/instance-type", "operator": "In",
                             "values": sorted(pool.instance_types)})
    accelerator = gpu_catalogue.get(pool.accelerator) if pool.accelerator else None
    if accelerator is not None:
        if accelerator.aws_gpu_name:
            requirements.append({"key": "karpenter.k8s.aws/instance-gpu-name", "operator": "In",
                                 "values": [accelerator.aws_gpu_name]})
        requirements.append({"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "In",
                             "values": [str(pool.gpus_per_node)]})
    return requirements


def _disruption(ctx: Context, name: str) -> dict:
    if runs_pipelines(ctx, name):
        return {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m", "budgets": [{"nodes": "10%"}]}
    return {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}]}


def node_pool(ctx: Context, name: str, pool: NodePool) -> dict:
    resource = ctx.name(name)
    template_spec: dict = {
        "nodeClassRef": {**EC2_NODE_CLASS, "name": resource},
        "requirements": _requirements(pool),
        "expireAfter": "Never" if runs_pipelines(ctx, name) else "720h",
    }
    if pool.is_gpu and pool.taint:
        template_spec["taints"] = [{"key": GPU_RESOURCE, "value": "true", "effect": "NoSchedule"}]
    limits = ({GPU_RESOURCE: str(pool.gpus_per_node * pool.nodes.max)} if pool.is_gpu
              else {"nodes": str(pool.nodes.max)})
    meta = metadata(ctx, resource, COMPONENT, f"node_pools.{name}", namespaced=False,
                    extra_annotations={f"{DOMAIN}/nodes-min": str(pool.nodes.min),
                                       f"{DOMAIN}/nodes-max": str(pool.nodes.max)})
    return obj("karpenter.sh/v1", "NodePool", meta, spec={
        "template": {"metadata": {"labels": node_labels(ctx, name, pool)}, "spec": template_spec},
        "disruption": _disruption(ctx, name),
        "limits": limits,
    })


def ec2_node_class(ctx: Context, name: str, pool: NodePool) -> dict:
    resource = ctx.name(name)
    discovery = [{"tags": {"karpenter.sh/discovery": ctx.system}}]
    meta = metadata(ctx, resource, COMPONENT, f"node_pools.{name}", namespaced=False)
    return obj("karpenter.k8s.aws/v1", "EC2NodeClass", meta, spec={
        "amiSelectorTerms": [{"alias": AMI_ALIAS}],
        "role": f"KarpenterNodeRole-{ctx.system}",
        "subnetSelectorTerms": discovery,
        "securityGroupSelectorTerms": discovery,
        # IMDSv2 only, and not reachable from pods (hop limit 1).
        "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                            "httpPutResponseHopLimit": 1, "httpTokens": "required"},
        "blockDeviceMappings": [{
            "deviceName": "/dev/xvda",
            "rootVolume": True,
            "ebs": {"volumeSize": "200Gi" if pool.is_gpu else "100Gi", "volumeType": "gp3",
                    "encrypted": True, "deleteOnTermination": True},
        }],
        "tags": {f"{DOMAIN}/system": ctx.system, f"{DOMAIN}/node-pool": resource},
    })


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
    meta = metadata(ctx, ctx.name("device-plugin-config"), COMPONENT, "node_pools",
                    namespace=GPU_OPERATOR_NAMESPACE)
    return obj("v1", "ConfigMap", meta, data=data)


def mig_devices(pool: NodePool) -> dict[str, int]:
    mig = pool.sharing.mig
    if mig.layout is not None:
        return dict(sorted(mig.layout.items()))
    accelerator = gpu_catalogue.get(pool.accelerator)
    profile = accelerator.mig_profiles.get(mig.profile) if accelerator else None
    return {mig.profile: profile.max_count if profile else 1}


def mig_parted_config(ctx: Context) -> dict | None:
    """A mig-parted config (GPU Operator MIG manager): one named config per MIG pool."""
    configs = {sharing_key(ctx, name): [{"devices": "all", "mig-enabled": True, "mig-devices": mig_devices(pool)}]
               for name, pool in sorted(ctx.spec.node_pools.items()) if pool.sharing.mode == "mig"}
    if not configs:
        return None
    meta = metadata(ctx, ctx.name("mig-parted-config"), COMPONENT, "node_pools", namespace=GPU_OPERATOR_NAMESPACE)
    return obj("v1", "ConfigMap", meta, data={"config.yaml": dump_document({"version": "v1", "mig-configs": configs})})
