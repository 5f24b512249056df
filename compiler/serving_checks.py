"""Serving settings no controller can carry out: refused at validation, at the position that asks for them.

- Autoscaling combinations `compiler.autoscaling.refusals` names (scale to zero on a pod metric,
  gpu_utilization under Knative, percentage targets above 100, a standard-mode canary at min 0).
- InferenceService names: KServe's webhook wants `[a-z]([-a-z0-9]*[a-z0-9])?`, so a system name
  starting with a digit is refused for every endpoint (kserve/kserve v0.20.0
  pkg/apis/serving/v1beta1/inference_service_validation.go validateInferenceServiceName).
- A standard-mode canary's pods are labelled `app: isvc.<isvc>-canary-predictor`, a label value of
  at most 63 characters (pkg/constants/constants.go GetRawServiceLabel, PredictorServiceName); the
  ScaledObject KServe's KEDA path creates is named `<isvc>-predictor` and KEDA names its HPA
  `keda-hpa-<that>`, also at most 63 (kedacore/keda v2.20.2 apis/keda/v1alpha1/scaledobject_webhook.go
  verifyName).
- Numbers the API cannot hold: targets above a 32-bit integer. (Durations are capped where they are
  parsed, at Go's time.Duration, 292 years: within the startup probe's 32-bit failureThreshold of
  10 s periods, 680 years, and what the HTTP add-on's conditionWait holds.)
- Ports: Knative's queue-proxy owns some ports (knative/serving knative-v1.23.0
  pkg/apis/serving/k8s_validation.go validateContainerPortBasic, reservedPorts), and KServe's
  torchserve runtime takes its port from the model archive (`compiler.kserve_runtimes`).
"""
from __future__ import annotations

from .autoscaling import VLLM_METRICS, refusals, scaler_for
from .diagnostics import DiagnosticBag
from .kserve_runtimes import DEFAULT_HTTP_PORT, FORMATS, SERVING_RUNTIMES, port_is_fixed, server_name, serves
from .metric_contract import server_for
from .naming import resource_name
from .source_map import SourceMap
from .spec import Spec
from .validation import dotted

#: Ports of Knative's queue-proxy and profiling server (knative/networking pkg/apis/networking/ports.go,
#: knative/pkg profiling ProfilingDefaultPort), which Knative refuses as a user container port.
KNATIVE_RESERVED_PORTS = frozenset({8008, 8012, 8013, 8022, 9090, 9091})
#: The canary predictor's name in standard mode (its Deployment is `<isvc>-canary-predictor`).
CANARY_NAME = "canary"
LABEL_VALUE_LIMIT = 63


def canary_label(isvc: str) -> str:
    """The `app` label KServe puts on a standard-mode canary's pods."""
    return f"isvc.{isvc}-{CANARY_NAME}-predictor"


def keda_hpa_name(isvc: str) -> str:
    """The HPA KEDA creates for the ScaledObject KServe makes for a predictor."""
    return f"keda-hpa-{isvc}-predictor"


def _check_server(spec: Spec, name: str, endpoint, model, bag: DiagnosticBag, source_map: SourceMap) -> None:
    """The named server serves the model's format; `llm:` and vLLM scalers only on an LLM server; the
    replica's GPUs are the tensor-parallel degree (vLLM shards the model over exactly that many)."""
    here = ("serving", name)
    server = server_name(endpoint.server, model.format)
    if not serves(server, model.format):
        path = here + ("server",)
        fits = [key for key, runtime in SERVING_RUNTIMES.items() if model.format in runtime.formats]
        bag.add(source_map.value(path), f"{dotted(path)}: {server} does not serve models of format {model.format} "
                f"(models.{endpoint.model}.format); KServe would find no runtime for it", path,
                hint="use one of: " + ", ".join(fits + ["custom"]))
        return
    runtime = SERVING_RUNTIMES[server]
    family = server_for(spec, name)
    if endpoint.llm is not None and not runtime.llm:
        path = here + ("llm",)
        bag.add(source_map.key(path), f"{dotted(path)}: the {server} server takes no LLM settings (tensor "
                "parallelism, max model length, quantization): they would be dropped", path,
                hint="serve the model with server: vllm (format huggingface), or remove `llm`")
    metric = endpoint.autoscale.metric if endpoint.autoscale is not None else None
    if metric in VLLM_METRICS and family != "vllm":
        path = here + ("autoscale", "metric")
        bag.add(source_map.value(path), f"{dotted(path)}: {metric} reads vLLM's "
                f"{'vllm:num_requests_waiting' if metric == 'queue_depth' else 'vllm:kv_cache_usage_perc'}, and the "
                f"{family} server does not export it: the scaler would read nothing and never scale", path,
                hint="serve with server: vllm, or autoscale on concurrency or rps")
    if endpoint.llm is not None and runtime.llm:
        tensor_parallel = endpoint.llm.tensor_parallel
        gpus = endpoint.resources.gpu_count
        if endpoint.resources.mig_profile is None and gpus != tensor_parallel:
            path = here + ("resources", "gpu")
            bag.add(source_map.value(path if source_map.has(path) else here + ("llm",)), f"{dotted(here)}: llm.tensor_parallel is {tensor_parallel} and the replica requests "
                    f"{endpoint.resources.gpu or 0:g} GPUs; vLLM shards the model over exactly tensor_parallel GPUs "
                    "of the pod", path, hint=f"set resources.gpu: {tensor_parallel}")
        elif endpoint.resources.mig_profile is not None and tensor_parallel > 1:
            path = here + ("llm", "tensor_parallel")
            bag.add(source_map.value(path), f"{dotted(path)}: a MIG slice is one device; it cannot be shared "
                    f"over {tensor_parallel}-way tensor parallelism", path, hint="set tensor_parallel: 1 or request "
                    "whole GPUs")


def check_serving(spec: Spec, source_map: SourceMap) -> None:
    """Raise SpecError with every serving setting that the controllers would refuse or never carry out."""
    bag = DiagnosticBag()
    mode = spec.platform.serving_mode
    system = spec.metadata.name
    if spec.serving and not system[0].isalpha():
        path = ("metadata", "name")
        bag.add(source_map.value(path), f"metadata.name {system!r} starts with a digit: KServe refuses "
                "InferenceService names that do not start with a letter, and every endpoint is named after the "
                "system", path, hint=f"start the name with a letter, e.g. 'ml-{system}'")
    for name, endpoint in spec.serving.items():
        here = ("serving", name)
        for refusal in refusals(endpoint, mode):
            path = here + refusal.field
            bag.add(source_map.value(path), f"{dotted(here)}: {refusal.message}", path, refusal.hint)
        model = spec.models.get(endpoint.model)
        if model is not None:
            _check_server(spec, name, endpoint, model, bag, source_map)
        port_path = here + ("port",)
        if mode == "knative" and endpoint.port in KNATIVE_RESERVED_PORTS:
            bag.add(source_map.value(port_path), f"{dotted(port_path)}: {endpoint.port} is a port of Knative's "
                    "queue-proxy, which Knative refuses for the model server", port_path,
                    hint=f"use another port, e.g. {DEFAULT_HTTP_PORT}")
        if model is not None and endpoint.port != DEFAULT_HTTP_PORT and port_is_fixed(model.format):
            bag.add(source_map.value(port_path), f"{dotted(port_path)}: KServe's {FORMATS[model.format].runtime} "
                    f"runtime (format {model.format}) listens where the model archive's config.properties says, "
                    f"which the InferenceService cannot change; {endpoint.port} would leave the probes and the "
                    "Service on a port nothing listens on", port_path,
                    hint=f"remove `port` (the runtime's default is {DEFAULT_HTTP_PORT}), or serve your own image "
                         "with format: custom")
        if model is not None and endpoint.command is not None and FORMATS[model.format].program_in_args:
            command_path = (*here, "command")
            bag.add(source_map.value(command_path), f"{dotted(command_path)}: KServe's "
                    f"{FORMATS[model.format].runtime} runtime (format {model.format}) starts its server from its own "
                    "args (`torchserve --start ...`, `tritonserver ...`), which KServe appends to any command: "
                    "yours would receive the server's command line as arguments", command_path,
                    hint="remove `command` and pass flags with `args`, or serve your own image with format: custom")
        if mode == "knative" and endpoint.termination_grace_period is not None:
            grace_path = (*here, "termination_grace_period")
            bag.add(source_map.value(grace_path), f"{dotted(grace_path)}: Knative refuses terminationGracePeriodSeconds "
                    "in a revision's pod spec (knative/serving knative-v1.23.0 pkg/apis/serving/k8s_validation.go "
                    "ValidatePodSpec); it drains a pod for the revision's timeout instead", grace_path,
                    hint="remove it, or use platform.serving_mode: standard")
        for volume_name, volume in endpoint.volumes.items():
            if mode == "knative" and volume.pvc is not None:
                pvc_path = (*here, "volumes", volume_name, "pvc")
                bag.add(source_map.value(pvc_path), f"{dotted(pvc_path)}: Knative refuses PersistentVolumeClaim "
                        "volumes unless its kubernetes.podspec-persistent-volume-claim feature is enabled (disabled by "
                        "default, knative/serving knative-v1.23.0 pkg/apis/config/features.go)", pvc_path,
                        hint="mount a config_map, secret or empty_dir, or use platform.serving_mode: standard")
        canary = endpoint.rollout.canary_percent.percent > 0
        derived = []
        if mode == "standard" and canary:
            derived.append((canary_label(resource_name(system, name)), "KServe labels the canary's pods"))
        if scaler_for(endpoint, mode) == "keda-prometheus":
            derived.append((keda_hpa_name(resource_name(system, name)), "KEDA names the HPA of KServe's ScaledObject"))
        for value, what in derived:
            if len(value) > LABEL_VALUE_LIMIT:
                over = len(value) - LABEL_VALUE_LIMIT
                bag.add(source_map.key(here), f"{dotted(here)}: {what} {value!r}, {len(value)} characters; "
                        f"at most {LABEL_VALUE_LIMIT} are allowed", here,
                        hint=f"shorten {name!r} or metadata.name {system!r} by {over} character{'s' * (over > 1)}")
    bag.raise_if_any()
