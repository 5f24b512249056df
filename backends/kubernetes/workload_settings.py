"""A workload's `env`, `env_from`, `volumes`, `shm_size`, `termination_grace_period` and identity -> pod fields.

Shared by endpoints, pipeline steps and monitor jobs (compiler/spec/containers.py). User volumes are
named `user-<name>` so they never meet the volumes the generated pods carry (`tmp`, `shm`, the
monitor configs). GPU workloads get a memory-backed /dev/shm by default: the container runtime's
default is 64 MiB, which PyTorch's DataLoader workers and NCCL exhaust (NCCL falls back or fails
with "unhandled system error"; docs/production.md).
"""
from __future__ import annotations

from decimal import Decimal

from compiler.spec.artifacts import Runtime
from compiler.spec.containers import ConfigMapKeyRef, SecretKeyRef, WorkloadSettings
from compiler.spec.resources import Resources
from compiler.spec.units import Quantity

from .context import Context
from .units import seconds

SHM_VOLUME = "shm"
SHM_MOUNT = "/dev/shm"
USER_VOLUME_PREFIX = "user-"
MIN_DEFAULT_SHM = 2**30
# Annotations and the pod label the three identity webhooks read.
AWS_ROLE = "eks.amazonaws.com/role-arn"
GCP_SERVICE_ACCOUNT = "iam.gke.io/gcp-service-account"
AZURE_CLIENT_ID = "azure.workload.identity/client-id"
AZURE_USE_LABEL = "azure.workload.identity/use"
#: The S3 annotations KServe's credential builder reads from a ServiceAccount beside the IRSA one
#: (kserve/kserve v0.20.0 pkg/credentials/s3/s3_secret.go InferenceServiceS3Secret*Annotation).
S3_ANNOTATIONS = {"endpoint": "serving.kserve.io/s3-endpoint", "region": "serving.kserve.io/s3-region",
                  "use_https": "serving.kserve.io/s3-usehttps", "verify_ssl": "serving.kserve.io/s3-verifyssl"}
#: Where KServe v0.20 runs LocalModelCache download jobs (config/configmap/inferenceservice.yaml
#: localModel.jobNamespace); the ServiceAccount a cache names is looked up there
#: (pkg/controller/v1alpha1/localmodelnode/controller.go injectCredentials).
MODEL_CACHE_JOB_NAMESPACE = "kserve-localmodel-jobs"


def env_entries(env: dict) -> list[dict]:
    """`env:` values -> EnvVar: a literal `value`, or `valueFrom` a Secret or ConfigMap key; sorted by name."""
    result = []
    for name in sorted(env):
        value = env[name]
        if isinstance(value, SecretKeyRef):
            result.append({"name": name, "valueFrom": {"secretKeyRef": {"name": value.secret[0],
                                                                        "key": value.secret[1]}}})
        elif isinstance(value, ConfigMapKeyRef):
            result.append({"name": name, "valueFrom": {"configMapKeyRef": {"name": value.config_map[0],
                                                                           "key": value.config_map[1]}}})
        else:
            result.append({"name": name, "value": value})
    return result


def env_from_entries(settings: WorkloadSettings) -> list[dict]:
    return [{"secretRef": {"name": s.secret}} if s.secret else {"configMapRef": {"name": s.config_map}}
            for s in settings.env_from]


def shm_bytes(settings: WorkloadSettings, resources: Resources, memory_limit: str) -> int:
    """The /dev/shm size: `shm_size`, else for GPU workloads a quarter of the memory limit (at least 1Gi); 0: none."""
    if settings.shm_size is not None:
        return int(settings.shm_size.value)
    if not resources.uses_gpu:
        return 0
    memory = Quantity.parse(memory_limit).value
    return max(MIN_DEFAULT_SHM, int(memory / Decimal(4)) // 2**20 * 2**20)


def volumes_and_mounts(settings: WorkloadSettings, resources: Resources, memory_limit: str) -> tuple[list, list]:
    """The pod volumes and container mounts of the user's `volumes` and the shared memory volume."""
    volumes, mounts = [], []
    shm = shm_bytes(settings, resources, memory_limit)
    if shm:
        volumes.append({"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": Quantity.of_bytes(shm).text}})
        mounts.append({"name": SHM_VOLUME, "mountPath": SHM_MOUNT})
    for name in sorted(settings.volumes):
        volume = settings.volumes[name]
        volume_name = USER_VOLUME_PREFIX + name
        if volume.pvc is not None:
            source = {"persistentVolumeClaim": {"claimName": volume.pvc, "readOnly": not volume.writable}}
        elif volume.config_map is not None:
            source = {"configMap": {"name": volume.config_map}}
        elif volume.secret is not None:
            source = {"secret": {"secretName": volume.secret, "defaultMode": 0o400}}
        else:
            empty = {"sizeLimit": volume.empty_dir.size.text}
            if volume.empty_dir.memory:
                empty["medium"] = "Memory"
            source = {"emptyDir": empty}
        volumes.append({"name": volume_name, **source})
        mounts.append({"name": volume_name, "mountPath": volume.mount, "readOnly": not volume.writable})
    return volumes, mounts


def grace_seconds(settings: WorkloadSettings) -> int | None:
    period = settings.termination_grace_period
    return None if period is None else seconds(period)


# --- identity ------------------------------------------------------------------------------------

def runtime_service_account_name(ctx: Context, runtime: str) -> str:
    """A runtime's own ServiceAccount (roles' are `<system>-<role>`, which never end in `-sa`)."""
    return ctx.name(runtime, "-sa")


def workload_service_account(ctx: Context, role: str, runtime: str | None) -> str:
    """The ServiceAccount a workload runs as: its runtime's own when it has one, else its role's."""
    if runtime is not None and ctx.spec.runtimes[runtime].service_account is not None:
        return runtime_service_account_name(ctx, runtime)
    return ctx.service_account(role)


def identity_annotations(runtime: Runtime) -> dict[str, str]:
    """The cloud identity and KServe storage annotations of a runtime's ServiceAccount."""
    account = runtime.service_account
    result = dict(account.annotations)
    if account.aws_role_arn:
        result[AWS_ROLE] = account.aws_role_arn
    if account.gcp_service_account:
        result[GCP_SERVICE_ACCOUNT] = account.gcp_service_account
    if account.azure_client_id:
        result[AZURE_CLIENT_ID] = account.azure_client_id
    if account.s3 is not None:
        for field, key in S3_ANNOTATIONS.items():
            value = getattr(account.s3, field)
            if value is not None:
                result[key] = ("1" if value else "0") if isinstance(value, bool) else value
    return dict(sorted(result.items()))


def identity_pod_labels(ctx: Context, runtime: str | None) -> dict[str, str]:
    """Azure Workload Identity's webhook mutates only pods labelled `azure.workload.identity/use: "true"`."""
    if runtime is None:
        return {}
    account = ctx.spec.runtimes[runtime].service_account
    return {AZURE_USE_LABEL: "true"} if account is not None and account.uses_azure else {}


def image_pull_secrets(ctx: Context, runtimes: list[str]) -> list[dict]:
    names = sorted({name for runtime in runtimes for name in ctx.spec.runtimes[runtime].image_pull_secrets})
    return [{"name": name} for name in names]
