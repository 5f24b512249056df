"""The accelerator catalogue: every GPU a node pool may name, with its memory, MIG geometry and price.

This is the one table of accelerators; lint rules, lowering and the plan's cost lines all read it.
It is on the `mlops lint` hot path, so it imports only the standard library.

MIG data comes from NVIDIA's published MIG configurations (mig-parted's `config-default.yaml`;
the copy in `../shared/crds/nvidia.com/` is what `tests/test_gpu_catalogue.py` compares against):
each profile and its maximum count per GPU is NVIDIA's `all-<profile>` configuration for the
accelerator's PCI device ids. Variants with media extensions (`+me`) are left out: they exist
once per GPU and nothing in the spec asks for them.

Memory slices. A MIG GPU has `memory_slices` equal slices of memory (8 on A100/H100/H200, 4 on
A30); NVIDIA's profile name gives a profile's memory as a rounded share of the board, so a
profile's memory slices are that share times the slice count, rounded (A100-80GB: 1g.10gb is
1/8, 1g.20gb and 2g.20gb 2/8, 3g.40gb and 4g.40gb 4/8, 7g.80gb all 8; H200: 1g.18gb 1/8,
1g.35gb 2/8, 3g.71gb 4/8). These are the "fraction of memory" columns of NVIDIA's MIG user guide.

Layout check. A layout fits one GPU when every profile is offered, no count exceeds the
profile's maximum, and the compute and memory slices add up to at most the GPU's. NVIDIA also
places instances at fixed offsets; for the profiles in this table that adds no constraint (every
layout within the slice budgets has a placement: checked exhaustively against the placement
offsets in NVIDIA's MIG user guide when this table was written), so sums are the whole check.

Usable memory of a profile. The "10gb" in a name is NVIDIA's rounded share, not what a process
can allocate: `nvidia-smi mig -lgip` reports 1g.5gb (A100-40GB) as 4.75 GiB, 1g.10gb (A100-80GB)
as 9.50 GiB, 1g.6gb (A30) as 5.81 GiB and 1g.18gb (H200) as 16.00 GiB, i.e. 0.89-0.97 of the
name's number read as GiB. `MigProfile.usable_memory_bytes` credits each profile with
`MIG_USABLE_PERCENT` (88) % of `memory_gb` GiB, below every observed value, so a workload whose
declared GPU memory fits the credited size fits the real instance.

Prices. `hourly_price_usd` is the on-demand price of one GPU for one hour, Linux, AWS us-east-1:
the price of the instance type named in the row's comment divided by its GPU count. The AWS
prices are those of aws/karpenter-provider-aws `pkg/providers/pricing/zz_generated.pricing_aws.go`
at commit 265ee0ba5b8e (generated 2026-02-09T13:43:35Z from the AWS Price List API for
us-east-1; they include the June 2025 P4/P5 price cut). They are for plan-time cost estimates,
not billing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

__all__ = [
    "ACCELERATORS",
    "Accelerator",
    "MIG_USABLE_PERCENT",
    "MigProfile",
    "CLOUDS",
    "CLOUD_PRICE_SOURCES",
    "CloudGpu",
    "CloudMachine",
    "get",
    "layout_problem",
    "offered_on",
    "offering",
    "mig_resource_name",
    "smallest_profile_fitting",
]

#: Share of a profile's nominal memory (`memory_gb` GiB) counted as usable; see the module docstring.
MIG_USABLE_PERCENT = 88

_GIB = 2**30
_PROFILE_NAME = re.compile(r"(?P<compute>[1-9][0-9]*)g\.(?P<memory>[1-9][0-9]*)gb")


@dataclass(frozen=True)
class MigProfile:
    """One MIG GPU-instance profile as NVIDIA names it, on one accelerator."""

    name: str            # "1g.10gb" (no +me variants in the table)
    compute_slices: int  # the "1g"
    memory_gb: int       # the "10gb" as NVIDIA names it (a rounded share of the board's memory)
    max_count: int       # most instances of this profile on one GPU: NVIDIA's all-<profile> config
    memory_slices: int   # memory slices the profile takes (of the accelerator's memory_slices)

    @property
    def usable_memory_bytes(self) -> int:
        """Memory a workload may count on in one instance: `MIG_USABLE_PERCENT` % of `memory_gb` GiB."""
        return self.memory_gb * _GIB * MIG_USABLE_PERCENT // 100


@dataclass(frozen=True)
class Accelerator:
    """One kind of GPU. Accelerators without MIG have no profiles and zero slices."""

    key: str                  # "a100-80gb": the spec's `node_pools.*.accelerator`
    product: str              # NVML product name, as nvidia-smi prints it (GFD's nvidia.com/gpu.product
                              # label is this with spaces turned into "-")
    memory_bytes: int         # nominal GPU memory, GiB * 2**30
    aws_gpu_name: str | None  # Karpenter's karpenter.k8s.aws/instance-gpu-name; None: not on EC2
    aws_instance_types: tuple[str, ...]  # EC2 instance types with this GPU: one-GPU sizes first
    mig_profiles: Mapping[str, MigProfile] = field(hash=False)  # name -> profile, smallest first
    compute_slices: int       # MIG compute slices per GPU (0 without MIG)
    memory_slices: int        # MIG memory slices per GPU (0 without MIG)
    mig_device_ids: tuple[str, ...]  # PCI device ids ("0x20B2"; vendor 10DE) of this accelerator's
                                     # products, as mig-parted's device-filter lists them
    hourly_price_usd: float   # on-demand price of ONE GPU per hour (see the row's comment)

    @property
    def has_mig(self) -> bool:
        return bool(self.mig_profiles)


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def _mig(memory_slices: int, max_counts: Mapping[str, int]) -> Mapping[str, MigProfile]:
    """Profiles from NVIDIA's names and max counts; memory slices derived from the names.

    The largest profile (the whole GPU) names the board's memory as NVIDIA rounds it; a profile's
    memory slices are its share of that, in slices, rounded to the nearest whole slice.
    """
    parsed = {name: _PROFILE_NAME.fullmatch(name) for name in max_counts}
    whole_gb = max(int(match["memory"]) for match in parsed.values())
    profiles = [
        MigProfile(
            name=name,
            compute_slices=int(match["compute"]),
            memory_gb=int(match["memory"]),
            max_count=max_counts[name],
            memory_slices=_round_half_up(int(match["memory"]) * memory_slices, whole_gb),
        )
        for name, match in parsed.items()
    ]
    profiles.sort(key=_size)
    return MappingProxyType({profile.name: profile for profile in profiles})


def _size(profile: MigProfile) -> tuple[int, int, str]:
    """Order profiles by how much of the GPU they take: memory slices, then compute slices."""
    return profile.memory_slices, profile.compute_slices, profile.name


_NO_MIG: Mapping[str, MigProfile] = MappingProxyType({})

# Memory slices per GPU for each MIG geometry.
_A100_SLICES = 8  # A100, H100, H200: 7 compute slices, 8 memory slices
_A30_SLICES = 4   # A30: 4 compute slices, 4 memory slices

_TABLE = (
    Accelerator(
        key="t4",
        product="Tesla T4",
        memory_bytes=16 * _GIB,
        aws_gpu_name="t4",
        aws_instance_types=("g4dn.xlarge", "g4dn.2xlarge", "g4dn.4xlarge", "g4dn.8xlarge", "g4dn.16xlarge",
                            "g4dn.12xlarge", "g4dn.metal"),
        mig_profiles=_NO_MIG,
        compute_slices=0,
        memory_slices=0,
        mig_device_ids=(),
        hourly_price_usd=0.526,  # g4dn.xlarge (1 GPU) $0.526/h, AWS us-east-1, karpenter pricing 2026-02-09
    ),
    Accelerator(
        key="a10g",
        product="NVIDIA A10G",
        memory_bytes=24 * _GIB,
        aws_gpu_name="a10g",
        aws_instance_types=("g5.xlarge", "g5.2xlarge", "g5.4xlarge", "g5.8xlarge", "g5.16xlarge",
                            "g5.12xlarge", "g5.24xlarge", "g5.48xlarge"),
        mig_profiles=_NO_MIG,
        compute_slices=0,
        memory_slices=0,
        mig_device_ids=(),
        hourly_price_usd=1.006,  # g5.xlarge (1 GPU) $1.006/h, AWS us-east-1, karpenter pricing 2026-02-09
    ),
    Accelerator(
        key="a10",
        product="NVIDIA A10",
        memory_bytes=24 * _GIB,
        aws_gpu_name=None,  # EC2 has the A10G (a10g), not the A10
        aws_instance_types=(),
        mig_profiles=_NO_MIG,
        compute_slices=0,
        memory_slices=0,
        mig_device_ids=(),
        # Standard_NV36ads_A10_v5 (1 whole A10) $3.20/h, Azure eastus (see CLOUD_PRICE_SOURCES["azure"]).
        hourly_price_usd=3.20,
    ),
    Accelerator(
        key="l4",
        product="NVIDIA L4",
        memory_bytes=24 * _GIB,
        aws_gpu_name="l4",
        aws_instance_types=("g6.xlarge", "g6.2xlarge", "g6.4xlarge", "g6.8xlarge", "g6.16xlarge",
                            "g6.12xlarge", "g6.24xlarge", "g6.48xlarge"),
        mig_profiles=_NO_MIG,
        compute_slices=0,
        memory_slices=0,
        mig_device_ids=(),
        hourly_price_usd=0.8048,  # g6.xlarge (1 GPU) $0.8048/h, AWS us-east-1, karpenter pricing 2026-02-09
    ),
    Accelerator(
        key="l40s",
        product="NVIDIA L40S",
        memory_bytes=48 * _GIB,
        aws_gpu_name="l40s",
        aws_instance_types=("g6e.xlarge", "g6e.2xlarge", "g6e.4xlarge", "g6e.8xlarge", "g6e.16xlarge",
                            "g6e.12xlarge", "g6e.24xlarge", "g6e.48xlarge"),
        mig_profiles=_NO_MIG,
        compute_slices=0,
        memory_slices=0,
        mig_device_ids=(),
        hourly_price_usd=1.861,  # g6e.xlarge (1 GPU) $1.861/h, AWS us-east-1, karpenter pricing 2026-02-09
    ),
    Accelerator(
        key="a30",
        product="NVIDIA A30",
        memory_bytes=24 * _GIB,
        aws_gpu_name=None,  # no EC2 instance type has an A30
        aws_instance_types=(),
        mig_profiles=_mig(_A30_SLICES, {"1g.6gb": 4, "2g.12gb": 2, "4g.24gb": 1}),
        compute_slices=4,
        memory_slices=_A30_SLICES,
        mig_device_ids=("0x20B7",),  # A30-24GB
        # ESTIMATE, not a list price: no hyperscaler sells A30 hours on demand (checked 2026-02). Half
        # the a100-40gb GPU-hour below (p4d.24xlarge / 8): an A30 is a cut-down GA100 with about half
        # an A100's tensor FLOPS and 24 of its 40 GB.
        hourly_price_usd=21.957642 / 8 / 2,
    ),
    Accelerator(
        key="a100-40gb",
        product="NVIDIA A100-SXM4-40GB",
        memory_bytes=40 * _GIB,
        aws_gpu_name="a100",
        aws_instance_types=("p4d.24xlarge",),
        mig_profiles=_mig(_A100_SLICES, {"1g.5gb": 7, "1g.10gb": 4, "2g.10gb": 3, "3g.20gb": 2,
                                         "4g.20gb": 1, "7g.40gb": 1}),
        compute_slices=7,
        memory_slices=_A100_SLICES,
        # The ids mig-parted's config lists for "A100-40GB, A800-40GB" (same MIG geometry).
        mig_device_ids=("0x20B0", "0x20B1", "0x20F1", "0x20F6"),
        hourly_price_usd=21.957642 / 8,  # p4d.24xlarge $21.957642/h, 8 GPUs, us-east-1, karpenter 2026-02-09
    ),
    Accelerator(
        key="a100-80gb",
        product="NVIDIA A100-SXM4-80GB",
        memory_bytes=80 * _GIB,
        aws_gpu_name="a100",
        aws_instance_types=("p4de.24xlarge",),
        mig_profiles=_mig(_A100_SLICES, {"1g.10gb": 7, "1g.20gb": 4, "2g.20gb": 3, "3g.40gb": 2,
                                         "4g.40gb": 1, "7g.80gb": 1}),
        compute_slices=7,
        memory_slices=_A100_SLICES,
        # The GA100 ids of mig-parted's "H100-80GB, H800-80GB, A100-80GB, A800-80GB" device-filter.
        mig_device_ids=("0x20B2", "0x20B5", "0x20F3", "0x20F5"),
        hourly_price_usd=27.44705 / 8,  # p4de.24xlarge $27.44705/h, 8 GPUs, us-east-1, karpenter 2026-02-09
    ),
    Accelerator(
        key="h100-80gb",
        product="NVIDIA H100 80GB HBM3",
        memory_bytes=80 * _GIB,
        aws_gpu_name="h100",
        aws_instance_types=("p5.4xlarge", "p5.48xlarge"),
        mig_profiles=_mig(_A100_SLICES, {"1g.10gb": 7, "1g.20gb": 4, "2g.20gb": 3, "3g.40gb": 2,
                                         "4g.40gb": 1, "7g.80gb": 1}),
        compute_slices=7,
        memory_slices=_A100_SLICES,
        # The GH100 ids of mig-parted's "H100-80GB, H800-80GB, A100-80GB, A800-80GB" device-filter.
        mig_device_ids=("0x2330", "0x2331", "0x2322", "0x2324"),
        # p5.48xlarge $55.04/h, 8 GPUs (p5.4xlarge, 1 GPU: $6.88/h), AWS us-east-1, karpenter pricing 2026-02-09
        hourly_price_usd=55.04 / 8,
    ),
    Accelerator(
        key="h200-141gb",
        product="NVIDIA H200",
        memory_bytes=141 * _GIB,
        aws_gpu_name="h200",
        aws_instance_types=("p5e.48xlarge", "p5en.48xlarge"),
        mig_profiles=_mig(_A100_SLICES, {"1g.18gb": 7, "1g.35gb": 4, "2g.35gb": 3, "3g.71gb": 2,
                                         "4g.71gb": 1, "7g.141gb": 1}),
        compute_slices=7,
        memory_slices=_A100_SLICES,
        # H200-141GB (SXM). The H200 NVL (0x233B) shares only the all-balanced entry and lacks the
        # 1g.35gb filter entry, so it is not claimed here.
        mig_device_ids=("0x2335",),
        # p5en.48xlarge $63.296/h, 8 GPUs, AWS us-east-1, karpenter pricing 2026-02-09 (p5e.48xlarge
        # is sold through Capacity Blocks only and has no on-demand price).
        hourly_price_usd=63.296 / 8,
    ),
)

#: Every accelerator by key, in catalogue order.
ACCELERATORS: Mapping[str, Accelerator] = MappingProxyType({acc.key: acc for acc in _TABLE})


def get(key: str) -> Accelerator | None:
    """The accelerator named `key`, or None when the catalogue has no such accelerator."""
    return ACCELERATORS.get(key)


def smallest_profile_fitting(acc: Accelerator, memory_bytes: int) -> MigProfile | None:
    """The smallest MIG profile of `acc` whose usable memory holds `memory_bytes`.

    "Usable" is `MigProfile.usable_memory_bytes` (88 % of the name's GiB; see the module
    docstring). Smallest means fewest memory slices, then fewest compute slices, so that on an
    A100-80GB 15 GiB gets 1g.20gb rather than 2g.20gb. None when `acc` has no MIG or no profile
    is large enough.
    """
    if memory_bytes < 0:
        raise ValueError(f"memory_bytes must not be negative, got {memory_bytes}")
    for profile in acc.mig_profiles.values():  # smallest first
        if profile.usable_memory_bytes >= memory_bytes:
            return profile
    return None


def layout_problem(acc: Accelerator, layout: Mapping[str, int]) -> str | None:
    """None when the MIG `layout` (profile name -> instances) fits one GPU of `acc`, else why not.

    Checks, in order: that `acc` has MIG, that the layout names something, that every profile is
    one `acc` offers, that every count is at least 1 and at most the profile's max count, and that
    the compute and memory slices add up to at most `acc`'s. The first problem found is returned
    as one sentence that names the valid values.
    """
    if not acc.has_mig:
        mig_capable = ", ".join(key for key, other in ACCELERATORS.items() if other.has_mig)
        return f"{acc.key} does not support MIG; MIG needs one of: {mig_capable}"
    valid = ", ".join(acc.mig_profiles)
    if not layout:
        return f"the MIG layout is empty; give {acc.key} profiles with counts, from: {valid}"
    unknown = [name for name in layout if name not in acc.mig_profiles]
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        noun = "profile" if len(unknown) == 1 else "profiles"
        return f"{acc.key} has no MIG {noun} {names}; its profiles are: {valid}"
    for name, count in layout.items():
        profile = acc.mig_profiles[name]
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            return f"the count of {name} must be a whole number of at least 1, got {count!r}"
        if count > profile.max_count:
            return (f"{count} x {name} do not fit one {acc.key}: "
                    f"at most {profile.max_count} x {name} fit on one GPU")
    budgets = (
        ("compute", acc.compute_slices, lambda profile: profile.compute_slices),
        ("memory", acc.memory_slices, lambda profile: profile.memory_slices),
    )
    for kind, total, slices_of in budgets:
        used = sum(slices_of(acc.mig_profiles[name]) * count for name, count in layout.items())
        if used > total:
            parts = " + ".join(f"{count} x {name} at {slices_of(acc.mig_profiles[name])} each"
                               for name, count in layout.items())
            return f"the MIG layout takes {used} {kind} slices ({parts}) but one {acc.key} has {total}"
    return None


def mig_resource_name(profile: MigProfile | str) -> str:
    """The extended resource a pod requests for one instance of `profile` under the mixed strategy.

    `nvidia.com/mig-1g.10gb` (the NVIDIA device plugin with `MIG_STRATEGY=mixed`).
    """
    name = profile if isinstance(profile, str) else profile.name
    return f"nvidia.com/mig-{name}"


# --- Per cloud -------------------------------------------------------------------------------------
#
# Where each accelerator is sold outside EC2, and under which name. AWS stays in the Accelerator rows
# above (aws_gpu_name, aws_instance_types, hourly_price_usd) and in compiler/instance_types.py.
#
# Azure. VM sizes with NVIDIA GPUs that AKS node auto-provisioning (Karpenter's Azure provider) can
# launch with a managed driver: Azure/karpenter-provider-azure v1.14.2 (d1552b7e96e3)
# `pkg/utils/supported-gpus.yaml`. `karpenter.azure.com/sku-gpu-name` is the accelerator part of the
# VM size name as the provider parses it (`pkg/providers/instancetype/instancetype.go`
# setRequirementsGPU: `vmsize.AcceleratorType`; its tests expect "A100" for Standard_NC24ads_A100_v4),
# and `sku-gpu-count` the SKU's `GPUs` capability. The two A100s (40 GB ND96asr_v4, 80 GB
# ND96amsr_A100_v4 / NC*ads_A100_v4) and H100 80 GB SXM (ND96isr_H100_v5) vs H100 NVL 94 GB
# (NC*ads_H100_v5) share a sku-gpu-name, so pools also require the exact VM sizes below. GPU model,
# count, memory and NVLink per size: Azure's VM size docs (learn.microsoft.com/azure/virtual-machines/
# sizes/gpu-accelerated/: ncast4v3-series, nvadsa10v5-series, nca100v4-series, ndasra100v4-series,
# ndma100v4-series, ndh100v5-series, ndh200v5-series). NV*ads_A10_v5 below 36 vCPUs are fractions of
# one A10 (vGPU) and are left out.
#
# GCP. Compute Engine GPU machine types (cloud.google.com/compute/docs/gpus, "GPU machine types"):
# the accelerator is built into a2 (A100), a3 (H100/H200) and g2 (L4) machine types; T4 is attached
# to N1 machine types. `gke_accelerator` is the accelerator type GKE labels nodes with
# (`cloud.google.com/gke-accelerator`) and node pools declare (`guest_accelerator.type`).
# `mig_partitions` are the GKE `gpu_partition_size` values: GKE partitions every GPU of a node pool
# into one size (cloud.google.com/kubernetes-engine/docs/how-to/gpus-multi, "Multi-instance GPU
# partitions"), so a mixed layout is impossible there.
#
# Prices: USD per node-hour, on-demand, one reference region per cloud (CLOUD_PRICE_SOURCES); None
# where the source has no price for the region. Spot is not listed: the plan prices spot pools at the
# on-demand rate, the upper bound (compiler/plan/costs.py).

#: Clouds with a provisioner for node pools (`platform.cloud: generic` has none).
CLOUDS = ("aws", "azure", "gcp")

CLOUD_PRICE_SOURCES: Mapping[str, str] = MappingProxyType({
    "aws": "AWS us-east-1 on-demand, Linux: aws/karpenter-provider-aws "
           "pkg/providers/pricing/zz_generated.pricing_aws.go at commit 265ee0ba5b8e (generated "
           "2026-02-09T13:43:35Z from the AWS Price List API)",
    "azure": "Azure eastus on-demand, Linux: Azure/karpenter-provider-azure v1.14.2 (d1552b7e96e3) "
             "pkg/providers/pricing/zz_generated.pricing.go (generated 2026-06-18T03:43:41Z from the Azure "
             "Retail Prices API)",
    "gcp": "GCP us-central1 on-demand: cloudpilot-ai/karpenter-provider-gcp "
           "pkg/providers/pricing/initial-prices.json at commit 373e2baa9665 (2026-08-03, from the Cloud "
           "Billing Catalog API)",
})

#: The region each cloud's built-in prices are for.
PRICE_REGIONS: Mapping[str, str] = MappingProxyType({"aws": "us-east-1", "azure": "eastus", "gcp": "us-central1"})


class CloudMachine(NamedTuple):
    """One machine type / VM size with GPUs of one accelerator."""

    name: str                         # node.kubernetes.io/instance-type
    gpus: int                         # GPUs of the accelerator on it
    nvlink: bool                      # GPUs connected by NVLink/NVSwitch (False: PCIe only)
    hourly_price_usd: float | None    # the whole node, on-demand, PRICE_REGIONS[cloud]; None: no price there


class CloudGpu(NamedTuple):
    """One accelerator as one cloud sells it."""

    cloud: str
    gpu_name: str                        # azure: karpenter.azure.com/sku-gpu-name; gcp: gke-accelerator
    machines: tuple[CloudMachine, ...]   # smallest first
    mig_partitions: tuple[str, ...]      # MIG profiles this cloud's provisioner can set (all for azure)

    def machines_with(self, gpus: int) -> tuple[CloudMachine, ...]:
        return tuple(machine for machine in self.machines if machine.gpus == gpus)

    @property
    def gpu_counts(self) -> tuple[int, ...]:
        return tuple(sorted({machine.gpus for machine in self.machines}))


def _m(name: str, gpus: int, nvlink: bool, price: float | None) -> CloudMachine:
    return CloudMachine(name, gpus, nvlink, price)


_A100_40_GKE = ("1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb")
_A100_80_GKE = ("1g.10gb", "2g.20gb", "3g.40gb", "7g.80gb")
_H100_GKE = ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb")
_H200_GKE = ("1g.18gb", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb", "7g.141gb")

def _all_profiles(key: str) -> tuple[str, ...]:
    """Azure nodes are partitioned by the GPU Operator's MIG manager: every profile NVIDIA offers."""
    return tuple(ACCELERATORS[key].mig_profiles)


# (cloud, accelerator key) -> offering.
_OFFERINGS: Mapping[tuple[str, str], CloudGpu] = MappingProxyType({
    # Azure: prices from CLOUD_PRICE_SOURCES["azure"], region eastus.
    ("azure", "t4"): CloudGpu("azure", "T4", (
        _m("Standard_NC4as_T4_v3", 1, False, 0.526), _m("Standard_NC8as_T4_v3", 1, False, 0.752),
        _m("Standard_NC16as_T4_v3", 1, False, 1.204), _m("Standard_NC64as_T4_v3", 4, False, 4.352)), ()),
    ("azure", "a10"): CloudGpu("azure", "A10", (
        _m("Standard_NV36ads_A10_v5", 1, False, 3.20), _m("Standard_NV72ads_A10_v5", 2, False, 6.52)), ()),
    ("azure", "a100-40gb"): CloudGpu("azure", "A100", (_m("Standard_ND96asr_v4", 8, True, 27.197),),
                                     _all_profiles("a100-40gb")),
    ("azure", "a100-80gb"): CloudGpu("azure", "A100", (
        _m("Standard_NC24ads_A100_v4", 1, False, 3.673), _m("Standard_NC48ads_A100_v4", 2, False, 7.346),
        _m("Standard_NC96ads_A100_v4", 4, False, 14.692), _m("Standard_ND96amsr_A100_v4", 8, True, 32.77)),
        _all_profiles("a100-80gb")),
    ("azure", "h100-80gb"): CloudGpu("azure", "H100", (_m("Standard_ND96isr_H100_v5", 8, True, 98.32),),
                                     _all_profiles("h100-80gb")),
    # Not sold in eastus (the source prices it in other regions only): no price claimed.
    ("azure", "h200-141gb"): CloudGpu("azure", "H200", (_m("Standard_ND96isr_H200_v5", 8, True, None),),
                                      _all_profiles("h200-141gb")),
    # GCP: prices from CLOUD_PRICE_SOURCES["gcp"], region us-central1. T4: an N1 machine with attached
    # GPUs; the source prices the N1 machine only, not the GPUs, so no node price is claimed.
    ("gcp", "t4"): CloudGpu("gcp", "nvidia-tesla-t4", (
        _m("n1-standard-4", 1, False, None), _m("n1-standard-8", 1, False, None),
        _m("n1-standard-16", 2, False, None), _m("n1-standard-32", 4, False, None)), ()),
    ("gcp", "l4"): CloudGpu("gcp", "nvidia-l4", (
        _m("g2-standard-4", 1, False, 0.706832255), _m("g2-standard-8", 1, False, 0.853624271),
        _m("g2-standard-12", 1, False, 1.000416287), _m("g2-standard-16", 1, False, 1.147208303),
        _m("g2-standard-32", 1, False, 1.734376367), _m("g2-standard-24", 2, False, 2.000832574),
        _m("g2-standard-48", 4, False, 4.001665148), _m("g2-standard-96", 8, False, 8.003330296)), ()),
    ("gcp", "a100-40gb"): CloudGpu("gcp", "nvidia-tesla-a100", (
        _m("a2-highgpu-1g", 1, False, 3.673385), _m("a2-highgpu-2g", 2, True, 7.34677),
        _m("a2-highgpu-4g", 4, True, 14.69354), _m("a2-highgpu-8g", 8, True, 29.38708),
        _m("a2-megagpu-16g", 16, True, 55.739504)), _A100_40_GKE),
    ("gcp", "a100-80gb"): CloudGpu("gcp", "nvidia-a100-80gb", (
        _m("a2-ultragpu-1g", 1, False, 5.06879789041096), _m("a2-ultragpu-2g", 2, True, 10.1375957808219),
        _m("a2-ultragpu-4g", 4, True, 20.2751915616438), _m("a2-ultragpu-8g", 8, True, 40.5503831232877)),
        _A100_80_GKE),
    ("gcp", "h100-80gb"): CloudGpu("gcp", "nvidia-h100-80gb", (
        _m("a3-highgpu-1g", 1, False, 11.0612499878219), _m("a3-highgpu-2g", 2, True, 22.1224999756438),
        _m("a3-highgpu-4g", 4, True, 44.2449999512877), _m("a3-highgpu-8g", 8, True, 88.4899999025753)),
        _H100_GKE),
    ("gcp", "h200-141gb"): CloudGpu("gcp", "nvidia-h200-141gb", (_m("a3-ultragpu-8g", 8, True, None),),
                                    _H200_GKE),  # a3-ultragpu-8g: not in the source's us-central1 prices
})


def _aws_offering(acc: Accelerator) -> CloudGpu | None:
    from . import instance_types  # the EC2 table; imported here to keep the catalogue's import light

    rows = [row for name in acc.aws_instance_types if (row := instance_types.get(name)) is not None]
    if not rows:
        return None
    # EC2 prices come per GPU (hourly_price_usd); p4d/p4de/p5/p5e/p5en have NVSwitch between their 8 GPUs.
    return CloudGpu("aws", acc.aws_gpu_name or acc.key, tuple(
        CloudMachine(row.name, row.gpu_count, row.name.startswith("p") and row.gpu_count == 8,
                     round(acc.hourly_price_usd * row.gpu_count, 6)) for row in rows), tuple(acc.mig_profiles))


def offering(key: str, cloud: str) -> CloudGpu | None:
    """How `cloud` sells accelerator `key` (machine types, GPU name, MIG sizes); None: it does not."""
    if cloud == "aws":
        acc = ACCELERATORS.get(key)
        return _aws_offering(acc) if acc is not None else None
    return _OFFERINGS.get((cloud, key))


def offered_on(cloud: str) -> tuple[str, ...]:
    """The accelerator keys `cloud` sells, in catalogue order."""
    return tuple(key for key in ACCELERATORS if offering(key, cloud) is not None)
