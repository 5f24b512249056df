"""A distributed pipeline step -> a Kubeflow Trainer TrainJob (trainer.kubeflow.org/v1alpha1, v2.3.0)
created by an Argo resource template.

- The TrainJob refers to a ClusterTrainingRuntime (`distributed.runtime`, default Trainer's
  `torch-distributed`, which must be installed: docs/llm.md); `trainer.numNodes` pods, one per node,
  each with `resourcesPerNode` (the step's `resources`, per node) and `numProcPerNode` torchrun
  processes. Trainer's torch plugin sets torchrun's rendezvous (PET_NNODES, PET_NPROC_PER_NODE,
  PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT: pkg/constants/constants.go), so the step's
  `torchrun ...` command needs no rendezvous flags.
- Placement and hardening go in one runtime patch (`runtimePatches`, keyed by manager) on the
  runtime's `node` replicated job and container: the pool's node selector and GPU toleration, the
  pod and container security contexts, /tmp, /dev/shm (NCCL and data loaders) and the user's
  volumes, the do-not-disrupt annotation, and the label of the NetworkPolicy that opens every port
  between the TrainJob's pods (rendezvous and NCCL pick ports at run time). Env goes in `trainer.env` only: Trainer's webhook refuses
  env in a patch of the `node` container (pkg/runtime/framework/plugins/jobset/jobset.go Validate).
- Queued pipelines: the `kueue.x-k8s.io/queue-name` label on the TrainJob; Kueue's TrainJob
  integration admits all its pods as one workload (gang) and suspends it until then.
- The Argo template creates the TrainJob with an owner reference to the Workflow (deleted with it)
  and waits on its conditions (Complete / Failed: pkg/apis/trainer/v1alpha1/trainjob_types.go).
  Argo parses the conditions as a label selector whose keys are gjson paths restricted to label-key
  characters (argo-workflows v4.1.2 workflow/executor/resource.go WaitResource, apimachinery
  labels.Parse), so no `#(type==...)` query: the terminal condition is read at its index. Trainer
  appends conditions in the order they first happen (meta.SetStatusCondition): a queued TrainJob is
  created suspended by Kueue, so `Suspended` is first and the terminal one second; an unqueued one
  never has `Suspended`, so the terminal one is first.
"""
from __future__ import annotations

from compiler import distributed_training as facts
from compiler.spec.pipelines import Pipeline, Step

from .argo import DO_NOT_DISRUPT
from .context import Context
from .labels import DOMAIN, PIPELINE_LABEL, labels as object_labels, selector_labels
from .pods import (container_resources, container_security_context, node_selector, pod_security_context,
                   tmp_mount, tmp_volume, tolerations)
from .queues import QUEUE_LABEL, local_queue_name
from .scheduling import merged_tolerations, node_affinity
from .units import seconds
from .workload_settings import (env_entries, grace_seconds, identity_pod_labels, image_pull_secrets,
                                volumes_and_mounts, workload_service_account)
from compiler.yaml_emitter import dump_document

#: Selected by the NetworkPolicy that lets the nodes of a TrainJob reach each other (namespace.py).
DISTRIBUTED_LABEL = f"{DOMAIN}/distributed-training"
API_VERSION = "trainer.kubeflow.org/v1alpha1"
KIND = "TrainJob"
RUNTIME_KIND = "ClusterTrainingRuntime"
#: The replicated job and container of Trainer's torch runtimes (manifests/base/runtimes/torch_distributed.yaml).
NODE = "node"
PATCH_MANAGER = f"{DOMAIN}/compiler"
CHECKPOINT_URI_ENV = "MLOPS_CHECKPOINT_URI"
CHECKPOINT_EVERY_ENV = "MLOPS_CHECKPOINT_EVERY_SECONDS"
#: Trainer v2.3.0 pkg/runtime/runtime.go names the JobSet after the TrainJob, and JobSet's webhook
#: keeps `<jobset>-<replicatedJob>-<index>` a DNS label: a short base leaves room for both.
NAME_BASE_MAX = 40


def checkpoint_env(step: Step) -> dict:
    """Where any step (distributed or not) checkpoints and how often: the program reads these."""
    if step.checkpoint is None:
        return {}
    env = {CHECKPOINT_URI_ENV: step.checkpoint.uri}
    if step.checkpoint.every is not None:
        env[CHECKPOINT_EVERY_ENV] = str(seconds(step.checkpoint.every))
    return env


def nccl_env(step: Step) -> dict:
    """NCCL's settings as written; nothing is guessed (an interface name depends on the CNI and instance)."""
    nccl = step.distributed.nccl
    env: dict = {}
    if nccl.socket_ifname is not None:
        env["NCCL_SOCKET_IFNAME"] = nccl.socket_ifname
    if nccl.debug is not None:
        env["NCCL_DEBUG"] = nccl.debug
    return env


def success_condition(queued: bool) -> str:
    index = 1 if queued else 0
    return f"status.conditions.{index}.type == Complete, status.conditions.{index}.status == True"


def failure_condition(queued: bool) -> str:
    # Failed may also come first (an unknown runtime is refused before any suspension).
    if queued:
        return "status.conditions.1.type == Failed"
    return "status.conditions.0.type == Failed"


def _runtime_patch(ctx: Context, pipeline_name: str, pipeline: Pipeline, step_name: str, step: Step) -> dict:
    runtime = step.runtime or pipeline.runtime
    resources = step.resources
    memory = container_resources(ctx, resources)["limits"]["memory"]
    volumes, mounts = volumes_and_mounts(step, resources, memory)
    pod: dict = {
        "serviceAccountName": workload_service_account(ctx, "training", runtime),
        "securityContext": pod_security_context(),
        "volumes": [tmp_volume(), *volumes],
        "containers": [{"name": NODE, "securityContext": container_security_context(),
                        "volumeMounts": [tmp_mount(), *mounts]}],
    }
    selector = node_selector(ctx, resources)
    if selector:
        pod["nodeSelector"] = selector
    affinity = node_affinity(step.scheduling)
    if affinity:
        pod["affinity"] = affinity
    toleration = merged_tolerations(tolerations(ctx, resources), step.scheduling)
    if toleration:
        pod["tolerations"] = toleration
    pull = image_pull_secrets(ctx, [runtime])
    if pull:
        pod["imagePullSecrets"] = pull
    grace = grace_seconds(step)
    if grace is not None:
        pod["terminationGracePeriodSeconds"] = grace
    pod_labels = {**selector_labels(ctx, "pipeline"), PIPELINE_LABEL: pipeline_name, DISTRIBUTED_LABEL: "true",
                  **identity_pod_labels(ctx, runtime)}
    template = {
        "metadata": {"labels": dict(sorted(pod_labels.items())), "annotations": {DO_NOT_DISRUPT: "true"}},
        "spec": pod,
    }
    return {"manager": PATCH_MANAGER, "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [
        {"name": NODE, "template": {"spec": {"template": template}}}]}}}}


def train_job(ctx: Context, pipeline_name: str, pipeline: Pipeline, step_name: str, step: Step, env: dict) -> dict:
    """The TrainJob one run of the step creates (its name generated per run)."""
    runtime = ctx.spec.runtimes[step.runtime or pipeline.runtime]
    queued = pipeline.queue is not None
    extra = {QUEUE_LABEL: local_queue_name(ctx, pipeline.queue)} if queued else {}
    base = ctx.name(pipeline_name, f"-{step_name}")[:NAME_BASE_MAX].rstrip("-") + "-"
    labels = {**object_labels(ctx, "pipeline", base.rstrip("-"), extra), PIPELINE_LABEL: pipeline_name}
    meta = {"generateName": base, "namespace": ctx.namespace, "labels": dict(sorted(labels.items())),
            "annotations": {f"{DOMAIN}/spec-path": f"pipelines.{pipeline_name}.steps.{step_name}"}}
    trainer: dict = {
        "image": runtime.image,
        "command": list(step.command),
        "numNodes": step.distributed.nodes,
        "numProcPerNode": facts.gpus_per_node(step),
        "resourcesPerNode": container_resources(ctx, step.resources),
    }
    if step.args:
        trainer["args"] = list(step.args)
    if env:
        trainer["env"] = env_entries(env)
    spec: dict = {"runtimeRef": {"apiGroup": "trainer.kubeflow.org", "kind": RUNTIME_KIND,
                                 "name": step.distributed.runtime}, "trainer": trainer,
                  "runtimePatches": [_runtime_patch(ctx, pipeline_name, pipeline, step_name, step)]}
    if step.timeout is not None:
        spec["activeDeadlineSeconds"] = seconds(step.timeout)
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": spec}


def resource_template(ctx: Context, pipeline_name: str, pipeline: Pipeline, step_name: str, step: Step,
                      env: dict) -> dict:
    """The Argo template that creates the TrainJob, owned by the Workflow, and waits for its end."""
    queued = pipeline.queue is not None
    job = train_job(ctx, pipeline_name, pipeline, step_name, step, {**nccl_env(step), **env})
    template: dict = {
        "name": step_name,
        "metadata": {"annotations": {f"{DOMAIN}/spec-path": f"pipelines.{pipeline_name}.steps.{step_name}"}},
        "resource": {
            "action": "create",
            "setOwnerReference": True,
            "manifest": dump_document(job),
            "successCondition": success_condition(queued),
            "failureCondition": failure_condition(queued),
        },
    }
    if step.retries:
        # A failed TrainJob (a node lost to spot reclamation past the Job's pod retries) is created
        # anew; the program resumes from MLOPS_CHECKPOINT_URI.
        template["retryStrategy"] = {"limit": step.retries, "retryPolicy": "Always",
                                     "backoff": {"duration": "1m", "factor": 2}}
    return template

