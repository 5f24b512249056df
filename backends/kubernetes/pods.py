"""Pieces every generated pod shares: security contexts, resources, node placement, /tmp.

Secure by default: non-root with a high UID, no privilege escalation, every capability dropped,
RuntimeDefault seccomp, a read-only root filesystem with an emptyDir on /tmp, and requests equal
to limits on every container.
"""
from __future__ import annotations

from compiler.capacity import GPU_RESOURCE, requested_gpus
from compiler.spec.resources import Resources

from .context import Context
from .labels import NODE_POOL_LABEL
from .units import quantity

#: A UID/GID above the range host users and most images' built-in users take (checkov CKV_K8S_40).
RUN_AS_USER = 10001
DEFAULT_CPU = "500m"
DEFAULT_MEMORY = "1Gi"
GPU_TAINT = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
TMP_VOLUME = "tmp"


def pod_security_context() -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "fsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(read_only_root: bool = True) -> dict:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": read_only_root,
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


#: A GPU container killed for memory (host OOM, or the process exiting on CUDA out of memory) often writes
#: no termination message: with this policy the kubelet keeps the tail of its log (the last 2048 bytes or
#: 80 lines, k8s.io/api core/v1 types.go TerminationMessageFallbackToLogsOnError) as the message
#: `kubectl describe pod` and the pod's status show, after the container and its logs are gone.
GPU_TERMINATION_MESSAGE = {"terminationMessagePolicy": "FallbackToLogsOnError"}


def termination_message(resources: Resources) -> dict:
    """The termination-message fields of a container with these resources (GPU containers keep their log tail)."""
    return dict(GPU_TERMINATION_MESSAGE) if resources.uses_gpu else {}


def image_pull_policy(image: str) -> str:
    """A digest never changes, so the node's copy is the image; a tag is re-checked on every start."""
    return "IfNotPresent" if "@sha256:" in image else "Always"


def gpu_resources(ctx: Context, resources: Resources) -> dict[str, int]:
    """The extended resources a GPU request becomes: nvidia.com/gpu, or a MIG slice under the mixed strategy."""
    return requested_gpus(resources, ctx.spec.platform.gpu_operator.mig_strategy)


def container_resources(ctx: Context, resources: Resources) -> dict:
    """Requests equal limits (Guaranteed QoS for CPU and memory); GPUs are limits, as the device plugin requires."""
    base = {
        "cpu": quantity(resources.cpu) if resources.cpu is not None else DEFAULT_CPU,
        "memory": quantity(resources.memory) if resources.memory is not None else DEFAULT_MEMORY,
    }
    if resources.ephemeral_storage is not None:
        base["ephemeral-storage"] = quantity(resources.ephemeral_storage)
    limits = {**base, **gpu_resources(ctx, resources)}
    return {"limits": limits, "requests": dict(base)}


def pool_label_value(ctx: Context, pool: str) -> str:
    """The `mlops.dev/node-pool` value of a pool's nodes: its NodePool's name, which carries the environment."""
    return ctx.cluster_name(pool)


def node_selector(ctx: Context, resources: Resources) -> dict[str, str] | None:
    if resources.pool is None:
        return None
    selector = {NODE_POOL_LABEL: pool_label_value(ctx, resources.pool)}
    pool = ctx.spec.node_pools.get(resources.pool)
    if ctx.spec.platform.cloud == "gcp" and pool is not None:
        from .gke import node_labels as gke_labels  # GKE labels its GPU nodes with the sharing it set up

        selector.update(gke_labels(pool))
    return dict(sorted(selector.items()))


def tolerations(ctx: Context, resources: Resources) -> list[dict] | None:
    """Tolerate the GPU taint of the pool the workload asks for (only GPU workloads on tainted GPU pools)."""
    if resources.pool is None or not resources.uses_gpu:
        return None
    pool = ctx.spec.node_pools.get(resources.pool)
    if pool is None or not pool.is_gpu or not pool.taint:
        return None
    return [dict(GPU_TAINT)]


def tmp_volume(size: str = "1Gi") -> dict:
    return {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": size}}


def tmp_mount() -> dict:
    return {"name": TMP_VOLUME, "mountPath": "/tmp"}

