"""KServe (v0.20.0): its InferenceService webhook, the reconcile-time facts that decide whether anything
runs, LocalModelCache / LocalModelNodeGroup, and Knative's checks of the Knative Service KServe creates.

The webhook is `validateInferenceService` in pkg/apis/serving/v1beta1/inference_service_validation.go;
each function of it that can apply to what we emit is one check below. Reconcile-time checks follow
what the controller does with an accepted object (pkg/controller/v1beta1/inferenceservice/...,
pkg/controller/v1alpha1/localmodel/..., pkg/webhook/admission/pod/...): a runtime must exist for the
model, the server must listen where the probes look, the names KServe derives must be valid, a
node-local model cache must be usable by the pods it is meant for.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator

import pytest
import yaml

from backends.kubernetes.serving import KNATIVE_FEATURES
from tests.upstream import SKIP_REASON, upstream_dir

from . import Case, Objects, compile_check, object_check

KSERVE = "kserve/kserve v0.20.0"
VALIDATION = f"{KSERVE} pkg/apis/serving/v1beta1/inference_service_validation.go"
COMPONENT = f"{KSERVE} pkg/apis/serving/v1beta1/component.go"
PREDICTOR = f"{KSERVE} pkg/controller/v1beta1/inferenceservice/components/predictor.go"
KNATIVE = "knative/serving knative-v1.23.0"
ISVC = ("InferenceService",)

_ISVC_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")              # IsvcNameFmt
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ALLOWED_CLASSES = ("hpa", "external", "keda", "none")                 # constants.AutoscalerAllowedClassList
_HPA_METRICS, _KPA_METRICS = ("cpu", "memory"), ("concurrency", "rps")
_FRAMEWORKS = ("xgboost", "pytorch", "triton", "sklearn", "tensorflow", "onnx", "pmml", "lightgbm", "paddle",
               "huggingface", "model")                                   # PredictorSpec.GetImplementations
#: utils.go SupportedStorageURIPrefixList (the storage initializer's schemes) and AzureBlobURIRegEx.
_STORAGE_PREFIXES = ("gs://", "s3://", "pvc://", "file://", "https://", "http://", "hdfs://", "webhdfs://", "oci://",
                     "oci+native://", "hf://")
_SCHEME = re.compile(r"\w+?://")
_BLOCKED_ENV = ("PYTHONPATH",)                                          # pkg/validation/env_policy.go
DEFAULT_HTTP_PORT = 8080                                                # python/kserve/kserve/model_server.py
_PORT_FLAGS = ("--http_port", "--http-port", "--rest_api_port")        # the runtimes' REST port flags
_PORT_ENV = "MLSERVER_HTTP_PORT"
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
NODE_GROUP = "serving.kserve.io/nodegroup"
KNATIVE_CLASS = "autoscaling.knative.dev/class"
KNATIVE_KPA, KNATIVE_HPA = "kpa.autoscaling.knative.dev", "hpa.autoscaling.knative.dev"
KNATIVE_RESERVED_PORTS = (8008, 8012, 8013, 8022, 9090, 9091)           # k8s_validation.go reservedPorts


# --- reading an InferenceService as KServe does --------------------------------------------------

def annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def deployment_mode(obj: dict) -> str:
    """constants.go ParseDeploymentMode: legacy names normalised; no annotation is the default, Standard."""
    mode = annotations(obj).get(DEPLOYMENT_MODE, "Standard")
    return {"RawDeployment": "Standard", "Serverless": "Knative"}.get(mode, mode)


def autoscaler_class(obj: dict) -> str:
    """autoscaler_reconciler.go getAutoscalerClass: the annotation, else hpa."""
    return annotations(obj).get(AUTOSCALER_CLASS, "hpa")


def canary_class(obj: dict, canary: dict) -> str:
    """A canary's class: its predictor annotations win over the InferenceService's (predictor.go
    buildObjectMeta unions isvc annotations, then predictor annotations, into the canary's metadata)."""
    own = ((canary.get("predictor") or {}).get("annotations") or {}).get(AUTOSCALER_CLASS)
    return own or autoscaler_class(obj)


def predictors(obj: dict) -> Iterator[tuple[str, dict]]:
    """(where, predictor) of the main predictor and every canary's."""
    spec = obj.get("spec") or {}
    yield "spec.predictor", spec.get("predictor") or {}
    for index, canary in enumerate(spec.get("canary") or []):
        yield f"spec.canary[{index}].predictor", (canary or {}).get("predictor") or {}


def model_specs(obj: dict) -> Iterator[tuple[str, dict]]:
    """(where, `model:`) of every predictor that names a model format (KServe then picks a runtime for it)."""
    for where, predictor in predictors(obj):
        if isinstance(predictor.get("model"), dict):
            yield where, predictor["model"]


def implementations(predictor: dict) -> list[str]:
    """component.go PredictorSpec.GetImplementations: the framework specs set, plus a custom predictor
    when `containers` are given and none of them is an implementation already."""
    found = [key for key in _FRAMEWORKS if predictor.get(key) is not None]
    containers = predictor.get("containers") or []
    custom = [c for c in containers if c.get("name") == "kserve-container"]
    found += ["containers"] * len(custom)
    if containers and not found:
        found.append("containers")
    return found


def server_container(predictor: dict) -> dict | None:
    """The model server's container: `model` (or a framework spec), or the custom predictor's kserve-container."""
    for key in _FRAMEWORKS:
        if isinstance(predictor.get(key), dict):
            return predictor[key]
    containers = predictor.get("containers") or []
    return next((c for c in containers if c.get("name") == "kserve-container"), containers[0] if containers else None)


def storage_uri(predictor: dict) -> str | None:
    """GetStorageUri: `storageUri` of the framework spec, or a custom predictor's STORAGE_URI env."""
    container = server_container(predictor) or {}
    if "containers" not in implementations(predictor):
        return container.get("storageUri")
    return next((e.get("value") for e in container.get("env") or [] if e.get("name") == "STORAGE_URI"), None)


def predictor_service_name(isvc: str, predictor_name: str = "") -> str:
    """constants.go PredictorServiceName: the Deployment and Service of one predictor."""
    return f"{isvc}-{predictor_name}-predictor" if predictor_name else f"{isvc}-predictor"


def canary_replicas(obj: dict, canary: dict) -> int:
    """predictor.go canaryReplicaCount: the canary's minReplicas, else ceil(stable min x percent)."""
    own = (canary.get("predictor") or {}).get("minReplicas")
    if own is not None:
        return own
    stable = ((obj.get("spec") or {}).get("predictor") or {}).get("minReplicas", 1)
    return math.ceil(stable * (canary.get("trafficPercent") or 0) / 100)


def match_storage_uri(cached: str, uri: str) -> bool:
    """pkg/apis/serving/v1alpha1/storage_uri_utils.go MatchStorageURI: equal, or a sub-path of the cached URI."""
    cached, uri = cached.rstrip("/"), uri.rstrip("/")
    return uri == cached or uri.startswith(cached + "/")


# --- the webhook: validateInferenceService ------------------------------------------------------

@object_check("kserve-inference-service-name", kinds=ISVC, source=f"{VALIDATION}: validateInferenceServiceName")
def inference_service_name(obj: dict, objects: Objects) -> Iterator[str]:
    name = (obj.get("metadata") or {}).get("name") or ""
    if not _ISVC_NAME.match(name):
        yield f"name {name!r} must match [a-z]([-a-z0-9]*[a-z0-9])? (start with a letter)"


@object_check("kserve-deployment-mode", kinds=ISVC,
              source=f"{KSERVE} pkg/controller/v1beta1/inferenceservice/utils/utils.go: GetDeploymentMode; "
                     f"{VALIDATION}: validateDeploymentMode")
def deployment_mode_explicit(obj: dict, objects: Objects) -> Iterator[str]:
    """The mode is the annotation only when it names one (Standard, Knative, ModelMesh, or a legacy alias);
    otherwise the cluster's `defaultDeploymentMode` decides, whatever the spec meant. (Once reconciled it
    can no longer change: validateDeploymentMode refuses the update.)"""
    value = annotations(obj).get(DEPLOYMENT_MODE)
    if value not in ("Standard", "Knative", "ModelMesh", "RawDeployment", "Serverless"):
        yield f"{DEPLOYMENT_MODE} is {value!r}: the cluster's default deployment mode would decide"


@object_check("kserve-autoscaler-class", kinds=ISVC, source=f"{VALIDATION}: validateInferenceServiceAutoscaler")
def autoscaler_class_allowed(obj: dict, objects: Objects) -> Iterator[str]:
    value = annotations(obj).get(AUTOSCALER_CLASS)
    if value is not None and value not in _ALLOWED_CLASSES:
        yield f"[{value}] is not a supported autoscaler class type (one of {', '.join(_ALLOWED_CLASSES)})"


@object_check("kserve-exactly-one-implementation", kinds=ISVC,
              source=f"{COMPONENT}: validateExactlyOneImplementation, PredictorSpec.GetImplementations")
def exactly_one_implementation(obj: dict, objects: Objects) -> Iterator[str]:
    for where, predictor in predictors(obj):
        found = implementations(predictor)
        if len(found) != 1:
            yield f"{where}: exactly one implementation (model, a framework or containers) must be given, " \
                  f"found {found or 'none'}"


@object_check("kserve-standard-predictor-without-name", kinds=ISVC, source=f"{VALIDATION}: validatePredictor")
def standard_predictor_without_name(obj: dict, objects: Objects) -> Iterator[str]:
    predictor = (obj.get("spec") or {}).get("predictor") or {}
    for key in _FRAMEWORKS:
        if isinstance(predictor.get(key), dict) and predictor[key].get("name"):
            yield f"spec.predictor.{key}.name: the 'name' field is not allowed in standard predictor"


@object_check("kserve-component-extension", kinds=ISVC,
              source=f"{COMPONENT}: ComponentExtensionSpec.Validate, validateReplicas, validateContainerConcurrency, "
                     "validateLogger")
def component_extension(obj: dict, objects: Objects) -> Iterator[str]:
    for where, predictor in predictors(obj):
        low, high = predictor.get("minReplicas", 1), predictor.get("maxReplicas", 0)
        if low < 0:
            yield f"{where}: 'MinReplicas' cannot be less than 0"
        if high < 0:
            yield f"{where}: 'MaxReplicas' cannot be less than 0"
        if low > high and high != 0:
            yield f"{where}: 'MinReplicas' ({low}) cannot be greater than MaxReplicas ({high})"
        if predictor.get("containerConcurrency", 0) < 0:
            yield f"{where}: parallelism cannot be less than 0"
        logger = predictor.get("logger")
        if logger is not None and logger.get("mode") not in ("all", "request", "response"):
            yield f"{where}: invalid logger type {logger.get('mode')!r}"


def _hpa_extension(predictor: dict) -> Iterator[str]:
    """validateScalingHPACompExtension."""
    metric = predictor.get("scaleMetric", "cpu")
    if metric not in _HPA_METRICS:
        yield f"[{metric}] is not a supported metric"
        return
    target = predictor.get("scaleTarget")
    # Go's precedence: `metric == cpu && target < 1 || target > 100` refuses any metric above 100.
    if target is not None and ((metric == "cpu" and target < 1) or target > 100):
        yield "the target utilization percentage should be a [1-100] integer"
    if target is not None and metric == "memory" and target < 1:
        yield "the target memory should be greater than 1 MiB"
    for spec in (predictor.get("autoScaling") or {}).get("metrics") or []:
        if spec.get("type") != "Resource":
            yield f"invalid HPA metric source type with value [{spec.get('type')}], valid metric source types are Resource"
        elif spec.get("resource") is None:
            yield "metricSpec.Resource is not set for resource metric source type"


def _scale_target(target: dict) -> Iterator[str]:
    """validateScaleTarget."""
    kind = target.get("type")
    if kind == "Utilization":
        value = target.get("averageUtilization")
        if value is None:
            yield "the AverageUtilization type should be set"
        elif not 1 <= value <= 100:
            yield "the target utilization percentage should be a [1-100] integer"
    elif kind == "AverageValue" and target.get("averageValue") is None:
        yield "the AverageValue type should be set"
    elif kind == "Value" and target.get("value") is None:
        yield "the Value type should be set"


def _keda_extension(predictor: dict) -> Iterator[str]:
    """validateScalingKedaCompExtension."""
    if predictor.get("scaleMetric") is not None:
        yield "ScaleMetric is not supported for KEDA"
    for spec in (predictor.get("autoScaling") or {}).get("metrics") or []:
        kind = spec.get("type")
        if kind == "Resource":
            resource = spec.get("resource")
            if resource is None:
                yield "metricSpec.Resource is not set for resource metric source type"
                continue
            target = resource.get("target") or {}
            if resource.get("name") == "cpu" and target.get("type") != "Utilization":
                yield "the cpu target value type should be Utilization"
            elif resource.get("name") == "memory" and target.get("type") not in ("AverageValue", "Utilization"):
                yield "the memory target value type should be AverageValue or Utilization"
            elif resource.get("name") not in ("cpu", "memory"):
                yield f"resource type {resource.get('name')} is not supported"
            yield from _scale_target(target)
        elif kind in ("External", "PodMetric"):
            source = spec.get("external" if kind == "External" else "podmetric")
            if source is None:
                yield f"metricSpec.{kind} is not set for {kind.lower()} metric source type"
                continue
            if not (source.get("metric") or {}).get("query"):
                yield "the query should not be empty"
            target = source.get("target") or {}
            if target.get("value") is None:
                # getKedaMetrics reads only `value` as the trigger threshold: an averageValue is not read.
                yield "the target threshold value should not be empty (KServe's KEDA path reads target.value)"
            yield from _scale_target(target)
        else:
            yield f"unknown KEDA metric type with value [{kind}]. Valid types are Resource,External,PodMetric"


def _kpa_extension(predictor: dict) -> Iterator[str]:
    """validateScalingKPACompExtension."""
    if predictor.get("deploymentStrategy") is not None:
        yield "customizing deploymentStrategy is only supported for raw deployment mode"
    metric = predictor.get("scaleMetric", "concurrency")
    if metric not in _KPA_METRICS:
        yield f"[{metric}] is not a supported metric"
    elif metric == "rps" and predictor.get("scaleTarget") is not None and predictor["scaleTarget"] < 1:
        yield "the target for rps should be greater than 1"


@object_check("kserve-autoscaling-extension", kinds=ISVC,
              source=f"{VALIDATION}: validateAutoScalingCompExtension, validateScalingHPACompExtension, "
                     "validateScalingKedaCompExtension, validateScalingKPACompExtension")
def autoscaling_extension(obj: dict, objects: Objects) -> Iterator[str]:
    predictor = (obj.get("spec") or {}).get("predictor") or {}
    values = annotations(obj)
    if values.get(DEPLOYMENT_MODE) == "Standard":
        check = {"hpa": _hpa_extension, "keda": _keda_extension}.get(values.get(AUTOSCALER_CLASS))
    else:
        check = _hpa_extension if values.get(KNATIVE_CLASS) == KNATIVE_HPA else _kpa_extension
    for message in (check(predictor) if check else ()):
        yield f"spec.predictor: {message}"


@object_check("kserve-canary", kinds=ISVC, source=f"{VALIDATION}: validateCanarySpecs")
def canary_specs(obj: dict, objects: Objects) -> Iterator[str]:
    spec = obj.get("spec") or {}
    canaries = spec.get("canary") or []
    if not canaries:
        return
    if annotations(obj).get(DEPLOYMENT_MODE) != "Standard":
        yield "canary is only supported in Standard deployment mode"
        return
    stable = spec.get("predictor") or {}
    if storage_uri(stable) is None and stable.get("model") is None:
        yield "canary requires a stable predictor with a model"
    names: set[str] = set()
    total = 0
    for index, canary in enumerate(canaries):
        predictor = (canary or {}).get("predictor") or {}
        name = predictor.get("name") or ""
        if not name:
            yield f"canary[{index}] predictor.name is required"
            continue
        if name in names:
            yield f"canary predictor.name {name!r} is duplicated"
        names.add(name)
        if name == stable.get("name", ""):
            yield f"canary predictor.name {name!r} conflicts with stable predictor name"
        percent = canary.get("trafficPercent", 0)
        if not 0 <= percent <= 100:
            yield f"canary {name!r} trafficPercent must be between 0 and 100, got {percent}"
        total += percent
        if predictor.get("workerSpec") is not None:
            yield f"canary {name!r} must not set workerSpec"
        if predictor.get("maxReplicas", 0) > 0:
            yield f"canary {name!r} must not set maxReplicas (canary uses fixed replicas)"
        for field in ("scaleTarget", "scaleMetric", "autoScaling"):
            if predictor.get(field) is not None:
                yield f"canary {name!r} must not set {field} (canary uses fixed replicas)"
        if predictor.get("minReplicas") is not None and predictor["minReplicas"] > stable.get("minReplicas", 1):
            yield f"canary {name!r} minReplicas ({predictor['minReplicas']}) must not exceed stable predictor " \
                  f"minReplicas ({stable.get('minReplicas', 1)})"
    if total > 100:
        yield f"sum of canary trafficPercent values ({total}) must be <= 100"


@object_check("kserve-storage-uri", kinds=ISVC,
              source=f"{VALIDATION}: validateMultipleStorageURIs; "
                     f"{KSERVE} pkg/controller/v1beta1/inferenceservice/utils/utils.go: ValidateStorageURI; "
                     f"{KSERVE} python/storage/kserve_storage/kserve_storage.py: Storage.download")
def storage_uri_supported(obj: dict, objects: Objects) -> Iterator[str]:
    for where, predictor in predictors(obj):
        uri = storage_uri(predictor)
        if uri is not None and predictor.get("storageUris") is not None:
            yield f"{where}: Setting both StorageURI and StorageURIs is not supported."
        if uri is not None:
            yield from (f"{where}: {message}" for message in downloadable(uri))


def downloadable(uri: str) -> Iterator[str]:
    """Why the storage initializer cannot download `uri`. The webhook reads a URI without `scheme://` as a
    local path, which the initializer then only finds as an absolute path (a `models:/...` URI is neither)."""
    if _SCHEME.search(uri) and not uri.startswith(_STORAGE_PREFIXES):
        yield f"storage URI {uri!r} has a scheme the storage initializer does not support " \
              f"(one of {', '.join(_STORAGE_PREFIXES)})"
    elif not _SCHEME.search(uri) and not uri.startswith("/"):
        yield f"storage URI {uri!r} is neither a supported URI nor an absolute path: the storage initializer " \
              "cannot download it"


@object_check("kserve-collocation-storage-uri", kinds=ISVC, source=f"{VALIDATION}: validateCollocationStorageURI")
def collocation_storage_uri(obj: dict, objects: Objects) -> Iterator[str]:
    predictor = (obj.get("spec") or {}).get("predictor") or {}
    for container in predictor.get("containers") or []:
        if container.get("name") == "transformer-container" and any(
                e.get("name") == "STORAGE_URI" for e in container.get("env") or []):
            yield "storage uri should not be specified in transformer container"


@object_check("kserve-blocked-env-vars", kinds=ISVC,
              source=f"{VALIDATION}: validateBlockedEnvVars; {KSERVE} pkg/validation/env_policy.go: "
                     "ValidateBlockedEnvVars")
def blocked_env_vars(obj: dict, objects: Objects) -> Iterator[str]:
    predictor = (obj.get("spec") or {}).get("predictor") or {}
    containers = list(predictor.get("containers") or []) + list(predictor.get("initContainers") or [])
    framework = next((predictor[k] for k in _FRAMEWORKS if isinstance(predictor.get(k), dict)), None)
    for container in containers + ([framework] if framework else []):
        for env in container.get("env") or []:
            if env.get("name") in _BLOCKED_ENV:
                yield f"setting {env['name']} in container {container.get('name', '')!r} is not allowed"


# --- reconcile time: runtime, port, derived names --------------------------------------------------

@functools.cache
def default_runtimes() -> tuple[tuple[str, dict], ...]:
    """The ClusterServingRuntimes KServe installs (config/runtimes/kustomization.yaml's resources)."""
    root = upstream_dir()
    if root is None:
        pytest.skip(SKIP_REASON)
    folder = root / "crds" / "serving.kserve.io" / "runtimes"
    listed = yaml.load((folder / "kustomization.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    found = []
    for name in listed["resources"]:
        runtime = yaml.load((folder / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        found.append((runtime["metadata"]["name"], runtime["spec"]))
    return tuple(found)


def model_protocol(model: dict) -> str:
    """The protocol a model is matched with: its own, or v2 for the triton/vllm formats (setPredictorModelDefaults),
    else v1 (predictor_model.go GetProtocol)."""
    if model.get("protocolVersion"):
        return model["protocolVersion"]
    return "v2" if (model.get("modelFormat") or {}).get("name") in ("triton", "vllm") else "v1"


def supporting_runtimes(model: dict) -> list[tuple[str, dict]]:
    """predictor_model.go GetSupportingRuntimes + sortSupportedRuntimeByPriority, over the default
    ClusterServingRuntimes: auto-selectable for the format, the protocol supported, single-model, single-node."""
    model_format = model.get("modelFormat") or {}
    label = f"mt:{model_format.get('name')}" + (f":{model_format['version']}" if model_format.get("version") else "")
    found = []
    for name, spec in default_runtimes():
        if spec.get("disabled") or spec.get("multiModel") or spec.get("workerSpec") is not None:
            continue
        labels = set()
        for supported in spec.get("supportedModelFormats") or []:
            if model.get("runtime") or supported.get("autoSelect"):
                labels.add(f"mt:{supported['name']}")
                if supported.get("version"):
                    labels.add(f"mt:{supported['name']}:{supported['version']}")
        protocols = spec.get("protocolVersions") or []
        if label in labels and (not protocols or model_protocol(model) in protocols):
            if model.get("runtime") in (None, name):
                found.append((name, spec))

    def priority(item: tuple[str, dict]) -> float:
        formats = [f for f in item[1].get("supportedModelFormats") or [] if f["name"] == model_format.get("name")]
        value = next((f.get("priority") for f in formats if f.get("priority") is not None), None)
        return -value if value is not None else math.inf

    return sorted(found, key=priority)


@object_check("kserve-serving-runtime", kinds=ISVC,
              source=f"{KSERVE} pkg/apis/serving/v1beta1/predictor_model.go: GetSupportingRuntimes, "
                     f"sortSupportedRuntimeByPriority; {PREDICTOR}: reconcileModel")
def serving_runtime(obj: dict, objects: Objects) -> Iterator[str]:
    for where, model in model_specs(obj):
        if not supporting_runtimes(model):
            yield f"{where}.model: no runtime found to support model format " \
                  f"{(model.get('modelFormat') or {}).get('name')!r} with protocol {model_protocol(model)} " \
                  "among KServe's default ClusterServingRuntimes"


def listening_port(runtime: dict, model: dict) -> int:
    """Where the merged container's HTTP server listens: the last port flag of runtime args + our args
    (utils.go MergeRuntimeContainers concatenates them), or MLSERVER_HTTP_PORT, or the server's default."""
    container = next((c for c in runtime.get("containers") or [] if c.get("name") == "kserve-container"), {})
    port = DEFAULT_HTTP_PORT
    for arg in list(container.get("args") or []) + list(model.get("args") or []):
        flag, _, value = str(arg).partition("=")
        if flag in _PORT_FLAGS and value.isdigit():
            port = int(value)
    env = {e.get("name"): e.get("value") for e in (container.get("env") or []) + (model.get("env") or [])}
    if str(env.get(_PORT_ENV) or "").isdigit():
        port = int(env[_PORT_ENV])
    return port


def probe_ports(container: dict) -> Iterator[tuple[str, object]]:
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        handler = container.get(probe) or {}
        for action in ("tcpSocket", "httpGet"):
            if isinstance(handler.get(action), dict) and "port" in handler[action]:
                yield f"{probe}.{action}.port", handler[action]["port"]


@object_check("kserve-runtime-port", kinds=ISVC,
              source=f"{KSERVE} pkg/controller/v1beta1/inferenceservice/utils/utils.go: MergeRuntimeContainers; "
                     f"{KSERVE} config/runtimes/kserve-sklearnserver.yaml: args --http_port")
def runtime_port(obj: dict, objects: Objects) -> Iterator[str]:
    for where, model in model_specs(obj):
        runtimes = supporting_runtimes(model)
        if not runtimes:
            continue   # kserve-serving-runtime reports it
        name, runtime = runtimes[0]
        port = listening_port(runtime, model)
        declared = [p.get("containerPort") for p in model.get("ports") or []]
        if declared and declared[0] != port:
            yield f"{where}.model: runtime {name} listens on {port}, the container port is {declared[0]}"
        for field, value in probe_ports(model):
            if isinstance(value, int) and value != port:
                yield f"{where}.model.{field} {value}: runtime {name} listens on {port}"


@object_check("kserve-standard-predictor-objects", kinds=ISVC,
              source=f"{KSERVE} pkg/constants/constants.go: PredictorServiceName, GetRawServiceLabel; "
                     f"{KSERVE} pkg/controller/v1beta1/inferenceservice/reconcilers/service/service_reconciler.go: "
                     "createDefaultSvc")
def standard_predictor_objects(obj: dict, objects: Objects) -> Iterator[str]:
    """The Deployment and Service of each Standard-mode predictor: a DNS label name, an `app: isvc.<name>`
    label of at most 63 characters, and a Service port named after the container's first port."""
    if deployment_mode(obj) != "Standard":
        return
    isvc = (obj.get("metadata") or {}).get("name") or ""
    for where, predictor in predictors(obj):
        name = predictor_service_name(isvc, predictor.get("name", ""))
        if len(name) > 63 or not _DNS1123_LABEL.match(name):
            yield f"{where}: the Service {name!r} must be a DNS-1123 label of at most 63 characters"
        label = f"isvc.{name}"
        if len(label) > 63:
            yield f"{where}: the pods' label app={label!r} is {len(label)} characters; a label value has at most 63"
        ports = (server_container(predictor) or {}).get("ports") or []
        if ports and ports[0].get("name") and (len(ports[0]["name"]) > 15 or not _PORT_NAME.match(ports[0]["name"])):
            yield f"{where}: the Service port takes the container port's name {ports[0]['name']!r}, which is not " \
                  "a valid port name (at most 15 lowercase letters, digits and '-')"


# --- local model caches -------------------------------------------------------------------------

LOCAL_MODEL = f"{KSERVE} pkg/controller/v1alpha1/localmodel/reconcilers/localmodelcache_reconciler.go"


def _quantity_bytes(text: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text))
    if not match or (match[2] and match[2] not in units):
        raise ValueError(f"not a quantity: {text!r}")
    return float(match[1]) * units.get(match[2], 1)


@object_check("kserve-local-model-cache-source", kinds=("LocalModelCache",),
              source=f"{KSERVE} pkg/controller/v1alpha1/localmodelnode/controller.go: launchJob; "
                     f"{KSERVE} python/storage/kserve_storage/kserve_storage.py: Storage.download")
def local_model_cache_source(obj: dict, objects: Objects) -> Iterator[str]:
    """Each node downloads the cache with a storage-initializer job: its source must be downloadable, and
    it must name a node group and a positive size."""
    spec = obj.get("spec") or {}
    yield from downloadable(spec.get("sourceModelUri") or "")
    if not spec.get("nodeGroups"):
        yield "nodeGroups must name at least one LocalModelNodeGroup"
    try:
        if _quantity_bytes(spec.get("modelSize", "")) <= 0:
            yield "modelSize must be positive"
    except ValueError as error:
        yield str(error)


@compile_check("kserve-local-model-cache-unique-uri",
               source=f"{KSERVE} pkg/webhook/admission/localmodelcache/localmodelcache_validator.go: "
                      "validateUniqueStorageURI")
def local_model_cache_unique_uri(objects: Objects) -> Iterator[str]:
    seen: dict[str, str] = {}
    for cache in objects.of_kind("LocalModelCache"):
        name, uri = cache["metadata"]["name"], (cache.get("spec") or {}).get("sourceModelUri")
        if uri in seen and seen[uri] != name:
            yield f"LocalModelCache {name} has the same StorageURI {uri} as {seen[uri]}"
        seen.setdefault(uri, name)


@compile_check("kserve-local-model-cache-node-groups",
               source=f"{LOCAL_MODEL}: Reconcile; {KSERVE} pkg/apis/serving/v1alpha1/local_model_cache_types.go: "
                      "LocalModelCacheSpec.ModelSize")
def local_model_cache_node_groups(objects: Objects) -> Iterator[str]:
    """Every node group a cache names must exist (the reconciler stops at the first it cannot get), and
    the caches on a group must fit its storageLimit (the limit `modelSize` is declared against)."""
    groups = {g["metadata"]["name"]: g for g in objects.of_kind("LocalModelNodeGroup")}
    used: dict[str, dict[str, float]] = {}
    for cache in objects.of_kind("LocalModelCache"):
        spec = cache.get("spec") or {}
        for group in spec.get("nodeGroups") or []:
            if group not in groups:
                yield f"LocalModelCache {cache['metadata']['name']}: node group {group!r} does not exist"
                continue
            used.setdefault(group, {})[cache["metadata"]["name"]] = _quantity_bytes(spec.get("modelSize", "0"))
    for group, caches in sorted(used.items()):
        limit = _quantity_bytes((groups[group].get("spec") or {}).get("storageLimit", "0"))
        if sum(caches.values()) > limit:
            yield f"LocalModelNodeGroup {group}: the caches on it ({', '.join(sorted(caches))}) need " \
                  f"{sum(caches.values()) / 2**30:.1f}Gi, its storageLimit is {limit / 2**30:.1f}Gi"


@object_check("kserve-local-model-node-group-volumes", kinds=("LocalModelNodeGroup",),
              source="kubernetes/kubernetes v1.31.0 pkg/apis/core/validation/validation.go: ValidatePersistentVolumeSpec; "
                     f"{LOCAL_MODEL}: Reconcile")
def local_model_node_group_volumes(obj: dict, objects: Objects) -> Iterator[str]:
    """The controller creates a PV from persistentVolumeSpec and a PVC bound to it from
    persistentVolumeClaimSpec: both must be valid and bindable."""
    spec = obj.get("spec") or {}
    volume, claim = spec.get("persistentVolumeSpec") or {}, spec.get("persistentVolumeClaimSpec") or {}
    if not volume.get("accessModes") or not claim.get("accessModes"):
        yield "persistentVolumeSpec and persistentVolumeClaimSpec need accessModes"
    capacity = (volume.get("capacity") or {}).get("storage")
    if capacity is None:
        yield "persistentVolumeSpec.capacity.storage is required"
    if volume.get("local") is not None:
        terms = ((volume.get("nodeAffinity") or {}).get("required") or {}).get("nodeSelectorTerms") or []
        if not terms:
            yield "a local volume requires nodeAffinity.required.nodeSelectorTerms"
        if not str((volume["local"] or {}).get("path", "")).startswith("/"):
            yield "local.path must be an absolute path"
    if volume.get("storageClassName", "") != claim.get("storageClassName", ""):
        yield "persistentVolumeClaimSpec.storageClassName must equal persistentVolumeSpec's, or the claim never binds"
    request = ((claim.get("resources") or {}).get("requests") or {}).get("storage")
    if capacity is not None and request is not None and _quantity_bytes(request) > _quantity_bytes(capacity):
        yield f"the claim requests {request}, more than the volume's capacity {capacity}"


@compile_check("kserve-local-model-cache-canary",
               source=f"{KSERVE} pkg/apis/serving/v1beta1/inference_service_defaults.go: setLocalModelLabel; "
                      f"{KSERVE} pkg/webhook/admission/pod/storage_initializer_injector.go: InjectStorageInitializer")
def local_model_cache_canary(objects: Objects) -> Iterator[str]:
    """KServe marks an InferenceService cached when a cache matches its *stable* predictor's URI; the canary
    copies the InferenceService's labels, and its pods then load `pvc://<stable cache>/<canary URI>`."""
    caches = [c for c in objects.of_kind("LocalModelCache")]
    for isvc in objects.of_kind("InferenceService"):
        if not (isvc.get("spec") or {}).get("canary") or "serving.kserve.io/disable-localmodel" in annotations(isvc):
            continue
        uri = storage_uri((isvc.get("spec") or {}).get("predictor") or {})
        for cache in caches:
            if uri and match_storage_uri((cache.get("spec") or {}).get("sourceModelUri", ""), uri):
                yield f"InferenceService {isvc['metadata']['name']} runs a canary and LocalModelCache " \
                      f"{cache['metadata']['name']} matches its stable predictor: the canary's pods would load " \
                      "its model from that cache's volume"


@compile_check("kserve-local-model-cache-applies",
               source=f"{KSERVE} pkg/apis/serving/v1beta1/inference_service_defaults.go: setLocalModelLabel")
def local_model_cache_applies(objects: Objects) -> Iterator[str]:
    """An InferenceService that names a cache (`mlops.dev/model-cache`) and a node group: the cache exists,
    lists the node group, and matches the URI of the predictor it is meant for (the stable one, or during a
    canary the canary's, which it pre-loads), otherwise KServe's defaulter never uses it."""
    caches = {c["metadata"]["name"]: c for c in objects.of_kind("LocalModelCache")}
    for isvc in objects.of_kind("InferenceService"):
        values = annotations(isvc)
        name = values.get("mlops.dev/model-cache")
        if name is None:
            continue
        cache = caches.get(name)
        where = f"InferenceService {isvc['metadata']['name']}"
        if cache is None:
            yield f"{where} names LocalModelCache {name}, which is not generated"
            continue
        spec = isvc.get("spec") or {}
        meant = (spec["canary"][0]["predictor"] if spec.get("canary") else spec.get("predictor")) or {}
        uri = storage_uri(meant) or ""
        if not match_storage_uri((cache.get("spec") or {}).get("sourceModelUri", ""), uri):
            yield f"{where}: LocalModelCache {name} caches {cache['spec'].get('sourceModelUri')}, not {uri}"
        group = values.get(NODE_GROUP)
        if group is not None and group not in (cache.get("spec") or {}).get("nodeGroups", []):
            yield f"{where}: node group {group} is not one of LocalModelCache {name}'s node groups"


@compile_check("kserve-local-model-node-group-selects-pods",
               source=f"{LOCAL_MODEL}: Reconcile, nodeFunc; "
                      "kubernetes/kubernetes v1.31.0 pkg/scheduler/framework/plugins/volumebinding/binder.go: "
                      "checkBoundClaims")
def local_model_node_group_selects_pods(objects: Objects) -> Iterator[str]:
    """The cache's PV only exists on the node group's nodes, so the pods that mount it must be able to
    run there: their node selector must satisfy the group's node affinity."""
    groups = {g["metadata"]["name"]: g for g in objects.of_kind("LocalModelNodeGroup")}
    for isvc in objects.of_kind("InferenceService"):
        group = groups.get(annotations(isvc).get(NODE_GROUP, ""))
        if group is None:
            continue
        selector = ((isvc.get("spec") or {}).get("predictor") or {}).get("nodeSelector") or {}
        terms = (((group.get("spec") or {}).get("persistentVolumeSpec") or {}).get("nodeAffinity") or {}) \
            .get("required", {}).get("nodeSelectorTerms") or []
        satisfied = any(all(e.get("operator") == "In" and selector.get(e.get("key")) in (e.get("values") or [])
                            for e in term.get("matchExpressions") or [])
                        for term in terms)
        linux_only = all(e.get("key") == "kubernetes.io/os" for t in terms for e in t.get("matchExpressions") or [])
        if not satisfied and not linux_only:
            yield f"InferenceService {isvc['metadata']['name']}: its pods select {selector or 'any node'}, the " \
                  f"node group {group['metadata']['name']} holds its cache on nodes matching {terms}"


# --- Knative: the Knative Service KServe creates in Knative mode -----------------------------------

def _knative_predictors(obj: dict) -> Iterator[tuple[str, dict]]:
    if deployment_mode(obj) == "Knative":
        yield from predictors(obj)


@object_check("knative-user-container", kinds=ISVC,
              source=f"{KNATIVE} pkg/apis/serving/k8s_validation.go: validateContainerPorts, validateProbe, "
                     "validateContainerPortBasic; "
                     f"{KNATIVE} pkg/apis/serving/fieldmask.go: ContainerMask")
def knative_user_container(obj: dict, objects: Objects) -> Iterator[str]:
    for where, predictor in _knative_predictors(obj):
        container = server_container(predictor) or {}
        ports = container.get("ports") or []
        if len(ports) > 1:
            yield f"{where}: Knative allows a single container port, found {len(ports)}"
        port = ports[0] if ports else {"name": "", "containerPort": DEFAULT_HTTP_PORT}
        if port.get("name", "") not in ("", "http1", "h2c"):
            yield f"{where}: port name {port['name']!r} is not allowed (empty, 'http1' or 'h2c')"
        if port.get("protocol", "TCP") != "TCP":
            yield f"{where}: port protocol {port['protocol']!r} is not allowed (TCP)"
        if port.get("containerPort") in KNATIVE_RESERVED_PORTS:
            yield f"{where}: {port['containerPort']} is a reserved port"
        for field, value in probe_ports(container):
            if isinstance(value, str) and value != port.get("name", ""):
                yield f"{where}: {field} {value!r}: probe port must match container port"
        for field in ("lifecycle", "stdin", "stdinOnce", "tty", "volumeDevices"):
            if container.get(field):
                yield f"{where}: {field} is not allowed in a Knative container"


@object_check("knative-pod-features", kinds=ISVC,
              source=f"{KNATIVE} pkg/apis/serving/fieldmask.go: PodSpecMask; "
                     f"{KNATIVE} pkg/apis/config/features.go: defaultFeaturesConfig")
def knative_pod_features(obj: dict, objects: Objects) -> Iterator[str]:
    """Pod fields Knative refuses unless a `config-features` flag enables them: each one we emit must be
    a flag docs/serving.md tells the cluster to enable (backends.kubernetes.serving.KNATIVE_FEATURES)."""
    gated = {"nodeSelector": "kubernetes.podspec-nodeselector", "tolerations": "kubernetes.podspec-tolerations",
             "securityContext": "kubernetes.podspec-securitycontext", "affinity": "kubernetes.podspec-affinity",
             "runtimeClassName": "kubernetes.podspec-runtimeclassname",
             "priorityClassName": "kubernetes.podspec-priorityclassname",
             "schedulerName": "kubernetes.podspec-schedulername", "initContainers": "kubernetes.podspec-init-containers",
             "topologySpreadConstraints": "kubernetes.podspec-topologyspreadconstraints",
             "dnsPolicy": "kubernetes.podspec-dnspolicy", "hostNetwork": "kubernetes.podspec-hostnetwork"}
    documented = set(KNATIVE_FEATURES.values())
    for where, predictor in _knative_predictors(obj):
        for field, flag in gated.items():
            if predictor.get(field) and flag not in documented:
                yield f"{where}.{field} needs Knative's {flag} feature, which docs/serving.md does not enable"
        if predictor.get("automountServiceAccountToken") is True:
            yield f"{where}: Knative only allows automountServiceAccountToken: false"
        for field in ("restartPolicy", "terminationGracePeriodSeconds", "activeDeadlineSeconds", "nodeName"):
            if predictor.get(field) is not None:
                yield f"{where}.{field} is not allowed by Knative"


@object_check("knative-autoscaling-annotations", kinds=ISVC,
              source=f"{KNATIVE} pkg/apis/autoscaling/annotation_validation.go: validateMetric, validateMinMaxScale; "
                     f"{KSERVE} pkg/controller/v1alpha1/utils/utils.go: SetAutoScalingAnnotations")
def knative_autoscaling_annotations(obj: dict, objects: Objects) -> Iterator[str]:
    """What KServe writes into the Knative revision (class, metric, min-scale, max-scale) must pass Knative."""
    if deployment_mode(obj) != "Knative":
        return
    predictor = (obj.get("spec") or {}).get("predictor") or {}
    klass = annotations(obj).get(KNATIVE_CLASS, KNATIVE_KPA)
    if klass.endswith(".autoscaling.knative.dev") and klass not in (KNATIVE_KPA, KNATIVE_HPA):
        yield f"{KNATIVE_CLASS}: invalid value {klass!r}"
    metric = predictor.get("scaleMetric")
    if metric is not None and ((klass == KNATIVE_KPA and metric not in _KPA_METRICS) or (klass == KNATIVE_HPA
                                                                                         and not metric)):
        yield f"autoscaling.knative.dev/metric {metric!r} is not valid for class {klass}"
    low, high = predictor.get("minReplicas", 1), predictor.get("maxReplicas", 0)
    if high and high < low:
        yield f"max-scale={high} is less than min-scale={low}"


# --- fixtures ---------------------------------------------------------------------------------------

def _model(**extra) -> dict:
    probe = {"tcpSocket": {"port": 8080}, "periodSeconds": 10, "failureThreshold": 3, "timeoutSeconds": 5}
    return {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://models/m/1",
            "ports": [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}],
            "readinessProbe": probe, **extra}


def _predictor(**extra) -> dict:
    return {"minReplicas": 1, "maxReplicas": 3, "model": _model(), **extra}


def isvc(name: str = "fraud-api", mode: str | None = "Standard", klass: str | None = "hpa",
         predictor: dict | None = None, canary: list | None = None, extra_annotations: dict | None = None) -> dict:
    values = {**({DEPLOYMENT_MODE: mode} if mode else {}), **({AUTOSCALER_CLASS: klass} if klass else {}),
              **(extra_annotations or {})}
    spec: dict = {"predictor": predictor if predictor is not None else _predictor()}
    if canary is not None:
        spec["canary"] = canary
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": "ml", "annotations": values}, "spec": spec}


def _canary(**extra) -> dict:
    return {"trafficPercent": 10, "predictor": {"name": "canary", "model": _model(storageUri="s3://models/m/2"),
                                                **extra}}


def _cache(name: str, uri: str, groups: list[str], size: str = "1Gi") -> dict:
    return {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "LocalModelCache", "metadata": {"name": name},
            "spec": {"sourceModelUri": uri, "modelSize": size, "nodeGroups": groups}}


def _group(name: str, limit: str = "4Gi", pool: str = "gpu", **volume) -> dict:
    affinity = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "mlops.dev/node-pool", "operator": "In", "values": [pool]}]}]}}
    pv = {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": limit}, "local": {"path": "/mnt/models-cache"},
          "nodeAffinity": affinity, "storageClassName": name, **volume}
    pvc = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": limit}}, "storageClassName": name}
    return {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "LocalModelNodeGroup", "metadata": {"name": name},
            "spec": {"storageLimit": limit, "persistentVolumeSpec": pv, "persistentVolumeClaimSpec": pvc}}


def _cached(uri: str = "s3://models/m/1", canary: list | None = None, pool: str = "gpu") -> dict:
    return isvc(predictor=_predictor(model=_model(storageUri=uri), nodeSelector={"mlops.dev/node-pool": pool}),
                canary=canary, extra_annotations={"mlops.dev/model-cache": "m-1", NODE_GROUP: "g"})


def _knative(predictor: dict | None = None, klass: str | None = None) -> dict:
    return isvc(mode="Knative", klass=None, predictor=predictor,
                extra_annotations={KNATIVE_CLASS: klass} if klass else None)


_GPU_QUERY = {"backend": "prometheus", "serverAddress": "http://prometheus:9090", "query": "sum(DCGM_FI_DEV_GPU_UTIL)"}


#: config/configmap/inferenceservice.yaml v0.20.0 localModel.jobNamespace
LOCAL_MODEL_JOB_NAMESPACE = "kserve-localmodel-jobs"


@object_check("kserve-local-model-cache-service-account", kinds=("LocalModelCache",),
              source="kserve/kserve v0.20.0 pkg/controller/v1alpha1/localmodelnode/controller.go: injectCredentials")
def local_model_cache_service_account(obj: dict, objects: Objects) -> Iterator[str]:
    """The download job reads credentials through `serviceAccountName` in the job namespace; a missing
    account is logged and the job runs without credentials (CreateSecretVolumeAndEnv returns nil)."""
    name = (obj.get("spec") or {}).get("serviceAccountName")
    if name and objects.get("ServiceAccount", name, LOCAL_MODEL_JOB_NAMESPACE) is None:
        yield f"serviceAccountName {name!r} is no ServiceAccount in {LOCAL_MODEL_JOB_NAMESPACE}, where KServe " \
              "runs the download jobs: the model would be downloaded without credentials"

CASES = [
    Case("kserve-inference-service-name", "a name starting with a digit", [isvc(name="1fraud-api")]),
    Case("kserve-inference-service-name", "a DNS label starting with a letter", [isvc()], refused=False),
    Case("kserve-deployment-mode", "no deployment mode annotation", [isvc(mode=None)]),
    Case("kserve-deployment-mode", "Serverless (a legacy alias of Knative)", [isvc(mode="Serverless")], refused=False),
    Case("kserve-autoscaler-class", "kpa is not an autoscalerClass (it is Knative's class)", [isvc(klass="kpa")]),
    Case("kserve-autoscaler-class", "external", [isvc(klass="external")], refused=False),
    Case("kserve-exactly-one-implementation", "model and sklearn both set",
         [isvc(predictor=_predictor(sklearn={"storageUri": "s3://m"}))]),
    Case("kserve-exactly-one-implementation", "a canary without an implementation",
         [isvc(canary=[{"trafficPercent": 10, "predictor": {"name": "canary"}}])]),
    Case("kserve-exactly-one-implementation", "a custom predictor (containers)",
         [isvc(predictor={"containers": [{"name": "kserve-container", "image": "x"}]})], refused=False),
    Case("kserve-standard-predictor-without-name", "model.name set (the container name)",
         [isvc(predictor=_predictor(model=_model(name="kserve-container")))]),
    Case("kserve-standard-predictor-without-name", "model without a name", [isvc()], refused=False),
    Case("kserve-component-extension", "minReplicas above maxReplicas",
         [isvc(predictor=_predictor(minReplicas=4, maxReplicas=2))]),
    Case("kserve-component-extension", "maxReplicas 0 means unbounded",
         [isvc(predictor=_predictor(minReplicas=4, maxReplicas=0))], refused=False),
    Case("kserve-autoscaling-extension", "Standard hpa with scaleMetric concurrency",
         [isvc(predictor=_predictor(scaleMetric="concurrency", scaleTarget=8))]),
    Case("kserve-autoscaling-extension", "hpa memory target above 100 (Go precedence)",
         [isvc(predictor=_predictor(scaleMetric="memory", scaleTarget=150))]),
    Case("kserve-autoscaling-extension", "keda with an AverageValue external target (not read)",
         [isvc(klass="keda", predictor=_predictor(autoScaling={"metrics": [{"type": "External", "external": {
             "metric": _GPU_QUERY, "target": {"type": "AverageValue", "averageValue": "70"}}}]}))]),
    Case("kserve-autoscaling-extension", "Knative (KPA) with scaleMetric cpu and no HPA class",
         [_knative(_predictor(scaleMetric="cpu", scaleTarget=60))]),
    Case("kserve-autoscaling-extension", "Knative HPA class with cpu",
         [_knative(_predictor(scaleMetric="cpu", scaleTarget=60), klass=KNATIVE_HPA)], refused=False),
    Case("kserve-autoscaling-extension", "keda with a Value external target",
         [isvc(klass="keda", predictor=_predictor(autoScaling={"metrics": [{"type": "External", "external": {
             "metric": _GPU_QUERY, "target": {"type": "Value", "value": "70"}}}]}))], refused=False),
    Case("kserve-autoscaling-extension", "external class: KServe validates nothing",
         [isvc(klass="external", predictor=_predictor(scaleMetric="concurrency"))], refused=False),
    Case("kserve-canary", "a canary predictor without a name", [isvc(canary=[{"trafficPercent": 10, "predictor": {
        "model": _model(storageUri="s3://models/m/2")}}])]),
    Case("kserve-canary", "a canary with autoScaling", [isvc(canary=[_canary(autoScaling={"metrics": []})])]),
    Case("kserve-canary", "a canary in Knative mode", [isvc(mode="Knative", klass=None, canary=[_canary()])]),
    Case("kserve-canary", "canary minReplicas above the stable's", [isvc(canary=[_canary(minReplicas=3)])]),
    Case("kserve-canary", "a named canary with its model", [isvc(canary=[_canary()])], refused=False),
    Case("kserve-storage-uri", "an unsupported scheme", [isvc(predictor=_predictor(
        model=_model(storageUri="ftp://host/model")))]),
    Case("kserve-storage-uri", "an MLflow models:/ URI (read as a relative local path)",
         [isvc(predictor=_predictor(model=_model(storageUri="models:/fraud/3")))]),
    Case("kserve-storage-uri", "storageUri and storageUris", [isvc(predictor=_predictor(
        storageUris=[{"uri": "s3://a", "mountPath": "/mnt/a"}]))]),
    Case("kserve-storage-uri", "s3 and a local path", [isvc(), isvc(predictor=_predictor(
        model=_model(storageUri="/mnt/models/m")))], refused=False),
    Case("kserve-collocation-storage-uri", "STORAGE_URI in a collocated transformer",
         [isvc(predictor={"containers": [{"name": "kserve-container", "image": "p"}, {
             "name": "transformer-container", "image": "t", "env": [{"name": "STORAGE_URI", "value": "s3://m"}]}]})]),
    Case("kserve-collocation-storage-uri", "STORAGE_URI in the custom predictor's own container",
         [isvc(predictor={"containers": [{"name": "kserve-container", "image": "p", "env": [
             {"name": "STORAGE_URI", "value": "s3://m"}]}]})], refused=False),
    Case("kserve-blocked-env-vars", "PYTHONPATH in the model container",
         [isvc(predictor=_predictor(model=_model(env=[{"name": "PYTHONPATH", "value": "/x"}])))]),
    Case("kserve-blocked-env-vars", "other env", [isvc(predictor=_predictor(
        model=_model(env=[{"name": "STORAGE_URI", "value": "s3://x"}])))], refused=False),
    Case("kserve-serving-runtime", "format custom has no runtime",
         [isvc(predictor=_predictor(model=_model(modelFormat={"name": "custom"})))]),
    Case("kserve-serving-runtime", "onnx at the default protocol v1 (Triton speaks v2)",
         [isvc(predictor=_predictor(model=_model(modelFormat={"name": "onnx"})))]),
    Case("kserve-serving-runtime", "onnx with protocolVersion v2",
         [isvc(predictor=_predictor(model=_model(modelFormat={"name": "onnx"}, protocolVersion="v2")))],
         refused=False),
    Case("kserve-runtime-port", "port 9000 while the sklearn runtime listens on 8080",
         [isvc(predictor=_predictor(model=_model(ports=[{"name": "http1", "containerPort": 9000}],
                                                 readinessProbe={"tcpSocket": {"port": 9000}})))]),
    Case("kserve-runtime-port", "port 9000 passed to the server with --http_port",
         [isvc(predictor=_predictor(model=_model(ports=[{"name": "http1", "containerPort": 9000}], args=[
             "--http_port=9000"], readinessProbe={"tcpSocket": {"port": 9000}})))], refused=False),
    Case("kserve-standard-predictor-objects", "a canary whose pod label passes 63 characters",
         [isvc(name="a" * 42, canary=[_canary()])]),
    Case("kserve-standard-predictor-objects", "a 41-character name with a canary",
         [isvc(name="a" * 41, canary=[_canary()])], refused=False),
    Case("kserve-local-model-cache-source", "a cache of an MLflow models:/ URI", [_cache("m-1", "models:/m/1", ["g"])]),
    Case("kserve-local-model-cache-source", "a cache without node groups", [_cache("m-1", "s3://m/1", [])]),
    Case("kserve-local-model-cache-source", "an s3 cache on a node group", [_cache("m-1", "s3://m/1", ["g"])],
         refused=False),
    Case("kserve-local-model-cache-unique-uri", "two caches of one URI",
         [_cache("a-1", "s3://m/1", ["g"]), _cache("b-1", "s3://m/1", ["g"])]),
    Case("kserve-local-model-cache-unique-uri", "the same cache in two files",
         [_cache("a-1", "s3://m/1", ["g"]), _cache("a-1", "s3://m/1", ["g"]), _cache("a-2", "s3://m/2", ["g"])],
         refused=False),
    Case("kserve-local-model-cache-node-groups", "a node group that does not exist", [_cache("m-1", "s3://m/1", ["g"])]),
    Case("kserve-local-model-cache-node-groups", "caches over the group's storage limit",
         [_group("g", "2Gi"), _cache("m-1", "s3://m/1", ["g"], "1.5Gi"), _cache("m-2", "s3://m/2", ["g"], "1.5Gi")]),
    Case("kserve-local-model-cache-node-groups", "caches within the limit",
         [_group("g", "4Gi"), _cache("m-1", "s3://m/1", ["g"], "1.5Gi"), _cache("m-2", "s3://m/2", ["g"], "1.5Gi")],
         refused=False),
    Case("kserve-local-model-node-group-volumes", "a local volume without node affinity",
         [_group("g", nodeAffinity=None)]),
    Case("kserve-local-model-node-group-volumes", "storage classes that differ", [_group("g", storageClassName="x")]),
    Case("kserve-local-model-node-group-volumes", "a bindable local volume", [_group("g")], refused=False),
    Case("kserve-local-model-cache-canary", "a cache of the stable version while a canary runs",
         [_cached("s3://models/m/1", canary=[_canary()]), _cache("m-1", "s3://models/m/1", ["g"])]),
    Case("kserve-local-model-cache-canary", "a cache of the canary's version only",
         [_cached("s3://models/m/1", canary=[_canary()]), _cache("m-1", "s3://models/m/2", ["g"])], refused=False),
    Case("kserve-local-model-cache-applies", "a cache of another URI",
         [_cached("s3://models/m/1"), _cache("m-1", "s3://models/other", ["g"])]),
    Case("kserve-local-model-cache-applies", "a node group the cache does not list",
         [_cached("s3://models/m/1"), _cache("m-1", "s3://models/m/1", ["h"])]),
    Case("kserve-local-model-cache-applies", "the cache of the served version on its node group",
         [_cached("s3://models/m/1/model"), _cache("m-1", "s3://models/m/1", ["g"])], refused=False),
    Case("kserve-local-model-node-group-selects-pods", "pods on another pool than the cache's nodes",
         [_cached(pool="cpu"), _group("g", pool="gpu")]),
    Case("kserve-local-model-node-group-selects-pods", "pods on the cache's pool",
         [_cached(pool="gpu"), _group("g", pool="gpu")], refused=False),
    Case("knative-user-container", "a port named http (not http1/h2c)",
         [_knative(_predictor(model=_model(ports=[{"name": "http", "containerPort": 8080}])))]),
    Case("knative-user-container", "the queue-proxy's port 8012",
         [_knative(_predictor(model=_model(ports=[{"name": "http1", "containerPort": 8012}])))]),
    Case("knative-user-container", "a probe on a named port that is not the container's",
         [_knative(_predictor(model=_model(readinessProbe={"tcpSocket": {"port": "metrics"}})))]),
    Case("knative-user-container", "http1 on 8080 with numeric probes", [_knative()], refused=False),
    Case("knative-pod-features", "automountServiceAccountToken true",
         [_knative(_predictor(automountServiceAccountToken=True))]),
    Case("knative-pod-features", "runtimeClassName (a feature docs/serving.md does not enable)",
         [_knative(_predictor(runtimeClassName="nvidia"))]),
    Case("knative-pod-features", "nodeSelector, tolerations, securityContext (documented)",
         [_knative(_predictor(nodeSelector={"a": "b"}, tolerations=[{"key": "k", "operator": "Exists"}],
                              securityContext={"runAsNonRoot": True}))], refused=False),
    Case("knative-autoscaling-annotations", "KPA with metric cpu", [_knative(_predictor(scaleMetric="cpu"))]),
    Case("knative-autoscaling-annotations", "max-scale below min-scale",
         [_knative(_predictor(minReplicas=4, maxReplicas=2))]),
    Case("knative-autoscaling-annotations", "KPA on concurrency from zero",
         [_knative(_predictor(scaleMetric="concurrency", minReplicas=0))], refused=False),
    Case("kserve-local-model-cache-service-account", "an account in the system's namespace only",
         [{"apiVersion": "serving.kserve.io/v1alpha1", "kind": "LocalModelCache", "metadata": {"name": "m-1"},
           "spec": {"sourceModelUri": "s3://b/m", "modelSize": "1Gi", "nodeGroups": ["g"],
                    "serviceAccountName": "fraud-serve-sa"}},
          {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "fraud-serve-sa", "namespace": "ml"}}]),
    Case("kserve-local-model-cache-service-account", "an account in the job namespace",
         [{"apiVersion": "serving.kserve.io/v1alpha1", "kind": "LocalModelCache", "metadata": {"name": "m-1"},
           "spec": {"sourceModelUri": "s3://b/m", "modelSize": "1Gi", "nodeGroups": ["g"],
                    "serviceAccountName": "m-cache"}},
          {"apiVersion": "v1", "kind": "ServiceAccount",
           "metadata": {"name": "m-cache", "namespace": LOCAL_MODEL_JOB_NAMESPACE}}], refused=False),
]
