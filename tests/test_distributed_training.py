"""Distributed training: a step with `distributed:` lowered to a Kubeflow Trainer TrainJob that an Argo
resource template creates, queued in Kueue, with NCCL and checkpoint settings; and what validation refuses."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backends.kubernetes import lower_files
from compiler.checked_spec import check_bytes
from compiler.diagnostics import SpecError

LLM = Path(__file__).resolve().parents[1] / "examples" / "llm" / "mlops.yaml"

BASE = """\
apiVersion: mlops/v1
kind: System
metadata: {name: t, namespace: t}
runtimes: {train: {image: "ghcr.io/acme/train@sha256:5e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d"}}
node_pools:
  h100: {accelerator: h100-80gb, gpus_per_node: 8, capacity: spot, nodes: {max: 4}, instance_types: [p5.48xlarge]}
  mig: {accelerator: h100-80gb, gpus_per_node: 8, sharing: {mig: {profile: 1g.10gb}}, nodes: {max: 4}}
  sliced: {accelerator: l4, gpus_per_node: 1, sharing: {time_slicing: {replicas: 4}}, nodes: {max: 4}}
  cpu: {nodes: {max: 4}, taint: false}
pipelines:
  finetune:
    runtime: train
    steps:
      train:
        command: [torchrun, -m, finetune]
        args: [--epochs, "3"]
        resources: {cpu: 64, memory: 1000Gi, gpu: 8, pool: h100}
        distributed: {nodes: 4}
"""


def _objects(text: str, env: str | None = None) -> list[dict]:
    files = lower_files(check_bytes(text.encode(), "mlops.yaml", env))
    return [o for objs in files.values() for o in objs]


def _template(objects: list[dict], pipeline: str, step: str) -> dict:
    workflow = next(o for o in objects if o["kind"] == "WorkflowTemplate" and o["metadata"]["name"].endswith(pipeline))
    return next(t for t in workflow["spec"]["templates"] if t["name"] == step)


def _job(template: dict) -> dict:
    return yaml.safe_load(template["resource"]["manifest"])


def _errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(SpecError) as raised:
        check_bytes(text.encode(), "mlops.yaml")
    return [(d.position.line, d.position.col, d.message) for d in raised.value.diagnostics]


def test_the_fine_tune_step_is_a_queued_two_node_trainjob_owned_by_the_workflow():
    template = _template(_objects(LLM.read_text(), "prod"), "finetune-chat", "finetune")
    resource = template["resource"]
    assert resource["action"] == "create" and resource["setOwnerReference"] is True
    # queued: Kueue creates it suspended, so Suspended is conditions[0] and the terminal one conditions[1]
    assert resource["successCondition"] == "status.conditions.1.type == Complete, status.conditions.1.status == True"
    assert resource["failureCondition"] == "status.conditions.1.type == Failed"
    assert template["retryStrategy"]["limit"] == 2
    job = _job(template)
    assert job["apiVersion"] == "trainer.kubeflow.org/v1alpha1" and job["kind"] == "TrainJob"
    assert job["metadata"]["generateName"] == "assist-finetune-chat-finetune-"
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "assist-assist-research"
    spec = job["spec"]
    assert spec["runtimeRef"] == {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime",
                                  "name": "torch-distributed"}
    trainer = spec["trainer"]
    assert (trainer["numNodes"], trainer["numProcPerNode"]) == (2, 8)
    assert trainer["command"] == ["torchrun", "-m", "assist.finetune"]
    assert trainer["resourcesPerNode"]["limits"] == {"cpu": "64", "memory": "1000Gi", "nvidia.com/gpu": 8}
    env = {e["name"]: e["value"] for e in trainer["env"]}
    assert env["MLOPS_CHECKPOINT_URI"] == "s3://acme-assist-checkpoints/finetune-chat"
    assert env["MLOPS_CHECKPOINT_EVERY_SECONDS"] == "1800"
    assert env["NCCL_SOCKET_IFNAME"] == "^lo,docker" and env["NCCL_DEBUG"] == "WARN"
    assert not {"PET_NNODES", "PET_NODE_RANK", "PET_MASTER_ADDR"} & set(env)   # Trainer sets torchrun's own
    assert spec["activeDeadlineSeconds"] == 36000
    (patch,) = spec["runtimePatches"]
    (node,) = patch["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"]
    assert node["name"] == "node"
    pod = node["template"]["spec"]["template"]
    assert pod["metadata"]["labels"]["mlops.dev/distributed-training"] == "true"
    assert pod["metadata"]["annotations"] == {"karpenter.sh/do-not-disrupt": "true"}
    assert pod["spec"]["nodeSelector"] == {"mlops.dev/node-pool": "assist-prod-h100-train"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["spec"]["tolerations"]
    (container,) = pod["spec"]["containers"]
    assert container["name"] == "node" and "env" not in container   # Trainer refuses env in the node patch
    assert {"name": "shm", "mountPath": "/dev/shm"} in container["volumeMounts"]


def test_an_unqueued_trainjob_waits_on_its_first_condition_and_carries_no_queue_label():
    template = _template(_objects(BASE), "finetune", "train")
    assert template["resource"]["successCondition"].startswith("status.conditions.0.type == Complete")
    assert template["resource"]["failureCondition"] == "status.conditions.0.type == Failed"
    assert "retryStrategy" not in template
    job = _job(template)
    assert "kueue.x-k8s.io/queue-name" not in job["metadata"]["labels"]
    assert job["spec"]["trainer"]["args"] == ["--epochs", "3"]
    assert (job["spec"]["trainer"]["numNodes"], job["spec"]["trainer"]["numProcPerNode"]) == (4, 8)
    assert "NCCL_SOCKET_IFNAME" not in {e["name"] for e in job["spec"]["trainer"]["env"]}   # never guessed


def test_the_executor_may_create_trainjobs_and_the_nodes_reach_each_other():
    objects = _objects(BASE)
    role = next(o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == "t-training")
    assert {"apiGroups": ["trainer.kubeflow.org"], "resources": ["trainjobs"],
            "verbs": ["create", "get", "list", "watch"]} in role["rules"]
    policy = next(o for o in objects if o["kind"] == "NetworkPolicy"
                  and o["metadata"]["name"].endswith("distributed-training"))
    peers = [{"podSelector": {"matchLabels": {"mlops.dev/distributed-training": "true"}}}]
    assert policy["spec"]["ingress"] == [{"from": peers}] and policy["spec"]["egress"] == [{"to": peers}]
    single = BASE.replace("        distributed: {nodes: 4}\n", "")
    objects = _objects(single)
    role = next(o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == "t-training")
    assert all("trainer.kubeflow.org" not in r["apiGroups"] for r in role["rules"])
    assert not any(o["kind"] == "NetworkPolicy" and o["metadata"]["name"].endswith("distributed-training")
                   for o in objects)
    assert "container" in _template(objects, "finetune", "train")


@pytest.mark.parametrize(("change", "where", "says"), [
    ("distributed: {nodes: 1}", (18, 30), "greater than or equal to 2"),
    ("distributed: {nodes: 5}", (18, 30), "pool 'h100' grows to 4"),
    ("distributed: {nodes: 2, gpus_per_node: 4}", (18, 48), "differs from the step's resources.gpu"),
    ("distributed: {nodes: 2}\n        env: {PET_NNODES: \"2\"}", (19, 15), "PET_NNODES is set by Kubeflow Trainer"),
    ("distributed: {nodes: 2}\n        env_from: [{secret: s}]", (19, 9), "no envFrom"),
])
def test_distributed_settings_trainer_cannot_run_are_refused_where_written(change, where, says):
    errors = _errors(BASE.replace("distributed: {nodes: 4}", change))
    assert any((line, col) == where and says in message for line, col, message in errors), errors


@pytest.mark.parametrize(("resources", "says"), [
    ("{cpu: 64, memory: 1000Gi, gpu: 16, pool: h100}", "16 GPUs per node, and pool 'h100''s nodes have 8"),
    ("{cpu: 4, memory: 16Gi, gpu: 1, pool: mig}", "shares its GPUs (mig)"),
    ("{cpu: 4, memory: 16Gi, gpu: 1, pool: sliced}", "shares its GPUs (time-slicing)"),
    ("{cpu: 4, memory: 16Gi, pool: cpu}", "pool 'cpu' has no GPUs"),
])
def test_a_distributed_step_needs_whole_gpus_of_an_exclusive_pool_that_fit_a_node(resources, says):
    text = BASE.replace("{cpu: 64, memory: 1000Gi, gpu: 8, pool: h100}", resources)
    errors = _errors(text)
    assert any(line == 17 and says in message for line, _, message in errors), errors


def test_a_single_node_step_on_spot_gets_its_checkpoint_location_too():
    text = BASE.replace("        distributed: {nodes: 4}\n",
                        "        checkpoint: {uri: \"s3://acme-checkpoints/ft\", every: 15m}\n")
    container = _template(_objects(text), "finetune", "train")["container"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["MLOPS_CHECKPOINT_URI"] == "s3://acme-checkpoints/ft" and env["MLOPS_CHECKPOINT_EVERY_SECONDS"] == "900"


def test_a_checkpoint_location_that_is_not_a_storage_uri_is_refused():
    text = BASE.replace("        distributed: {nodes: 4}\n", "        checkpoint: {uri: /mnt/ckpt}\n")
    errors = _errors(text)
    assert any(line == 18 and "checkpoint.uri" in message for line, _, message in errors), errors


QUEUED = BASE.replace("pipelines:\n", "platform:\n  queues:\n    research: {quotas: {h100: {gpus: 16}}}\n"
                                      "    other: {cohort: lab, quotas: {h100: {gpus: 8}}}\n"
                                      "    borrower: {cohort: lab, quotas: {h100: {gpus: 8, borrow: 8}}}\n"
                                      "pipelines:\n").replace("    runtime: train\n",
                                                              "    runtime: train\n    queue: research\n")


@pytest.mark.parametrize(("queue", "nodes", "refused"), [
    ("research", 2, False),   # 16 GPUs of its own
    ("research", 3, True),    # 24 > 16, no cohort to borrow from
    ("borrower", 2, False),   # 8 + borrow 8
    ("other", 2, False),      # no borrowing limit: the cohort's 16
    ("other", 3, True),
])
def test_a_queued_trainjob_must_fit_what_its_queue_can_ever_hold(queue, nodes, refused):
    text = QUEUED.replace("queue: research", f"queue: {queue}").replace("distributed: {nodes: 4}",
                                                                       f"distributed: {{nodes: {nodes}}}")
    if not refused:
        check_bytes(text.encode(), "mlops.yaml")
        return
    errors = _errors(text)
    assert any("Kueue admits the TrainJob whole or never" in message for _, _, message in errors), errors


def test_a_checkpoint_location_with_argo_template_braces_is_refused():
    text = BASE.replace("        distributed: {nodes: 4}\n",
                        "        checkpoint: {uri: \"s3://b/{{workflow.parameters.x}}\"}\n")
    assert any(line == 18 for line, _, _ in _errors(text))
