"""`promtool test rules` on the generated alert rules: each alert kind fires on series named and labelled as
the real exporters write them, and stays silent when it should.

Input series follow the exporters' own names and labels (compiler/metric_contract.py, ../shared/crds/metrics/):
KServe's `request_predict_seconds` histogram with `model_name`, vLLM's `vllm:e2e_request_latency_seconds`,
Knative's queue-proxy `kn_serving_invocation_duration_seconds` with `http_response_status_code`, the KEDA HTTP
interceptor's `interceptor_request_*` with `code`, `route_name`, `route_namespace` (scraped in the add-on's
own namespace), DCGM exporter's `DCGM_FI_DEV_*` with `exported_pod`/`exported_namespace` (the GPU Operator's
ServiceMonitor does not honour labels), the Pushgateway's `mlops_*`, and `up` with the target labels the
Prometheus Operator sets for a PodMonitor (job `<namespace>/<name>`, namespace, pod, container, endpoint).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from backends.kubernetes import lower_files
from compiler.checked_spec import check_bytes
from tests.compile_support import EXAMPLE, REPO_ROOT
from tests.upstream_tools import run

KNATIVE = REPO_ROOT / "tests" / "cases" / "knative-monitoring.yaml"
LLM = REPO_ROOT / "examples" / "llm" / "mlops.yaml"
ALL_ALERTS = REPO_ROOT / "tests" / "cases" / "monitoring-all-alerts.yaml"

SERVER_SPEC = """apiVersion: mlops/v1
kind: System
metadata: {{name: t, namespace: t-ml}}
models: {{m: {{version: 1, format: xgboost}}}}
runtimes: {{s: {{image: ghcr.io/acme/s:1.0.0{server}}}}}
serving: {{api: {{model: m, runtime: s, replicas: {{min: 2, max: 4}}, autoscale: {{metric: cpu, target: 70}}}}}}
monitoring:
  api:
    slo: {{latency_p99: 250ms, availability: 99%}}
"""


@functools.cache
def rule_object(spec: str, env: str | None, endpoint: str) -> dict:
    """The PrometheusRule compiled for one endpoint (`spec`: a path, or YAML text)."""
    path = Path(spec) if "\n" not in spec else None
    text = path.read_bytes() if path else spec.encode("utf-8")
    files = lower_files(check_bytes(text, str(path or "mlops.yaml"), env))
    label, key = ("mlops.dev/pipeline", endpoint.split(":", 1)[1]) if endpoint.startswith("pipeline:") else \
        ("mlops.dev/endpoint", endpoint)
    return next(o for objs in files.values() for o in objs if o["kind"] == "PrometheusRule"
                and o["metadata"]["labels"].get(label) == key)


def rule(obj: dict, alertname: str, index: int = 0) -> dict:
    return [r for g in obj["spec"]["groups"] for r in g["rules"] if r.get("alert") == alertname][index]


@dataclass(frozen=True)
class Scenario:
    id: str
    spec: str
    endpoint: str
    alert: str
    series: tuple[tuple[str, str], ...]
    fires: bool
    eval_time: str = "20m"
    env: str | None = "prod"
    result_labels: dict = field(default_factory=dict)   # labels the expression's result carries


# Target labels of the endpoints' PodMonitors (job = <namespace>/<name>) and of the interceptor's own scrape.
FRAUD = 'namespace="fraud-ml", job="fraud-ml/fraud-fraud-api", container="kserve-container", endpoint="http1"'
MERCHANT = 'namespace="fraud-ml", job="fraud-ml/fraud-merchant-embed", container="kserve-container", endpoint="http1"'
INTERCEPTOR = ('job="keda-add-ons-http-interceptor-metrics", namespace="keda", instance="10.0.9.9:2223", '
               'pod="keda-add-ons-http-interceptor-6c9f-x2x7q", method="POST", route_name="fraud-fraud-api", '
               'route_namespace="fraud-ml"')
VISION = 'namespace="vision-ml", job="vision-ml/vision-detect", pod="vision-detect-predictor-00001-deployment-5d8-q2w", ' \
         'container="queue-proxy", endpoint="http-usermetric"'
PUSHED = 'job="pushgateway", instance="10.0.8.8:9091", mlops_system="fraud", mlops_endpoint="fraud-api"'
DCGM_TARGET = ('job="nvidia-dcgm-exporter", namespace="gpu-operator", pod="nvidia-dcgm-exporter-8x2kd", '
               'instance="10.0.5.5:9400", gpu="0", UUID="GPU-5f0e7c3a-1b2c-4d5e-8f90-a1b2c3d4e5f6", device="nvidia0", '
               'modelName="NVIDIA L4", Hostname="ip-10-0-5-5", exported_namespace="fraud-ml", '
               'exported_container="kserve-container", exported_pod="fraud-fraud-api-predictor-7d9f8-abcde"')
OTHER_NAMESPACE_GPU = DCGM_TARGET.replace('exported_namespace="fraud-ml"', 'exported_namespace="search"')
T_ML = 'namespace="t-ml", job="t-ml/t-api", container="kserve-container", endpoint="http1"'
# vLLM's series (labels model_name, engine: vllm v0.33.0 loggers.py) scraped by the chat endpoint's PodMonitor.
CHAT_POD = "assist-chat-predictor-6b7c9-q8x2p"
CHAT = (f'namespace="assist-ml", job="assist-ml/assist-chat", container="kserve-container", endpoint="http1", '
        f'pod="{CHAT_POD}", model_name="assist-chat", engine="0"')


# kube-state-metrics, scraped by kube-prometheus-stack's ServiceMonitor (honorLabels: the pod's own labels).
KSM = 'job="kube-state-metrics", instance="10.0.7.7:8080", uid="9f1c2d3e-0000-4a5b-8c7d-1e2f3a4b5c6d"'
FRAUD_POD = 'namespace="fraud-ml", pod="fraud-fraud-api-predictor-7d9f8-abcde", container="kserve-container"'
OTHER_POD = 'namespace="search", pod="fraud-fraud-api-predictor-7d9f8-abcde", container="kserve-container"'
TRAIN_POD = 'namespace="fraud-ml", pod="fraud-train-fraud-1764547200-train-2911846135", container="main"'
# DCGM exporter's GPU of the training step's pod, scraped without honorLabels (exported_*).
TRAIN_GPU = ('job="nvidia-dcgm-exporter", namespace="gpu-operator", pod="nvidia-dcgm-exporter-8x2kd", '
             'instance="10.0.6.6:9400", gpu="3", UUID="GPU-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d", device="nvidia3", '
             'modelName="NVIDIA A100-SXM4-80GB", Hostname="ip-10-0-6-6", exported_namespace="fraud-ml", '
             'exported_container="main", exported_pod="fraud-train-fraud-1764547200-train-2911846135"')
TRAIN = "pipeline:train-fraud"
TRAIN_RESULT = {"pod": "fraud-train-fraud-1764547200-train-2911846135"}
FRAUD_RESULT = {"pod": "fraud-fraud-api-predictor-7d9f8-abcde"}


def _histogram(name: str, labels: str, fast: float, slow: float, bounds=(0.1, 0.25, 0.5, 1.0),
               slow_bound: float = 1.0) -> list[tuple[str, str]]:
    """Cumulative buckets growing by `fast` requests a minute in the first bucket and `slow` a minute in the
    bucket ending at `slow_bound`."""
    series = []
    for bound in bounds:
        per_minute = fast + (slow if bound >= slow_bound else 0)
        series.append((f'{name}_bucket{{{labels}, le="{bound}"}}', f"0+{per_minute}x40"))
    series.append((f'{name}_bucket{{{labels}, le="+Inf"}}', f"0+{fast + slow}x40"))
    return series


def _requests(labels: str, ok: float, failed: float, name="interceptor_request_count_total", code="code"):
    return [(f'{name}{{{labels}, {code}="200"}}', f"0+{ok}x40"), (f'{name}{{{labels}, {code}="503"}}', f"0+{failed}x40")]


SCENARIOS = [
    # SLO latency, from each source the contract knows
    Scenario("latency-interceptor-fires", str(EXAMPLE), "fraud-api", "LatencyP99High",
             tuple(_histogram("interceptor_request_duration_seconds", INTERCEPTOR + ', code="200"', 90, 10)), True),
    Scenario("latency-interceptor-silent", str(EXAMPLE), "fraud-api", "LatencyP99High",
             tuple(_histogram("interceptor_request_duration_seconds", INTERCEPTOR + ', code="200"', 100, 0)), False),
    Scenario("latency-kserve-histogram-fires", SERVER_SPEC.format(server=""), "api", "LatencyP99High",
             tuple(_histogram("request_predict_seconds", T_ML + ', pod="t-api-predictor-5c-x1", model_name="t-api"',
                              80, 20)), True, env=None),
    Scenario("latency-kserve-histogram-silent", SERVER_SPEC.format(server=""), "api", "LatencyP99High",
             tuple(_histogram("request_predict_seconds", T_ML + ', pod="t-api-predictor-5c-x1", model_name="t-api"',
                              100, 0)), False, env=None),
    Scenario("latency-vllm-fires", SERVER_SPEC.format(server=", server: vllm"), "api", "LatencyP99High",
             tuple(_histogram("vllm:e2e_request_latency_seconds",
                              T_ML + ', pod="t-api-predictor-5c-x1", model_name="t-api", engine="0"', 50, 50)), True,
             env=None),
    Scenario("latency-vllm-silent", SERVER_SPEC.format(server=", server: vllm"), "api", "LatencyP99High",
             tuple(_histogram("vllm:e2e_request_latency_seconds",
                              T_ML + ', pod="t-api-predictor-5c-x1", model_name="t-api", engine="0"', 100, 0)), False,
             env=None),
    Scenario("latency-knative-queue-proxy-fires", str(KNATIVE), "detect", "LatencyP99High",
             tuple(_histogram("kn_serving_invocation_duration_seconds", VISION + ', http_response_status_code="200"',
                              70, 30)), True, env=None),
    Scenario("latency-knative-queue-proxy-silent", str(KNATIVE), "detect", "LatencyP99High",
             tuple(_histogram("kn_serving_invocation_duration_seconds", VISION + ', http_response_status_code="200"',
                              100, 0)), False, env=None),
    # SLO errors: counted by the proxy in front of the pods
    Scenario("errors-interceptor-fires", str(EXAMPLE), "fraud-api", "ErrorRateHigh",
             tuple(_requests(INTERCEPTOR, 950, 50)), True),
    Scenario("errors-interceptor-silent", str(EXAMPLE), "fraud-api", "ErrorRateHigh",
             tuple(_requests(INTERCEPTOR, 999, 0.5)), False),
    Scenario("errors-knative-fires", str(KNATIVE), "detect", "ErrorRateHigh",
             tuple(_requests(VISION + ', le="+Inf"', 90, 10, "kn_serving_invocation_duration_seconds_bucket",
                             "http_response_status_code")
                   + _requests(VISION, 90, 10, "kn_serving_invocation_duration_seconds_count",
                               "http_response_status_code")), True, env=None),
    Scenario("errors-knative-silent", str(KNATIVE), "detect", "ErrorRateHigh",
             tuple(_requests(VISION, 1000, 1, "kn_serving_invocation_duration_seconds_count",
                             "http_response_status_code")), False, env=None),
    # availability: scraped targets (stable and canary pods), and no target at all
    Scenario("availability-a-pod-down-fires", str(EXAMPLE), "fraud-api", "AvailabilityLow",
             ((f'up{{{FRAUD}, pod="fraud-fraud-api-predictor-7d9f8-abcde", instance="10.0.1.1:8080"}}', "1x40"),
              (f'up{{{FRAUD}, pod="fraud-fraud-api-canary-predictor-6b7c-zz9x8", instance="10.0.1.2:8080"}}', "0x40")),
             True),
    Scenario("availability-all-up-silent", str(EXAMPLE), "fraud-api", "AvailabilityLow",
             ((f'up{{{FRAUD}, pod="fraud-fraud-api-predictor-7d9f8-abcde", instance="10.0.1.1:8080"}}', "1x40"),
              (f'up{{{FRAUD}, pod="fraud-fraud-api-canary-predictor-6b7c-zz9x8", instance="10.0.1.2:8080"}}', "1x40")),
             False),
    Scenario("availability-every-target-gone-fires", str(EXAMPLE), "fraud-api", "AvailabilityLow",
             (('up{job="some-other-job", namespace="fraud-ml"}', "1x40"),), True,
             result_labels={"job": "fraud-ml/fraud-fraud-api"}),
    Scenario("endpoint-down-fires", str(EXAMPLE), "merchant-embed", "EndpointDown",
             ((f'up{{{MERCHANT}, pod="fraud-merchant-embed-predictor-5f6-aaaaa", instance="10.0.2.1:8080"}}', "0x40"),),
             True),
    Scenario("endpoint-down-gone-fires", str(EXAMPLE), "merchant-embed", "EndpointDown", (), True,
             result_labels={"job": "fraud-ml/fraud-merchant-embed"}),
    Scenario("endpoint-down-one-up-silent", str(EXAMPLE), "merchant-embed", "EndpointDown",
             ((f'up{{{MERCHANT}, pod="fraud-merchant-embed-predictor-5f6-aaaaa", instance="10.0.2.1:8080"}}', "0x40"),
              (f'up{{{MERCHANT}, pod="fraud-merchant-embed-predictor-5f6-bbbbb", instance="10.0.2.2:8080"}}', "1x40")),
             False),
    # business metrics: the user's query against its bound, for its `for`
    Scenario("business-below-min-fires", str(EXAMPLE), "fraud-api", "ApprovalRateBelowMin",
             (('fraud_decisions_total{decision="approve", job="fraud-api"}', "0+70x120"),
              ('fraud_decisions_total{decision="decline", job="fraud-api"}', "0+30x120")), True, eval_time="100m"),
    Scenario("business-within-bound-silent", str(EXAMPLE), "fraud-api", "ApprovalRateBelowMin",
             (('fraud_decisions_total{decision="approve", job="fraud-api"}', "0+90x120"),
              ('fraud_decisions_total{decision="decline", job="fraud-api"}', "0+10x120")), False, eval_time="100m"),
    # drift, held while data quality fails; the drift job's silence
    Scenario("drift-fires", str(EXAMPLE), "fraud-api", "DriftScoreHigh",
             ((f'mlops_drift_score{{{PUSHED}, feature="amount", method="psi"}}', "0.35x40"),
              (f'mlops_drift_score{{{PUSHED}, feature="merchant_category", method="psi"}}', "0.05x40"),
              (f"mlops_data_quality_passed{{{PUSHED}}}", "1x40")), True),
    Scenario("drift-held-while-data-quality-fails", str(EXAMPLE), "fraud-api", "DriftScoreHigh",
             ((f'mlops_drift_score{{{PUSHED}, feature="amount", method="psi"}}', "0.35x40"),
              (f"mlops_data_quality_passed{{{PUSHED}}}", "0x40")), False),
    *(scenario for job in ("drift", "estimate") for scenario in (
        Scenario(f"{job}-job-stale-fires", str(EXAMPLE), "fraud-api", f"{job.capitalize()}JobStale",
                 ((f'mlops_monitor_last_success_timestamp_seconds{{{PUSHED}, mlops_job="{job}"}}', "0x200"),), True,
                 eval_time="150m"),
        Scenario(f"{job}-job-reporting-silent", str(EXAMPLE), "fraud-api", f"{job.capitalize()}JobStale",
                 ((f'mlops_monitor_last_success_timestamp_seconds{{{PUSHED}, mlops_job="{job}"}}', "0+60x200"),), False,
                 eval_time="150m"),
        Scenario(f"{job}-job-never-reported-fires", str(EXAMPLE), "fraud-api", f"{job.capitalize()}JobNeverReported",
                 ((f'mlops_monitor_last_success_timestamp_seconds{{{PUSHED}, mlops_job="other"}}', "0+60x200"),), True,
                 eval_time="150m", result_labels={"mlops_job": job}),
        Scenario(f"{job}-job-reported-silent", str(EXAMPLE), "fraud-api", f"{job.capitalize()}JobNeverReported",
                 ((f'mlops_monitor_last_success_timestamp_seconds{{{PUSHED}, mlops_job="{job}"}}', "0+60x200"),), False,
                 eval_time="150m"),
    )),
    # data quality and freshness (newest row's event time against time())
    Scenario("data-quality-failing-fires", str(EXAMPLE), "fraud-api", "DataQualityFailing",
             ((f"mlops_data_quality_passed{{{PUSHED}}}", "0x40"),), True),
    Scenario("data-quality-passing-silent", str(EXAMPLE), "fraud-api", "DataQualityFailing",
             ((f"mlops_data_quality_passed{{{PUSHED}}}", "1x40"),), False),
    Scenario("input-stale-fires", str(EXAMPLE), "fraud-api", "InputDataStale",
             ((f"mlops_data_newest_timestamp_seconds{{{PUSHED}}}", "0x200"),), True, eval_time="150m"),
    Scenario("input-fresh-silent", str(EXAMPLE), "fraud-api", "InputDataStale",
             ((f"mlops_data_newest_timestamp_seconds{{{PUSHED}}}", "0+60x200"),), False, eval_time="150m"),
    # estimated performance
    Scenario("performance-drop-fires", str(EXAMPLE), "fraud-api", "ModelPerformanceDrop",
             ((f'mlops_estimated_performance_drop_ratio{{{PUSHED}, metric="roc_auc", estimator="cbpe"}}', "0.08x40"),),
             True),
    Scenario("performance-steady-silent", str(EXAMPLE), "fraud-api", "ModelPerformanceDrop",
             ((f'mlops_estimated_performance_drop_ratio{{{PUSHED}, metric="roc_auc", estimator="cbpe"}}', "0.01x40"),),
             False),
    # GPU: DCGM series of the predictor pods' GPUs, labelled exported_pod by the GPU Operator's scrape
    Scenario("gpu-memory-near-full-fires", str(EXAMPLE), "fraud-api", "GpuMemoryNearFull",
             ((f"DCGM_FI_DEV_FB_USED{{{DCGM_TARGET}}}", "21500x40"), (f"DCGM_FI_DEV_FB_FREE{{{DCGM_TARGET}}}", "1000x40")),
             True, result_labels={"pod": "fraud-fraud-api-predictor-7d9f8-abcde"}),
    Scenario("gpu-memory-half-silent", str(EXAMPLE), "fraud-api", "GpuMemoryNearFull",
             ((f"DCGM_FI_DEV_FB_USED{{{DCGM_TARGET}}}", "11000x40"), (f"DCGM_FI_DEV_FB_FREE{{{DCGM_TARGET}}}", "11500x40")),
             False),
    Scenario("gpu-memory-other-namespace-silent", str(EXAMPLE), "fraud-api", "GpuMemoryNearFull",
             ((f"DCGM_FI_DEV_FB_USED{{{OTHER_NAMESPACE_GPU}}}", "21500x40"),
              (f"DCGM_FI_DEV_FB_FREE{{{OTHER_NAMESPACE_GPU}}}", "1000x40")), False),
    # XID errors, told apart: the program's faults, the hardware's, and the rest (DCGM keeps the last XID)
    Scenario("gpu-xid-hardware-fires", str(EXAMPLE), "fraud-api", "GpuXidHardwareError",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{DCGM_TARGET}}}", "0x15 79x60"),), True, eval_time="20m",
             result_labels=FRAUD_RESULT),
    Scenario("gpu-xid-hardware-on-program-fault-silent", str(EXAMPLE), "fraud-api", "GpuXidHardwareError",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{DCGM_TARGET}}}", "0x15 31x60"),), False, eval_time="20m"),
    Scenario("gpu-xid-sticky-last-value-silent", str(EXAMPLE), "fraud-api", "GpuXidHardwareError",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{DCGM_TARGET}}}", "0x15 79x60"),), False, eval_time="60m"),
    Scenario("gpu-xid-program-fires", str(EXAMPLE), "fraud-api", "GpuXidProgramError",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{DCGM_TARGET}}}", "0x15 31x60"),), True, eval_time="20m",
             result_labels=FRAUD_RESULT),
    Scenario("gpu-xid-program-on-hardware-fault-silent", str(EXAMPLE), "fraud-api", "GpuXidProgramError",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{DCGM_TARGET}}}", "0x15 48x60"),), False, eval_time="20m"),
    Scenario("gpu-xid-other-fires", str(EXAMPLE), "fraud-api", "GpuXidErrors",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{DCGM_TARGET}}}", "0x15 119x60"),), True, eval_time="20m",
             result_labels=FRAUD_RESULT),
    Scenario("gpu-xid-other-on-hardware-fault-silent", str(EXAMPLE), "fraud-api", "GpuXidErrors",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{DCGM_TARGET}}}", "0x15 79x60"),), False, eval_time="20m"),
    Scenario("gpu-xid-none-silent", str(EXAMPLE), "fraud-api", "GpuXidErrors",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{DCGM_TARGET}}}", "0x60"),), False, eval_time="30m"),
    # LLM SLOs and GPU memory on vLLM's own names (the LLM example's chat endpoint)
    Scenario("ttft-vllm-fires", str(LLM), "chat", "TimeToFirstTokenP99High",
             tuple(_histogram("vllm:time_to_first_token_seconds", CHAT, 90, 10, bounds=(0.5, 1.0, 2.5, 5.0),
                              slow_bound=5.0)), True,
             env=None),
    Scenario("ttft-vllm-silent", str(LLM), "chat", "TimeToFirstTokenP99High",
             tuple(_histogram("vllm:time_to_first_token_seconds", CHAT, 99, 1, bounds=(0.5, 1.0, 2.5, 5.0),
                              slow_bound=1.0)), False,
             env=None),
    Scenario("tpot-vllm-fires", str(LLM), "chat", "TimePerOutputTokenP99High",
             tuple(_histogram("vllm:inter_token_latency_seconds", CHAT, 90, 10, bounds=(0.025, 0.05, 0.1, 1.0))),
             True, env=None),
    Scenario("tpot-vllm-silent", str(LLM), "chat", "TimePerOutputTokenP99High",
             tuple(_histogram("vllm:inter_token_latency_seconds", CHAT, 100, 0, bounds=(0.025, 0.05, 0.1, 1.0))),
             False, env=None),
    Scenario("queue-deep-fires", str(LLM), "chat", "RequestQueueDeep",
             ((f"vllm:num_requests_waiting{{{CHAT}}}", "40x40"),), True, env=None, result_labels={"pod": CHAT_POD}),
    Scenario("queue-short-silent", str(LLM), "chat", "RequestQueueDeep",
             ((f"vllm:num_requests_waiting{{{CHAT}}}", "20x40"),), False, env=None),
    Scenario("kv-cache-saturated-fires", str(LLM), "chat", "KvCacheSaturated",
             ((f"vllm:kv_cache_usage_perc{{{CHAT}}}", "0.98x40"),), True, env=None, result_labels={"pod": CHAT_POD}),
    Scenario("kv-cache-busy-silent", str(LLM), "chat", "KvCacheSaturated",
             ((f"vllm:kv_cache_usage_perc{{{CHAT}}}", "0.8x40"),), False, env=None),
    Scenario("vllm-preempting-fires", str(LLM), "chat", "VllmPreemptions",
             ((f"vllm:num_preemptions_total{{{CHAT}}}", "0+3x40"),), True, env=None, result_labels={"pod": CHAT_POD}),
    Scenario("vllm-no-preemptions-silent", str(LLM), "chat", "VllmPreemptions",
             ((f"vllm:num_preemptions_total{{{CHAT}}}", "12x40"),), False, env=None),
    # vLLM preallocates 0.9 of each GPU: framebuffer use at 90 % is its idle state, and no alert reads it
    Scenario("vllm-preallocated-memory-silent", str(LLM), "chat", "KvCacheSaturated",
             ((f"DCGM_FI_DEV_FB_USED{{{DCGM_TARGET.replace('fraud-ml', 'assist-ml')}}}", "73000x40"),
              (f"DCGM_FI_DEV_FB_FREE{{{DCGM_TARGET.replace('fraud-ml', 'assist-ml')}}}", "8000x40"),
              (f"vllm:kv_cache_usage_perc{{{CHAT}}}", "0.1x40")), False, env=None),
    # GPU memory: a spike of one sample fires (the window's maximum), where an average would not
    Scenario("gpu-memory-spike-fires", str(EXAMPLE), "fraud-api", "GpuMemoryNearFull",
             ((f"DCGM_FI_DEV_FB_USED{{{DCGM_TARGET}}}", "10000x11 21500 10000x20"),
              (f"DCGM_FI_DEV_FB_FREE{{{DCGM_TARGET}}}", "12500x11 1000 12500x20")), True, eval_time="15m",
             result_labels=FRAUD_RESULT),
    # kube-state-metrics: the model server container OOM-killed and restarted, or restarting
    Scenario("container-oom-killed-fires", str(EXAMPLE), "fraud-api", "ContainerOOMKilled",
             ((f"kube_pod_container_status_restarts_total{{{KSM}, {FRAUD_POD}}}", "0x10 1x30"),
              (f'kube_pod_container_status_last_terminated_reason{{{KSM}, {FRAUD_POD}, reason="OOMKilled"}}',
               "_x10 1x30")), True, eval_time="15m", result_labels=FRAUD_RESULT),
    Scenario("container-oom-killed-long-ago-silent", str(EXAMPLE), "fraud-api", "ContainerOOMKilled",
             ((f"kube_pod_container_status_restarts_total{{{KSM}, {FRAUD_POD}}}", "0x10 1x50"),
              (f'kube_pod_container_status_last_terminated_reason{{{KSM}, {FRAUD_POD}, reason="OOMKilled"}}',
               "_x10 1x50")), False, eval_time="45m"),
    Scenario("container-restart-on-error-not-oom-silent", str(EXAMPLE), "fraud-api", "ContainerOOMKilled",
             ((f"kube_pod_container_status_restarts_total{{{KSM}, {FRAUD_POD}}}", "0x10 1x30"),
              (f'kube_pod_container_status_last_terminated_reason{{{KSM}, {FRAUD_POD}, reason="Error"}}',
               "_x10 1x30")), False, eval_time="15m"),
    Scenario("container-oom-other-namespace-silent", str(EXAMPLE), "fraud-api", "ContainerOOMKilled",
             ((f"kube_pod_container_status_restarts_total{{{KSM}, {OTHER_POD}}}", "0x10 1x30"),
              (f'kube_pod_container_status_last_terminated_reason{{{KSM}, {OTHER_POD}, reason="OOMKilled"}}',
               "_x10 1x30")), False, eval_time="15m"),
    Scenario("container-restarting-fires", str(EXAMPLE), "fraud-api", "ContainerRestarting",
             ((f"kube_pod_container_status_restarts_total{{{KSM}, {FRAUD_POD}}}", "0+1x40"),), True,
             result_labels=FRAUD_RESULT),
    Scenario("container-restarting-once-silent", str(EXAMPLE), "fraud-api", "ContainerRestarting",
             ((f"kube_pod_container_status_restarts_total{{{KSM}, {FRAUD_POD}}}", "0x10 1x30"),), False),
    # a training step's GPU pod: OOM kill (Argo does not restart it), GPU memory spike, XID
    Scenario("training-oom-killed-fires", str(EXAMPLE), TRAIN, "ContainerOOMKilled",
             ((f'kube_pod_container_status_terminated_reason{{{KSM}, {TRAIN_POD}, reason="OOMKilled"}}',
               "_x10 1x30"),), True, eval_time="15m", result_labels=TRAIN_RESULT),
    Scenario("training-oom-killed-hours-ago-silent", str(EXAMPLE), TRAIN, "ContainerOOMKilled",
             ((f'kube_pod_container_status_terminated_reason{{{KSM}, {TRAIN_POD}, reason="OOMKilled"}}',
               "_x10 1x60"),), False, eval_time="50m"),
    Scenario("training-completed-silent", str(EXAMPLE), TRAIN, "ContainerOOMKilled",
             ((f'kube_pod_container_status_terminated_reason{{{KSM}, {TRAIN_POD}, reason="Completed"}}',
               "_x10 1x30"),), False, eval_time="15m"),
    Scenario("training-gpu-memory-spike-fires", str(EXAMPLE), TRAIN, "GpuMemoryNearFull",
             ((f"DCGM_FI_DEV_FB_USED{{{TRAIN_GPU}}}", "40000x11 78000 40000x20"),
              (f"DCGM_FI_DEV_FB_FREE{{{TRAIN_GPU}}}", "41000x11 3000 41000x20")), True, eval_time="15m",
             result_labels=TRAIN_RESULT),
    Scenario("training-gpu-memory-half-silent", str(EXAMPLE), TRAIN, "GpuMemoryNearFull",
             ((f"DCGM_FI_DEV_FB_USED{{{TRAIN_GPU}}}", "40000x30"),
              (f"DCGM_FI_DEV_FB_FREE{{{TRAIN_GPU}}}", "41000x30")), False, eval_time="15m"),
    Scenario("training-xid-hardware-fires", str(EXAMPLE), TRAIN, "GpuXidHardwareError",
             ((f"DCGM_FI_DEV_XID_ERRORS{{{TRAIN_GPU}}}", "0x15 48x60"),), True, eval_time="20m",
             result_labels=TRAIN_RESULT),
    # every alert kind of the all-alerts case stays silent on healthy input
    Scenario("all-alerts-case-interceptor-errors-silent", str(ALL_ALERTS), "ctr-api", "ErrorRateHigh",
             tuple(_requests(INTERCEPTOR.replace("fraud-fraud-api", "ads-ctr-api").replace("fraud-ml", "ads-ml"),
                             999, 0)), False, env=None),
]


def promtool_test(scenario: Scenario, folder: Path) -> tuple[int, str]:
    obj = rule_object(scenario.spec, scenario.env, scenario.endpoint)
    (folder / "rules.yaml").write_text(yaml.safe_dump(obj["spec"], sort_keys=False), encoding="utf-8")
    alert = rule(obj, scenario.alert)
    expected = [{"exp_labels": {**scenario.result_labels, **alert["labels"]},
                 "exp_annotations": alert["annotations"]}] if scenario.fires else []
    test = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": series, "values": values} for series, values in scenario.series],
        "alert_rule_test": [{"eval_time": scenario.eval_time, "alertname": scenario.alert, "exp_alerts": expected}],
    }]}
    (folder / "test.yaml").write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    result = run("promtool", ["test", "rules", "test.yaml"], cwd=folder)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_alert(scenario, tmp_path):
    code, output = promtool_test(scenario, tmp_path)
    assert code == 0, output


def test_every_alert_kind_has_a_firing_and_a_silent_scenario():
    kinds = {s.alert for s in SCENARIOS}
    for kind in kinds:
        assert {s.fires for s in SCENARIOS if s.alert == kind} == {True, False}, kind
    emitted = {r["alert"] for spec, env, endpoint in ((str(EXAMPLE), "prod", "fraud-api"),
                                                      (str(EXAMPLE), "prod", "merchant-embed"),
                                                      (str(EXAMPLE), "prod", TRAIN))
               for g in rule_object(spec, env, endpoint)["spec"]["groups"] for r in g["rules"]}
    assert emitted - kinds <= {"ChargebackRateAboveMax", "EmbeddingCacheHitRateBelowMin"}, emitted - kinds


def test_vllm_endpoints_have_no_nominal_gpu_memory_alert():
    """vLLM sits at gpu_memory_utilization of each GPU from start: a framebuffer alert would fire forever."""
    emitted = {r["alert"] for g in rule_object(str(LLM), None, "chat")["spec"]["groups"] for r in g["rules"]}
    assert "GpuMemoryNearFull" not in emitted and {"KvCacheSaturated", "VllmPreemptions"} <= emitted
    embed = {r["alert"] for g in rule_object(str(LLM), None, "embed")["spec"]["groups"] for r in g["rules"]}
    assert "GpuMemoryNearFull" in embed and "KvCacheSaturated" not in embed


def test_a_scenario_can_fail(tmp_path):
    """The harness itself: a firing expectation on silent input is reported by promtool."""
    wrong = Scenario("wrong", str(EXAMPLE), "fraud-api", "DataQualityFailing",
                     ((f"mlops_data_quality_passed{{{PUSHED}}}", "1x40"),), True)
    code, output = promtool_test(wrong, tmp_path)
    assert code != 0 and "DataQualityFailing" in output
