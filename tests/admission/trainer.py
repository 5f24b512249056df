"""Kubeflow Trainer (kubeflow/trainer v2.3.0): TrainJobs a distributed step's resource template creates.

The TrainJob webhook (pkg/webhooks/trainjob_webhook.go ValidateCreate) refuses a runtimeRef to a
runtime it does not know ("unsupported runtime"), then runs the runtime's plugins' Validate: the
torch plugin refuses torchrun's own variables in spec.trainer.env (pkg/runtime/framework/plugins/
torch/torch.go Validate, pkg/constants/constants.go TorchRunReservedEnvNames); the JobSet plugin
refuses a runtime patch whose manager is not a domain-prefixed path, that names a replicated job or
container the runtime does not have, or that sets env on the `node` container
(pkg/runtime/framework/plugins/jobset/jobset.go Validate). The runtime checked against is Trainer's
`torch-distributed` ClusterTrainingRuntime (manifests/base/runtimes/torch_distributed.yaml): one
replicated job `node` with one container `node`.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from . import Case, Objects, object_check

TRAINER = "kubeflow/trainer v2.3.0"
API = "trainer.kubeflow.org/v1alpha1"
#: manifests/base/runtimes/torch_distributed.yaml: replicated job -> its containers.
RUNTIMES = {("trainer.kubeflow.org", "ClusterTrainingRuntime", "torch-distributed"): {"node": {"node"}}}
TORCHRUN_RESERVED_ENV = {"PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"}
# apimachinery validation.IsDomainPrefixedPath: a DNS subdomain, then a path.
_DOMAIN_PREFIXED = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$")


def _runtime(obj: dict) -> dict | None:
    ref = (obj.get("spec") or {}).get("runtimeRef") or {}
    key = (ref.get("apiGroup", "trainer.kubeflow.org"), ref.get("kind", "ClusterTrainingRuntime"), ref.get("name"))
    return RUNTIMES.get(key)


@object_check("trainer-runtime-supported", kinds=("TrainJob",),
              source=f"{TRAINER} pkg/webhooks/trainjob_webhook.go: ValidateCreate (unsupported runtime)")
def runtime_supported(obj: dict, objects: Objects) -> Iterator[str]:
    """The runtimeRef names a runtime Trainer has (here: its default torch-distributed)."""
    if _runtime(obj) is None:
        yield f"spec.runtimeRef: unsupported runtime {(obj.get('spec') or {}).get('runtimeRef')}"


@object_check("trainer-torch-reserved-env", kinds=("TrainJob",),
              source=f"{TRAINER} pkg/runtime/framework/plugins/torch/torch.go: Validate (reserved envs)")
def torch_reserved_env(obj: dict, objects: Objects) -> Iterator[str]:
    """spec.trainer.env must not set torchrun's rendezvous variables: Trainer sets them."""
    env = ((obj.get("spec") or {}).get("trainer") or {}).get("env") or []
    reserved = sorted({e.get("name") for e in env} & TORCHRUN_RESERVED_ENV)
    if reserved:
        yield f"spec.trainer.env: must not have reserved envs, invalid envs configured: {reserved}"


@object_check("trainer-runtime-patches", kinds=("TrainJob",),
              source=f"{TRAINER} pkg/runtime/framework/plugins/jobset/jobset.go: Validate (runtimePatches)")
def runtime_patches(obj: dict, objects: Objects) -> Iterator[str]:
    """Each patch's manager is domain-prefixed; it patches only replicated jobs and containers of the
    runtime, and sets no env on the node container."""
    jobs = _runtime(obj) or {}
    for i, patch in enumerate((obj.get("spec") or {}).get("runtimePatches") or []):
        where = f"spec.runtimePatches[{i}]"
        if not _DOMAIN_PREFIXED.match(str(patch.get("manager", ""))):
            yield f"{where}.manager: {patch.get('manager')!r} is not a domain-prefixed path"
        spec = (((patch.get("trainingRuntimeSpec") or {}).get("template") or {}).get("spec") or {})
        for job in spec.get("replicatedJobs") or []:
            if job.get("name") not in jobs:
                yield f"{where}: must not have replicated job that doesn't exist in the runtime job template"
                continue
            pod = ((((job.get("template") or {}).get("spec") or {}).get("template") or {}).get("spec") or {})
            for kind in ("initContainers", "containers"):
                for container in pod.get(kind) or []:
                    if container.get("name") not in jobs[job["name"]]:
                        yield f"{where}: must not have container that doesn't exist in the runtime job {job['name']}"
                    elif container.get("env") and container.get("name") == "node":
                        yield f"{where}: must not have envs for the dataset-initializer, model-initializer, node containers"


def _job(env=None, runtime="torch-distributed", manager="mlops.dev/compiler", job="node", container="node",
         container_env=None) -> dict:
    node = {"name": container, "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}
    if container_env:
        node["env"] = container_env
    return {"apiVersion": API, "kind": "TrainJob", "metadata": {"name": "t-train", "namespace": "t"}, "spec": {
        "runtimeRef": {"name": runtime},
        "trainer": {"image": "img", "command": ["torchrun", "-m", "x"], "numNodes": 2,
                    "env": env or [{"name": "MLOPS_CHECKPOINT_URI", "value": "s3://b/c"}]},
        "runtimePatches": [{"manager": manager, "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [
            {"name": job, "template": {"spec": {"template": {"spec": {"containers": [node]}}}}}]}}}}]}}


CASES = [
    Case("trainer-runtime-supported", "a runtime Trainer does not ship", [_job(runtime="torch-elastic")]),
    Case("trainer-runtime-supported", "torch-distributed", [_job()], refused=False),
    Case("trainer-torch-reserved-env", "PET_NNODES set by hand", [_job(env=[{"name": "PET_NNODES", "value": "4"}])]),
    Case("trainer-torch-reserved-env", "NCCL and checkpoint variables",
         [_job(env=[{"name": "NCCL_DEBUG", "value": "WARN"}, {"name": "MLOPS_CHECKPOINT_URI", "value": "s3://b/c"}])],
         refused=False),
    Case("trainer-runtime-patches", "a manager without a domain", [_job(manager="mlops")]),
    Case("trainer-runtime-patches", "a replicated job the runtime lacks", [_job(job="launcher")]),
    Case("trainer-runtime-patches", "a container the runtime lacks", [_job(container="trainer")]),
    Case("trainer-runtime-patches", "env on the node container",
         [_job(container_env=[{"name": "NCCL_DEBUG", "value": "WARN"}])]),
    Case("trainer-runtime-patches", "mounts on the node container of the node job", [_job()], refused=False),
]
