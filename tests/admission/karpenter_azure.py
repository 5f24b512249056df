"""Karpenter's Azure provider (AKS node auto-provisioning): what it does with our NodePools and AKSNodeClasses.

The Azure provider serves `karpenter.sh/v1` NodePools whose nodeClassRef is an AKSNodeClass. Its VM
sizes carry the labels `computeRequirements` derives (Azure/karpenter-provider-azure v1.14.2
pkg/providers/instancetype/instancetype.go): `karpenter.azure.com/sku-name`, `sku-family` (the size's
family letter, "N" for GPU sizes), `sku-gpu-name` (the accelerator part of the size name, e.g.
"A100"), `sku-gpu-count`, `sku-gpu-manufacturer`; the VM sizes here are the catalogue's Azure machines
(compiler/gpu_catalogue.py) and the CPU sizes the plan prices (compiler/plan/costs.py).
"""
from __future__ import annotations

from collections.abc import Iterator

from compiler import gpu_catalogue
from compiler.plan.costs import AZURE_CPU_INSTANCE_PRICES

from . import Case, Objects, object_check
from .karpenter import NODE_POOL, POOL_LABEL, Requirement, Requirements, from_labels, from_selector_terms

AZURE = "Azure/karpenter-provider-azure v1.14.2"
ACCELERATOR_ANNOTATION = "mlops.dev/accelerator"
#: pkg/utils/supported-gpus.yaml at AZURE: the NVIDIA sizes AKS installs a driver on (gpu.mode Driver),
#: lower-cased as the file lists them (only the sizes the catalogue names).
MANAGED_DRIVER_SIZES = frozenset({
    "standard_nc4as_t4_v3", "standard_nc8as_t4_v3", "standard_nc16as_t4_v3", "standard_nc64as_t4_v3",
    "standard_nv36ads_a10_v5", "standard_nv72ads_a10_v5", "standard_nd96asr_v4", "standard_nc24ads_a100_v4",
    "standard_nc48ads_a100_v4", "standard_nc96ads_a100_v4", "standard_nd96amsr_a100_v4",
    "standard_nd96isr_h100_v5", "standard_nd96isr_h200_v5",
})


def is_azure(obj: dict) -> bool:
    return _node_class_ref(obj).get("group") == "karpenter.azure.com"


def _node_class_ref(obj: dict) -> dict:
    return (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeClassRef") or {}


def vm_sizes() -> dict[str, tuple[str | None, Requirements]]:
    """VM size -> (catalogue accelerator key or None, its requirements as computeRequirements derives them)."""
    sizes: dict[str, tuple[str | None, Requirements]] = {}
    for key in gpu_catalogue.ACCELERATORS:
        offer = gpu_catalogue.offering(key, "azure")
        for machine in offer.machines if offer else ():
            labels = {"karpenter.azure.com/sku-family": "N", "karpenter.azure.com/sku-gpu-count": str(machine.gpus),
                      "karpenter.azure.com/sku-gpu-manufacturer": "nvidia"}
            # setRequirementsGPU: sku-gpu-name only when the size's name has an accelerator part.
            named = f"_{offer.gpu_name}_".lower() in f"{machine.name}_".lower()
            if named:
                labels["karpenter.azure.com/sku-gpu-name"] = offer.gpu_name
            requirements = _size_requirements(machine.name, labels)
            if not named:
                requirements.add(Requirement.of("karpenter.azure.com/sku-gpu-name", "DoesNotExist"))
            sizes[machine.name] = (key, requirements)
    for name in AZURE_CPU_INSTANCE_PRICES:
        labels = {"karpenter.azure.com/sku-family": name.split("_")[1][0], "karpenter.azure.com/sku-gpu-count": "0"}
        requirements = _size_requirements(name, labels)
        requirements.add(Requirement.of("karpenter.azure.com/sku-gpu-name", "DoesNotExist"))
        sizes[name] = (None, requirements)
    return sizes


def _size_requirements(name: str, labels: dict[str, str]) -> Requirements:
    result = from_labels({"node.kubernetes.io/instance-type": name, "karpenter.azure.com/sku-name": name,
                          "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux", **labels})
    return result.add(Requirement.of("karpenter.sh/capacity-type", "In", ["on-demand", "spot"]),
                      Requirement.of("topology.kubernetes.io/zone", "Exists"))


def kept_sizes(obj: dict) -> list[str]:
    """The VM sizes whose requirements intersect the NodePool's (NewScheduler's pre-filter)."""
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    requirements = from_selector_terms(spec.get("requirements") or [])
    requirements.add(Requirement.of(NODE_POOL, "In", [obj["metadata"]["name"]]))
    return [name for name, (_, rows) in vm_sizes().items() if rows.intersects(requirements) is None]


@object_check("karpenter-azure-nodeclassref-resolves", kinds=("NodePool",),
              source=f"{AZURE} pkg/cloudprovider/cloudprovider.go: GetSupportedNodeClasses, resolveNodeClassFromNodePool")
def azure_nodeclassref_resolves(obj: dict, objects: Objects) -> Iterator[str]:
    """An Azure NodePool's nodeClassRef must name an AKSNodeClass of this compile (else NodeClassNotFound)."""
    if not is_azure(obj):
        return
    ref = _node_class_ref(obj)
    if ref.get("kind") != "AKSNodeClass":
        yield f"nodeClassRef {ref} is not an AKSNodeClass, the only NodeClass the Azure provider serves"
    elif objects.get("AKSNodeClass", ref.get("name", "")) is None:
        yield f"nodeClassRef names AKSNodeClass {ref.get('name')!r}, which this compile does not create"


@object_check("karpenter-azure-nodepool-launches-its-accelerator", kinds=("NodePool",),
              source=f"{AZURE} pkg/providers/instancetype/instancetype.go: computeRequirements, setRequirementsGPU")
def azure_nodepool_launches_its_accelerator(obj: dict, objects: Objects) -> Iterator[str]:
    """The NodePool keeps at least one VM size, and (GPU pools) only sizes with its accelerator."""
    if not is_azure(obj):
        return
    kept = kept_sizes(obj)
    if not kept:
        yield "its requirements filter out every VM size: Karpenter launches nothing for it"
        return
    key = (obj["metadata"].get("annotations") or {}).get(ACCELERATOR_ANNOTATION)
    if key is None:
        return
    sizes = vm_sizes()
    wrong = [name for name in kept if sizes[name][0] != key]
    if wrong:
        yield f"it may launch {', '.join(wrong)}, which do not have the {key} GPU (sku-gpu-name alone does not " \
              "tell the two A100s apart)"


@object_check("karpenter-azure-gpu-driver-managed", kinds=("AKSNodeClass",),
              source=f"{AZURE} pkg/utils/gpu.go: IsNvidiaEnabledSKU; "
                     f"{AZURE} pkg/apis/v1beta1/aksnodeclass.go: GPU.Mode")
def azure_gpu_driver_managed(obj: dict, objects: Objects) -> Iterator[str]:
    """With gpu.mode Driver (the default), only sizes AKS installs a driver on are considered."""
    mode = ((obj.get("spec") or {}).get("gpu") or {}).get("mode", "Driver")
    if mode != "Driver":
        return
    for pool in objects.of_kind("NodePool"):
        if not is_azure(pool) or _node_class_ref(pool).get("name") != obj["metadata"]["name"]:
            continue
        if (pool["metadata"].get("annotations") or {}).get(ACCELERATOR_ANNOTATION) is None:
            continue
        unmanaged = [name for name in kept_sizes(pool) if name.lower() not in MANAGED_DRIVER_SIZES]
        if unmanaged:
            yield f"NodePool/{pool['metadata']['name']} may launch {', '.join(unmanaged)}, on which AKS installs no " \
                  "GPU driver: with gpu.mode Driver the provider skips them"


# --- fixtures ------------------------------------------------------------------------------------

def _pool(name: str, requirements: list[dict], accelerator: str | None = "a100-80gb",
          node_class: str = "AKSNodeClass") -> dict:
    return {"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
            "metadata": {"name": name, "annotations": {ACCELERATOR_ANNOTATION: accelerator} if accelerator else {}},
            "spec": {"template": {"metadata": {"labels": {POOL_LABEL: name}}, "spec": {
                "nodeClassRef": {"group": "karpenter.azure.com", "kind": node_class, "name": name},
                "requirements": requirements}}}}


def _class(name: str, mode: str | None = None) -> dict:
    spec = {"imageFamily": "Ubuntu2204"}
    if mode:
        spec["gpu"] = {"mode": mode}
    return {"apiVersion": "karpenter.azure.com/v1beta1", "kind": "AKSNodeClass", "metadata": {"name": name},
            "spec": spec}


def _req(key: str, *values: str) -> dict:
    return {"key": key, "operator": "In", "values": list(values)}


_A100_80 = [_req("karpenter.azure.com/sku-gpu-name", "A100"), _req("karpenter.azure.com/sku-gpu-count", "8"),
            _req("node.kubernetes.io/instance-type", "Standard_ND96amsr_A100_v4")]

CASES = [
    Case("karpenter-azure-nodeclassref-resolves", "a NodePool whose AKSNodeClass is not compiled",
         [_pool("a", _A100_80)]),
    Case("karpenter-azure-nodeclassref-resolves", "an EC2NodeClass kind under the Azure group",
         [_pool("a", _A100_80, node_class="EC2NodeClass"), _class("a")]),
    Case("karpenter-azure-nodeclassref-resolves", "its AKSNodeClass is compiled",
         [_pool("a", _A100_80), _class("a")], refused=False),
    Case("karpenter-azure-nodepool-launches-its-accelerator",
         "8 GPUs of family N without the sizes: also the 40 GB ND96asr_v4 (which names no GPU) and the H100s",
         [_pool("a", [_req("karpenter.azure.com/sku-family", "N"), _req("karpenter.azure.com/sku-gpu-count", "8")]),
          _class("a")]),
    Case("karpenter-azure-nodepool-launches-its-accelerator", "an EC2 instance type: no VM size is kept",
         [_pool("a", [_req("node.kubernetes.io/instance-type", "p4de.24xlarge")]), _class("a")]),
    Case("karpenter-azure-nodepool-launches-its-accelerator", "the exact 80 GB size",
         [_pool("a", _A100_80), _class("a")], refused=False),
    Case("karpenter-azure-gpu-driver-managed", "an NC A100 v4 pool the managed driver covers",
         [_pool("a", _A100_80), _class("a", "Driver")], refused=False),
    Case("karpenter-azure-gpu-driver-managed", "a GPU pool that may launch a CPU size under gpu.mode Driver",
         [_pool("a", [_req("karpenter.azure.com/sku-family", "D")]), _class("a", "Driver")]),
]
