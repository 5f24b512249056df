"""Karpenter v1.14.1 (kubernetes-sigs/karpenter, aws/karpenter-provider-aws): what its scheduler needs for a pool to work.

The CRDs' CEL rules are evaluated by tests/test_k8s_schemas.py; these checks are what the
controller decides once the objects are accepted, re-implemented from its code:
- requirement matching (`pkg/scheduling/requirement.go`, `requirements.go`), applied to the
  instance types of compiler/instance_types.py with the labels the AWS provider derives
  (`pkg/providers/instancetype/types.go: computeRequirements`, well-known labels from
  `pkg/apis/v1/labels.go`);
- which instance types a NodePool keeps (`scheduler.go: NewScheduler`), whether a pod can get a
  node from it (`nodeclaim.go: CanAdd`, `filterInstanceTypesByRequirements`, taints, allocatable
  resources, NodePool limits: `scheduler.go: filterByRemainingResources`);
- NodeOverlays (`pkg/controllers/nodeoverlay/`), which add the GPU resources the device plugin
  advertises after the node is up (time-slicing replicas, MIG slices) to the instance types
  Karpenter plans with. The checks assume the `NodeOverlay` feature gate is on (docs/gpu.md).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import yaml

from compiler import gpu_catalogue, instance_types
from compiler.instance_types import InstanceType

from . import Case, Objects, compile_check, object_check
from .workloads import Pod, pods, quantity

CORE = "kubernetes-sigs/karpenter v1.14.1"
AWS = "aws/karpenter-provider-aws v1.14.1"
NODE_POOL = "karpenter.sh/nodepool"
POOL_LABEL = "mlops.dev/node-pool"
ACCELERATOR_ANNOTATION = "mlops.dev/accelerator"
NODES_MAX_ANNOTATION = "mlops.dev/nodes-max"

# pkg/apis/v1/labels.go (core WellKnownLabels) + the AWS provider's init() additions.
WELL_KNOWN = frozenset({
    NODE_POOL, "topology.kubernetes.io/zone", "topology.kubernetes.io/region", "node.kubernetes.io/instance-type",
    "kubernetes.io/arch", "kubernetes.io/os", "karpenter.sh/capacity-type", "node.kubernetes.io/windows-build",
    *(f"karpenter.k8s.aws/{name}" for name in (
        "capacity-reservation-id", "capacity-reservation-type", "capacity-reservation-interruptible",
        "instance-hypervisor", "instance-encryption-in-transit-supported", "instance-category",
        "instance-capability-flex", "instance-family", "instance-generation", "instance-size", "instance-local-nvme",
        "instance-cpu", "instance-cpu-manufacturer", "instance-cpu-sustained-clock-speed-mhz", "instance-memory",
        "instance-ebs-bandwidth", "instance-network-bandwidth", "instance-gpu-name", "instance-gpu-manufacturer",
        "instance-gpu-count", "instance-gpu-memory", "instance-accelerator-name",
        "instance-accelerator-manufacturer", "instance-accelerator-count", "instance-tenancy",
        "placement-group-id", "placement-group-partition")),
    "topology.k8s.aws/zone-id",
})
# labels.go NormalizedLabels.
NORMALIZED = {"failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
              "beta.kubernetes.io/arch": "kubernetes.io/arch", "beta.kubernetes.io/os": "kubernetes.io/os",
              "beta.kubernetes.io/instance-type": "node.kubernetes.io/instance-type",
              "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region"}
# Keys computeRequirements sets to DoesNotExist unless the instance type has a value.
_AWS_OPTIONAL = tuple(f"karpenter.k8s.aws/{name}" for name in (
    "instance-gpu-name", "instance-gpu-manufacturer", "instance-gpu-count", "instance-gpu-memory",
    "instance-accelerator-name", "instance-accelerator-manufacturer", "instance-accelerator-count",
    "instance-category", "instance-family", "instance-generation", "instance-size"))
# Resources overlays may not set: core WellKnownResources + the AWS provider's (labels.go init()).
WELL_KNOWN_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage", "pods", "vpc.amazonaws.com/pod-eni",
                                  "aws.amazon.com/neuron", "aws.amazon.com/neuroncore", "habana.ai/gaudi",
                                  "vpc.amazonaws.com/efa"})
RESTRICTED_DOMAINS = ("karpenter.sh", "karpenter.k8s.aws")
MIB = 2**20


# --- pkg/scheduling/requirement.go ---------------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    """One key's allowed values: a set (or its complement), with inclusive integer bounds."""

    key: str
    values: frozenset[str]
    complement: bool
    gte: int | None = None
    lte: int | None = None

    @classmethod
    def of(cls, key: str, operator: str, values: Iterable[str] = ()) -> "Requirement":
        """NewRequirementWithFlexibility: Gt/Lt become inclusive bounds."""
        key = NORMALIZED.get(key, key)
        values = list(values)
        if operator == "In":
            return cls(key, frozenset(values), False)
        if operator == "NotIn":
            return cls(key, frozenset(values), True)
        if operator == "Exists":
            return cls(key, frozenset(), True)
        if operator == "DoesNotExist":
            return cls(key, frozenset(), False)
        bound = int(values[0])
        return {"Gt": cls(key, frozenset(), True, gte=bound + 1), "Lt": cls(key, frozenset(), True, lte=bound - 1),
                "Gte": cls(key, frozenset(), True, gte=bound), "Lte": cls(key, frozenset(), True, lte=bound)}[operator]

    def _within(self, value: str, gte: int | None, lte: int | None) -> bool:
        if gte is None and lte is None:
            return True
        try:
            number = int(value)
        except ValueError:
            return False
        return (gte is None or number >= gte) and (lte is None or number <= lte)

    def _bounds(self, other: "Requirement") -> tuple[int | None, int | None]:
        gte = max((b for b in (self.gte, other.gte) if b is not None), default=None)
        lte = min((b for b in (self.lte, other.lte) if b is not None), default=None)
        return gte, lte

    def intersection(self, other: "Requirement") -> "Requirement":
        gte, lte = self._bounds(other)
        if gte is not None and lte is not None and gte > lte:
            return Requirement(self.key, frozenset(), False)
        if self.complement and other.complement:
            values = self.values | other.values
        elif self.complement:
            values = other.values - self.values
        elif other.complement:
            values = self.values - other.values
        else:
            values = self.values & other.values
        values = frozenset(v for v in values if self._within(v, gte, lte))
        complement = self.complement and other.complement
        return Requirement(self.key, values, complement, *((gte, lte) if complement else (None, None)))

    def has_intersection(self, other: "Requirement") -> bool:
        gte, lte = self._bounds(other)
        if gte is not None and lte is not None and gte > lte:
            return False
        if self.complement and other.complement:
            return True
        if self.complement:
            return any(v not in self.values and self._within(v, gte, lte) for v in other.values)
        if other.complement:
            return any(v not in other.values and self._within(v, gte, lte) for v in self.values)
        return any(v in other.values and self._within(v, gte, lte) for v in self.values)

    @property
    def operator(self) -> str:
        if self.complement:
            return "NotIn" if self.values else "Exists"
        return "In" if self.values else "DoesNotExist"

    def __str__(self) -> str:
        values = f" {sorted(self.values)}" if self.values else ""
        bounds = (f" >={self.gte}" if self.gte is not None else "") + (f" <={self.lte}" if self.lte is not None else "")
        return f"{self.key} {self.operator}{values}{bounds}"


# --- pkg/scheduling/requirements.go --------------------------------------------------------------

class Requirements(dict):
    """key -> Requirement; adding a key twice intersects the two."""

    def add(self, *requirements: Requirement) -> "Requirements":
        for requirement in requirements:
            existing = self.get(requirement.key)
            self[requirement.key] = requirement.intersection(existing) if existing else requirement
        return self

    def of_key(self, key: str) -> Requirement:
        return self.get(key) or Requirement(key, frozenset(), True)  # undefined: Exists

    def merged(self, other: "Requirements") -> "Requirements":
        return Requirements(self).add(*other.values())

    def compatible(self, other: "Requirements", allow_undefined: frozenset[str] = frozenset()) -> str | None:
        """Compatible: custom labels must be defined here; then Intersects."""
        for key in other:
            if key in allow_undefined:
                continue
            if key in self or other.of_key(key).operator in ("NotIn", "DoesNotExist"):
                continue
            return f"label {key!r} does not have known values"
        return self.intersects(other)

    def intersects(self, other: "Requirements") -> str | None:
        for key in set(self) & set(other):
            existing, incoming = self.of_key(key), other.of_key(key)
            if existing.has_intersection(incoming):
                continue
            if incoming.operator in ("NotIn", "DoesNotExist") and existing.operator in ("NotIn", "DoesNotExist"):
                continue
            return f"key {key}, {incoming} not in {existing}"
        return None


def from_selector_terms(terms: Iterable[dict]) -> Requirements:
    return Requirements().add(*(Requirement.of(t["key"], t["operator"], t.get("values") or []) for t in terms))


def from_labels(labels: dict[str, str]) -> Requirements:
    return Requirements().add(*(Requirement.of(key, "In", [value]) for key, value in labels.items()))


# --- the AWS provider's instance types (types.go) -------------------------------------------------

def instance_requirements(row: InstanceType) -> Requirements:
    """computeRequirements: the instance type's labels, DoesNotExist for the ones it lacks."""
    labels = row.labels()
    result = from_labels(labels)
    result.add(Requirement.of("karpenter.sh/capacity-type", "In", ["on-demand", "spot"]),
               Requirement.of("node.kubernetes.io/windows-build", "DoesNotExist"),
               Requirement.of("karpenter.k8s.aws/instance-tenancy", "In", ["default", "dedicated"]))
    for key in _AWS_OPTIONAL:
        if key not in labels:
            result.add(Requirement.of(key, "DoesNotExist"))
    return result


def capacity(row: InstanceType) -> dict[str, Decimal]:
    """computeCapacity: cpu, memory (less the VM overhead), pods, nvidia.com/gpu."""
    return {"cpu": Decimal(row.vcpus), "memory": Decimal(row.capacity_memory_mib * MIB), "pods": Decimal(row.max_pods),
            "nvidia.com/gpu": Decimal(row.gpu_count)}


def allocatable(row: InstanceType, extended: dict[str, Decimal]) -> dict[str, Decimal]:
    """Capacity minus kube-reserved and eviction overhead (which only touch cpu and memory), after overlays."""
    return {**capacity(row), "cpu": Decimal(row.allocatable_cpu_millis) / 1000,
            "memory": Decimal(row.allocatable_memory_mib * MIB), **extended}


#: amifamily.DefaultEBS.VolumeSize, the root volume when an EC2NodeClass maps none.
DEFAULT_ROOT_VOLUME = 20 * 2**30


def node_ephemeral_storage(pool: "Pool", objects: Objects) -> Decimal | None:
    """Allocatable ephemeral-storage of the pool's nodes: the EC2NodeClass's root volume (ephemeralStorage),
    less kube-reserved 1Gi (kubeReservedResources) and the 10% nodefs.available eviction threshold
    (evictionThreshold), all in aws/karpenter-provider-aws v1.14.1 pkg/providers/instancetype/types.go.
    None: not an EC2NodeClass, whose disks this kit does not model."""
    ref = (pool.obj["spec"]["template"]["spec"].get("nodeClassRef") or {})
    node_class = objects.get("EC2NodeClass", ref.get("name", "")) if ref.get("kind") == "EC2NodeClass" else None
    if node_class is None:
        return None
    size = Decimal(DEFAULT_ROOT_VOLUME)
    for mapping in (node_class.get("spec") or {}).get("blockDeviceMappings") or []:
        if mapping.get("rootVolume") and (mapping.get("ebs") or {}).get("volumeSize"):
            size = quantity(mapping["ebs"]["volumeSize"])
    return size - 2**30 - Decimal(math.ceil(size / 100 * 10))


# --- NodePools -----------------------------------------------------------------------------------

@dataclass
class Pool:
    """What the scheduler builds from one NodePool (NodeClaimTemplate) and the instance types it keeps."""

    obj: dict
    name: str
    requirements: Requirements
    labels: dict[str, str]
    taints: list[dict]
    instance_types: list[InstanceType]
    unknown_types: list[str]


def pool_of(obj: dict) -> Pool:
    """NewNodeClaimTemplate: requirements + template labels + the NodePool (and NodeClass) labels; then the
    instance types whose requirements intersect (NewScheduler's pre-filter)."""
    name = obj["metadata"]["name"]
    template = (obj.get("spec") or {}).get("template") or {}
    spec = template.get("spec") or {}
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    ref = spec.get("nodeClassRef") or {}
    labels.update({NODE_POOL: name, f"{ref.get('group')}/{str(ref.get('kind', '')).lower()}": ref.get("name", "")})
    requirements = from_selector_terms(spec.get("requirements") or []).add(*from_labels(labels).values())
    named = requirements.get("node.kubernetes.io/instance-type")
    unknown = sorted(v for v in named.values if instance_types.get(v) is None) if named and not named.complement else []
    kept = [row for row in instance_types.INSTANCE_TYPES.values()
            if instance_requirements(row).intersects(requirements) is None]
    return Pool(obj, name, requirements, labels, list(spec.get("taints") or []), kept, unknown)


def overlays_for(pool: Pool, row: InstanceType, objects: Objects) -> dict[str, Decimal]:
    """The capacity NodeOverlays give `row` in `pool` (controller.go getOverlaidOfferings; higher weight first)."""
    ordered = sorted(objects.of_kind("NodeOverlay"),
                     key=lambda o: (-int((o.get("spec") or {}).get("weight") or 0), o["metadata"]["name"]))
    base = Requirements({NODE_POOL: Requirement.of(NODE_POOL, "In", [pool.name])})
    base = base.merged(from_labels(pool.labels)).merged(instance_requirements(row))
    result: dict[str, Decimal] = {}
    for overlay in ordered:
        spec = overlay.get("spec") or {}
        if base.compatible(from_selector_terms(spec.get("requirements") or [])) is not None:
            continue
        for resource, value in (spec.get("capacity") or {}).items():
            result.setdefault(resource, quantity(value))
    return result


def is_aws(obj: dict) -> bool:
    """A NodePool the AWS provider serves (Azure's are checked by tests/admission/karpenter_azure.py)."""
    ref = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeClassRef") or {}
    return ref.get("group") != "karpenter.azure.com"


def _pools(objects: Objects) -> list[Pool]:
    return [pool_of(obj) for obj in objects.of_kind("NodePool") if is_aws(obj)]


def tolerates(tolerations: list[dict], taint: dict) -> bool:
    """kubernetes/api core/v1 toleration.go ToleratesTaint, for any of the tolerations."""
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("key") and t["key"] != taint.get("key"):
            continue
        operator = t.get("operator") or "Equal"
        if operator == "Exists" or (operator == "Equal" and (t.get("value") or "") == (taint.get("value") or "")):
            return True
    return False


def _limits(pool: Pool) -> dict[str, Decimal]:
    return {k: quantity(v) for k, v in ((pool.obj.get("spec") or {}).get("limits") or {}).items()}


def _within_limits(node: dict[str, Decimal], limits: dict[str, Decimal]) -> bool:
    """filterByRemainingResources: every limited resource of one node's capacity fits what is left."""
    return all(node.get(name, Decimal(0)) <= remaining for name, remaining in limits.items() if name != "nodes") \
        and limits.get("nodes", Decimal(1)) >= 1


def _show(resource: str, value: Decimal) -> str:
    return f"{value / MIB:.0f}Mi" if resource == "memory" else f"{value:g}"


def _why_not(pod: Pod, pool: Pool, objects: Objects) -> str | None:
    """CanAdd on a fresh NodeClaim of `pool`: None when some instance type takes the pod."""
    for taint in pool.taints:
        if not tolerates(pod.tolerations, taint):
            return f"does not tolerate taint {taint.get('key')}={taint.get('value', '')}:{taint.get('effect')}"
    wanted = from_labels(pod.node_selector)
    if (error := pool.requirements.compatible(wanted, WELL_KNOWN)) is not None:
        return f"incompatible requirements, {error}"
    combined = pool.requirements.merged(wanted)
    limits = _limits(pool)
    misses = []
    for row in pool.instance_types:
        if instance_requirements(row).intersects(combined) is not None:
            continue
        extended = overlays_for(pool, row, objects)
        free = allocatable(row, extended)
        storage = node_ephemeral_storage(pool, objects)
        if storage is not None:
            free["ephemeral-storage"] = storage
        short = [f"{name} {_show(name, value)} > {_show(name, free.get(name, Decimal(0)))}"
                 for name, value in sorted(pod.requests.items()) if value > free.get(name, Decimal(0))]
        if short:
            misses.append(f"{row.name}: {', '.join(short)}")
        elif not _within_limits({**capacity(row), **extended}, limits):
            misses.append(f"{row.name}: one node exceeds the NodePool's limits {dict(sorted(limits.items()))}")
        else:
            return None
    if not pool.instance_types:
        return "the NodePool keeps no instance type"
    return "no instance type fits (allocatable as Karpenter computes it): " + "; ".join(misses[:4])


@compile_check("karpenter-pod-gets-a-node",
               source=f"{CORE} pkg/controllers/provisioning/scheduling/nodeclaim.go: CanAdd, "
                      f"filterInstanceTypesByRequirements; {CORE} pkg/scheduling/taints.go: ToleratesPod; "
                      f"{CORE} pkg/controllers/provisioning/scheduling/scheduler.go: filterByRemainingResources; "
                      f"{AWS} pkg/providers/instancetype/types.go: NewInstanceType")
def pod_gets_a_node(objects: Objects) -> Iterator[str]:
    """Every pod that selects one of our pools can be given a node by one of the NodePools."""
    pools = _pools(objects)
    if not pools:
        return  # cloud: generic, the nodes are the cluster's own
    for pod in pods(objects):
        if POOL_LABEL not in pod.node_selector:
            continue
        reasons = {}
        for pool in pools:
            reason = _why_not(pod, pool, objects)
            if reason is None:
                break
            if pool.labels.get(POOL_LABEL) == pod.node_selector[POOL_LABEL]:
                reasons[pool.name] = reason
        else:
            detail = "; ".join(f"NodePool {name}: {why}" for name, why in reasons.items()) or \
                f"no NodePool carries {POOL_LABEL}={pod.node_selector[POOL_LABEL]}"
            yield f"{pod.where}: Karpenter can launch no node for it ({detail})"


@object_check("karpenter-nodepool-keeps-instance-types", kinds=("NodePool",),
              source=f"{CORE} pkg/controllers/provisioning/scheduling/scheduler.go: NewScheduler; "
                     f"{CORE} pkg/scheduling/requirements.go: Intersects; "
                     f"{AWS} pkg/providers/instancetype/types.go: computeRequirements")
def nodepool_keeps_instance_types(obj: dict, objects: Objects) -> Iterator[str]:
    if not is_aws(obj):
        return
    pool = pool_of(obj)
    if pool.unknown_types:
        yield f"instance types {pool.unknown_types} are not in compiler/instance_types.py, so nothing here can say " \
              "what they offer"
    elif not pool.instance_types:
        yield "its requirements filter out every instance type (\"skipping, nodepool requirements filtered out all " \
              f"instance types\"): {'; '.join(str(r) for r in pool.requirements.values())}"


@object_check("karpenter-nodepool-launches-its-accelerator", kinds=("NodePool",),
              source=f"{AWS} pkg/providers/instancetype/types.go: computeRequirements (instance-gpu-name, "
                     "instance-gpu-count, instance-gpu-memory)")
def nodepool_launches_its_accelerator(obj: dict, objects: Objects) -> Iterator[str]:
    """Every instance type the NodePool keeps carries the GPU its `mlops.dev/accelerator` annotation names."""
    if not is_aws(obj):
        return
    key = (obj["metadata"].get("annotations") or {}).get(ACCELERATOR_ANNOTATION)
    accelerator = gpu_catalogue.get(key or "")
    if accelerator is None:
        return
    memory = instance_types.gpu_memory_mib(accelerator.aws_instance_types)
    for row in pool_of(obj).instance_types:
        if row.gpu_name != accelerator.aws_gpu_name or (memory and row.gpu_memory_mib != memory):
            yield f"it may launch {row.name} ({row.gpu_count} x {row.gpu_name}, {row.gpu_memory_mib} MiB each), " \
                  f"which is not a {key}: its requirements do not pin the GPU's name and memory"


@object_check("karpenter-nodeclassref-resolves", kinds=("NodePool",),
              source=f"{CORE} pkg/controllers/nodepool/readiness/controller.go: Reconcile; "
                     f"{CORE} pkg/controllers/provisioning/provisioner.go: NewScheduler")
def nodeclassref_resolves(obj: dict, objects: Objects) -> Iterator[str]:
    """A NodePool whose NodeClass is missing is NodeClassNotFound, not Ready, and ignored by the provisioner."""
    if not is_aws(obj):
        return
    ref = ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("nodeClassRef") or {}
    if ref.get("group") != "karpenter.k8s.aws" or ref.get("kind") != "EC2NodeClass":
        yield f"nodeClassRef {ref} is not an EC2NodeClass of karpenter.k8s.aws, the only NodeClass the AWS provider serves"
    elif objects.get("EC2NodeClass", ref.get("name", "")) is None:
        yield f"nodeClassRef names EC2NodeClass {ref.get('name')!r}, which this compile does not create"


@object_check("karpenter-nodepool-limits-allow-its-nodes", kinds=("NodePool",),
              source=f"{CORE} pkg/controllers/provisioning/scheduling/scheduler.go: filterByRemainingResources, "
                     "subtractMax")
def nodepool_limits_allow_its_nodes(obj: dict, objects: Objects) -> Iterator[str]:
    """The limits let Karpenter launch `mlops.dev/nodes-max` nodes of the largest instance type it may pick."""
    if not is_aws(obj):
        return
    pool = pool_of(obj)
    limits = _limits(pool)
    wanted = int((obj["metadata"].get("annotations") or {}).get(NODES_MAX_ANNOTATION, "1"))
    if not limits or not pool.instance_types or wanted == 0:
        return
    nodes = [{**capacity(row), **overlays_for(pool, row, objects)} for row in pool.instance_types]
    largest = {name: max(node.get(name, Decimal(0)) for node in nodes) for name in limits if name != "nodes"}
    if "nodes" in limits and limits["nodes"] < wanted:
        yield f"limits.nodes {limits['nodes']} stops the pool before its {wanted} nodes"
    for name, per_node in largest.items():
        if per_node and limits[name] // per_node < wanted:
            yield f"limits.{name} {limits[name]:g} holds {int(limits[name] // per_node)} node(s) of {per_node:g} " \
                  f"{name} each (with NodeOverlays), fewer than the pool's {wanted} nodes"


@object_check("karpenter-nodeoverlay-runtime-validation", kinds=("NodeOverlay",),
              source=f"{CORE} pkg/apis/v1alpha1/nodeoverlay_validation.go: RuntimeValidate, validateRequirements, "
                     f"validateCapacity; {CORE} pkg/apis/v1/nodeclaim_validation.go: ValidateRequirement")
def nodeoverlay_runtime_validation(obj: dict, objects: Objects) -> Iterator[str]:
    spec = obj.get("spec") or {}
    for requirement in spec.get("requirements") or []:
        key, operator, values = requirement.get("key", ""), requirement.get("operator"), requirement.get("values") or []
        domain = key.split("/", 1)[0] if "/" in key else ""
        if key not in WELL_KNOWN and (any(domain == d or domain.endswith("." + d) for d in RESTRICTED_DOMAINS)
                                      or key == "kubernetes.io/hostname"):
            yield f"requirement key {key!r} is restricted"
        if operator in ("In", "NotIn") and not values:
            yield f"requirement {key} {operator} must have a value defined"
    for resource in spec.get("capacity") or {}:
        if resource in WELL_KNOWN_RESOURCES:
            yield f"capacity {resource!r} is a well-known resource an overlay may not set"


@compile_check("karpenter-nodeoverlay-applies",
               source=f"{CORE} pkg/controllers/nodeoverlay/controller.go: validateAndUpdateInstanceTypeOverrides, "
                      "getOverlaidOfferings; "
                      f"{CORE} pkg/controllers/nodeoverlay/store.go: isCapacityUpdateConflicting")
def nodeoverlay_applies(objects: Objects) -> Iterator[str]:
    """Each NodeOverlay changes some instance type a NodePool keeps, without conflicting with another of its weight."""
    pools = _pools(objects)
    azure = {obj["metadata"]["name"] for obj in objects.of_kind("NodePool") if not is_aws(obj)}
    claimed: dict[tuple[str, str, str, int], str] = {}  # (pool, instance type, resource, weight) -> overlay
    for overlay in objects.of_kind("NodeOverlay"):
        spec = overlay.get("spec") or {}
        name, weight = overlay["metadata"]["name"], int(spec.get("weight") or 0)
        wanted = from_selector_terms(spec.get("requirements") or [])
        if wanted.get(NODE_POOL) and not wanted[NODE_POOL].complement and wanted[NODE_POOL].values <= azure:
            continue  # an Azure pool's overlay: the AWS instance table says nothing about it
        hits = 0
        for pool in pools:
            for row in pool.instance_types:
                base = Requirements({NODE_POOL: Requirement.of(NODE_POOL, "In", [pool.name])})
                if base.merged(from_labels(pool.labels)).merged(instance_requirements(row)).compatible(wanted):
                    continue
                hits += 1
                for resource in spec.get("capacity") or {}:
                    other = claimed.setdefault((pool.name, row.name, resource, weight), name)
                    if other != name:
                        yield f"NodeOverlay/{name} conflicts with NodeOverlay/{other} (same weight {weight}) on " \
                              f"{resource} of {row.name} in NodePool {pool.name}"
        if not hits:
            yield f"NodeOverlay/{name} matches no instance type of any NodePool: it changes nothing"


#: AMI families whose alias resolves an NVIDIA variant for GPU instance types (amifamily al2023.go, al2.go,
#: bottlerocket.go: DescribeImageQuery); windows* and custom AMIs (no alias) do not.
NVIDIA_AMI_FAMILIES = ("al2023", "al2", "bottlerocket")


@object_check("karpenter-ec2nodeclass-gpu-ami", kinds=("EC2NodeClass",),
              source=f"{AWS} pkg/providers/amifamily/al2023.go: DescribeImageQuery; "
                     f"{AWS} pkg/providers/amifamily/bottlerocket.go: DescribeImageQuery; "
                     f"{AWS} pkg/providers/amifamily/types.go: Variant")
def ec2nodeclass_gpu_ami(obj: dict, objects: Objects) -> Iterator[str]:
    """A NodeClass whose NodePools launch GPU instance types picks its AMI by an alias with an NVIDIA variant."""
    name = obj["metadata"]["name"]
    gpu_pools = [pool.name for pool in _pools(objects)
                 if (pool.obj["spec"]["template"]["spec"].get("nodeClassRef") or {}).get("name") == name
                 and any(row.gpu_count for row in pool.instance_types)]
    if not gpu_pools:
        return
    terms = (obj.get("spec") or {}).get("amiSelectorTerms") or []
    families = [str(term.get("alias", "")).split("@")[0] for term in terms if term.get("alias")]
    if not families or families[0] not in NVIDIA_AMI_FAMILIES:
        yield f"NodePools {gpu_pools} launch GPU instance types, but amiSelectorTerms {terms} select no AMI family " \
              f"with an NVIDIA variant (alias {', '.join(f + '@...' for f in NVIDIA_AMI_FAMILIES)}): the nodes would " \
              "have no GPU driver"


def _device_plugin_entry(objects: Objects, key: str) -> dict | None:
    for obj in objects.of_kind("ConfigMap"):
        text = (obj.get("data") or {}).get(key)
        if (obj.get("metadata") or {}).get("namespace") == "gpu-operator" and text and "sharing" in text:
            return yaml.safe_load(text)
    return None


def _mig_entry(objects: Objects, key: str) -> list | None:
    for obj in objects.of_kind("ConfigMap"):
        text = (obj.get("data") or {}).get("config.yaml")
        if (obj.get("metadata") or {}).get("namespace") == "gpu-operator" and text and "mig-configs" in text:
            return (yaml.safe_load(text).get("mig-configs") or {}).get(key)
    return None


def advertised(row: InstanceType, labels: dict[str, str], objects: Objects) -> dict[str, Decimal] | None:
    """What the device plugin will advertise on a node of `row` with these labels (None: whole GPUs, as planned).

    Time-slicing and MPS replicate every GPU `replicas` times (k8s-device-plugin internal/rm/device_map.go
    updateDeviceMapWithReplicas), under its `.shared` name with renameByDefault; a MIG layout makes
    `count` slices of each profile per GPU (mixed strategy).
    """
    shared = _device_plugin_entry(objects, labels.get("nvidia.com/device-plugin.config", ""))
    if shared:
        sharing = shared.get("sharing") or {}
        mode = sharing.get("mps") or sharing.get("timeSlicing") or {}
        result = {}
        for resource in mode.get("resources") or []:
            name = resource["name"] + (".shared" if mode.get("renameByDefault") else "")
            result[name] = Decimal(row.gpu_count * int(resource["replicas"]))
        return result
    layout = _mig_entry(objects, labels.get("nvidia.com/mig.config", ""))
    if layout and labels.get("nvidia.com/mig.config") != "all-disabled":
        slices: dict[str, Decimal] = {}
        for entry in layout:
            for profile, count in (entry.get("mig-devices") or {}).items():
                slices[f"nvidia.com/mig-{profile}"] = slices.get(f"nvidia.com/mig-{profile}", Decimal(0)) + \
                    Decimal(row.gpu_count * count)
        return slices
    return None


@compile_check("karpenter-plans-the-advertised-gpus",
               source=f"{CORE} pkg/cloudprovider/types.go: ApplyCapacityOverlay; "
                      f"{AWS} pkg/providers/instancetype/types.go: computeCapacity (nvidiaGPUs); "
                      "NVIDIA/k8s-device-plugin v0.20.0 internal/rm/device_map.go: updateDeviceMapWithReplicas")
def plans_the_advertised_gpus(objects: Objects) -> Iterator[str]:
    """Karpenter sizes a node with what its device plugin will advertise (shared replicas, MIG slices), not less.

    With less it launches a node per shared-GPU pod (time-slicing), or none at all (a MIG slice it never
    heard of); a MIG node under the single strategy may instead plan the slices as nvidia.com/gpu.
    """
    for pool in _pools(objects):
        for row in pool.instance_types:
            expected = advertised(row, pool.labels, objects)
            if expected is None:
                continue
            planned = {**capacity(row), **overlays_for(pool, row, objects)}
            single = sum(expected.values()) == planned.get("nvidia.com/gpu") and all(
                name.startswith("nvidia.com/mig-") for name in expected)
            wrong = {name: count for name, count in expected.items() if planned.get(name, Decimal(0)) != count}
            if wrong and not single:
                shown = ", ".join(f"{name} {planned.get(name, Decimal(0)):g} (advertised: {count:g})"
                                  for name, count in sorted(wrong.items()))
                yield f"NodePool/{pool.name}: Karpenter plans a {row.name} node with {shown}: add a NodeOverlay " \
                      "with the capacity the device plugin advertises"


# --- fixtures ------------------------------------------------------------------------------------

def _node_pool(name: str = "p", requirements: list[dict] | None = None, labels: dict | None = None,
               taints: list[dict] | None = None, limits: dict | None = None, annotations: dict | None = None,
               node_class: str | None = None) -> dict:
    spec: dict = {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": node_class or name},
                  "requirements": requirements if requirements is not None else [
                      {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g6.xlarge"]}]}
    if taints:
        spec["taints"] = taints
    return {"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
            "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {"template": {"metadata": {"labels": {POOL_LABEL: name, **(labels or {})}}, "spec": spec},
                     "limits": limits or {"nodes": "2"}}}


def _node_class(name: str = "p", alias: str = "al2023@latest") -> dict:
    return {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": name},
            "spec": {"amiSelectorTerms": [{"alias": alias}]}}


def _overlay(name: str, pool: str, capacity: dict, weight: int | None = None, requirements: list | None = None) -> dict:
    spec: dict = {"requirements": requirements or [{"key": NODE_POOL, "operator": "In", "values": [pool]}],
                  "capacity": capacity}
    if weight is not None:
        spec["weight"] = weight
    return {"apiVersion": "karpenter.sh/v1alpha1", "kind": "NodeOverlay", "metadata": {"name": name}, "spec": spec}


def _isvc(pool: str, limits: dict, tolerations: list | None = None) -> dict:
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "api"},
            "spec": {"predictor": {"nodeSelector": {POOL_LABEL: pool}, "tolerations": tolerations or [],
                                   "model": {"resources": {"limits": limits, "requests": {
                                       k: v for k, v in limits.items() if k in ("cpu", "memory")}}}}}}


def _plugin_config(key: str, replicas: int) -> dict:
    text = f"version: v1\nsharing:\n  timeSlicing:\n    resources:\n      - {{name: nvidia.com/gpu, replicas: {replicas}}}\n"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dp", "namespace": "gpu-operator"},
            "data": {key: text}}


def _mig_config(key: str, devices: dict) -> dict:
    text = yaml.safe_dump({"version": "v1", "mig-configs": {key: [{"devices": "all", "mig-enabled": True,
                                                                   "mig-devices": devices}]}})
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mig", "namespace": "gpu-operator"},
            "data": {"config.yaml": text}}


_GPU_TAINT = [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
_GPU_TOLERATION = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
_L4 = [{"key": "karpenter.k8s.aws/instance-gpu-name", "operator": "In", "values": ["l4"]},
       {"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "In", "values": ["1"]}]
_A100 = [{"key": "karpenter.k8s.aws/instance-gpu-name", "operator": "In", "values": ["a100"]},
         {"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "In", "values": ["8"]}]
_MIG = {"nvidia.com/mig-1g.10gb": "1", "cpu": "2", "memory": "8Gi"}

CASES = [
    Case("karpenter-pod-gets-a-node", "a MIG request Karpenter has never heard of (no NodeOverlay)",
         [_node_pool("m", _A100, taints=_GPU_TAINT), _node_class("m"), _isvc("m", _MIG, _GPU_TOLERATION)]),
    Case("karpenter-pod-gets-a-node", "the same request with a NodeOverlay advertising the slices",
         [_node_pool("m", _A100, taints=_GPU_TAINT), _node_class("m"), _isvc("m", _MIG, _GPU_TOLERATION),
          _overlay("m", "m", {"nvidia.com/mig-1g.10gb": "56"})], refused=False),
    Case("karpenter-pod-gets-a-node", "a GPU pod without the toleration of the GPU taint",
         [_node_pool("g", _L4, taints=_GPU_TAINT), _node_class("g"), _isvc("g", {"nvidia.com/gpu": "1"})]),
    Case("karpenter-pod-gets-a-node", "a node selector no NodePool's labels carry (base name vs environment name)",
         [_node_pool("fraud-prod-g", _L4), _node_class("fraud-prod-g"), _isvc("fraud-g", {"nvidia.com/gpu": "1"})]),
    Case("karpenter-pod-gets-a-node", "more memory than a g6.xlarge has allocatable (13.8Gi)",
         [_node_pool("g", _L4 + [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                  "values": ["g6.xlarge"]}]), _node_class("g"),
          _isvc("g", {"nvidia.com/gpu": "1", "memory": "16Gi"})]),
    Case("karpenter-pod-gets-a-node", "time-sliced GPUs counted by the overlay but not by the limits",
         [_node_pool("g", _L4, limits={"nvidia.com/gpu": "2"}), _node_class("g"),
          _overlay("g", "g", {"nvidia.com/gpu": "4"}), _isvc("g", {"nvidia.com/gpu": "1"})]),
    Case("karpenter-pod-gets-a-node", "more ephemeral storage than the default 20Gi root volume leaves (17Gi)",
         [_node_pool("g"), _node_class("g"), _isvc("g", {"cpu": "1", "ephemeral-storage": "18Gi"})]),
    Case("karpenter-pod-gets-a-node", "ephemeral storage within a 100Gi root volume (89Gi allocatable)",
         [_node_pool("g"), {**_node_class("g"), "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}],
                                                        "blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                                                                 "rootVolume": True,
                                                                                 "ebs": {"volumeSize": "100Gi"}}]}},
          _isvc("g", {"cpu": "1", "ephemeral-storage": "80Gi"})], refused=False),
    Case("karpenter-pod-gets-a-node", "a GPU pod that fits a g6.xlarge",
         [_node_pool("g", _L4, taints=_GPU_TAINT), _node_class("g"),
          _isvc("g", {"nvidia.com/gpu": "1", "cpu": "2", "memory": "8Gi"}, _GPU_TOLERATION)], refused=False),
    Case("karpenter-plans-the-advertised-gpus", "a time-sliced pool without a NodeOverlay (plans 1 GPU, gets 4)",
         [_node_pool("g", _L4, labels={"nvidia.com/device-plugin.config": "g"}), _plugin_config("g", 4)]),
    Case("karpenter-plans-the-advertised-gpus", "a MIG pool without a NodeOverlay",
         [_node_pool("m", _A100, labels={"nvidia.com/mig.config": "m"}), _mig_config("m", {"1g.10gb": 7})]),
    Case("karpenter-plans-the-advertised-gpus", "a time-sliced pool and a MIG pool with their overlays",
         [_node_pool("g", _L4, labels={"nvidia.com/device-plugin.config": "g"}), _plugin_config("g", 4),
          _overlay("g", "g", {"nvidia.com/gpu": "4"}),
          _node_pool("m", _A100, labels={"nvidia.com/mig.config": "m"}), _mig_config("m", {"1g.10gb": 7}),
          _overlay("m", "m", {"nvidia.com/gpu": "0", "nvidia.com/mig-1g.10gb": "56"})], refused=False),
    Case("karpenter-nodepool-keeps-instance-types", "an L4 pool that lists an A10G instance type",
         [_node_pool("g", _L4 + [{"key": "node.kubernetes.io/instance-type", "operator": "In",
                                  "values": ["g5.xlarge"]}])]),
    Case("karpenter-nodepool-keeps-instance-types", "an instance type the facts do not know",
         [_node_pool("g", [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["x9.huge"]}])]),
    Case("karpenter-nodepool-keeps-instance-types", "arm64 required of an amd64-only list",
         [_node_pool("c", [{"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]},
                           {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m7i.large"]}])]),
    Case("karpenter-nodepool-keeps-instance-types", "an L4 pool of one GPU", [_node_pool("g", _L4)], refused=False),
    Case("karpenter-nodepool-launches-its-accelerator", "an a100-80gb pool without a GPU-memory requirement",
         [_node_pool("a", _A100, annotations={ACCELERATOR_ANNOTATION: "a100-80gb"})]),
    Case("karpenter-nodepool-launches-its-accelerator", "an a100-80gb pool pinned to 81920 MiB GPUs",
         [_node_pool("a", _A100 + [{"key": "karpenter.k8s.aws/instance-gpu-memory", "operator": "In",
                                    "values": ["81920"]}], annotations={ACCELERATOR_ANNOTATION: "a100-80gb"})],
         refused=False),
    Case("karpenter-nodeclassref-resolves", "a NodePool without its EC2NodeClass", [_node_pool("g", _L4)]),
    Case("karpenter-nodeclassref-resolves", "a NodePool and its EC2NodeClass",
         [_node_pool("g", _L4), _node_class("g")], refused=False),
    Case("karpenter-ec2nodeclass-gpu-ami", "a GPU NodePool on Windows AMIs",
         [_node_pool("g", _L4), _node_class("g", "windows2022@latest")]),
    Case("karpenter-ec2nodeclass-gpu-ami", "a GPU NodePool on AL2023 (NVIDIA variant)",
         [_node_pool("g", _L4), _node_class("g")], refused=False),
    Case("karpenter-nodepool-limits-allow-its-nodes", "GPU limits counted in physical GPUs under a time-slicing overlay",
         [_node_pool("g", _L4, limits={"nvidia.com/gpu": "2"}, annotations={NODES_MAX_ANNOTATION: "2"}),
          _overlay("g", "g", {"nvidia.com/gpu": "4"})]),
    Case("karpenter-nodepool-limits-allow-its-nodes", "a node limit below nodes-max",
         [_node_pool("g", _L4, limits={"nodes": "1"}, annotations={NODES_MAX_ANNOTATION: "3"})]),
    Case("karpenter-nodepool-limits-allow-its-nodes", "limits in shared GPUs",
         [_node_pool("g", _L4, limits={"nvidia.com/gpu": "8"}, annotations={NODES_MAX_ANNOTATION: "2"}),
          _overlay("g", "g", {"nvidia.com/gpu": "4"})], refused=False),
    Case("karpenter-nodeoverlay-runtime-validation", "an overlay setting cpu", [_overlay("o", "p", {"cpu": "8"})]),
    Case("karpenter-nodeoverlay-runtime-validation", "an overlay keyed on a restricted karpenter.k8s.aws label",
         [_overlay("o", "p", {"nvidia.com/gpu": "4"},
                   requirements=[{"key": "karpenter.k8s.aws/ec2nodeclass", "operator": "In", "values": ["p"]}])]),
    Case("karpenter-nodeoverlay-runtime-validation", "an overlay of GPU replicas for one NodePool",
         [_overlay("o", "p", {"nvidia.com/gpu": "4"})], refused=False),
    Case("karpenter-nodeoverlay-applies", "an overlay for a NodePool that does not exist",
         [_node_pool("g", _L4), _overlay("o", "other", {"nvidia.com/gpu": "4"})]),
    Case("karpenter-nodeoverlay-applies", "two overlays of one weight setting the same resource",
         [_node_pool("g", _L4), _overlay("a", "g", {"nvidia.com/gpu": "4"}), _overlay("b", "g", {"nvidia.com/gpu": "2"})]),
    Case("karpenter-nodeoverlay-applies", "one overlay for its NodePool",
         [_node_pool("g", _L4), _overlay("o", "g", {"nvidia.com/gpu": "4"})], refused=False),
]
