"""Small pure pieces of the monitoring lowering: schedule gaps, predictor pod names, selector labels, scraping."""
from __future__ import annotations

import pytest

from backends.kubernetes import lower_files
from backends.kubernetes.metrics import pod_name_pattern, predictor_workloads
from compiler.checked_spec import check_bytes
from compiler.spec.schedule import max_gap_seconds, runs_per_month


@pytest.mark.parametrize("schedule, gap", [
    ("0 * * * *", 3600), ("*/30 * * * *", 1800), ("0 3 * * *", 86400), ("0 3,15 * * *", 43200),
    ("0 9-17 * * mon-fri", 64 * 3600), ("15 4 * * 1", 7 * 86400), ("0 4 15 * *", 31 * 86400),
    ("0 0 1 1 *", 366 * 86400), ("@hourly", 3600), ("@daily", 86400), ("0 4 * * 0,6", 6 * 86400),
    ("@every 90m", 5400), ("@weekly", 7 * 86400),
])
def test_longest_gap_of_a_schedule(schedule, gap):
    assert max_gap_seconds(schedule) == gap


@pytest.mark.parametrize("schedule, runs", [
    ("0 3 * * *", 30.44), ("0 * * * *", 730.5), ("0 4 * * 1", 4.35), ("0 4 15 * *", 1.0), ("@weekly", 4.35),
    ("@every 30m", 1461.0), ("0 0 1 1 *", 1 / 12), ("*/15 9-17 * * 1-5", 36 * 30.44 * 5 / 7),
])
def test_runs_of_a_schedule_in_an_average_month(schedule, runs):
    assert runs_per_month(schedule) == pytest.approx(runs, rel=0.01)


def test_canary_pods_are_named_after_their_predictor():
    """KServe runs a Standard-mode canary as Deployment `<isvc>-<canary name>-predictor`."""
    isvc = {"metadata": {"name": "fraud-api"}, "spec": {"predictor": {}, "canary": [{"predictor": {"name": "v7"}}]}}
    assert predictor_workloads(isvc) == ["fraud-api-predictor", "fraud-api-v7-predictor"]
    assert pod_name_pattern(predictor_workloads(isvc)) == "(fraud-api-predictor|fraud-api-v7-predictor)-.*"


SPEC = """apiVersion: mlops/v1
kind: System
metadata: {{name: t, namespace: t-ml}}
platform: {{serving_mode: {mode}, prometheus: {{selector_labels: {{release: prometheus}}}}}}
models: {{m: {{version: 1, format: {fmt}}}}}
runtimes: {{s: {{image: a/b:1}}}}
serving: {{api: {{model: m, runtime: s, replicas: {{min: 1, max: 4}}}}}}
monitoring:
  api: {{slo: {{availability: 99%}}}}
"""


def _monitoring(mode: str, fmt: str) -> list[dict]:
    files = lower_files(check_bytes(SPEC.format(mode=mode, fmt=fmt).encode(), "mlops.yaml"))
    return files["manifests/monitoring/api.yaml"]


@pytest.mark.parametrize("mode, fmt, port, metrics_port", [
    ("standard", "xgboost", "http1", None), ("knative", "xgboost", "user-port", None),
    ("standard", "pytorch", "http1", 8082), ("knative", "onnx", "user-port", 8002),
])
def test_pod_monitor_scrapes_the_model_server_where_it_serves_metrics(mode, fmt, port, metrics_port):
    monitor = _monitoring(mode, fmt)[0]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == port
    replacement = [r["replacement"] for r in endpoint.get("relabelings", [])]
    assert replacement == ([f"${{1}}:{metrics_port}"] if metrics_port else [])


def test_prometheus_selects_the_monitoring_objects_by_the_given_labels():
    monitor, rule = _monitoring("standard", "xgboost")[:2]
    assert monitor["metadata"]["labels"]["release"] == rule["metadata"]["labels"]["release"] == "prometheus"
