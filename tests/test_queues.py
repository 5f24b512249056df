"""GPU queues: `platform.queues` lowered to Kueue, and the pipeline steps submitted to them."""
from __future__ import annotations

from pathlib import Path

import yaml

from backends.kubernetes import lower_files
from compiler.checked_spec import check_bytes

LLM = Path(__file__).resolve().parents[1] / "examples" / "llm" / "mlops.yaml"


def objects(env: str | None = None) -> list[dict]:
    files = lower_files(check_bytes(LLM.read_bytes(), str(LLM), env))
    return [o for objs in files.values() for o in objs]


def find(objs: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def test_one_flavor_per_queued_gpu_pool_selecting_the_pools_nodes():
    objs = objects("prod")
    flavors = [o for o in objs if o["kind"] == "ResourceFlavor"]
    assert [f["metadata"]["name"] for f in flavors] == ["assist-prod-h100-train"]
    pool = find(objs, "NodePool", "assist-prod-h100-train")
    assert flavors[0]["spec"]["nodeLabels"] == {"mlops.dev/node-pool": "assist-prod-h100-train"}
    assert pool["spec"]["template"]["metadata"]["labels"]["mlops.dev/node-pool"] == "assist-prod-h100-train"


def test_cluster_queues_quote_gpus_and_their_share_of_the_instance_and_borrow_in_their_cohort():
    queue = find(objects("prod"), "ClusterQueue", "assist-prod-assist-research")
    assert queue["spec"]["cohortName"] == "assist-prod-gpu-training"
    assert queue["spec"]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "assist-ml"}}
    group = queue["spec"]["resourceGroups"][0]
    assert group["coveredResources"] == ["cpu", "memory", "ephemeral-storage", "nvidia.com/gpu"]
    # 16 GPUs = two p5.48xlarge: 2 x 192 vCPUs, 2 x 2 TiB, 2 x the pool's 200 GiB root disk
    assert group["flavors"][0]["resources"] == [
        {"name": "cpu", "nominalQuota": "384"}, {"name": "memory", "nominalQuota": "4Ti"},
        {"name": "ephemeral-storage", "nominalQuota": "400Gi"},
        {"name": "nvidia.com/gpu", "nominalQuota": 16, "borrowingLimit": 16}]
    other = find(objects("prod"), "ClusterQueue", "assist-prod-search-research")
    assert "borrowingLimit" not in other["spec"]["resourceGroups"][0]["flavors"][0]["resources"][3]


def test_only_the_gpu_steps_of_a_queued_pipeline_wait_in_its_local_queue():
    objs = objects()
    local = find(objs, "LocalQueue", "assist-assist-research")
    assert local["metadata"]["namespace"] == "assist-ml" and local["spec"]["clusterQueue"] == "assist-assist-research"
    templates = {t["name"]: t for t in find(objs, "WorkflowTemplate", "assist-finetune-chat")["spec"]["templates"]}
    # the multi-node fine-tune step is a TrainJob: the queue label is on it (one Kueue workload)
    job = yaml.safe_load(templates["finetune"]["resource"]["manifest"])
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "assist-assist-research"
    assert "labels" not in templates["prepare"]["metadata"]


def test_no_queues_no_kueue_objects():
    text = LLM.read_text()
    start = text.index("  queues:")
    end = text.index("  alerts:")
    text = text[:start] + text[end:]
    text = text.replace("    queue: assist-research              # its GPU steps wait for quota in Kueue\n", "")
    files = lower_files(check_bytes(text.encode(), str(LLM)))
    assert not any(o["kind"].endswith("Queue") or o["kind"] == "ResourceFlavor" for objs in files.values() for o in objs)
