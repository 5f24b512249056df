"""The metric names and label contract between generated workloads and generated alerts/autoscalers.

- What the model servers and the serving layer export for an endpoint is the metric contract
  (`compiler/metric_contract.py`, docs/metric-contract.md); the selectors here say how a query picks
  one endpoint's series out of it: by the scrape job of the endpoint's PodMonitor (which selects
  every predictor pod of the InferenceService, stable and canary, in both serving modes), by the
  interceptor's route labels, or, for DCGM exporter, by pod name.
- The project's own monitor jobs (`mlops monitor`) push the `mlops_*` metrics below to the
  Pushgateway (`platform.prometheus.pushgateway`); the generated config of each job names them and
  their labels, so the job pushes exactly what the alerts and the retraining gate read.
"""
from __future__ import annotations

from compiler.metric_contract import DCGM, KSERVE, KUBE_STATE_METRICS, VLLM

# --- what the monitor jobs push (gauges; one group per system, endpoint and job on the Pushgateway) ---
# Labels: `mlops_system` and `mlops_endpoint` on every series, never `namespace`, `endpoint`, `job`,
# `instance`, `pod` or `service`: those are the target labels the Prometheus Operator sets when it
# scrapes, and a pushed label of the same name is overwritten or renamed (`exported_*`).
SYSTEM_LABEL = "mlops_system"
ENDPOINT_LABEL = "mlops_endpoint"
#: Drift score of one feature: labels + `feature`, `method` (psi | ks | wasserstein | jensen_shannon).
DRIFT_SCORE = "mlops_drift_score"
#: 1 when the current window passed the data contract, 0 when it failed.
DATA_QUALITY_PASSED = "mlops_data_quality_passed"
#: Event time (Unix seconds) of the newest row of the current window: freshness is `time() - this`.
DATA_NEWEST_TIMESTAMP = "mlops_data_newest_timestamp_seconds"
#: Estimated performance before labels arrive: labels + `metric` (e.g. roc_auc, mae), `estimator` (cbpe | dle).
ESTIMATED_PERFORMANCE = "mlops_estimated_performance"
#: Relative drop of that estimate from the reference (0.05 = 5 % worse): labels + `metric`, `estimator`.
PERFORMANCE_DROP = "mlops_estimated_performance_drop_ratio"
#: When a monitor job last finished successfully (Unix seconds): labels + `mlops_job` (drift | estimate).
LAST_SUCCESS = "mlops_monitor_last_success_timestamp_seconds"
JOB_LABEL = "mlops_job"
#: Every series the monitor jobs push (the contract test accepts these beside the exporters' series).
PUSHED = (DRIFT_SCORE, DATA_QUALITY_PASSED, DATA_NEWEST_TIMESTAMP, ESTIMATED_PERFORMANCE, PERFORMANCE_DROP,
          LAST_SUCCESS)

# --- exporters' series the lowering names (each is in the metric contract) -------------------------
DCGM_FB_USED = DCGM.metric("DCGM_FI_DEV_FB_USED").name
DCGM_FB_FREE = DCGM.metric("DCGM_FI_DEV_FB_FREE").name
DCGM_XID = DCGM.metric("DCGM_FI_DEV_XID_ERRORS").name
DCGM_GPU_UTIL = DCGM.metric("DCGM_FI_DEV_GPU_UTIL").name
VLLM_WAITING = VLLM.exporter.metric("vllm:num_requests_waiting").name
VLLM_KV_CACHE = VLLM.exporter.metric("vllm:kv_cache_usage_perc").name
VLLM_PREEMPTIONS = VLLM.exporter.metric("vllm:num_preemptions_total").name
VLLM_TTFT = VLLM.exporter.metric("vllm:time_to_first_token_seconds").name
VLLM_TPOT = VLLM.exporter.metric("vllm:inter_token_latency_seconds").name
KSM_RESTARTS = KUBE_STATE_METRICS.metric("kube_pod_container_status_restarts_total").name
KSM_TERMINATED_REASON = KUBE_STATE_METRICS.metric("kube_pod_container_status_terminated_reason").name
KSM_LAST_TERMINATED_REASON = KUBE_STATE_METRICS.metric("kube_pod_container_status_last_terminated_reason").name
#: The predict-latency buckets KServe's Python server exports (what a synthetic predictor in the tests serves).
LATENCY_BUCKETS = KSERVE.exporter.metric("request_predict_seconds").series[0]

#: Labels the Prometheus Operator sets on every target it scrapes from a PodMonitor or ServiceMonitor
#: (pkg/prometheus/promcfg.go generatePodMonitorConfig / generateServiceMonitorConfig), plus Prometheus's
#: `instance`. A rule label of the same name overwrites what the series said about its target.
TARGET_LABELS = frozenset({"namespace", "pod", "container", "service", "endpoint", "job", "instance"})


def podmonitor_job(namespace: str, podmonitor: str) -> str:
    """The `job` label of every target of a PodMonitor: `<namespace>/<name>` (generatePodMonitorConfig)."""
    return f"{namespace}/{podmonitor}"


def scrape_job(namespace: str, podmonitor: str) -> str:
    """The label matchers of the series scraped from one PodMonitor's targets."""
    return f'namespace="{namespace}", job="{podmonitor_job(namespace, podmonitor)}"'


def interceptor_route(namespace: str, route: str) -> str:
    """The label matchers of the interceptor's series for one HTTPScaledObject (`route_name` is its name)."""
    return f'route_namespace="{namespace}", route_name="{route}"'


def predictor_workloads(isvc: dict) -> list[str]:
    """The names of the workloads whose pods serve an InferenceService's predictor (stable, then canaries).

    kserve/kserve v0.20.0 pkg/constants/constants.go PredictorServiceName: `<isvc>-predictor`, or
    `<isvc>-<predictor.name>-predictor` for a named predictor; Standard mode runs one Deployment per
    predictor of `spec.canary[]` (components/predictor.go reconcileCanaryDeployments), Knative one
    Knative Service whose revisions' pods are `<ksvc>-<00001>-deployment-...`.
    """
    name = isvc["metadata"]["name"]
    spec = isvc.get("spec") or {}

    def workload(predictor: dict) -> str:
        named = predictor.get("name")
        return f"{name}-{named}-predictor" if named else f"{name}-predictor"

    names = [workload(spec.get("predictor") or {})]
    names += [workload(canary.get("predictor") or {}) for canary in spec.get("canary") or []]
    return list(dict.fromkeys(names))   # an unnamed canary would share the stable predictor's name


def pod_name_pattern(workloads: list[str]) -> str:
    """A regular expression for the pods of these workloads (a Deployment's pods are `<name>-<hash>-<hash>`)."""
    if len(workloads) == 1:
        return f"{workloads[0]}-.*"
    return f"({'|'.join(workloads)})-.*"


def predictor_pods(namespace: str, service: str) -> str:
    """The label matchers of an InferenceService's stable predictor pods (what its own autoscaler scales)."""
    return f'namespace="{namespace}", pod=~"{service}-predictor-.*"'


def dcgm_series(metric: str, namespace: str, service: str, pods: str | None = None, wrap: str = "{}") -> str:
    """A DCGM metric of the predictor pods' GPUs, whichever way Prometheus labelled the pod.

    dcgm-exporter labels each GPU's series with the pod using it (`pod`, `namespace`). Scraped
    without honorLabels (the GPU Operator's ServiceMonitor default), Prometheus keeps its own target
    labels there and renames the exporter's to `exported_pod` / `exported_namespace`: an alert that
    only matched `pod` would then never fire. Both forms are matched and normalised to `pod`.
    `pods` is a pod-name pattern (default: the stable predictor's pods); `wrap` a function applied to
    each selector before the relabelling (`changes({}[10m])`).
    """
    return pod_series(metric, namespace, pods or f"{service}-predictor-.*", wrap)


def pod_series(metric: str, namespace: str, pods: str, wrap: str = "{}", container: str | None = None,
               extra: str = "") -> str:
    """A metric an exporter labels with the pod it describes (DCGM exporter, kube-state-metrics), in both forms.

    Scraped with honorLabels the exporter's `namespace`/`pod`/`container` stay; without, Prometheus puts
    its own target labels there and renames the exporter's to `exported_*`. Both are matched and the
    result is normalised to `pod` and `namespace`; `container` is matched as `container` or
    `exported_container` (aggregate by `pod`). `extra`: more matchers (`reason="OOMKilled"`), the same
    in both forms.
    """
    more = f", {extra}" if extra else ""
    own_container = f', container="{container}"' if container else ""
    exported_container = f', exported_container="{container}"' if container else ""
    own = wrap.format(f'{metric}{{namespace="{namespace}", pod=~"{pods}"{own_container}{more}}}')
    exported = wrap.format(f'{metric}{{exported_namespace="{namespace}", exported_pod=~"{pods}"'
                           f'{exported_container}{more}}}')
    renamed = (f'label_replace(label_replace({exported}, "pod", "$1", "exported_pod", "(.*)"), '
               f'"namespace", "$1", "exported_namespace", "(.*)")')
    return f"({own} or {renamed})"


def endpoint_labels(system: str, endpoint: str) -> str:
    """The label matchers of the series the monitor jobs push for one endpoint."""
    return f'{SYSTEM_LABEL}="{system}", {ENDPOINT_LABEL}="{endpoint}"'
