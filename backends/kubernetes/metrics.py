"""The metric names and label contract between generated workloads and generated alerts/autoscalers.

- Model servers export KServe's Prometheus metrics: the request latency histogram
  `request_predict_seconds` (KServe's Python model server) and HTTP request counters
  `http_requests_total{code}`; pods are selected by namespace and the predictor pod name.
- The project's own monitor jobs (`mlops monitor`) push the `mlops_*` metrics below to the
  Pushgateway (`platform.prometheus.pushgateway`); the generated config of each job names them and
  their labels, so the job pushes exactly what the alerts and the retraining gate read.
- GPUs are observed through NVIDIA DCGM exporter metrics, labelled with the pod they serve.
"""
from __future__ import annotations

LATENCY_BUCKETS = "request_predict_seconds_bucket"
REQUESTS = "http_requests_total"
INFLIGHT = "http_requests_in_flight"

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
DCGM_FB_USED = "DCGM_FI_DEV_FB_USED"
DCGM_FB_FREE = "DCGM_FI_DEV_FB_FREE"
DCGM_XID = "DCGM_FI_DEV_XID_ERRORS"
DCGM_GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"


def predictor_pods(namespace: str, service: str) -> str:
    """The label matchers of an InferenceService's predictor pods."""
    return f'namespace="{namespace}", pod=~"{service}-predictor-.*"'


def dcgm_series(metric: str, namespace: str, service: str) -> str:
    """A DCGM metric of the predictor pods' GPUs, whichever way Prometheus labelled the pod.

    dcgm-exporter labels each GPU's series with the pod using it (`pod`, `namespace`). Scraped
    without honorLabels (the GPU Operator's ServiceMonitor default), Prometheus keeps its own target
    labels there and renames the exporter's to `exported_pod` / `exported_namespace`: an alert that
    only matched `pod` would then never fire. Both forms are matched and normalised to `pod`.
    """
    own = f'{metric}{{namespace="{namespace}", pod=~"{service}-predictor-.*"}}'
    exported = f'{metric}{{exported_namespace="{namespace}", exported_pod=~"{service}-predictor-.*"}}'
    renamed = (f'label_replace(label_replace({exported}, "pod", "$1", "exported_pod", "(.*)"), '
               f'"namespace", "$1", "exported_namespace", "(.*)")')
    return f"({own} or {renamed})"


def endpoint_labels(system: str, endpoint: str) -> str:
    """The label matchers of the series the monitor jobs push for one endpoint."""
    return f'{SYSTEM_LABEL}="{system}", {ENDPOINT_LABEL}="{endpoint}"'
