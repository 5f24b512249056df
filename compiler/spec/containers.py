"""What a workload's container is given besides its image: environment, volumes, shared memory, grace period.

Shared by endpoints (`serving.*`), pipeline steps (`pipelines.*.steps.*`) and monitor jobs
(`monitoring.*`). The field names are the same in all three; the rules come from what the API
server refuses (kubernetes v1.31 pkg/apis/core/validation/validation.go: validateEnv,
validateVolumes, validateVolumeMounts) and from the paths the generated pods already use.
"""

import re
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, field_validator, model_validator
from pydantic.functional_validators import PlainValidator
from pydantic_core import PydanticCustomError

from .base import DNS_LABEL, EnvName, Name, SpecModel, empty_dict, empty_list
from .units import Duration, Quantity

# A Secret or ConfigMap name is a DNS-1123 subdomain (ValidateSecretName, ValidateConfigMapName); a
# key is IsConfigMapKey: [-._a-zA-Z0-9]+, at most 253 characters, not `.`/`..`.
_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_KEY = r"[-._a-zA-Z0-9]+"
OBJECT_KEY_REF = re.compile(f"(?P<name>{_SUBDOMAIN})/(?P<key>{_KEY})")
OBJECT_NAME = re.compile(_SUBDOMAIN)

#: Paths the generated pods mount themselves: a user volume there would hide ours or be refused.
RESERVED_MOUNTS = {
    "/tmp": "the read-only root filesystem's writable /tmp (an emptyDir every generated pod has)",
    "/mnt/models": "where KServe's storage initializer puts the model (constants.go DefaultModelLocalMountPath)",
    "/dev/shm": "the shared memory volume: set `shm_size` instead",
    "/var/run/secrets/kubernetes.io": "the service account token (kubelet)",
    "/var/run/secrets/eks.amazonaws.com": "the EKS IRSA web identity token",
    "/var/run/secrets/azure": "the Azure Workload Identity token",
    "/var/secrets": "KServe's GCS credential mount (pkg/credentials/gcs GCSCredentialVolumeMountPath)",
    "/etc/mlops": "the monitor jobs' generated configs",
}
#: Environment variables something else sets in the model server container: a user value would clash.
SERVER_RESERVED_ENV = {
    "STORAGE_URI": "KServe sets it to the model's storage URI (a custom predictor's download source)",
    "PORT": "Knative sets it to the container port",
    "K_SERVICE": "Knative sets it", "K_CONFIGURATION": "Knative sets it", "K_REVISION": "Knative sets it",
    "PYTHONPATH": "KServe's webhook refuses it in a predictor for security reasons (kserve/kserve v0.20.0 "
                  "pkg/validation/env_policy.go DefaultBlockedEnvVars)",
}


def _object_key_ref(value: Any) -> tuple[str, str]:
    if not isinstance(value, str):
        raise PydanticCustomError("object_key_ref", "expected 'name/key' as a string, got {got}",
                                  {"got": type(value).__name__})
    match = OBJECT_KEY_REF.fullmatch(value)
    if not match or len(match["name"]) > 253 or len(match["key"]) > 253 or match["key"] in (".", ".."):
        raise PydanticCustomError(
            "object_key_ref", "{text} is not 'name/key': the name is a lowercase DNS-1123 subdomain (letters, digits, "
                              "'-', '.'), the key letters, digits, '-', '_' or '.' (e.g. model-store/aws-secret)",
            {"text": repr(value[:100])})
    return match["name"], match["key"]


ObjectKeyRef = Annotated[tuple[str, str], PlainValidator(_object_key_ref), WithJsonSchema(
    {"type": "string", "pattern": f"^{_SUBDOMAIN}/{_KEY}$", "description": "`name/key` of a Secret or ConfigMap"})]


def _object_name(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 253 or not OBJECT_NAME.fullmatch(value):
        raise PydanticCustomError("object_name", "{text} is not a Secret or ConfigMap name: a lowercase DNS-1123 "
                                  "subdomain (letters, digits, '-', '.'), e.g. feast-credentials",
                                  {"text": repr(value)[:100]})
    return value


ObjectName = Annotated[str, PlainValidator(_object_name), WithJsonSchema(
    {"type": "string", "pattern": f"^{_SUBDOMAIN}$", "maxLength": 253})]


class SecretKeyRef(SpecModel):
    secret: ObjectKeyRef = Field(description="`secret-name/key` of a Secret in the system's namespace.")


class ConfigMapKeyRef(SpecModel):
    config_map: ObjectKeyRef = Field(description="`configmap-name/key` of a ConfigMap in the system's namespace.")


def _env_value(value: Any) -> "str | SecretKeyRef | ConfigMapKeyRef":
    if isinstance(value, (str, SecretKeyRef, ConfigMapKeyRef)):
        return value
    if isinstance(value, dict):
        if set(value) == {"secret"}:
            return SecretKeyRef.model_validate(value)
        if set(value) == {"config_map"}:
            return ConfigMapKeyRef.model_validate(value)
    raise PydanticCustomError("env_value", "an environment value is a string (quote numbers and booleans), "
                              "{secret: name/key} or {config_map: name/key}", {})


EnvValue = Annotated[str | SecretKeyRef | ConfigMapKeyRef, PlainValidator(_env_value), WithJsonSchema({"anyOf": [
    {"type": "string"},
    {"type": "object", "properties": {"secret": {"type": "string"}}, "required": ["secret"],
     "additionalProperties": False},
    {"type": "object", "properties": {"config_map": {"type": "string"}}, "required": ["config_map"],
     "additionalProperties": False}]})]


class EnvFrom(SpecModel):
    secret: ObjectName | None = Field(None, description="Every key of this Secret becomes a variable.")
    config_map: ObjectName | None = Field(None, description="Every key of this ConfigMap becomes a variable.")

    @model_validator(mode="after")
    def _one_source(self) -> "EnvFrom":
        if (self.secret is None) == (self.config_map is None):
            raise ValueError("set exactly one of `secret: <name>` or `config_map: <name>`")
        return self


class EmptyDir(SpecModel):
    size: Quantity = Field(description="sizeLimit of the volume, e.g. 10Gi (memory-backed: counts against the "
                                       "container's memory limit).")
    memory: bool = Field(False, description="Back the volume with RAM (tmpfs) instead of the node's disk.")


def _absolute_path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 1024 or ":" in value \
            or ".." in value.split("/") or any(ord(c) < 32 for c in value) or value.rstrip("/") == "":
        raise PydanticCustomError("mount_path", "{text} is not a mount path: an absolute path, not '/', without "
                                  "'..' segments, ':' or control characters (e.g. /data)",
                                  {"text": repr(value)[:100]})
    normal = value.rstrip("/")
    for reserved, why in RESERVED_MOUNTS.items():
        if normal == reserved or normal.startswith(reserved + "/") or reserved.startswith(normal + "/"):
            raise PydanticCustomError("mount_path", "{text} overlaps {reserved}, which is reserved: {why}",
                                      {"text": repr(value), "reserved": reserved, "why": why})
    return normal


MountPath = Annotated[str, PlainValidator(_absolute_path),
                      WithJsonSchema({"type": "string", "pattern": "^/", "maxLength": 1024})]


class Volume(SpecModel):
    mount: MountPath = Field(description="Absolute path the volume is mounted at in the container.")
    read_only: bool | None = Field(None, description="Mount read-only (default: true for secret, config_map and "
                                                     "pvc, false for empty_dir).")
    pvc: Name | None = Field(None, description="A PersistentVolumeClaim in the system's namespace.")
    config_map: ObjectName | None = Field(None, description="A ConfigMap whose keys become files.")
    secret: ObjectName | None = Field(None, description="A Secret whose keys become files (mode 0400).")
    empty_dir: EmptyDir | None = Field(None, description="Scratch space of a given size, deleted with the pod.")

    @model_validator(mode="after")
    def _one_source(self) -> "Volume":
        sources = [k for k in ("pvc", "config_map", "secret", "empty_dir") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise ValueError("a volume has exactly one of `pvc`, `config_map`, `secret` or `empty_dir: {size: 10Gi}`"
                             + (f"; got {', '.join(sources)}" if sources else ""))
        if self.empty_dir is not None and self.read_only:
            raise ValueError("an empty_dir is scratch space: it cannot be read_only")
        return self

    @property
    def writable(self) -> bool:
        return not self.read_only if self.read_only is not None else self.empty_dir is not None


def _volume_name(value: Any) -> str:
    # Volume names are DNS-1123 labels (validateVolumes -> IsDNS1123Label); ours add a `user-` prefix.
    if not isinstance(value, str) or len(value) > 58 or not DNS_LABEL.fullmatch(value):
        raise PydanticCustomError("volume_name", "{text} is not a volume name: a lowercase DNS-1123 label of at most "
                                  "58 characters (letters, digits, '-'), e.g. feature-cache", {"text": repr(value)[:80]})
    return value


VolumeName = Annotated[str, PlainValidator(_volume_name),
                       WithJsonSchema({"type": "string", "pattern": DNS_LABEL.pattern, "maxLength": 58})]


class WorkloadSettings(SpecModel):
    """The container settings endpoints, steps and monitor jobs share (see the module docstring)."""

    env: dict[EnvName, EnvValue] = Field(
        default_factory=empty_dict,
        description="Environment variables: a string, `{secret: name/key}` (a secretKeyRef) or "
                    "`{config_map: name/key}`. Never a credential as a literal: lint SEC001 refuses it.")
    env_from: list[EnvFrom] = Field(default_factory=empty_list,
                                    description="Every key of Secrets/ConfigMaps as variables: `{secret: name}` or "
                                                "`{config_map: name}`.")
    volumes: dict[VolumeName, Volume] = Field(
        default_factory=empty_dict,
        description="Volumes by name: `{mount: /path}` and one of `pvc: <claim>`, `config_map: <name>`, "
                    "`secret: <name>`, `empty_dir: {size: 10Gi, memory: false}`.")
    shm_size: Quantity | None = Field(
        None, description="Size of the memory-backed /dev/shm (PyTorch data loaders, NCCL). GPU workloads get one "
                          "by default (a quarter of the memory limit, at least 1Gi); `0` disables it.")
    termination_grace_period: Duration | None = Field(
        None, description="How long the pod has between SIGTERM and SIGKILL (terminationGracePeriodSeconds; "
                          "Kubernetes' default: 30s).")

    @field_validator("volumes")
    @classmethod
    def _distinct_mounts(cls, volumes: dict) -> dict:
        seen: dict[str, str] = {}
        for name, volume in volumes.items():
            for path, other in seen.items():
                if volume.mount == path or volume.mount.startswith(path + "/") or path.startswith(volume.mount + "/"):
                    raise ValueError(f"volumes {other!r} and {name!r} mount at overlapping paths ({path} and "
                                     f"{volume.mount}): give each volume its own directory")
            seen[volume.mount] = name
        return volumes


def check_server_env(env: dict) -> None:
    """Refuse names the serving stack sets in the model server container."""
    for name in env:
        if name in SERVER_RESERVED_ENV:
            raise ValueError(f"env {name} is reserved in the model server container: {SERVER_RESERVED_ENV[name]}")
