"""The API server's validation of the pods our workloads become: environment, volumes and mounts.

KServe copies a predictor's pod fields into a Deployment (or Knative Service) and Argo a template's
into a pod; the API server then validates that pod spec (kubernetes/kubernetes v1.31.0
pkg/apis/core/validation/validation.go ValidatePodSpec), refusing the Deployment or failing the
workflow step. The pods are the InferenceService predictors (and canary predictors) and the
container templates of WorkflowTemplates and CronWorkflows, with the workflow-level volumes.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from . import Case, Objects, object_check

CORE = "kubernetes/kubernetes v1.31.0 pkg/apis/core/validation/validation.go"
APIMACHINERY = "kubernetes/apimachinery v0.31.14 pkg/util/validation/validation.go"
WORKLOADS = ("InferenceService", "WorkflowTemplate", "CronWorkflow")

_ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")       # IsEnvVarName
_CONFIG_MAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")                 # IsConfigMapKey
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_VOLUME_SOURCES = ("emptyDir", "configMap", "secret", "persistentVolumeClaim", "projected", "hostPath", "csi",
                   "downwardAPI", "ephemeral", "nfs")
_VALUE_FROM = ("secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef")


def _pod_specs(obj: dict) -> Iterator[tuple[str, list[dict], list[dict]]]:
    """(where, volumes, containers) of each pod an object makes."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "InferenceService":
        parts = [("spec.predictor", spec.get("predictor"))]
        parts += [(f"spec.canary[{i}].predictor", (c or {}).get("predictor"))
                  for i, c in enumerate(spec.get("canary") or [])]
        for where, predictor in parts:
            if isinstance(predictor, dict):
                containers = [predictor["model"]] if isinstance(predictor.get("model"), dict) else []
                yield where, list(predictor.get("volumes") or []), containers + list(predictor.get("containers") or [])
        return
    workflow = spec.get("workflowSpec") if obj.get("kind") == "CronWorkflow" else spec
    if not isinstance(workflow, dict):
        return
    for template in workflow.get("templates") or []:
        container = template.get("container") or template.get("script")
        if isinstance(container, dict):
            volumes = [*(workflow.get("volumes") or []), *(template.get("volumes") or [])]
            yield f"templates[{template.get('name')}]", volumes, [container]


def _object_ref(kind: str, ref: dict, with_key: bool) -> Iterator[str]:
    name = ref.get("name") or ""
    if len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        yield f"{kind} name {name!r} is not a DNS-1123 subdomain"
    if with_key:
        key = ref.get("key") or ""
        if len(key) > 253 or not _CONFIG_MAP_KEY.match(key) or key in (".", ".."):
            yield f"{kind} key {key!r} is not a valid key ([-._a-zA-Z0-9]+)"


@object_check("kubernetes-container-env", kinds=WORKLOADS,
              source=f"{CORE}: validateEnv, validateEnvVarValueFrom, validateEnvFrom; {APIMACHINERY}: IsEnvVarName")
def container_env(obj: dict, objects: Objects) -> Iterator[str]:
    for where, _, containers in _pod_specs(obj):
        for container in containers:
            for var in container.get("env") or []:
                name = var.get("name") or ""
                if not _ENV_VAR_NAME.match(name):
                    yield f"{where}: env name {name!r} must consist of letters, digits, '_', '-' or '.', not " \
                          "starting with a digit"
                source = var.get("valueFrom")
                if source is not None:
                    if var.get("value"):
                        yield f"{where}: env {name}: may not have both `value` and `valueFrom`"
                    given = [k for k in _VALUE_FROM if k in source]
                    if len(given) != 1:
                        yield f"{where}: env {name}: valueFrom must have exactly one source, has {given}"
                    for kind in ("secretKeyRef", "configMapKeyRef"):
                        if kind in source:
                            yield from (f"{where}: env {name}: {m}" for m in _object_ref(kind, source[kind], True))
            for item in container.get("envFrom") or []:
                given = [k for k in ("configMapRef", "secretRef") if k in item]
                if len(given) != 1:
                    yield f"{where}: envFrom entry must have exactly one of configMapRef, secretRef, has {given}"
                for kind in given:
                    yield from (f"{where}: envFrom: {m}" for m in _object_ref(kind, item[kind], False))


@object_check("kubernetes-pod-volumes", kinds=WORKLOADS,
              source=f"{CORE}: validateVolumes, validateVolumeMounts; {APIMACHINERY}: IsDNS1123Label")
def pod_volumes(obj: dict, objects: Objects) -> Iterator[str]:
    for where, volumes, containers in _pod_specs(obj):
        names: set[str] = set()
        for volume in volumes:
            name = volume.get("name") or ""
            if len(name) > 63 or not _DNS1123_LABEL.match(name):
                yield f"{where}: volume name {name!r} is not a DNS-1123 label"
            if name in names:
                yield f"{where}: volume name {name!r} is used twice"
            names.add(name)
            sources = [k for k in _VOLUME_SOURCES if k in volume]
            if len(sources) != 1:
                yield f"{where}: volume {name!r} must have exactly one source, has {sources}"
        for container in containers:
            paths: set[str] = set()
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") not in names:
                    yield f"{where}: volumeMount {mount.get('name')!r} names no volume of the pod"
                path = mount.get("mountPath") or ""
                if not path:
                    yield f"{where}: volumeMount {mount.get('name')!r} has no mountPath"
                if path in paths:
                    yield f"{where}: mountPath {path!r} must be unique"
                paths.add(path)


def _isvc(model: dict, volumes: list[dict]) -> dict:
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "api", "namespace": "ml"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, **model}, "volumes": volumes}}}


_TMP = [{"name": "tmp", "emptyDir": {}}]
_TMP_MOUNT = [{"name": "tmp", "mountPath": "/tmp"}]

CASES = [
    Case("kubernetes-container-env", "an env name with a space", [_isvc({"env": [{"name": "A B", "value": "x"}]}, [])]),
    Case("kubernetes-container-env", "a secretKeyRef with an upper-case name",
         [_isvc({"env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "Creds", "key": "k"}}}]}, [])]),
    Case("kubernetes-container-env", "value and valueFrom together",
         [_isvc({"env": [{"name": "A", "value": "x", "valueFrom": {"secretKeyRef": {"name": "c", "key": "k"}}}]}, [])]),
    Case("kubernetes-container-env", "an envFrom with both sources",
         [_isvc({"envFrom": [{"secretRef": {"name": "a"}, "configMapRef": {"name": "b"}}]}, [])]),
    Case("kubernetes-container-env", "literal, secret and config map values, envFrom",
         [_isvc({"env": [{"name": "A", "value": "x"},
                         {"name": "B", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "api-key"}}},
                         {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "level"}}}],
                 "envFrom": [{"secretRef": {"name": "bulk"}}]}, [])], refused=False),
    Case("kubernetes-pod-volumes", "a volume name with an underscore",
         [_isvc({}, [{"name": "user_data", "emptyDir": {}}])]),
    Case("kubernetes-pod-volumes", "two volumes of one name",
         [_isvc({}, [{"name": "tmp", "emptyDir": {}}, {"name": "tmp", "configMap": {"name": "c"}}])]),
    Case("kubernetes-pod-volumes", "a mount of no volume", [_isvc({"volumeMounts": [{"name": "x", "mountPath": "/x"}]},
                                                                  _TMP)]),
    Case("kubernetes-pod-volumes", "two mounts at one path",
         [_isvc({"volumeMounts": [*_TMP_MOUNT, {"name": "shm", "mountPath": "/tmp"}]},
                [*_TMP, {"name": "shm", "emptyDir": {"medium": "Memory"}}])]),
    Case("kubernetes-pod-volumes", "tmp, shm and a user PVC",
         [_isvc({"volumeMounts": [*_TMP_MOUNT, {"name": "shm", "mountPath": "/dev/shm"},
                                  {"name": "user-data", "mountPath": "/data", "readOnly": True}]},
                [*_TMP, {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
                 {"name": "user-data", "persistentVolumeClaim": {"claimName": "data"}}])], refused=False),
]
