"""The API server's own checks of object metadata, which no CRD schema carries (apimachinery validation).

Every object, custom or core, passes `ValidateObjectMeta` on create: its name, its labels and its
annotations. The same label and annotation rules apply to the pod templates inside workloads
(InferenceService predictors, Argo pod metadata and templates), which the controllers copy onto pods.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from . import Case, Objects, object_check

APIMACHINERY = "kubernetes/apimachinery v0.31.14"

_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CONFIG_MAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
TOTAL_ANNOTATION_SIZE = 256 * 1024          # objectmeta.go TotalAnnotationSizeLimitB
CONFIG_MAP_SIZE = 1024 * 1024               # core.MaxSecretSize, which ValidateConfigMap applies

ALL_KINDS = ("Namespace", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "ConfigMap", "NodePool",
             "EC2NodeClass", "LocalModelNodeGroup", "LocalModelCache", "InferenceService", "WorkflowTemplate",
             "CronWorkflow", "PodMonitor", "ServiceMonitor", "PrometheusRule", "AlertmanagerConfig",
             "ScaledObject", "HTTPScaledObject", "PodDisruptionBudget", "PriorityClass")


def is_qualified_name(value: str) -> list[str]:
    """apimachinery pkg/util/validation/validation.go IsQualifiedName: `[prefix/]name`."""
    errors = []
    parts = value.split("/")
    if len(parts) > 2:
        return ["a qualified name has at most one '/'"]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        elif len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix):
            errors.append(f"prefix part {prefix!r} must be a lowercase RFC 1123 subdomain")
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _QUALIFIED_NAME.match(name):
        errors.append(f"name part {name!r} must consist of alphanumeric characters, '-', '_' or '.', and must "
                      "start and end with an alphanumeric character")
    return errors


def _metadata_blocks(obj: dict) -> Iterator[tuple[str, dict]]:
    """The object's metadata and every pod-template metadata inside it, with where each is."""
    yield "metadata", obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    if obj.get("kind") == "InferenceService":
        for component in ("predictor", "transformer", "explainer"):
            part = spec.get(component)
            if isinstance(part, dict):
                yield f"spec.{component}", {"labels": part.get("labels") or {},
                                            "annotations": part.get("annotations") or {}}
        for index, canary in enumerate(spec.get("canary") or []):
            predictor = (canary or {}).get("predictor") or {}
            yield f"spec.canary[{index}].predictor", {"labels": predictor.get("labels") or {},
                                                      "annotations": predictor.get("annotations") or {}}
    workflow = spec.get("workflowSpec") if obj.get("kind") == "CronWorkflow" else spec
    if obj.get("kind") in ("WorkflowTemplate", "CronWorkflow") and isinstance(workflow, dict):
        if isinstance(workflow.get("podMetadata"), dict):
            yield "podMetadata", workflow["podMetadata"]
        for template in workflow.get("templates") or []:
            if isinstance(template.get("metadata"), dict):
                yield f"templates[{template.get('name')}].metadata", template["metadata"]


@object_check("kubernetes-object-name", kinds=ALL_KINDS,
              source=f"{APIMACHINERY} pkg/api/validation/objectmeta.go: ValidateObjectMeta, NameIsDNSSubdomain, "
                     "NameIsDNSLabel (Namespace)")
def object_name(obj: dict, objects: Objects) -> Iterator[str]:
    name = (obj.get("metadata") or {}).get("name")
    if name is None:
        return
    if obj.get("kind") == "Namespace":
        if len(name) > 63 or not _DNS1123_LABEL.match(name):
            yield f"namespace name {name!r} must be a lowercase RFC 1123 label of at most 63 characters"
    elif len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        yield f"name {name!r} must be a lowercase RFC 1123 subdomain of at most 253 characters"


@object_check("kubernetes-labels", kinds=ALL_KINDS,
              source=f"{APIMACHINERY} pkg/apis/meta/v1/validation/validation.go: ValidateLabels")
def labels(obj: dict, objects: Objects) -> Iterator[str]:
    for where, meta in _metadata_blocks(obj):
        for key, value in (meta.get("labels") or {}).items():
            for message in is_qualified_name(key):
                yield f"{where}.labels key {key!r}: {message}"
            if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
                yield f"{where}.labels[{key}] value {value!r} is not a valid label value (at most 63 characters, " \
                      "alphanumeric at both ends, '-', '_' or '.' inside)"


@object_check("kubernetes-annotations", kinds=ALL_KINDS,
              source=f"{APIMACHINERY} pkg/api/validation/objectmeta.go: ValidateAnnotations")
def annotations(obj: dict, objects: Objects) -> Iterator[str]:
    for where, meta in _metadata_blocks(obj):
        values = meta.get("annotations") or {}
        for key in values:
            for message in is_qualified_name(key.lower()):
                yield f"{where}.annotations key {key!r}: {message}"
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in values.items())
        if size > TOTAL_ANNOTATION_SIZE:
            yield f"{where}.annotations take {size} bytes; the limit is {TOTAL_ANNOTATION_SIZE}"


@object_check("kubernetes-config-map", kinds=("ConfigMap",),
              source="kubernetes/kubernetes v1.31.0 pkg/apis/core/validation/validation.go: ValidateConfigMap; "
                     f"{APIMACHINERY} pkg/util/validation/validation.go: IsConfigMapKey")
def config_map(obj: dict, objects: Objects) -> Iterator[str]:
    data = obj.get("data") or {}
    for key in data:
        if len(key) > 253 or not _CONFIG_MAP_KEY.match(key) or key in (".", "..") or key.startswith(".."):
            yield f"data key {key!r} is not a valid ConfigMap key ([-._a-zA-Z0-9]+, not '.' or '..')"
    size = sum(len(str(value).encode()) for value in data.values())
    if size > CONFIG_MAP_SIZE:
        yield f"data takes {size} bytes; a ConfigMap holds at most {CONFIG_MAP_SIZE}"


def _config_map(name: str, data: dict, **meta) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ml", **meta},
            "data": data}


CASES = [
    Case("kubernetes-object-name", "an upper-case name", [_config_map("Fraud", {})]),
    Case("kubernetes-object-name", "a namespace name with a dot (a subdomain, not a label)",
         [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fraud.ml"}}]),
    Case("kubernetes-object-name", "a DNS subdomain name", [_config_map("fraud.config", {})], refused=False),
    Case("kubernetes-labels", "a label value with a slash", [_config_map("a", {}, labels={"app": "a/b"})]),
    Case("kubernetes-labels", "a label value of 64 characters", [_config_map("a", {}, labels={"app": "a" * 64})]),
    Case("kubernetes-labels", "a prefixed label", [_config_map("a", {}, labels={"mlops.dev/endpoint": "api"})],
         refused=False),
    Case("kubernetes-annotations", "an annotation key with two slashes",
         [_config_map("a", {}, annotations={"mlops.dev/spec/path": "x"})]),
    Case("kubernetes-annotations", "annotations over 256 KiB",
         [_config_map("a", {}, annotations={"big": "x" * (TOTAL_ANNOTATION_SIZE + 1)})]),
    Case("kubernetes-annotations", "a prefixed annotation", [_config_map("a", {}, annotations={"mlops.dev/x": "1"})],
         refused=False),
    Case("kubernetes-config-map", "a data key with a slash", [_config_map("a", {"dir/config.json": "{}"})]),
    Case("kubernetes-config-map", "data over 1 MiB", [_config_map("a", {"big": "x" * (CONFIG_MAP_SIZE + 1)})]),
    Case("kubernetes-config-map", "plain keys", [_config_map("a", {"config.json": "{}", "gate.py": ""})],
         refused=False),
]
