"""The metric contract: which Prometheus series exist for an endpoint, so alerts and scalers read only those.

An endpoint's series come from its model server (chosen by the model format, through the KServe
runtime that serves it, or declared with `runtimes.<name>.server`) and from the serving layer in
front of it (the KEDA HTTP add-on's interceptor, Knative's queue-proxy when its request metrics
are exported), plus DCGM exporter for its GPUs and Prometheus's own `up` for every scraped pod.
Each fact names the upstream file it comes from; `tests/test_metric_contract.py` holds the facts
against those files (`../shared/crds/metrics/`, `../shared/crds/serving.kserve.io/runtimes/`).

Lint reads this module (MON006), so it uses the standard library only and takes the spec duck-typed.
`python -m compiler.metric_contract` prints docs/metric-contract.md.
"""
from __future__ import annotations

from typing import Any, Literal, NamedTuple, TYPE_CHECKING

from .autoscaling import through_interceptor
from .kserve_runtimes import FORMATS, SERVING_RUNTIMES, server_name

if TYPE_CHECKING:
    from .spec import Spec

MetricType = Literal["counter", "gauge", "histogram"]
#: How an alert selects an exporter's series of one endpoint: by the scrape job of the endpoint's
#: PodMonitor (`job="<namespace>/<podmonitor>"`), by the interceptor's route labels, or by pod name
#: (DCGM exporter is scraped by the GPU Operator's own job and labels each GPU with the pod using it).
Selection = Literal["podmonitor-job", "interceptor-route", "pod-name"]


class Metric(NamedTuple):
    name: str                   # the metric family as Prometheus stores it (histograms: without _bucket)
    type: MetricType
    labels: tuple[str, ...]     # labels the exporter sets (target labels come from the scrape)
    meaning: str

    @property
    def series(self) -> tuple[str, ...]:
        """The series names a query may read: a histogram's `_bucket`, `_sum` and `_count`."""
        if self.type == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)


class Exporter(NamedTuple):
    key: str
    title: str
    source: str                 # upstream repository, tag and file the names are read from
    scraped: str                # where Prometheus reads it
    exists_for: str             # which endpoints have it (the docs table)
    selection: Selection
    metrics: tuple[Metric, ...] = ()

    def metric(self, name: str) -> Metric:
        return next(m for m in self.metrics if m.name == name)


class ModelServer(NamedTuple):
    """A model server image family: its metrics and where KServe's runtime says they are scraped."""

    exporter: Exporter
    metrics_port: int | None    # a metrics port of its own (`prometheus.kserve.io/port`); None: the serving port
    metrics_path: str = "/metrics"
    latency: str | None = None  # the histogram of request latency, if the server has one


_MODEL = ("model_name",)
_VLLM = ("model_name", "engine")
_TS = ("model_name", "model_version", "hostname")
_INTERCEPTOR = ("code", "method", "route_name", "route_namespace")
_DCGM = ("gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname", "DCGM_FI_DRIVER_VERSION",
         "namespace", "pod", "container")

# kserve/kserve v0.20.0 python/kserve/kserve/metrics.py (../shared/crds/metrics/kserve-metrics.py)
KSERVE = ModelServer(Exporter(
    "kserve", "KServe Python model server", "kserve/kserve v0.20.0 python/kserve/kserve/metrics.py",
    "the serving port (the runtime's `prometheus.kserve.io/port`, 8080), `/metrics`",
    "sklearn, xgboost, lightgbm, huggingface (kserve-*server runtimes), or `server: kserve`", "podmonitor-job", (
        Metric("request_preprocess_seconds", "histogram", _MODEL, "pre-process latency"),
        Metric("request_postprocess_seconds", "histogram", _MODEL, "post-process latency"),
        Metric("request_predict_seconds", "histogram", _MODEL, "predict latency (the model call only)"),
        Metric("request_explain_seconds", "histogram", _MODEL, "explain latency"),
    )), metrics_port=None, latency="request_predict_seconds")

# vllm v0.33.0 vllm/v1/metrics/loggers.py PrometheusStatLogger (../shared/crds/metrics/vllm/loggers.py);
# prometheus_client appends `_total` to a Counter's name. v0.33 has no `vllm:gpu_cache_usage_perc`
# (renamed kv_cache_usage_perc) and no `vllm:time_per_output_token_seconds` (split into
# inter_token_latency_seconds and request_time_per_output_token_seconds): queries on the old names read nothing.
VLLM = ModelServer(Exporter(
    "vllm", "vLLM OpenAI server", "vllm-project/vllm v0.33.0 vllm/v1/metrics/loggers.py",
    "the serving port (the runtime's `prometheus.kserve.io/port`, 8080), `/metrics`", "`serving.<name>.server: vllm` (kserve-huggingfaceserver, `--backend=vllm`), or a runtime image's "
    "`server: vllm`",
    "podmonitor-job", (
        Metric("vllm:num_requests_running", "gauge", _VLLM, "requests being processed"),
        Metric("vllm:num_requests_waiting", "gauge", _VLLM, "requests waiting to be scheduled"),
        Metric("vllm:kv_cache_usage_perc", "gauge", _VLLM, "KV-cache usage, 0-1"),
        Metric("vllm:num_preemptions_total", "counter", _VLLM, "preemptions"),
        Metric("vllm:prompt_tokens_total", "counter", _VLLM, "prefill tokens processed"),
        Metric("vllm:generation_tokens_total", "counter", _VLLM, "tokens generated"),
        Metric("vllm:request_success_total", "counter", (*_VLLM, "finished_reason"),
               "finished requests (successes only: no failure count)"),
        Metric("vllm:time_to_first_token_seconds", "histogram", _VLLM, "time to first token"),
        Metric("vllm:inter_token_latency_seconds", "histogram", _VLLM, "time between output tokens"),
        Metric("vllm:request_time_per_output_token_seconds", "histogram", _VLLM,
               "mean time per output token of each request (TPOT)"),
        Metric("vllm:e2e_request_latency_seconds", "histogram", _VLLM, "end-to-end request latency"),
        Metric("vllm:request_queue_time_seconds", "histogram", _VLLM, "time spent waiting"),
    )), metrics_port=None, latency="vllm:e2e_request_latency_seconds")

# pytorch/serve v0.12.0 ts/configs/metrics.yaml (../shared/crds/metrics/torchserve/metrics.yaml): the
# frontend counters every metrics mode serves; Requests2XX/4XX/5XX only exist in `metrics_mode: prometheus`.
TORCHSERVE = ModelServer(Exporter(
    "torchserve", "TorchServe", "pytorch/serve v0.12.0 ts/configs/metrics.yaml",
    "the runtime's `prometheus.kserve.io/port` (8082), `/metrics`", "pytorch (kserve-torchserve), or "
    "`server: torchserve`", "podmonitor-job", (
        Metric("ts_inference_requests_total", "counter", _TS, "inference requests (no status)"),
        Metric("ts_inference_latency_microseconds", "counter", _TS, "summed inference latency (a mean, no quantile)"),
        Metric("ts_queue_latency_microseconds", "counter", _TS, "summed queue latency"),
    )), metrics_port=8082)

# Triton's metric names are not collected (triton-inference-server/server is BSD-3-Clause): nothing beyond `up`.
TRITON = ModelServer(Exporter(
    "triton", "Triton Inference Server", "kserve/kserve v0.20.0 config/runtimes/kserve-tritonserver.yaml",
    "the runtime's `prometheus.kserve.io/port` (8002), `/metrics`", "onnx, triton (kserve-tritonserver), or "
    "`server: triton`", "podmonitor-job"), metrics_port=8002)

# MLServer's metric names are not collected either: nothing beyond `up`.
MLSERVER = ModelServer(Exporter(
    "mlserver", "MLServer", "kserve/kserve v0.20.0 config/runtimes/kserve-mlserver.yaml",
    "the serving port (the runtime's `prometheus.kserve.io/port`, 8080), `/metrics`", "mlflow (kserve-mlserver), or "
    "`server: mlserver`", "podmonitor-job"), metrics_port=None)

CUSTOM = ModelServer(Exporter(
    "custom", "unknown server", "mlops: no upstream source", "the endpoint's port, `/metrics`",
    "format custom, or `server: custom`", "podmonitor-job"), metrics_port=None)

SERVERS: dict[str, ModelServer] = {s.exporter.key: s for s in (KSERVE, VLLM, TORCHSERVE, TRITON, MLSERVER, CUSTOM)}


# kedacore/http-add-on v0.15.0 interceptor/metrics/instruments.go (OTel instruments; names as the
# Prometheus exporter writes them, interceptor/metrics/prometheus_test.go). route_name/route_namespace
# are the HTTPScaledObject's (pkg/routing/table.go turns each HTTPScaledObject into a route).
INTERCEPTOR = Exporter(
    "keda-http-interceptor", "KEDA HTTP add-on interceptor",
    "kedacore/http-add-on v0.15.0 interceptor/metrics/instruments.go",
    "the add-on's `interceptor-metrics` Service, port 2223 (a ServiceMonitor of the cluster's)",
    "standard mode, `autoscale.metric` concurrency or rps (it proxies every request)", "interceptor-route", (
        Metric("interceptor_request_count_total", "counter", _INTERCEPTOR, "requests, by status code"),
        Metric("interceptor_request_duration_seconds", "histogram", _INTERCEPTOR, "request latency as clients see it"),
        Metric("interceptor_request_concurrency", "gauge", ("route_name", "route_namespace"), "requests in flight"),
    ))

# knative/serving knative-v1.23.0 pkg/queue/request_metric.go (OTel instruments), exported with
# knative/pkg's UnderscoreEscapingWithSuffixes translation on :9091 (pkg/queue/sharedmain/otel.go)
# only when config-observability sets `request-metrics-protocol: prometheus` (default: none).
QUEUE_PROXY = Exporter(
    "knative-queue-proxy", "Knative queue-proxy", "knative/serving knative-v1.23.0 pkg/queue/request_metric.go",
    "the pod's `http-usermetric` port (9091), `/metrics`",
    "knative mode with `platform.prometheus.knative_request_metrics: true`", "podmonitor-job", (
        Metric("kn_serving_invocation_duration_seconds", "histogram", ("http_response_status_code",),
               "request latency at the pod, by status code"),
        Metric("kn_serving_queue_depth", "gauge", (), "requests queued in the pod"),
    ))

# NVIDIA dcgm-exporter 4.5.3 etc/default-counters.csv (= the GPU Operator's dcp-metrics-included.csv):
# every enabled field, exported under its field name.
DCGM = Exporter(
    "dcgm-exporter", "NVIDIA DCGM exporter", "NVIDIA/dcgm-exporter 4.5.3 etc/default-counters.csv",
    "the GPU Operator's `nvidia-dcgm-exporter` ServiceMonitor; pod labels as `exported_pod` without honorLabels",
    "endpoints that request a GPU", "pod-name", tuple(
        Metric(name, kind, _DCGM, meaning) for name, kind, meaning in (
            ("DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock (MHz)"),
            ("DCGM_FI_DEV_MEM_CLOCK", "gauge", "memory clock (MHz)"),
            ("DCGM_FI_DEV_MEMORY_TEMP", "gauge", "memory temperature (C)"),
            ("DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (C)"),
            ("DCGM_FI_DEV_POWER_USAGE", "gauge", "power draw (W)"),
            ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter", "energy since boot (mJ)"),
            ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter", "PCIe retries"),
            ("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilisation (%)"),
            ("DCGM_FI_DEV_MEM_COPY_UTIL", "gauge", "memory utilisation (%)"),
            ("DCGM_FI_DEV_ENC_UTIL", "gauge", "encoder utilisation (%)"),
            ("DCGM_FI_DEV_DEC_UTIL", "gauge", "decoder utilisation (%)"),
            ("DCGM_FI_DEV_XID_ERRORS", "gauge", "the last XID error seen (sticky: a value, not a count)"),
            ("DCGM_FI_DEV_FB_FREE", "gauge", "framebuffer free (MiB)"),
            ("DCGM_FI_DEV_FB_USED", "gauge", "framebuffer used (MiB)"),
            ("DCGM_FI_DEV_FB_RESERVED", "gauge", "framebuffer reserved (MiB)"),
            ("DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", "counter", "NVLink bandwidth counters"),
            ("DCGM_FI_DEV_VGPU_LICENSE_STATUS", "gauge", "vGPU licence status"),
            ("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "counter", "rows remapped for uncorrectable errors"),
            ("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "counter", "rows remapped for correctable errors"),
            ("DCGM_FI_DEV_ROW_REMAP_FAILURE", "gauge", "row remapping failed"),
            ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gauge", "graphics engine active ratio"),
            ("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "gauge", "tensor pipe active ratio"),
            ("DCGM_FI_PROF_DRAM_ACTIVE", "gauge", "memory interface active ratio"),
            ("DCGM_FI_PROF_PCIE_TX_BYTES", "gauge", "PCIe transmit rate (B/s)"),
            ("DCGM_FI_PROF_PCIE_RX_BYTES", "gauge", "PCIe receive rate (B/s)"),
        )))

# kubernetes/kube-state-metrics docs/metrics/workload/pod-metrics.md (commit 96a6db8): the state of every
# container the API server reports, labelled with the pod's own `namespace`, `pod` and `container`
# (kube-prometheus-stack scrapes it with honorLabels; without, Prometheus renames them `exported_*`).
# `terminated_reason` is the current state (a pod that does not restart: a training step),
# `last_terminated_reason` the state before the last restart (a serving pod the kubelet restarted).
_KSM = ("namespace", "pod", "container", "uid")
KUBE_STATE_METRICS = Exporter(
    "kube-state-metrics", "kube-state-metrics", "kubernetes/kube-state-metrics docs/metrics/workload/pod-metrics.md",
    "the cluster's kube-state-metrics Deployment (kube-prometheus-stack installs it with its ServiceMonitor)",
    "every endpoint and pipeline step (it reports every pod of the cluster)", "pod-name", (
        Metric("kube_pod_container_status_restarts_total", "counter", _KSM, "restarts of the container"),
        Metric("kube_pod_container_status_terminated_reason", "gauge", (*_KSM, "reason"),
               "1 for the reason the container is terminated now (OOMKilled, Error, ...)"),
        Metric("kube_pod_container_status_last_terminated_reason", "gauge", (*_KSM, "reason"),
               "1 for the reason of the container's last termination, before its restart"),
        Metric("kube_pod_container_status_last_terminated_exitcode", "gauge", _KSM,
               "the exit code of the container's last termination"),
    ))

# prometheus/prometheus v3.13.1 scrape/scrape.go: `up` for every target, with the target labels the
# Prometheus Operator's PodMonitor config sets (pkg/prometheus/promcfg.go generatePodMonitorConfig).
UP = Exporter(
    "prometheus", "Prometheus (scrape health)", "prometheus/prometheus v3.13.1 scrape/scrape.go",
    "every target of the endpoint's PodMonitor", "every endpoint", "podmonitor-job", (
        Metric("up", "gauge", ("job", "instance", "namespace", "pod", "container", "endpoint"),
               "1 when the last scrape of the pod succeeded"),
    ))

LAYERS = (INTERCEPTOR, QUEUE_PROXY, DCGM, KUBE_STATE_METRICS, UP)
#: What a pipeline step's alerts may read: its containers' state, and its GPUs when it has any.
STEP_EXPORTERS = (KUBE_STATE_METRICS, DCGM)

class Signal(NamedTuple):
    """Where one SLO is measured for an endpoint: an exporter and its histogram (latency) or counter (errors)."""

    exporter: Exporter
    metric: Metric
    status_label: str | None = None   # errors: the label holding the HTTP status code


class EndpointMetrics(NamedTuple):
    """Every exporter an endpoint has, and where each of its SLOs is measured (None: it cannot be)."""

    server_key: str
    server: ModelServer
    exporters: tuple[Exporter, ...]
    latency: Signal | None
    errors: Signal | None

    def series(self) -> frozenset[str]:
        return frozenset(s for e in self.exporters for m in e.metrics for s in m.series)

    def has(self, exporter: Exporter) -> bool:
        return exporter in self.exporters


def server_for(spec: "Spec", endpoint_name: str) -> str:
    """The metric family of the server an endpoint runs: its runtime image's `server`, else the family of the
    server the endpoint names (`serving.<name>.server`), else that of its model format's default server."""
    endpoint = spec.serving[endpoint_name]
    runtime = spec.runtimes.get(endpoint.runtime)
    declared = getattr(runtime, "server", None)
    if declared:
        return declared
    model = spec.models.get(endpoint.model)
    if model is None:
        return "custom"
    return SERVING_RUNTIMES[server_name(getattr(endpoint, "server", None), model.format)].family


def for_endpoint(spec: "Spec", endpoint_name: str) -> EndpointMetrics:
    endpoint = spec.serving[endpoint_name]
    mode = spec.platform.serving_mode
    key = server_for(spec, endpoint_name)
    server = SERVERS[key]
    exporters: list[Exporter] = [server.exporter]
    interceptor = mode == "standard" and through_interceptor(endpoint, mode)
    queue_proxy = mode == "knative" and spec.platform.prometheus.knative_request_metrics
    if interceptor:
        exporters.append(INTERCEPTOR)
    if queue_proxy:
        exporters.append(QUEUE_PROXY)
    if endpoint.resources.uses_gpu:
        exporters.append(DCGM)
    exporters += [KUBE_STATE_METRICS, UP]
    # Latency and errors as clients see them when a proxy in front counts them; else what the server has.
    if interceptor:
        latency = Signal(INTERCEPTOR, INTERCEPTOR.metric("interceptor_request_duration_seconds"))
        errors = Signal(INTERCEPTOR, INTERCEPTOR.metric("interceptor_request_count_total"), "code")
    elif queue_proxy:
        duration = QUEUE_PROXY.metric("kn_serving_invocation_duration_seconds")
        latency = Signal(QUEUE_PROXY, duration)
        errors = Signal(QUEUE_PROXY, duration, "http_response_status_code")
    else:
        latency = Signal(server.exporter, server.exporter.metric(server.latency)) if server.latency else None
        errors = None   # no model server here exports requests by status
    return EndpointMetrics(key, server, tuple(exporters), latency, errors)


#: LLM SLOs (monitoring.<endpoint>.slo) -> the vLLM series each reads.
LLM_SLOS: dict[str, str] = {
    "time_to_first_token_p99": "vllm:time_to_first_token_seconds",
    "time_per_output_token_p99": "vllm:inter_token_latency_seconds",
    "queue_depth": "vllm:num_requests_waiting",
}
#: Every SLO field whose measurability depends on the endpoint's exporters.
MEASURED_SLOS = ("latency_p99", "error_rate", *LLM_SLOS)


def llm_signal(spec: "Spec", endpoint_name: str, slo: str) -> Metric | None:
    """The vLLM metric an LLM SLO reads for the endpoint, or None when its server does not export it."""
    metrics = for_endpoint(spec, endpoint_name)
    if not metrics.has(VLLM.exporter):
        return None
    return VLLM.exporter.metric(LLM_SLOS[slo])


def unmeasurable_hint(spec: "Spec", endpoint_name: str, slo: str) -> str:
    """What would make an SLO (`latency_p99`, `error_rate`, an LLM SLO) measurable for an endpoint."""
    if slo in LLM_SLOS:
        return ("serve the model with `server: vllm` (docs/llm.md), whose engine exports "
                f"{LLM_SLOS[slo]}, or remove the SLO")
    mode = spec.platform.serving_mode
    if mode == "knative":
        return ("export Knative's request metrics (config-observability `request-metrics-protocol: prometheus`) "
                "and set platform.prometheus.knative_request_metrics: true")
    what = "measures request latency" if slo == "latency_p99" else "counts requests by status code"
    return (f"autoscale on concurrency or rps (the KEDA HTTP add-on's interceptor in front then {what}), or "
            "serve with a server that exports it (runtimes.<name>.server, docs/metric-contract.md)")


def why_unmeasurable(spec: "Spec", endpoint_name: str, slo: str) -> str | None:
    """Why an SLO of an endpoint cannot be measured, or None when it can (`availability` always can: `up`)."""
    if slo in LLM_SLOS:
        if llm_signal(spec, endpoint_name, slo) is not None:
            return None
        return f"{for_endpoint(spec, endpoint_name).server.exporter.title} does not export {LLM_SLOS[slo]}"
    if slo not in ("latency_p99", "error_rate"):
        return None
    metrics = for_endpoint(spec, endpoint_name)
    if (metrics.latency if slo == "latency_p99" else metrics.errors) is not None:
        return None
    server = metrics.server.exporter.title
    layer = "no proxy in front counts requests" if spec.platform.serving_mode == "standard" else \
        "Knative's request metrics are not exported (off by default)"
    what = "request latency histogram" if slo == "latency_p99" else "request count by status code"
    return f"{server} exports no {what}, and {layer}"


# --- the docs table ---------------------------------------------------------------------------

def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown() -> str:
    """docs/metric-contract.md, generated (tests/test_metric_contract.py checks it is current)."""
    lines = [
        "# Metric contract",
        "",
        "<!-- Generated by `python -m compiler.metric_contract > docs/metric-contract.md`; do not edit. -->",
        "",
        "Generated alerts and autoscaling queries read only the series listed here for an endpoint's model",
        "server and serving mode, or the `mlops_*` series the monitor jobs push (backends/kubernetes/metrics.py),",
        "or the user's own business queries. An SLO nothing here can measure is not compiled into an alert;",
        "lint rule MON006 says so at the SLO. Sources: `../shared/crds/metrics/` and the KServe runtimes.",
        "",
        "## Which server an endpoint runs",
        "",
        "The model format picks a KServe ClusterServingRuntime (protocol v1 is the InferenceService default);",
        "`runtimes.<name>.server` overrides the server family when the image runs another one.",
        "",
        _row("format", "runtime (protocol v1)", "runtime (protocol v2)", "server", "metrics port"),
        _row("---", "---", "---", "---", "---"),
    ]
    for name, serving in FORMATS.items():
        server = SERVERS[serving.server]
        port = server.metrics_port if server.metrics_port is not None else "the serving port"
        lines.append(_row(f"`{name}`", serving.runtime_v1 or "none", serving.runtime_v2 or "none",
                          f"`{serving.server}`", port))
    lines += ["", "An endpoint may name its server (`serving.<name>.server`); each is one of KServe's runtimes told,",
              "where it has a choice, which backend to run, so that its metrics are known:", "",
              _row("server", "formats", "arguments", "readiness", "metric family", "llm settings"),
              _row("---", "---", "---", "---", "---", "---")]
    for name, runtime in SERVING_RUNTIMES.items():
        lines.append(_row(f"`{name}`", ", ".join(runtime.formats), " ".join(f"`{a}`" for a in runtime.args) or "none",
                          f"`{runtime.ready_path}`" if runtime.ready_path else "TCP", f"`{runtime.family}`",
                          "yes" if runtime.llm else "no"))
    lines += ["", "## What each exporter provides", ""]
    for exporter in [s.exporter for s in SERVERS.values()] + list(LAYERS):
        lines += [f"### {exporter.title} (`{exporter.key}`)", "",
                  f"- exists for: {exporter.exists_for}", f"- scraped from: {exporter.scraped}",
                  f"- source: `{exporter.source}`", ""]
        if exporter.metrics:
            lines += [_row("series", "type", "labels", "meaning"), _row("---", "---", "---", "---")]
            for metric in exporter.metrics:
                lines.append(_row(", ".join(f"`{s}`" for s in metric.series), metric.type,
                                  ", ".join(f"`{label}`" for label in metric.labels) or "none", metric.meaning))
        else:
            lines.append("No metric names are known: alerts read only `up` for it.")
        lines.append("")
    lines += [
        "## Where each SLO is measured",
        "",
        _row("mode and scaler", "latency_p99", "error_rate", "availability"),
        _row("---", "---", "---", "---"),
        _row("standard, concurrency/rps (interceptor)", "`interceptor_request_duration_seconds`",
             "`interceptor_request_count_total{code=~\"5..\"}`", "`up` (+ `absent`)"),
        _row("knative, request metrics exported", "`kn_serving_invocation_duration_seconds`",
             "`kn_serving_invocation_duration_seconds_count{http_response_status_code=~\"5..\"}`", "`up` (+ `absent`)"),
        _row("otherwise", "the server's latency histogram (kserve, vllm); none for torchserve, triton, mlserver, "
             "custom", "not measurable", "`up` (+ `absent`)"),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - the docs generator
    print(markdown(), end="")
