"""Two environments of one system in one cluster do not overwrite each other's cluster-wide objects.

NodePools, EC2NodeClasses and NodeOverlays are cluster-scoped; the GPU Operator's ConfigMaps live in
its one namespace, and their keys are node-label values the whole cluster shares, as is the
`mlops.dev/node-pool` label pods select nodes by. Every one of them must differ between the
environments of a spec (compiler/naming.py `cluster_resource_name`), and pods must select the
names their environment's nodes carry.
"""
from __future__ import annotations

from itertools import combinations

import pytest

from backends.kubernetes import lower
from compiler.checked_spec import check_bytes
from compiler.overlays import environment_names
from compiler.loader import load_bytes
from tests.compile_support import CASES, EXAMPLE

GPU_OPERATOR = "gpu-operator"
LABELS = ("mlops.dev/node-pool", "nvidia.com/device-plugin.config", "nvidia.com/mig.config")
SHARED_VALUES = {"all-disabled"}  # a config every GPU Operator config has, not ours


def shared_names(objects: list[dict]) -> set[str]:
    """Every name, key and label value of one compile that the whole cluster shares."""
    names = set()
    for obj in objects:
        meta = obj["metadata"]
        if obj["kind"] in ("NodePool", "EC2NodeClass", "NodeOverlay"):
            names.add(f"{obj['kind']}/{meta['name']}")
        if obj["kind"] == "ConfigMap" and meta.get("namespace") == GPU_OPERATOR:
            names.add(f"ConfigMap/{GPU_OPERATOR}/{meta['name']}")
            names |= {f"key {key}" for key in obj.get("data") or {} if key != "config.yaml"}
        if obj["kind"] == "NodePool":
            labels = obj["spec"]["template"]["metadata"]["labels"]
            names |= {f"{label}={labels[label]}" for label in LABELS if labels.get(label, "all-disabled")
                      not in SHARED_VALUES}
    return names


def _environments(path) -> list[str]:
    return environment_names(load_bytes(path.read_bytes(), str(path)).data)


#: Every compiled test spec with two environments or more.
SPECS = [path for path in (EXAMPLE, *CASES) if len(_environments(path)) >= 2]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_environments_share_no_cluster_wide_name(path) -> None:
    raw = path.read_bytes()
    envs = _environments(path)
    names = {env: shared_names(lower(check_bytes(raw, str(path), env))) for env in envs}
    for first, second in combinations(envs, 2):
        assert not names[first] & names[second], f"{first} and {second} both create {sorted(names[first] & names[second])}"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_pods_select_the_pool_label_of_their_environment(env: str) -> None:
    objects = lower(check_bytes(EXAMPLE.read_bytes(), str(EXAMPLE), env))
    pools = {o["spec"]["template"]["metadata"]["labels"]["mlops.dev/node-pool"] for o in objects if o["kind"] == "NodePool"}
    selected = set()
    for obj in objects:
        spec = obj.get("spec") or {}
        predictor = spec.get("predictor") or {}
        selected |= set((predictor.get("nodeSelector") or {}).values())
        for template in spec.get("templates") or []:
            selected |= set((template.get("nodeSelector") or {}).values())
    assert selected and selected <= pools, sorted(selected - pools)
    assert all(value.startswith(f"fraud-{env}-") for value in selected)
