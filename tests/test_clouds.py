"""Node pools per cloud (issue 18): the production example compiled for aws, azure and gcp; Azure NodePools and
AKSNodeClasses against their CRDs (CEL included); GKE node pools under Pulumi's mocks; what each cloud refuses;
`cloud: generic` unchanged; plan costs per cloud."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from backends.kubernetes import context_for, lower
from backends.kubernetes.gke import ACCELERATOR_LABEL, PARTITION_SIZE_LABEL, SHARING_STRATEGY_LABEL
from backends.pulumi.gke_node_pools import declare, gke_name, gke_node_pools
from compiler import gpu_catalogue
from compiler.checked_spec import check_bytes, check_file
from compiler.cli import main
from compiler.diagnostics import SpecError
from compiler.lint import lint
from compiler.plan.costs import pool_costs
from tests.conftest import REPO_ROOT
from tests.k8s_schemas import get_validator
from tests.pulumi_mocks import run_mocked

PRODUCTION = REPO_ROOT / "examples" / "production"
CASES = REPO_ROOT / "tests" / "cases"


def _edit_for(cloud: str, data: dict) -> None:
    """What a team moving the example to `cloud` changes: the cloud, and the names that are EC2's."""
    platform, pools = data["platform"], data["node_pools"]
    platform["cloud"] = cloud
    if cloud == "aws":
        return
    train, serve, mig, cpu = pools["gpu-train"], pools["gpu-serve"], pools["gpu-mig"], pools["cpu-general"]
    if cloud == "azure":
        train.update(instance_types=["Standard_ND96amsr_A100_v4"], zones=["eastus-1", "eastus-2"], image="Ubuntu2204")
        serve["accelerator"] = "t4"          # Azure sells no L4
        serve["instance_families"] = ["N"]
        mig["instance_types"] = ["Standard_ND96isr_H100_v5"]
        cpu["instance_types"] = ["Standard_D8s_v5"]
        platform["prices"] = {"t4": 0.5}
    else:
        platform["gke"] = {"cluster": "ml-prod", "location": "us-central1"}
        platform["gpu_operator"]["mig_strategy"] = "single"  # GKE advertises partitions as nvidia.com/gpu
        train.update(instance_types=["a2-ultragpu-8g"], zones=["us-central1-a"], image="COS_CONTAINERD",
                     capacity="spot")         # a GKE node pool is spot or not: no fallback
        del train["disruption"]               # no Karpenter
        del serve["instance_families"]        # one machine type per GKE node pool
        serve["instance_types"] = ["g2-standard-16"]
        mig.update(instance_types=["a3-highgpu-8g"], sharing={"mig": {"profile": "1g.10gb"}})
        cpu["instance_types"] = ["n2-standard-8"]
        # GKE partitions a node pool's GPUs into one size: the mixed layout becomes one pool per size.
        pools["gpu-mig-large"] = {"accelerator": "h100-80gb", "gpus_per_node": 8, "instance_types": ["a3-highgpu-8g"],
                                  "sharing": {"mig": {"profile": "3g.40gb"}}, "nodes": {"min": 0, "max": 1}}
        for pipeline in data.get("pipelines", {}).values():
            for step in pipeline["steps"].values():
                resources = step.get("resources") or {}
                if resources.get("pool") == "gpu-mig" and resources.get("gpu") == {"mig": "3g.40gb"}:
                    resources["pool"] = "gpu-mig-large"


def example_for(cloud: str, folder: Path) -> Path:
    yaml_rt = YAML()
    data = yaml_rt.load((PRODUCTION / "mlops.yaml").read_text(encoding="utf-8"))
    _edit_for(cloud, data)
    for name in ("mlops.lock", "contracts"):
        source = PRODUCTION / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    path = folder / "mlops.yaml"
    with path.open("w", encoding="utf-8") as f:
        yaml_rt.dump(data, f)
    return path


def _kinds(objects: list[dict]) -> set[str]:
    return {o["kind"] for o in objects}


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_the_production_example_compiles_lints_and_validates_for_each_cloud(cloud, tmp_path) -> None:
    spec = example_for(cloud, tmp_path)
    assert main(["compile", str(spec), "--env", "prod", "-o", str(tmp_path / "build"), "--backend", "all"]) == 0
    checked = check_file(str(spec), "prod")
    errors = [f for f in lint(checked, None) if f.severity == "error" and f.code.startswith(("GPU", "SCHED"))]
    assert not errors, errors
    pools = yaml.safe_load_all((tmp_path / "build" / "prod" / "manifests" / "node-pools.yaml").read_text())
    objects = [o for o in pools if o]
    validator = get_validator(checked.spec.platform.kubernetes)
    problems = [problem for obj in objects for problem in validator.validate(obj)]
    assert not problems, problems
    program = (tmp_path / "build" / "prod" / "pulumi" / "__main__.py").read_text(encoding="utf-8")
    if cloud == "aws":
        assert {"NodePool", "EC2NodeClass", "NodeOverlay"} <= _kinds(objects)
        assert "gcp.container.NodePool" not in program
    elif cloud == "azure":
        assert {"NodePool", "AKSNodeClass", "NodeOverlay"} <= _kinds(objects) and "EC2NodeClass" not in _kinds(objects)
        for pool in (o for o in objects if o["kind"] == "NodePool"):
            assert pool["spec"]["template"]["spec"]["nodeClassRef"]["kind"] == "AKSNodeClass"
    else:
        assert not {"NodePool", "EC2NodeClass", "AKSNodeClass", "NodeOverlay", "ConfigMap"} & _kinds(objects), \
            "GKE shares GPUs on the node pool: no Karpenter objects, no device-plugin or MIG ConfigMaps"
        data = json.loads((tmp_path / "build" / "prod" / "pulumi" / "resources.json").read_text(encoding="ascii"))
        assert "gcp.container.NodePool(" in program and len(data["gke_node_pools"]) == 5
        requirements = (tmp_path / "build" / "prod" / "pulumi" / "requirements.txt").read_text()
        assert "pulumi-gcp" in requirements


def test_azure_node_pools_use_azure_labels_and_exact_vm_sizes() -> None:
    objects = lower(check_file(str(CASES / "azure-gpu-pools.yaml")))
    pools = {o["metadata"]["name"]: o for o in objects if o["kind"] == "NodePool"}
    requirements = {name: {r["key"]: r["values"] for r in pool["spec"]["template"]["spec"]["requirements"]}
                    for name, pool in pools.items()}
    a100 = requirements["vision-a100-mig"]
    assert a100["karpenter.azure.com/sku-gpu-name"] == ["A100"] and a100["karpenter.azure.com/sku-gpu-count"] == ["1"]
    assert a100["node.kubernetes.io/instance-type"] == ["Standard_NC24ads_A100_v4"]  # not the 40 GB ND96asr_v4
    assert requirements["vision-t4-shared"]["karpenter.sh/capacity-type"] == ["on-demand", "spot"]
    assert requirements["vision-t4-shared"]["topology.kubernetes.io/zone"] == ["eastus-1", "eastus-2"]
    assert requirements["vision-cpu"]["karpenter.azure.com/sku-family"] == ["D", "E"]
    budgets = pools["vision-a100-mig"]["spec"]["disruption"]["budgets"]
    assert budgets == [{"nodes": "0", "schedule": "@daily", "duration": "8h", "reasons": ["Underutilized"]}]
    classes = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "AKSNodeClass"}
    assert classes["vision-a100-mig"]["osDiskSizeGB"] == 256 and classes["vision-a100-mig"]["gpu"] == {"mode": "Driver"}
    assert "gpu" not in classes["vision-cpu"]
    # The GPU Operator still shares the GPUs on Azure.
    assert {o["metadata"]["name"] for o in objects if o["kind"] == "ConfigMap"} >= {
        "vision-device-plugin-config", "vision-mig-parted-config"}


def test_an_a100_40gb_pool_on_azure_does_not_require_a_gpu_name_the_size_lacks() -> None:
    text = (CASES / "azure-gpu-pools.yaml").read_text().replace("accelerator: h100-80gb", "accelerator: a100-40gb") \
        .replace("[Standard_ND96isr_H100_v5]", "[Standard_ND96asr_v4]")
    objects = lower(check_bytes(text.encode(), "mlops.yaml"))
    pool = next(o for o in objects if o["kind"] == "NodePool" and o["metadata"]["name"] == "vision-h100-train")
    keys = {r["key"] for r in pool["spec"]["template"]["spec"]["requirements"]}
    assert "karpenter.azure.com/sku-gpu-name" not in keys and "node.kubernetes.io/instance-type" in keys


def test_gcp_pods_select_the_gke_labels_and_get_no_sharing_configs() -> None:
    objects = lower(check_file(str(CASES / "gcp-gke-pools.yaml")))
    assert not [o for o in objects if o["kind"] in ("ConfigMap", "NodePool", "NodeOverlay")
                and o["metadata"].get("namespace") in (None, "gpu-operator")]
    isvcs = {o["metadata"]["name"]: o for o in objects if o["kind"] == "InferenceService"}
    shared = isvcs["vision-detect"]["spec"]["predictor"]["nodeSelector"]
    assert shared[ACCELERATOR_LABEL] == "nvidia-l4" and shared[SHARING_STRATEGY_LABEL] == "time-sharing"
    assert shared["cloud.google.com/gke-max-shared-clients-per-gpu"] == "4"
    mig = isvcs["vision-detect-mig"]["spec"]["predictor"]
    assert mig["nodeSelector"][PARTITION_SIZE_LABEL] == "1g.10gb"
    limits = (mig.get("model") or mig["containers"][0])["resources"]["limits"]
    assert limits["nvidia.com/gpu"] == 1  # GKE advertises a partition as one nvidia.com/gpu


def test_gke_node_pools_register_under_pulumi_mocks() -> None:
    ctx = context_for(check_file(str(CASES / "gcp-gke-pools.yaml")))
    run = run_mocked(lambda: declare(gke_node_pools(ctx)), stack="base")
    registered = {r.name: r.inputs for r in run.mocks.registrations if r.type == "gcp:container/nodePool:NodePool"}
    assert set(registered) == {f"gke-node-pool/vision-{name}" for name in ("a100-mig", "cpu", "l4-mps", "l4-shared")}
    shared = registered["gke-node-pool/vision-l4-shared"]
    assert (shared["cluster"], shared["location"], shared["project"]) == ("ml-prod", "us-central1", "acme-ml-prod")
    assert shared["autoscaling"] == {"minNodeCount": 1, "maxNodeCount": 4}
    assert shared["nodeLocations"] == ["us-central1-a", "us-central1-b"]
    config = shared["nodeConfig"]
    assert config["machineType"] == "g2-standard-16" and config["spot"] is True
    assert config["labels"] == {"mlops.dev/node-pool": "vision-l4-shared"}
    assert config["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    accelerator = config["guestAccelerators"][0]
    assert accelerator["type"] == "nvidia-l4" and accelerator["count"] == 1
    assert accelerator["gpuSharingConfig"] == {"gpuSharingStrategy": "TIME_SHARING", "maxSharedClientsPerGpu": 4}
    assert accelerator["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "DEFAULT"}
    mps = registered["gke-node-pool/vision-l4-mps"]["nodeConfig"]
    assert mps["guestAccelerators"][0]["gpuSharingConfig"]["gpuSharingStrategy"] == "MPS"
    assert mps["imageType"] == "UBUNTU_CONTAINERD"
    mig = registered["gke-node-pool/vision-a100-mig"]["nodeConfig"]
    assert mig["guestAccelerators"][0]["gpuPartitionSize"] == "1g.10gb"
    assert mig["machineType"] == "a2-ultragpu-1g" and mig["diskSizeGb"] == 256
    cpu = registered["gke-node-pool/vision-cpu"]["nodeConfig"]
    assert "guestAccelerators" not in cpu and "taints" not in cpu


def test_gke_names_fit_in_forty_characters() -> None:
    assert gke_name("short") == "short"
    long = gke_name("a-very-long-system-name-prod-with-a-long-pool-name")
    assert len(long) <= 40 and long != gke_name("a-very-long-system-name-prod-with-a-long-pool-nameX")


GCP_HEAD = """apiVersion: mlops/v1
kind: System
metadata: {name: t, namespace: t}
platform: {cloud: %s}
runtimes: {serve: {image: ghcr.io/acme/serve:1.0.0}}
node_pools:
  p: %s
"""


@pytest.mark.parametrize(("cloud", "pool", "position", "words"), [
    ("gcp, gke: {cluster: ml, location: us-central1}", "{accelerator: l4, capacity: spot-or-on-demand, nodes: {max: 1}}",
     (7, 34), "either spot or on-demand"),
    ("gcp, gke: {cluster: ml, location: us-central1}", "{instance_families: [g2], nodes: {max: 1}}", (7, 26),
     "exactly one machine type"),
    ("gcp, gke: {cluster: ml, location: us-central1}", "{instance_types: [n2-standard-4, n2-standard-8], nodes: {max: 1}}",
     (7, 39), "exactly one machine type"),
    ("gcp, gke: {cluster: ml, location: us-central1}", "{disruption: {budgets: [{nodes: '1'}]}, nodes: {max: 1}}",
     (7, 19), "Karpenter's"),
    ("gcp", "{nodes: {max: 1}}", (4, 19), "platform.gke does not say which"),
    ("azure", "{image: Ubuntu1804, nodes: {max: 1}}", (7, 14), "not an AKSNodeClass image family"),
    ("aws", "{image: ami-0123456789abcdef0, nodes: {max: 1}}", (7, 14), "not an EC2NodeClass AMI alias"),
    ("aws", "{instance_families: [G6], nodes: {max: 1}}", (7, 27), "not an EC2 instance family"),
    ("generic", "{zones: [a-1], nodes: {max: 1}}", (7, 14), "would do nothing"),
    ("generic", "{capacity: spot-or-on-demand, nodes: {max: 1}}", (7, 17), "no provisioner falls back"),
])
def test_what_a_cloud_cannot_do_is_refused_at_its_position(cloud, pool, position, words) -> None:
    with pytest.raises(SpecError) as error:
        check_bytes((GCP_HEAD % (cloud, pool)).encode(), "mlops.yaml")
    diagnostics = error.value.diagnostics
    assert any(words in d.message and (d.position.line, d.position.col) == position for d in diagnostics), \
        [(d.position, d.message) for d in diagnostics]


def test_cloud_generic_stays_what_it_was() -> None:
    """generic: no provisioner objects, only the GPU Operator's sharing configs and the labels pods select."""
    objects = lower(check_file(str(CASES / "time-sliced-pool.yaml")))
    kinds = _kinds(o for o in objects if o["metadata"].get("labels", {}).get("app.kubernetes.io/component")
                   == "node-pool")
    assert kinds - {"LocalModelNodeGroup"} == {"ConfigMap"}  # the model cache's node group is KServe's
    assert "generic" in (REPO_ROOT / "docs" / "clouds.md").read_text(encoding="utf-8")
    assert gke_node_pools(context_for(check_file(str(CASES / "time-sliced-pool.yaml")))) == []


@pytest.mark.parametrize(("cloud", "accelerator", "gpus", "price"), [
    ("azure", "a100-80gb", 1, 3.673), ("azure", "h100-80gb", 8, 98.32), ("gcp", "l4", 1, 0.706832255),
    ("gcp", "h100-80gb", 8, 88.4899999025753), ("aws", "h100-80gb", 8, 55.04), ("generic", "h100-80gb", 8, 55.04),
])
def test_plan_prices_a_pool_with_its_clouds_machine(cloud, accelerator, gpus, price) -> None:
    platform = cloud + (", gke: {cluster: ml, location: us-central1}" if cloud == "gcp" else "")
    spec = check_bytes((GCP_HEAD % (platform, f"{{accelerator: {accelerator}, gpus_per_node: {gpus}, "
                                              "nodes: {min: 1, max: 2}}")).encode(), "mlops.yaml").spec
    cost = pool_costs(spec)["p"]
    assert cost.price.per_node_hour == pytest.approx(price)
    assert cost.monthly_max == round(2 * price * 730, 2)


def test_a_machine_without_a_sourced_price_is_unknown_not_guessed() -> None:
    spec = check_bytes((GCP_HEAD % ("gcp, gke: {cluster: ml, location: us-central1}",
                                    "{accelerator: t4, nodes: {max: 2}}")).encode(), "mlops.yaml").spec
    price = pool_costs(spec)["p"].price
    assert price.per_node_hour is None and "platform.prices.t4" in price.basis


def test_catalogue_per_cloud_is_consistent() -> None:
    """Every offering's machines have the accelerator in a count GKE/Azure sell, and MIG sizes are NVIDIA's."""
    for cloud in gpu_catalogue.CLOUDS:
        assert cloud in gpu_catalogue.CLOUD_PRICE_SOURCES and cloud in gpu_catalogue.PRICE_REGIONS
        for key in gpu_catalogue.offered_on(cloud):
            offer = gpu_catalogue.offering(key, cloud)
            acc = gpu_catalogue.get(key)
            assert offer.machines and all(m.gpus >= 1 for m in offer.machines)
            assert set(offer.mig_partitions) <= set(acc.mig_profiles), (cloud, key)
            assert bool(offer.mig_partitions) == acc.has_mig or cloud == "gcp" and not acc.has_mig
            for machine in offer.machines:
                if cloud == "azure" and machine.name.startswith("Standard_ND"):
                    assert machine.nvlink  # ND sizes: NVLink/NVSwitch between all 8 GPUs
                if machine.gpus == 1:
                    assert not machine.nvlink
    # The two A100s and H100s are told apart by their exact VM sizes on Azure.
    azure = {key: {m.name for m in gpu_catalogue.offering(key, "azure").machines}
             for key in gpu_catalogue.offered_on("azure")}
    assert not azure["a100-40gb"] & azure["a100-80gb"]


def test_instance_families_narrow_what_the_pool_launches() -> None:
    """The example's gpu-serve asks for family g6: the lint's instance types and the NodePool agree (no gr6)."""
    from compiler import capacity

    spec = check_file(str(PRODUCTION / "mlops.yaml")).spec
    launchable = capacity.launchable_instance_types(spec.node_pools["gpu-serve"])
    assert launchable and {row.family for row in launchable} == {"g6"}
    pool = next(o for o in lower(check_file(str(PRODUCTION / "mlops.yaml")))
                if o["kind"] == "NodePool" and o["metadata"]["name"].endswith("gpu-serve"))
    requirements = {r["key"]: r["values"] for r in pool["spec"]["template"]["spec"]["requirements"]}
    assert requirements["karpenter.k8s.aws/instance-family"] == ["g6"]


def test_the_plan_names_each_clouds_machine_and_region() -> None:
    spec = check_file(str(CASES / "gcp-gke-pools.yaml")).spec
    basis = pool_costs(spec)["l4-shared"].price.basis
    assert basis.startswith("g2-standard-16 (1 × l4, gcp us-central1)")


def test_azure_nodepools_are_checked_with_the_azure_providers_cel_rules() -> None:
    """The Azure provider's NodePool CRD restricts its own label domain; the AWS copy does not know it."""
    objects = lower(check_file(str(CASES / "azure-gpu-pools.yaml")))
    pool = next(o for o in objects if o["kind"] == "NodePool")
    validator = get_validator("1.31")
    assert validator.validate(pool) == []
    pool["spec"]["template"]["spec"]["requirements"].append(
        {"key": "karpenter.azure.com/made-up", "operator": "In", "values": ["x"]})
    assert any('label domain "karpenter.azure.com" is restricted' in e for e in validator.validate(pool))
