"""What GKE labels GPU nodes with, so that pods on `cloud: gcp` select the node pool GKE shares the way they ask.

GKE's GPU node pools are cloud resources (backends/pulumi/gke_node_pools.py declares them); GKE, not
the NVIDIA GPU Operator, configures their sharing and labels their nodes:
- `cloud.google.com/gke-accelerator`: the accelerator type (nvidia-l4, nvidia-a100-80gb, ...);
- time-sharing and MPS (`gpu_sharing_config`): `cloud.google.com/gke-gpu-sharing-strategy`
  (`time-sharing` / `mps`) and `cloud.google.com/gke-max-shared-clients-per-gpu`;
- MIG (`gpu_partition_size`): `cloud.google.com/gke-gpu-partition-size`; every partition is advertised
  as one `nvidia.com/gpu` (so pods request `nvidia.com/gpu: 1`, the `single` strategy).
Sources: cloud.google.com/kubernetes-engine/docs/how-to/timesharing-gpus, .../nvidia-mps-gpus and
.../gpus-multi (the nodeSelector each page tells workloads to use). GKE taints GPU nodes with
`nvidia.com/gpu=present:NoSchedule`; the generated toleration (`nvidia.com/gpu`, Exists) matches it.
"""
from __future__ import annotations

from compiler import gpu_catalogue
from compiler.spec.node_pools import NodePool

ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
SHARING_STRATEGY_LABEL = "cloud.google.com/gke-gpu-sharing-strategy"
MAX_SHARED_CLIENTS_LABEL = "cloud.google.com/gke-max-shared-clients-per-gpu"
PARTITION_SIZE_LABEL = "cloud.google.com/gke-gpu-partition-size"
#: The spec's sharing mode -> GKE's label value and its API's GPUSharingStrategy.
SHARING_STRATEGIES = {"time_slicing": ("time-sharing", "TIME_SHARING"), "mps": ("mps", "MPS")}


def accelerator_type(pool: NodePool) -> str | None:
    """The GKE accelerator type of a GPU pool (None: CPU pool, or GCP sells no such GPU)."""
    offer = gpu_catalogue.offering(pool.accelerator or "", "gcp")
    return offer.gpu_name if offer else None


def node_labels(pool: NodePool) -> dict[str, str]:
    """The labels GKE puts on the pool's nodes for its GPUs and their sharing ({} for CPU pools)."""
    accelerator = accelerator_type(pool)
    if accelerator is None:
        return {}
    labels = {ACCELERATOR_LABEL: accelerator}
    mode = pool.sharing.mode
    if mode in SHARING_STRATEGIES:
        labels[SHARING_STRATEGY_LABEL] = SHARING_STRATEGIES[mode][0]
        labels[MAX_SHARED_CLIENTS_LABEL] = str(pool.sharing.replicas)
    elif mode == "mig" and pool.sharing.mig is not None and pool.sharing.mig.profile is not None:
        labels[PARTITION_SIZE_LABEL] = pool.sharing.mig.profile
    return dict(sorted(labels.items()))
