"""The accelerator catalogue, checked against NVIDIA's published MIG configurations, and its helpers.

The upstream checks read mig-parted's `config-default.yaml` and the GPU Operator's
`default-mig-parted-config` ConfigMap (the same configurations, as the operator deploys them)
from the shared upstream data; they skip, saying where to get it, when it is absent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler import gpu_catalogue
from compiler.gpu_catalogue import (
    ACCELERATORS,
    Accelerator,
    get,
    layout_problem,
    mig_resource_name,
    smallest_profile_fitting,
)
from tests.upstream import REPO_ROOT, SKIP_REASON, upstream_dir

GIB = 2**30

MIG_ACCELERATORS = [acc for acc in ACCELERATORS.values() if acc.mig_profiles]
PLAIN_ACCELERATORS = [acc for acc in ACCELERATORS.values() if not acc.mig_profiles]
MIG_PROFILES = [(acc, profile) for acc in MIG_ACCELERATORS for profile in acc.mig_profiles.values()]


def by_key(acc: Accelerator) -> str:
    return acc.key


# ---------------------------------------------------------------------------------------------
# NVIDIA's configurations
# ---------------------------------------------------------------------------------------------

# Where each copy of NVIDIA's MIG configurations lives in the upstream data, and the ConfigMap key
# that holds it (None: the file is the configuration itself). crds/SOURCES.md says where they came from.
NVIDIA_CONFIG_FILES = {
    "mig-parted": ("crds/nvidia.com/mig-parted-config.yaml", None),
    "gpu-operator": ("crds/nvidia.com/gpu-operator-default-mig-parted-config.configmap.yaml", "config.yaml"),
}
WHERE_TO_GET_IT = (
    "; the file is NVIDIA/mig-parted v0.15.0 deployments/systemd/config-default.yaml, "
    "or NVIDIA/gpu-operator v26.7.0 assets/state-mig-manager/0400_configmap.yaml (see crds/SOURCES.md)"
)


@pytest.fixture(scope="module", params=list(NVIDIA_CONFIG_FILES))
def nvidia_configs(request: pytest.FixtureRequest) -> Mapping[str, list[dict[str, Any]]]:
    """NVIDIA's `mig-configs`: configuration name -> its entries."""
    relative, configmap_key = NVIDIA_CONFIG_FILES[request.param]
    root = upstream_dir()
    if root is None:
        pytest.skip(SKIP_REASON + WHERE_TO_GET_IT)
    path = root / relative
    if not path.is_file():
        if os.environ.get("CI_REQUIRE_UPSTREAM") == "1":
            pytest.fail(f"{path} is missing{WHERE_TO_GET_IT}")
        pytest.skip(f"{path} is missing{WHERE_TO_GET_IT}")
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    if configmap_key is not None:
        document = yaml.load(document["data"][configmap_key], Loader=yaml.CSafeLoader)
    assert document["version"] == "v1"
    return document["mig-configs"]


def filter_ids(entry: Mapping[str, Any]) -> set[str] | None:
    """The PCI ids ("0x20B210DE") an entry's device-filter names; None when it has no filter."""
    ids = entry.get("device-filter")
    if ids is None:
        return None
    return {item.upper() for item in ([ids] if isinstance(ids, str) else ids)}


def pci_ids(acc: Accelerator) -> set[str]:
    """The accelerator's device ids as mig-parted writes them: device id + vendor id 10DE."""
    return {f"{device_id}10DE".upper() for device_id in acc.mig_device_ids}


def devices_for(configs: Mapping[str, list[dict[str, Any]]], name: str, acc: Accelerator) -> dict[str, int] | None:
    """The `mig-devices` that NVIDIA's configuration `name` puts on each GPU of `acc`.

    An entry whose device-filter names one of the accelerator's device ids wins; otherwise the entry
    without a device-filter, which mig-parted applies to every device. None: nothing applies;
    {} for a configuration that turns MIG off (all-disabled) or creates no instance (all-enabled).
    """
    entries = configs.get(name) or []
    ids = pci_ids(acc)
    filtered = [entry for entry in entries if (filter_ids(entry) or set()) & ids]
    assert len(filtered) <= 1, f"{name} has {len(filtered)} entries for the device ids of {acc.key}"
    unfiltered = [entry for entry in entries if filter_ids(entry) is None]
    chosen = filtered or unfiltered
    if not chosen:
        return None
    return dict(chosen[0].get("mig-devices") or {}) if chosen[0]["mig-enabled"] else {}


BASE_PROFILE = re.compile(r"([1-9][0-9]*)g\.([1-9][0-9]*)gb")  # not 1g.10gb+me, 1g.24gb-me, 2g.48gb+gfx


def nvidia_memory_slices(compute: int, memory_gb: int, acc: Accelerator) -> int | None:
    """The memory slices a profile named `<compute>g.<memory_gb>gb` takes on `acc`, if it can exist there.

    NVIDIA names a profile's memory as its share of the board, rounded to whole GB: k of the
    accelerator's memory slices are round(k * board GB / slices). By NVIDIA's MIG geometry a
    profile of c compute slices takes the smallest power of two >= c memory slices, and a 1g
    profile may take 2 (the 1g.10gb of an A100-40GB, the 1g.20gb of an A100-80GB).
    """
    board_gb, total = acc.memory_bytes // GIB, acc.memory_slices
    allowed = {1 << (compute - 1).bit_length()} | ({2} if compute == 1 else set())
    for slices in sorted(allowed):
        named_gb = (2 * slices * board_gb + total) // (2 * total)  # slices * board_gb / total, half up
        if slices <= total and named_gb == memory_gb:
            return slices
    return None


def nvidia_offers(configs: Mapping[str, list[dict[str, Any]]], acc: Accelerator) -> dict[str, int]:
    """Every base profile NVIDIA's configurations put on `acc`, with the count they put on one GPU.

    Most `all-<profile>` configurations have no device-filter (mig-parted applies them to every
    GPU and names the GPU only in a YAML comment), so a profile counts as offered on `acc` when a
    configuration that applies to `acc`'s devices names it, its name fits `acc`'s memory geometry
    (`nvidia_memory_slices`) and the configuration's count fits `acc`'s slices.
    """
    offered: dict[str, int] = {}
    for name in configs:
        for profile, count in (devices_for(configs, name, acc) or {}).items():
            match = BASE_PROFILE.fullmatch(profile)
            if not match:
                continue
            compute, memory_gb = int(match[1]), int(match[2])
            slices = nvidia_memory_slices(compute, memory_gb, acc)
            if slices is None or count * compute > acc.compute_slices or count * slices > acc.memory_slices:
                continue
            if name == f"all-{profile}":
                offered[profile] = count
            else:
                offered.setdefault(profile, 0)  # seen only in a mixed layout such as all-balanced
    return offered


@pytest.mark.parametrize(
    ("acc", "profile"), MIG_PROFILES, ids=[f"{acc.key}:{profile.name}" for acc, profile in MIG_PROFILES]
)
def test_profile_and_max_count_are_nvidias(nvidia_configs, acc, profile) -> None:
    config = f"all-{profile.name}"
    assert devices_for(nvidia_configs, config, acc) == {profile.name: profile.max_count}, (
        f"NVIDIA's {config} for {acc.key} (device ids {', '.join(acc.mig_device_ids)}) differs from the catalogue"
    )


@pytest.mark.parametrize("acc", MIG_ACCELERATORS, ids=by_key)
def test_nvidias_balanced_layout_fits(nvidia_configs, acc) -> None:
    layout = devices_for(nvidia_configs, "all-balanced", acc)
    assert layout, f"NVIDIA's all-balanced has no entry for the device ids of {acc.key}"
    assert layout_problem(acc, layout) is None


@pytest.mark.parametrize("acc", MIG_ACCELERATORS, ids=by_key)
def test_no_nvidia_profile_is_missing(nvidia_configs, acc) -> None:
    offered = nvidia_offers(nvidia_configs, acc)
    missing = sorted(set(offered) - set(acc.mig_profiles))
    assert not missing, f"NVIDIA offers {', '.join(missing)} on {acc.key}; add them to the catalogue"
    # The attribution rule above must find the catalogue's own profiles too, or it proves nothing.
    assert offered == {name: profile.max_count for name, profile in acc.mig_profiles.items()}


@pytest.mark.parametrize("acc", MIG_ACCELERATORS, ids=by_key)
def test_device_ids_are_grouped_as_nvidia_groups_them(nvidia_configs, acc) -> None:
    """Every device-filter that names one of the accelerator's ids names all of them."""
    ids = pci_ids(acc)
    seen = False
    for name, entries in nvidia_configs.items():
        for entry in entries:
            named = (filter_ids(entry) or set()) & ids
            if named:
                seen = True
                assert named == ids, f"{name} names only {sorted(named)} of {acc.key}'s device ids {sorted(ids)}"
    assert seen, f"no device-filter in NVIDIA's configurations names {acc.key}'s device ids {sorted(ids)}"


# ---------------------------------------------------------------------------------------------
# The table itself
# ---------------------------------------------------------------------------------------------

def test_catalogue_keys_in_spec_order() -> None:
    assert list(ACCELERATORS) == [
        "t4", "a10g", "a10", "l4", "l40s", "a30", "a100-40gb", "a100-80gb", "h100-80gb", "h200-141gb",
    ]
    assert all(key == acc.key for key, acc in ACCELERATORS.items())


@pytest.mark.parametrize(
    ("key", "memory_gib", "aws_gpu_name"),
    [
        ("t4", 16, "t4"),
        ("a10g", 24, "a10g"),
        ("l4", 24, "l4"),
        ("l40s", 48, "l40s"),
        ("a30", 24, None),
        ("a100-40gb", 40, "a100"),
        ("a100-80gb", 80, "a100"),
        ("h100-80gb", 80, "h100"),
        ("h200-141gb", 141, "h200"),
    ],
)
def test_memory_and_karpenter_gpu_name(key, memory_gib, aws_gpu_name) -> None:
    acc = get(key)
    assert acc.memory_bytes == memory_gib * GIB
    assert acc.aws_gpu_name == aws_gpu_name
    assert bool(acc.aws_instance_types) == (aws_gpu_name is not None)


@pytest.mark.parametrize(
    ("key", "instance_type"),
    [
        ("t4", "g4dn.xlarge"),
        ("a10g", "g5.xlarge"),
        ("l4", "g6.xlarge"),
        ("l40s", "g6e.xlarge"),
        ("a100-40gb", "p4d.24xlarge"),
        ("a100-80gb", "p4de.24xlarge"),
        ("h100-80gb", "p5.48xlarge"),
        ("h200-141gb", "p5e.48xlarge"),
        ("h200-141gb", "p5en.48xlarge"),
    ],
)
def test_typical_instance_types(key, instance_type) -> None:
    assert instance_type in get(key).aws_instance_types


def test_an_instance_type_has_one_accelerator() -> None:
    owners: dict[str, str] = {}
    for acc in ACCELERATORS.values():
        for instance_type in acc.aws_instance_types:
            assert owners.setdefault(instance_type, acc.key) == acc.key, f"{instance_type} listed twice"


def test_a_device_id_has_one_accelerator() -> None:
    owners: dict[str, str] = {}
    for acc in ACCELERATORS.values():
        for device_id in acc.mig_device_ids:
            assert re.fullmatch(r"0x[0-9A-F]{4}", device_id), device_id
            assert owners.setdefault(device_id, acc.key) == acc.key, f"{device_id} listed twice"


@pytest.mark.parametrize("acc", ACCELERATORS.values(), ids=by_key)
def test_price_is_a_plausible_gpu_hour(acc) -> None:
    assert 0.1 < acc.hourly_price_usd < 50


def test_get() -> None:
    assert get("a100-80gb") is ACCELERATORS["a100-80gb"]
    assert get("A100-80GB") is None
    assert get("v100") is None


def test_table_cannot_be_changed() -> None:
    acc = ACCELERATORS["a100-80gb"]
    with pytest.raises(TypeError):
        ACCELERATORS["v100"] = acc  # type: ignore[index]
    with pytest.raises(TypeError):
        acc.mig_profiles["9g.90gb"] = acc.mig_profiles["1g.10gb"]  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        acc.memory_bytes = 0  # type: ignore[misc]
    assert len({acc, ACCELERATORS["h100-80gb"]}) == 2  # hashable despite the mapping field


@pytest.mark.parametrize("acc", PLAIN_ACCELERATORS, ids=by_key)
def test_accelerator_without_mig_has_no_profiles(acc) -> None:
    assert acc.mig_profiles == {}
    assert (acc.compute_slices, acc.memory_slices, acc.mig_device_ids) == (0, 0, ())
    assert not acc.has_mig
    assert smallest_profile_fitting(acc, 1 * GIB) is None
    assert layout_problem(acc, {"1g.10gb": 1}) == (
        f"{acc.key} does not support MIG; MIG needs one of: a30, a100-40gb, a100-80gb, h100-80gb, h200-141gb"
    )


@pytest.mark.parametrize(
    ("key", "compute_slices", "memory_slices"),
    [("a30", 4, 4), ("a100-40gb", 7, 8), ("a100-80gb", 7, 8), ("h100-80gb", 7, 8), ("h200-141gb", 7, 8)],
)
def test_mig_geometry(key, compute_slices, memory_slices) -> None:
    acc = get(key)
    assert (acc.compute_slices, acc.memory_slices) == (compute_slices, memory_slices)


# Memory slices per profile: the "fraction of memory" columns of NVIDIA's MIG user guide.
NVIDIA_MEMORY_SLICES = {
    "a30": {"1g.6gb": 1, "2g.12gb": 2, "4g.24gb": 4},
    "a100-40gb": {"1g.5gb": 1, "1g.10gb": 2, "2g.10gb": 2, "3g.20gb": 4, "4g.20gb": 4, "7g.40gb": 8},
    "a100-80gb": {"1g.10gb": 1, "1g.20gb": 2, "2g.20gb": 2, "3g.40gb": 4, "4g.40gb": 4, "7g.80gb": 8},
    "h100-80gb": {"1g.10gb": 1, "1g.20gb": 2, "2g.20gb": 2, "3g.40gb": 4, "4g.40gb": 4, "7g.80gb": 8},
    "h200-141gb": {"1g.18gb": 1, "1g.35gb": 2, "2g.35gb": 2, "3g.71gb": 4, "4g.71gb": 4, "7g.141gb": 8},
}


@pytest.mark.parametrize("key", NVIDIA_MEMORY_SLICES)
def test_profiles_and_memory_slices(key) -> None:
    acc = get(key)
    assert {name: profile.memory_slices for name, profile in acc.mig_profiles.items()} == NVIDIA_MEMORY_SLICES[key]
    assert list(acc.mig_profiles) == list(NVIDIA_MEMORY_SLICES[key])  # smallest first


@pytest.mark.parametrize(
    ("acc", "profile"), MIG_PROFILES, ids=[f"{acc.key}:{profile.name}" for acc, profile in MIG_PROFILES]
)
def test_profile_fields_agree_with_its_name(acc, profile) -> None:
    compute, memory_gb = (int(part) for part in BASE_PROFILE.fullmatch(profile.name).groups())
    assert (profile.compute_slices, profile.memory_gb) == (compute, memory_gb)
    assert layout_problem(acc, {profile.name: profile.max_count}) is None  # the max count fits
    assert layout_problem(acc, {profile.name: profile.max_count + 1}) is not None


# ---------------------------------------------------------------------------------------------
# smallest_profile_fitting
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("key", "memory_gib", "expected"),
    [
        ("a100-80gb", 0, "1g.10gb"),
        ("a100-80gb", 5, "1g.10gb"),
        ("a100-80gb", 8.8, "1g.10gb"),     # 88 % of 10 GiB: the credited size, exactly
        ("a100-80gb", 9, "1g.20gb"),       # a 1g.10gb exposes 9.50 GiB, less CUDA's context
        ("a100-80gb", 15, "1g.20gb"),      # fewer compute slices than 2g.20gb, same memory
        ("a100-80gb", 20, "3g.40gb"),
        ("a100-80gb", 70, "7g.80gb"),
        ("a100-80gb", 71, None),
        ("a100-40gb", 4, "1g.5gb"),
        ("a100-40gb", 5, "1g.10gb"),
        ("a100-40gb", 30, "7g.40gb"),
        ("h100-80gb", 30, "3g.40gb"),
        ("h200-141gb", 15, "1g.18gb"),
        ("h200-141gb", 16, "1g.35gb"),     # a 1g.18gb exposes 16.00 GiB in all
        ("h200-141gb", 100, "7g.141gb"),
        ("a30", 5, "1g.6gb"),
        ("a30", 6, "2g.12gb"),
        ("a30", 24, None),
    ],
)
def test_smallest_profile_fitting(key, memory_gib, expected) -> None:
    profile = smallest_profile_fitting(get(key), int(memory_gib * GIB))
    assert (profile.name if profile else None) == expected


def test_smallest_profile_fitting_boundary() -> None:
    acc = get("a100-80gb")
    credited = acc.mig_profiles["1g.10gb"].usable_memory_bytes
    assert credited == 10 * GIB * 88 // 100
    assert smallest_profile_fitting(acc, credited).name == "1g.10gb"
    assert smallest_profile_fitting(acc, credited + 1).name == "1g.20gb"


def test_smallest_profile_fitting_rejects_negative_memory() -> None:
    with pytest.raises(ValueError, match="negative"):
        smallest_profile_fitting(get("a100-80gb"), -1)


@pytest.mark.parametrize(
    ("acc", "profile"), MIG_PROFILES, ids=[f"{acc.key}:{profile.name}" for acc, profile in MIG_PROFILES]
)
def test_credited_memory_is_below_the_nominal_share(acc, profile) -> None:
    share = acc.memory_bytes * profile.memory_slices // acc.memory_slices
    assert profile.usable_memory_bytes < min(share, profile.memory_gb * GIB)


# ---------------------------------------------------------------------------------------------
# layout_problem
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("key", "layout"),
    [
        ("a100-80gb", {"1g.10gb": 2, "2g.20gb": 1, "3g.40gb": 1}),  # the spec's example
        ("a100-80gb", {"4g.40gb": 1, "3g.40gb": 1}),
        ("a100-80gb", {"3g.40gb": 2}),
        ("a100-80gb", {"1g.20gb": 2, "2g.20gb": 1, "1g.10gb": 2}),
        ("a100-40gb", {"1g.10gb": 4}),
        ("h200-141gb", {"1g.35gb": 1, "1g.18gb": 5}),
        ("a30", {"2g.12gb": 1, "1g.6gb": 2}),
    ],
)
def test_layout_that_fits(key, layout) -> None:
    assert layout_problem(get(key), layout) is None


@pytest.mark.parametrize(
    ("key", "layout", "message"),
    [
        pytest.param(
            "a100-80gb", {"1g.10gb": 8},
            "8 x 1g.10gb do not fit one a100-80gb: at most 7 x 1g.10gb fit on one GPU",
            id="over-count",
        ),
        pytest.param(
            "a100-80gb", {"4g.40gb": 1, "2g.20gb": 2},
            "the MIG layout takes 8 compute slices (1 x 4g.40gb at 4 each + 2 x 2g.20gb at 2 each) "
            "but one a100-80gb has 7",
            id="too-many-compute-slices",
        ),
        pytest.param(
            "a100-80gb", {"3g.40gb": 2, "1g.10gb": 1},
            "the MIG layout takes 9 memory slices (2 x 3g.40gb at 4 each + 1 x 1g.10gb at 1 each) "
            "but one a100-80gb has 8",
            id="too-many-memory-slices",
        ),
        pytest.param(
            "a100-80gb", {"1g.20gb": 4, "1g.10gb": 1},
            "the MIG layout takes 9 memory slices (4 x 1g.20gb at 2 each + 1 x 1g.10gb at 1 each) "
            "but one a100-80gb has 8",
            id="double-memory-1g-profiles",
        ),
        pytest.param(
            "a30", {"4g.24gb": 1, "1g.6gb": 1},
            "the MIG layout takes 5 compute slices (1 x 4g.24gb at 4 each + 1 x 1g.6gb at 1 each) "
            "but one a30 has 4",
            id="a30-compute-slices",
        ),
        pytest.param(
            "a100-80gb", {"1g.5gb": 2, "2g.20gb": 1},
            "a100-80gb has no MIG profile '1g.5gb'; "
            "its profiles are: 1g.10gb, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb",
            id="unknown-profile",
        ),
        pytest.param(
            "h100-80gb", {"1g.10gb+me": 1, "2g.10gb": 1},
            "h100-80gb has no MIG profiles '1g.10gb+me', '2g.10gb'; "
            "its profiles are: 1g.10gb, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb",
            id="unknown-profiles",
        ),
        pytest.param(
            "a100-80gb", {},
            "the MIG layout is empty; give a100-80gb profiles with counts, from: "
            "1g.10gb, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb",
            id="empty",
        ),
        pytest.param(
            "a100-80gb", {"1g.10gb": 0},
            "the count of 1g.10gb must be a whole number of at least 1, got 0",
            id="zero-count",
        ),
    ],
)
def test_layout_problem(key, layout, message) -> None:
    assert layout_problem(get(key), layout) == message


# ---------------------------------------------------------------------------------------------
# Names and import cost
# ---------------------------------------------------------------------------------------------

def test_mig_resource_name() -> None:
    profile = get("a100-80gb").mig_profiles["1g.10gb"]
    assert mig_resource_name(profile) == "nvidia.com/mig-1g.10gb"
    assert mig_resource_name("3g.71gb") == "nvidia.com/mig-3g.71gb"


def test_imports_only_the_standard_library() -> None:
    """The catalogue is on the `mlops lint` hot path: importing it must not pull in a third-party module."""
    script = (
        "import sys, compiler; before = set(sys.modules); import compiler.gpu_catalogue; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    imported = {name.split(".")[0] for name in result.stdout.split()} - {"compiler"}
    assert imported <= set(sys.stdlib_module_names), sorted(imported - set(sys.stdlib_module_names))
    assert Path(gpu_catalogue.__file__).resolve().is_relative_to(REPO_ROOT)
