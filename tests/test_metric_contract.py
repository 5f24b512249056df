"""The metric contract (compiler/metric_contract.py) against the upstream sources, and every generated query against it.

- Each fact of the contract is held against the file it cites: KServe's runtime choice and metrics
  ports (../shared/crds/serving.kserve.io/runtimes/), the metric names of KServe's Python server,
  vLLM, TorchServe, DCGM exporter and Knative's queue-proxy (../shared/crds/metrics/), and the KEDA
  HTTP add-on's interceptor (its source in /work/.mirror, when present).
- Every PromQL expression the compiler writes (alert rules, autoscaling queries, the retraining
  gate's queries in its ConfigMap) reads only series the contract lists for its endpoint, the
  `mlops_*` series the monitor jobs push, or series of the user's own business queries.
"""
from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import promql_parser
import pytest
import yaml

from backends.kubernetes import metrics as m
from compiler import metric_contract as mc
from compiler.checked_spec import check_bytes
from tests.admission.serving_runtimes import installed_runtimes, select_runtime
from tests.admission.specs import compiles, objects_of
from tests.compile_support import queries
from tests.upstream import SKIP_REASON, upstream_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
HTTP_ADD_ON = Path("/work/.mirror/kedacore+http-add-on/repo")


@pytest.fixture(scope="module")
def metrics_dir() -> Path:
    root = upstream_dir()
    if root is None:
        pytest.skip(SKIP_REASON)
    return root / "crds" / "metrics"


# --- the facts, held against their sources ----------------------------------------------------------

@pytest.mark.parametrize("model_format", sorted(mc.FORMATS))
def test_kserve_picks_the_runtime_the_contract_says(model_format):
    serving = mc.FORMATS[model_format]
    assert getattr(select_runtime(model_format, "v1"), "name", None) == serving.runtime_v1
    assert getattr(select_runtime(model_format, "v2"), "name", None) == serving.runtime_v2


def test_each_server_is_scraped_where_its_runtime_says():
    by_name = {runtime.name: runtime for runtime in installed_runtimes()}
    for model_format, serving in mc.FORMATS.items():
        name = serving.runtime_v1 or serving.runtime_v2
        if name is None:
            continue
        runtime, server = by_name[name], mc.SERVERS[serving.server]
        assert runtime.annotations["prometheus.kserve.io/path"] == server.metrics_path, model_format
        if server.metrics_port is None:   # metrics on the serving port: the runtime's HTTP port, 8080
            assert runtime.metrics_port == 8080, model_format
        else:
            assert runtime.metrics_port == server.metrics_port, model_format


def test_kserve_python_server_metrics(metrics_dir):
    source = (metrics_dir / "kserve-metrics.py").read_text(encoding="utf-8")
    histograms = set(re.findall(r'Histogram\(\s*"([a-z_]+)"', source))
    assert histograms == {metric.name for metric in mc.KSERVE.exporter.metrics}
    assert all(metric.type == "histogram" and metric.labels == ("model_name",) for metric in mc.KSERVE.exporter.metrics)
    assert 'PROM_LABELS = ["model_name"]' in source
    assert "Counter" not in source   # no request counter: error rates cannot come from this server


def test_vllm_metrics(metrics_dir):
    source = (metrics_dir / "vllm" / "loggers.py").read_text(encoding="utf-8")
    declared = dict((name, kind) for kind, name in re.findall(r"self\._(gauge|counter|histogram)_cls\(\s*name=\"([^\"]+)\"",
                                                               source))
    for metric in mc.VLLM.exporter.metrics:
        family = metric.name.removesuffix("_total") if metric.type == "counter" else metric.name
        assert declared.get(family) == metric.type, metric.name
    assert 'labelnames = ["model_name", "engine"]' in source


def test_torchserve_metrics(metrics_dir):
    config = yaml.safe_load((metrics_dir / "torchserve" / "metrics.yaml").read_text(encoding="utf-8"))
    counters = {entry["name"]: entry["dimensions"] for entry in config["ts_metrics"]["counter"]}
    for metric in mc.TORCHSERVE.exporter.metrics:
        assert metric.type == "counter" and counters[metric.name] == list(metric.labels), metric.name


def _dcgm_fields(path: Path) -> dict[str, str]:
    rows = csv.reader(line for line in path.read_text(encoding="utf-8").splitlines()
                      if line.strip() and not line.lstrip().startswith("#"))
    return {row[0].strip(): row[1].strip() for row in rows if row[1].strip() != "label"}


def test_dcgm_metrics(metrics_dir):
    contract = {metric.name: metric.type for metric in mc.DCGM.metrics}
    for csv_file in ("default-counters.csv", "dcp-metrics-included.csv"):
        assert _dcgm_fields(metrics_dir / "dcgm-exporter" / csv_file) == contract, csv_file
    assert contract["DCGM_FI_DEV_XID_ERRORS"] == "gauge"   # the last XID, not a count: alerts window it


def _otel_to_prometheus(name: str, unit: str, kind: str) -> str:
    """prometheus/otlptranslator UnderscoreEscapingWithSuffixes: dots to underscores, the unit, `_total` for counters."""
    base = name.replace(".", "_")
    if unit == "s":
        base += "_seconds"
    return base + ("_total" if kind == "counter" else "")


def test_knative_queue_proxy_metrics(metrics_dir):
    source = (metrics_dir / "knative" / "queue-request_metric.go").read_text(encoding="utf-8")
    instruments = re.findall(r"meter\.(Float64Histogram|Int64Gauge)\(\s*\"([a-z.]+)\".*?WithUnit\(\"([^\"]+)\"\)",
                             source, re.S)
    kinds = {"Float64Histogram": "histogram", "Int64Gauge": "gauge"}
    translated = {_otel_to_prometheus(name, unit, kinds[kind]): kinds[kind] for kind, name, unit in instruments}
    assert translated == {metric.name: metric.type for metric in mc.QUEUE_PROXY.metrics}
    assert "semconv.HTTPResponseStatusCode(status)" in source
    observability = (metrics_dir / "knative" / "config-observability.yaml").read_text(encoding="utf-8")
    assert "'none' (the default)" in observability   # export is off unless the cluster turns it on


def _http_add_on(path: str) -> str:
    if not HTTP_ADD_ON.is_dir():
        pytest.skip(f"the kedacore/http-add-on mirror is not at {HTTP_ADD_ON}")
    return subprocess.run(["git", "-C", str(HTTP_ADD_ON), "show", f"v0.15.0:{path}"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def test_interceptor_metrics():
    exposition = _http_add_on("interceptor/metrics/prometheus_test.go")
    for metric in mc.INTERCEPTOR.metrics:
        found = re.search(rf"# TYPE {re.escape(metric.name)} (\w+)", exposition)
        assert found and found[1] == metric.type, metric.name
    assert 'interceptor_request_count_total{code="200",method="GET",route_name="my-route",route_namespace="my-ns"}' \
           in exposition
    routing = _http_add_on("pkg/routing/table.go")
    assert "Name:              httpso.Name" in routing   # route_name is the HTTPScaledObject's name


# --- every generated query reads only contracted series --------------------------------------------

def metric_names(expression: str) -> set[str]:
    """Every metric a PromQL expression reads (by name, or by a `__name__` equality matcher)."""
    names: set[str] = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            names.update(matcher.value for matcher in node.matchers.matchers
                         if matcher.name == "__name__" and str(matcher.op).endswith("Equal"))

    promql_parser.walk(promql_parser.parse(expression), visit)
    return names


def uncontracted(compile_id: str) -> list[str]:
    _, text, env, _ = next(c for c in compiles() if c[0] == compile_id)
    spec = check_bytes(text.encode("utf-8"), "mlops.yaml", env).spec
    problems = []
    for obj in objects_of(compile_id):
        endpoint = (obj["metadata"].get("labels") or {}).get("mlops.dev/endpoint")
        found = list(queries(obj, f"{obj['kind']}/{obj['metadata'].get('name')}"))
        if not found:
            continue
        pipeline = (obj["metadata"].get("labels") or {}).get("mlops.dev/pipeline")
        if pipeline in spec.pipelines and endpoint is None:   # a pipeline's GPU steps: their pods' state and GPUs
            allowed = {s for e in mc.STEP_EXPORTERS for metric in e.metrics for s in metric.series}
            problems += [f"{where} reads {sorted(metric_names(e) - allowed)}, which nothing exports for pipeline "
                         f"{pipeline!r}" for where, e in found if metric_names(e) - allowed]
            continue
        assert endpoint in spec.serving, f"{obj['kind']}/{obj['metadata'].get('name')}: no endpoint label"
        allowed = set(mc.for_endpoint(spec, endpoint).series()) | set(m.PUSHED)
        monitor = spec.monitoring.get(endpoint)
        for metric in monitor.business if monitor else ():
            allowed |= metric_names(metric.query)
        for where, expression in found:
            missing = metric_names(expression) - allowed
            if missing:
                problems.append(f"{where} reads {sorted(missing)}, which nothing exports for endpoint {endpoint!r}")
    return problems


@pytest.mark.parametrize("compile_id", [c[0] for c in compiles()])
def test_every_query_reads_only_metrics_that_exist(compile_id):
    assert uncontracted(compile_id) == []


def test_the_check_finds_a_query_on_a_metric_nobody_exports():
    """main's error-rate SLO and KEDA queries read `http_requests_total`, which KServe's server does not export."""
    assert metric_names('sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))') \
           == {"http_requests_total"}
    spec = check_bytes(b"apiVersion: mlops/v1\nkind: System\nmetadata: {name: t, namespace: t}\n"
                       b"models: {m: {version: 1, format: xgboost}}\nruntimes: {s: {image: a/b:1}}\n"
                       b"serving: {api: {model: m, runtime: s}}\n", "mlops.yaml").spec
    assert "http_requests_total" not in mc.for_endpoint(spec, "api").series()


def interceptor_routes_without_scaler(objects) -> list[str]:
    """Interceptor series are labelled by the HTTPScaledObject's name: queries must name an emitted one."""
    scalers = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects if o["kind"] == "HTTPScaledObject"}
    if not scalers:
        return []   # the serving lowering emits no HTTPScaledObject (yet): nothing to hold the names against
    problems = []
    for obj in objects:
        for where, expression in queries(obj, obj["kind"]):
            for namespace, route in re.findall(r'route_namespace="([^"]+)", route_name="([^"]+)"', expression):
                if (namespace, route) not in scalers:
                    problems.append(f"{where}: route {namespace}/{route} is no HTTPScaledObject of the compile")
    return problems


@pytest.mark.parametrize("compile_id", [c[0] for c in compiles()])
def test_interceptor_queries_name_an_emitted_http_scaled_object(compile_id):
    assert interceptor_routes_without_scaler(list(objects_of(compile_id))) == []


def test_the_route_check_refuses_a_route_no_scaler_has():
    rule = {"kind": "PrometheusRule", "metadata": {"name": "r"},
            "spec": {"groups": [{"rules": [{"expr": 'sum(rate(interceptor_request_count_total{route_namespace="ml", '
                                                    'route_name="fraud-api"}[5m]))'}]}]}}
    scaler = {"kind": "HTTPScaledObject", "metadata": {"name": "fraud-api-predictor", "namespace": "ml"}}
    assert interceptor_routes_without_scaler([rule, scaler])
    assert not interceptor_routes_without_scaler([rule, {**scaler, "metadata": {"name": "fraud-api", "namespace": "ml"}}])


# --- unmeasurable SLOs and the docs -------------------------------------------------------------

CPU_SCALED = b"""apiVersion: mlops/v1
kind: System
metadata: {name: t, namespace: t}
models: {m: {version: 1, format: xgboost}}
runtimes: {s: {image: a/b:1}}
serving: {api: {model: m, runtime: s, replicas: {min: 2, max: 4}, autoscale: {metric: cpu, target: 70}}}
monitoring:
  api:
    slo: {latency_p99: 250ms, error_rate: 1%}
"""


def test_an_unmeasurable_slo_is_left_out_and_named():
    from backends.kubernetes import lower_files

    objects = [o for objs in lower_files(check_bytes(CPU_SCALED, "mlops.yaml")).values() for o in objs]
    rule = next(o for o in objects if o["kind"] == "PrometheusRule")
    alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]]
    assert "LatencyP99High" in alerts and "ErrorRateHigh" not in alerts
    assert rule["metadata"]["annotations"]["mlops.dev/unmeasured-slos"].startswith(
        "error_rate: KServe Python model server exports no request count by status code")


def test_docs_metric_contract_is_current():
    committed = (REPO_ROOT / "docs" / "metric-contract.md").read_text(encoding="utf-8")
    assert committed == mc.markdown(), "run `python -m compiler.metric_contract > docs/metric-contract.md`"
