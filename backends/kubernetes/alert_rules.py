"""`monitoring.<endpoint>` -> one PrometheusRule: the alerts of the endpoint, one group per kind.

- SLOs: p99 latency and error rate from where the metric contract (compiler/metric_contract.py)
  says the endpoint's requests are counted (the KEDA HTTP interceptor in front of it, Knative's
  queue-proxy, or the model server's histogram); an SLO nothing measures is left out and named in
  the `mlops.dev/unmeasured-slos` annotation (lint MON006 says so at the SLO). Availability from
  `up` of the endpoint's PodMonitor targets (stable and canary pods), and also when every target
  is gone (`absent`), except for an endpoint that may scale to zero.
- Business metrics against their bounds; drift (held while data quality fails), data quality,
  freshness (`time()` against the newest row's timestamp), the estimated performance drop; the
  monitor jobs' own silence (`mlops_monitor_last_success_timestamp_seconds` of the drift and the
  estimation job older than the longest gap of their schedule plus their deadline, or never pushed).
- LLM SLOs on vLLM's histograms and gauge: time to first token, time between output tokens, the
  waiting queue of a replica (MON006 names them on another server).
- The model server container OOM-killed or restarting (kube-state-metrics), and on GPU endpoints GPU
  memory near full (the window's maximum of DCGM FB_USED / (FB_USED + FB_FREE)) and XID errors
  counted over a window (`DCGM_FI_DEV_XID_ERRORS` is a gauge holding the last XID, so its value
  alone would fire forever after one error), told apart as program, hardware or other faults, on
  every predictor pod (backends/kubernetes/workload_alerts.py, shared with the pipelines' GPU steps).
  For vLLM, which preallocates most of each GPU, KV-cache saturation and preemptions replace GPU
  memory near full.

Every alert is labelled `mlops_system`, `mlops_endpoint`, `namespace` (the Prometheus Operator
routes an AlertmanagerConfig only alerts of its own namespace), `receiver` (which the generated
AlertmanagerConfig routes on, backends/kubernetes/alertmanager.py) and `severity`; no label
overwrites a target label of the scrape (`endpoint`, `pod`, `job`, ...). The spec path of each alert
is the annotation `mlops_spec_path` (rule annotation names follow Prometheus's legacy label-name rules).
"""
from __future__ import annotations

from compiler import metric_contract
from compiler.metric_contract import EndpointMetrics, Signal
from compiler.spec.monitoring import Monitor
from compiler.spec.units import Duration

from . import metrics as m
from .context import Context
from compiler.spec.schedule import max_gap_seconds
from .labels import DOMAIN, ENDPOINT_LABEL, metadata, obj
from .scraping import podmonitor_name
from .serving import CONTAINER_NAME, lower_endpoint, service_name
from .units import number, prometheus_duration, seconds
from .workload_alerts import Workload, container_rules, gpu_rules

COMPONENT = "monitoring"
MONITORING_API = "monitoring.coreos.com/v1"
#: KV-cache usage (vllm:kv_cache_usage_perc, 0-1) that, held for 10 minutes, means the cache is too small.
KV_CACHE_FULL = 0.95
#: The monitor CronWorkflow's activeDeadlineSeconds (monitoring.py): how long one run of its jobs may take.
MONITOR_DEADLINE_SECONDS = 3600
#: The monitor CronWorkflow's schedule without a drift check (monitoring.py GATE_SCHEDULE): hourly.
HOURLY = "0 * * * *"
SPEC_PATH_ANNOTATION = "mlops_spec_path"
UNMEASURED = f"{DOMAIN}/unmeasured-slos"


def receiver(ctx: Context, monitor: Monitor) -> str:
    return monitor.alerts.receiver or ctx.spec.metadata.owner or "default"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


def _duration(total_seconds: int) -> str:
    return prometheus_duration(Duration.parse(f"{total_seconds}s"))


def _rule(ctx: Context, endpoint: str, monitor: Monitor, alert: str, expr: str, summary: str, *,
          severity: str = "warning", duration: str | None = "5m", spec_path: str = "") -> dict:
    rule: dict = {"alert": alert, "expr": expr}
    if duration:
        rule["for"] = duration
    rule["labels"] = {m.ENDPOINT_LABEL: endpoint, m.SYSTEM_LABEL: ctx.system, "namespace": ctx.namespace,
                      "receiver": receiver(ctx, monitor), "severity": severity}
    rule["annotations"] = {SPEC_PATH_ANNOTATION: spec_path or f"monitoring.{endpoint}", "summary": summary}
    return rule


class _Selectors:
    """The label matchers that pick one endpoint's series out of each exporter."""

    def __init__(self, ctx: Context, endpoint: str):
        self.scrape = m.scrape_job(ctx.namespace, podmonitor_name(ctx, endpoint))
        self.route = m.interceptor_route(ctx.namespace, service_name(ctx, endpoint))
        isvc = next(o for o in lower_endpoint(ctx, endpoint) if o["kind"] == "InferenceService")
        self.pods = m.pod_name_pattern(m.predictor_workloads(isvc))

    def of(self, signal: Signal) -> str:
        return self.route if signal.exporter.selection == "interceptor-route" else self.scrape


def _slo_rules(ctx: Context, endpoint: str, monitor: Monitor, contract: EndpointMetrics,
               select: _Selectors) -> list[dict]:
    slo = monitor.slo
    if slo is None:
        return []
    path = f"monitoring.{endpoint}.slo"
    rules = []
    if slo.latency_p99 is not None and contract.latency is not None:
        bucket = f"{contract.latency.metric.name}_bucket{{{select.of(contract.latency)}}}"
        rules.append(_rule(ctx, endpoint, monitor, "LatencyP99High",
                           f"histogram_quantile(0.99, sum by (le) (rate({bucket}[5m]))) > "
                           f"{number(slo.latency_p99.seconds)}",
                           f"{endpoint}: p99 latency above {slo.latency_p99.text}", spec_path=f"{path}.latency_p99"))
    if slo.error_rate is not None and contract.errors is not None:
        signal = contract.errors
        series = signal.metric.series[-1] if signal.metric.type == "histogram" else signal.metric.name
        matchers = select.of(signal)
        rules.append(_rule(ctx, endpoint, monitor, "ErrorRateHigh",
                           f'sum(rate({series}{{{matchers}, {signal.status_label}=~"5.."}}[5m])) / '
                           f"sum(rate({series}{{{matchers}}}[5m])) > {number(slo.error_rate.fraction)}",
                           f"{endpoint}: error rate above {slo.error_rate.text}", severity="critical",
                           spec_path=f"{path}.error_rate"))
    rules += _llm_slo_rules(ctx, endpoint, monitor, select)
    if slo.availability is not None:
        rules.append(_rule(ctx, endpoint, monitor, "AvailabilityLow",
                           f"avg(avg_over_time(up{{{select.scrape}}}[5m])) < {number(slo.availability.fraction)}"
                           + _all_gone(ctx, endpoint, select),
                           f"{endpoint}: availability below {slo.availability.text}", severity="critical",
                           spec_path=f"{path}.availability"))
    return rules


def _llm_slo_rules(ctx: Context, endpoint: str, monitor: Monitor, select: _Selectors) -> list[dict]:
    """Time to first token, time per output token (p99 over every replica) and the queue of one replica."""
    slo, path, rules = monitor.slo, f"monitoring.{endpoint}.slo", []
    for field, alert, what in (("time_to_first_token_p99", "TimeToFirstTokenP99High", "time to first token"),
                               ("time_per_output_token_p99", "TimePerOutputTokenP99High", "time per output token")):
        bound = getattr(slo, field)
        metric = metric_contract.llm_signal(ctx.spec, endpoint, field) if bound is not None else None
        if metric is None:
            continue
        rules.append(_rule(ctx, endpoint, monitor, alert,
                           f"histogram_quantile(0.99, sum by (le) (rate({metric.name}_bucket{{{select.scrape}}}[5m]))) "
                           f"> {number(bound.seconds)}",
                           f"{endpoint}: p99 {what} above {bound.text}", spec_path=f"{path}.{field}"))
    metric = metric_contract.llm_signal(ctx.spec, endpoint, "queue_depth") if slo.queue_depth is not None else None
    if metric is not None:
        rules.append(_rule(ctx, endpoint, monitor, "RequestQueueDeep",
                           f"max by (pod) ({metric.name}{{{select.scrape}}}) > {slo.queue_depth}",
                           f"{endpoint}: more than {slo.queue_depth} requests waiting in a replica's queue",
                           spec_path=f"{path}.queue_depth"))
    return rules


def _all_gone(ctx: Context, endpoint: str, select: _Selectors) -> str:
    """`or absent(up{...})`: no target at all is an outage, unless the endpoint may scale to zero."""
    if ctx.spec.serving[endpoint].replicas.min == 0:
        return ""
    return f" or absent(up{{{select.scrape}}})"


def _business_rules(ctx: Context, endpoint: str, monitor: Monitor) -> list[dict]:
    rules = []
    for index, metric in enumerate(monitor.business):
        path = f"monitoring.{endpoint}.business[{index}]"
        for bound, op, word in ((metric.min, "<", "BelowMin"), (metric.max, ">", "AboveMax")):
            if bound is None:
                continue
            rules.append(_rule(ctx, endpoint, monitor, f"{_camel(metric.name)}{word}",
                               f"({metric.query.strip()}) {op} {number(bound)}",
                               f"{endpoint}: {metric.name} {'below' if op == '<' else 'above'} {number(bound)}",
                               duration=prometheus_duration(metric.for_), spec_path=path))
    return rules


def _model_quality_rules(ctx: Context, endpoint: str, monitor: Monitor) -> list[dict]:
    labels = m.endpoint_labels(ctx.system, endpoint)
    rules = []
    quality = monitor.data_quality
    held = f" unless on() (min({m.DATA_QUALITY_PASSED}{{{labels}}}) == 0)" if quality else ""
    if monitor.drift:
        rules.append(_rule(ctx, endpoint, monitor, "DriftScoreHigh",
                           f"max({m.DRIFT_SCORE}{{{labels}}}) > {number(monitor.drift.threshold)}{held}",
                           f"{endpoint}: {monitor.drift.method} drift above {number(monitor.drift.threshold)}",
                           duration=None, spec_path=f"monitoring.{endpoint}.drift"))
    rules += _job_silence_rules(ctx, endpoint, monitor)
    if quality:
        rules.append(_rule(ctx, endpoint, monitor, "DataQualityFailing",
                           f"min({m.DATA_QUALITY_PASSED}{{{labels}}}) == 0",
                           f"{endpoint}: input data breaks its contract", spec_path=f"monitoring.{endpoint}.data_quality"))
        if quality.freshness is not None:
            rules.append(_rule(ctx, endpoint, monitor, "InputDataStale",
                               f"time() - max({m.DATA_NEWEST_TIMESTAMP}{{{labels}}}) > {seconds(quality.freshness)}",
                               f"{endpoint}: newest input data older than {quality.freshness.text}",
                               spec_path=f"monitoring.{endpoint}.data_quality.freshness"))
    drop = monitor.retraining.when.performance_drop if monitor.retraining else None
    if drop is not None:
        rules.append(_rule(ctx, endpoint, monitor, "ModelPerformanceDrop",
                           f"max({m.PERFORMANCE_DROP}{{{labels}}}) > {number(drop.fraction)}",
                           f"{endpoint}: estimated performance dropped by more than {drop.text}",
                           spec_path=f"monitoring.{endpoint}.retraining.when.performance_drop"))
    return rules


def _job_silence_rules(ctx: Context, endpoint: str, monitor: Monitor) -> list[dict]:
    """Each monitor job that stopped reporting: its last success older than its schedule allows, or none yet.

    The jobs run in one CronWorkflow per endpoint, on the drift schedule (hourly without drift): `drift`
    when `drift` is set, `estimate` when `ground_truth.estimation` is; each pushes its last success.
    """
    jobs = [("drift", f"monitoring.{endpoint}.drift")] if monitor.drift else []
    if monitor.ground_truth is not None and monitor.ground_truth.estimation != "none":
        jobs.append(("estimate", f"monitoring.{endpoint}.ground_truth.estimation"))
    allowed = max_gap_seconds(monitor.drift.schedule if monitor.drift else HOURLY) + MONITOR_DEADLINE_SECONDS
    rules = []
    for job, path in jobs:
        selector = f'{m.endpoint_labels(ctx.system, endpoint)}, {m.JOB_LABEL}="{job}"'
        rules += [
            _rule(ctx, endpoint, monitor, f"{_camel(job)}JobStale",
                  f"time() - max({m.LAST_SUCCESS}{{{selector}}}) > {allowed}",
                  f"{endpoint}: the {job} job has not succeeded for longer than its schedule allows "
                  f"({_duration(allowed)})", spec_path=path),
            _rule(ctx, endpoint, monitor, f"{_camel(job)}JobNeverReported", f"absent({m.LAST_SUCCESS}{{{selector}}})",
                  f"{endpoint}: the {job} job has never pushed a result to the Pushgateway",
                  duration=_duration(allowed), spec_path=path),
        ]
    return rules


def _workload(ctx: Context, endpoint: str, select: _Selectors) -> Workload:
    return Workload(ctx.namespace, select.pods, CONTAINER_NAME, endpoint, restarts=True)


def _factory(ctx: Context, endpoint: str, monitor: Monitor, path: str):
    def make(alert: str, expr: str, summary: str, severity: str, duration: str | None,
             labels: dict[str, str] | None = None) -> dict:
        rule = _rule(ctx, endpoint, monitor, alert, expr, summary, severity=severity, duration=duration,
                     spec_path=path)
        rule["labels"] = dict(sorted({**rule["labels"], **(labels or {})}.items()))
        return rule
    return make


def _container_rules(ctx: Context, endpoint: str, monitor: Monitor, select: _Selectors) -> list[dict]:
    """The model server container OOM-killed or restarting (kube-state-metrics), for every monitored endpoint."""
    return container_rules(_factory(ctx, endpoint, monitor, f"serving.{endpoint}"), _workload(ctx, endpoint, select))


def _gpu_rules(ctx: Context, endpoint: str, monitor: Monitor, select: _Selectors) -> list[dict]:
    if not monitor.alerts.gpu or not ctx.spec.serving[endpoint].resources.uses_gpu:
        return []
    path = f"monitoring.{endpoint}.alerts.gpu"
    rules = gpu_rules(_factory(ctx, endpoint, monitor, path), _workload(ctx, endpoint, select))
    if not metric_contract.for_endpoint(ctx.spec, endpoint).has(metric_contract.VLLM.exporter):
        return rules
    # vLLM preallocates gpu_memory_utilization (0.9) of each GPU for weights and KV cache at start:
    # framebuffer use sits at that share while idle. Trouble is the KV cache running out, which
    # vLLM answers by preempting (and recomputing) running requests.
    kv_cache = [
        _rule(ctx, endpoint, monitor, "KvCacheSaturated",
              f"max by (pod) ({m.VLLM_KV_CACHE}{{{select.scrape}}}) > {number(KV_CACHE_FULL)}",
              f"{endpoint}: KV cache above {round(KV_CACHE_FULL * 100)}% of its blocks (requests queue or get "
              "preempted)", duration="10m", spec_path=path),
        _rule(ctx, endpoint, monitor, "VllmPreemptions",
              f"sum by (pod) (rate({m.VLLM_PREEMPTIONS}{{{select.scrape}}}[5m])) > 0",
              f"{endpoint}: vLLM is preempting requests for want of KV-cache blocks (recomputed, slower)",
              duration="10m", spec_path=path),
    ]
    return kv_cache + [rule for rule in rules if rule["alert"] != "GpuMemoryNearFull"]


def unmeasured_slos(ctx: Context, endpoint: str, monitor: Monitor) -> dict[str, str]:
    """SLO field -> why it cannot be measured for this endpoint (left out of the rules)."""
    slo = monitor.slo
    if slo is None:
        return {}
    found = {}
    for field in metric_contract.MEASURED_SLOS:
        if getattr(slo, field) is not None:
            why = metric_contract.why_unmeasurable(ctx.spec, endpoint, field)
            if why:
                found[field] = why
    return found


def prometheus_rule(ctx: Context, endpoint: str, monitor: Monitor) -> dict:
    name = ctx.name(endpoint)
    contract = metric_contract.for_endpoint(ctx.spec, endpoint)
    select = _Selectors(ctx, endpoint)
    groups = []
    for kind, rules in (("slo", _slo_rules(ctx, endpoint, monitor, contract, select)),
                        ("business", _business_rules(ctx, endpoint, monitor)),
                        ("model", _model_quality_rules(ctx, endpoint, monitor)),
                        ("containers", _container_rules(ctx, endpoint, monitor, select)),
                        ("gpu", _gpu_rules(ctx, endpoint, monitor, select))):
        if rules:
            groups.append({"name": f"{name}.{kind}", "rules": rules})
    if monitor.slo is None or monitor.slo.availability is None:  # every endpoint gets its availability watched
        groups.append({"name": f"{name}.up", "rules": [
            _rule(ctx, endpoint, monitor, "EndpointDown",
                  f"max(up{{{select.scrape}}}) == 0" + _all_gone(ctx, endpoint, select),
                  f"{endpoint}: no replica answers its metrics scrape", severity="critical")]})
    unmeasured = unmeasured_slos(ctx, endpoint, monitor)
    extra = {UNMEASURED: "; ".join(f"{k}: {v}" for k, v in unmeasured.items())} if unmeasured else None
    meta = metadata(ctx, name, COMPONENT, f"monitoring.{endpoint}",
                    extra_labels={ENDPOINT_LABEL: endpoint, **ctx.spec.platform.prometheus.selector_labels},
                    extra_annotations=extra)
    return obj(MONITORING_API, "PrometheusRule", meta, spec={"groups": groups})
