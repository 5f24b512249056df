"""The metric names and label contract between generated workloads and generated alerts/autoscalers.

- Model servers export KServe's Prometheus metrics: the request latency histogram
  `request_predict_seconds` (KServe's Python model server) and HTTP request counters
  `http_requests_total{code}`; pods are selected by namespace and the predictor pod name.
- Drift jobs publish `mlops_drift_score{namespace, endpoint, feature}` (the generated config
  names the metric and its labels) and data-quality checks `mlops_data_quality_passed{namespace, endpoint}`
  (1 or 0) and `mlops_data_freshness_seconds`.
- GPUs are observed through NVIDIA DCGM exporter metrics, labelled with the pod they serve.
"""
from __future__ import annotations

LATENCY_BUCKETS = "request_predict_seconds_bucket"
REQUESTS = "http_requests_total"
INFLIGHT = "http_requests_in_flight"
DRIFT_SCORE = "mlops_drift_score"
DATA_QUALITY_PASSED = "mlops_data_quality_passed"
DATA_FRESHNESS = "mlops_data_freshness_seconds"
PERFORMANCE_DROP = "mlops_estimated_performance_drop_ratio"
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


def endpoint_labels(namespace: str, endpoint: str) -> str:
    return f'namespace="{namespace}", endpoint="{endpoint}"'
