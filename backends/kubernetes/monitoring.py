"""`monitoring:` -> per endpoint: a PodMonitor, one PrometheusRule, and the monitor jobs.

Alerts: `alert_rules.py` (one PrometheusRule per endpoint, reading only series the metric
contract lists); scraping: `scraping.py` (the PodMonitor); delivery: `alertmanager.py`.

Monitor jobs (docs/monitor-jobs.md): one CronWorkflow per endpoint whose DAG runs the drift job
(`mlops monitor drift`, or the spec's own command) and the performance estimation
(`mlops monitor estimate`) with their generated configs mounted from ConfigMaps, then the
retraining gate (retraining_gate_job.py): it waits until Prometheus has scraped this run's pushes,
holds while data quality fails, checks the triggers, the cooldown and the monthly cost bound, and
only on `retrain` the next step submits a Workflow from the training WorkflowTemplate. Costs: each
step priced at the whole node Karpenter launches for it (compiler/plan/costs.py `node_price`); the
gate adds up this month's scheduled runs, gate-submitted runs and retries from the Workflows' pods.
A ServiceMonitor per endpoint scrapes the endpoint's series from the Pushgateway.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from compiler.naming import has_monitor_jobs
from compiler.plan.costs import run_cost, step_node_prices
from compiler.spec.monitoring import Monitor, is_local
from compiler.spec.resources import Resources

from . import metrics as m
from .argo import TTL_SECONDS, container, cron_workflow, template_pod_fields, workflow_spec
from .context import Context
from .labels import DOMAIN, ENDPOINT_LABEL, metadata, model_annotations, obj
from .alert_rules import prometheus_rule
from .pipelines import template_name
from .scraping import pod_monitor
from .units import seconds
from compiler.yaml_emitter import dump_document

COMPONENT = "monitoring"
MONITORING_API = "monitoring.coreos.com/v1"
DRIFT_MOUNT = "/etc/mlops/drift"
ESTIMATE_MOUNT = "/etc/mlops/estimate"
GATE_MOUNT = "/etc/mlops/gate"
#: Where `drift.source.claim` is mounted (read-only) in the monitor jobs.
DATA_MOUNT = "/var/lib/mlops/data"
DATA_VOLUME = "monitor-data"
GATE_SCRIPT = Path(__file__).with_name("retraining_gate_job.py")
#: The reference monitor job, from `mlops-compiler[monitor]` in the monitor runtime's image.
MONITOR_COMMAND = ["mlops", "monitor"]
ENTRYPOINT = "monitor"
#: The Pushgateway's required `job` grouping label for everything the monitor jobs push.
PUSH_JOB = "mlops_monitor"
GATE_SUFFIX = "-retrain-gate"
GATE_RUN_LABEL = f"{DOMAIN}/retrain-gate"
#: Argo labels every Workflow a CronWorkflow creates with this (workflow/common/common.go, LabelKeyCronWorkflow).
CRON_WORKFLOW_LABEL = "workflows.argoproj.io/cron-workflow"
KUBERNETES_URL = "https://kubernetes.default.svc"
#: How long the gate waits for Prometheus to scrape this run's pushes (several 30 s scrape intervals).
GATE_WAIT_SECONDS = 300
MONITOR_DEADLINE_SECONDS = 3600
GATE_SCHEDULE = "0 * * * *"


def lower_monitor(ctx: Context, endpoint: str) -> list[dict]:
    monitor = ctx.spec.monitoring[endpoint]
    objects = [pod_monitor(ctx, endpoint), prometheus_rule(ctx, endpoint, monitor)]
    if has_monitor_jobs(monitor):
        objects += monitor_jobs(ctx, endpoint, monitor)
    return objects


def _json(value: dict) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


# --- monitor jobs: drift, performance estimation, the retraining gate --------------------------
# One CronWorkflow per endpoint runs them as one DAG: drift and estimation (in parallel), then the
# gate. The gate reads what those jobs pushed, so it must run after them: two CronWorkflows on one
# schedule would race, and a gate run after a failed drift job would decide on last hour's numbers.
# In one DAG, a failed job stops the gate (it fails closed) and `Forbid` keeps runs from overlapping.

def _data_uri(path: str, claim: str | None) -> str:
    """Where a job finds a spec path in its pod: s3:// and absolute paths as written, claim paths under the mount."""
    if not is_local(path) or claim is None:
        return path
    return f"{DATA_MOUNT}/{path.removeprefix('./')}"


def _source_config(source) -> dict:
    return {"uri": _data_uri(source.path, source.claim), "format": source.format,
            "timestamp_column": source.timestamp_column, "window_seconds": seconds(source.window)}


def _push_config(ctx: Context, endpoint: str, job: str) -> dict:
    """The Pushgateway group of one job: PUT replaces the group, so features dropped from the spec disappear."""
    return {"url": ctx.spec.platform.prometheus.pushgateway,
            "grouping": {"job": PUSH_JOB, m.SYSTEM_LABEL: ctx.system, m.ENDPOINT_LABEL: endpoint, m.JOB_LABEL: job}}


def _training_data(ctx: Context, endpoint: str) -> str | None:
    return dict(ctx.model_ref(ctx.spec.serving[endpoint].model).lineage).get("data_version")


def _reference_format(drift) -> str | None:
    """`reference_format`, else the source's; training data is no inference log: parquet for kserve-logger."""
    if drift.reference_format or drift.source is None:
        return drift.reference_format
    return "parquet" if drift.source.format == "kserve-logger" and drift.reference == "training" else drift.source.format


def drift_config(ctx: Context, endpoint: str, monitor: Monitor) -> dict:
    drift = monitor.drift
    model = ctx.model_ref(ctx.spec.serving[endpoint].model)
    claim = drift.source.claim if drift.source else None
    reference: dict = {"kind": drift.reference, "format": _reference_format(drift)}
    if drift.reference == "training":
        data_version = _training_data(ctx, endpoint)
        reference["data_version"] = data_version
        reference["uri"] = _data_uri(data_version, claim) if data_version else None
    quality = monitor.data_quality
    return {
        "system": ctx.system, "namespace": ctx.namespace, "endpoint": endpoint,
        "model": {"registry_name": model.registry_name, "version": model.label, "storage_uri": model.storage_uri},
        "features": list(drift.features), "method": drift.method, "threshold": drift.threshold,
        "source": _source_config(drift.source) if drift.source else None,
        "reference": reference,
        "data_quality": None if quality is None else {
            "contract_file": quality.contract,
            # None with a contract_file: the file was missing when compiled, and the job fails the check.
            "contract": ctx.contracts.get(endpoint),
            "freshness_seconds": seconds(quality.freshness) if quality.freshness else None},
        "push": _push_config(ctx, endpoint, "drift"),
        "metrics": {"drift_score": m.DRIFT_SCORE, "data_quality_passed": m.DATA_QUALITY_PASSED,
                    "data_newest_timestamp_seconds": m.DATA_NEWEST_TIMESTAMP, "last_success": m.LAST_SUCCESS,
                    "labels": {m.SYSTEM_LABEL: ctx.system, m.ENDPOINT_LABEL: endpoint}},
    }


def estimation_config(ctx: Context, endpoint: str, monitor: Monitor) -> dict:
    truth, drift = monitor.ground_truth, monitor.drift
    source = drift.source
    reference = truth.reference or _training_data(ctx, endpoint)
    return {
        "system": ctx.system, "namespace": ctx.namespace, "endpoint": endpoint,
        "estimator": truth.estimation, "metric": truth.estimated_metric,
        "columns": {"prediction": truth.prediction_column, "score": truth.score_column,
                    "target": truth.target_column},
        "features": list(drift.features),
        "source": _source_config(source),
        "reference": {"uri": _data_uri(reference, source.claim) if reference else None,
                      "format": drift.reference_format or ("parquet" if source.format == "kserve-logger"
                                                           else source.format)},
        "push": _push_config(ctx, endpoint, "estimate"),
        "metrics": {"estimated_performance": m.ESTIMATED_PERFORMANCE, "performance_drop": m.PERFORMANCE_DROP,
                    "last_success": m.LAST_SUCCESS,
                    "labels": {m.SYSTEM_LABEL: ctx.system, m.ENDPOINT_LABEL: endpoint}},
    }


def _config_map(ctx: Context, name: str, path: str, endpoint: str, data: dict) -> dict:
    return obj("v1", "ConfigMap", metadata(ctx, name, COMPONENT, path, extra_labels={ENDPOINT_LABEL: endpoint}),
               data=data)


def _job_mounts(volume: str, mount: str, source) -> list[dict]:
    mounts = [{"name": volume, "mountPath": mount, "readOnly": True}]
    if source is not None and source.claim is not None:
        mounts.append({"name": DATA_VOLUME, "mountPath": DATA_MOUNT, "readOnly": True})
    return mounts


def _monitor_image(ctx: Context, monitor: Monitor) -> str:
    runtime = monitor.drift.runtime if monitor.drift else "monitor"
    return ctx.spec.runtimes[runtime].image if runtime in ctx.spec.runtimes else _first_image(ctx)


def drift_check(ctx: Context, endpoint: str, monitor: Monitor) -> tuple[dict, dict]:
    """The drift ConfigMap and the `drift` template of the endpoint's monitor workflow."""
    drift = monitor.drift
    name = ctx.name(endpoint, "-drift")
    config = _config_map(ctx, name, f"monitoring.{endpoint}.drift", endpoint,
                         {"config.json": _json(drift_config(ctx, endpoint, monitor))})
    command = drift.command or [*MONITOR_COMMAND, "drift", "--config", f"{DRIFT_MOUNT}/config.json"]
    template = {"name": "drift", "container": container(
        ctx, image=ctx.spec.runtimes[drift.runtime].image, command=command,
        env={**monitor.env, "MLOPS_DRIFT_CONFIG": f"{DRIFT_MOUNT}/config.json"}, resources=_monitor_resources(),
        mounts=_job_mounts("drift-config", DRIFT_MOUNT, drift.source), settings=monitor),
        **template_pod_fields(ctx, role="monitoring", runtime=drift.runtime, settings=monitor,
                              resources=_monitor_resources())}
    return config, template


def performance_estimation(ctx: Context, endpoint: str, monitor: Monitor) -> tuple[dict, dict]:
    """The estimation ConfigMap and the `estimate` template (NannyML CBPE/DLE on the current window)."""
    name = ctx.name(endpoint, "-estimate")
    config = _config_map(ctx, name, f"monitoring.{endpoint}.ground_truth", endpoint,
                         {"config.json": _json(estimation_config(ctx, endpoint, monitor))})
    template = {"name": "estimate", "container": container(
        ctx, image=_monitor_image(ctx, monitor),
        command=[*MONITOR_COMMAND, "estimate", "--config", f"{ESTIMATE_MOUNT}/config.json"],
        env=dict(monitor.env), resources=_monitor_resources(),
        mounts=_job_mounts("estimate-config", ESTIMATE_MOUNT, monitor.drift.source), settings=monitor),
        **template_pod_fields(ctx, role="monitoring", runtime=monitor.drift.runtime, settings=monitor,
                              resources=_monitor_resources())}
    return config, template


def _monitor_resources() -> Resources:
    """Monitor steps take the defaults (pods.DEFAULT_CPU, pods.DEFAULT_MEMORY)."""
    return Resources()


def pushgateway_namespace(ctx: Context) -> str:
    """The namespace in the Pushgateway URL (`<service>.<namespace>.svc...`), else the system's own."""
    host = urlsplit(ctx.spec.platform.prometheus.pushgateway).hostname or ""
    parts = host.split(".")
    return parts[1] if len(parts) >= 2 else ctx.namespace


def url_port(url: str) -> int:
    """The TCP port of an http(s) URL, its scheme's default when none is written."""
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def pushgateway_monitor(ctx: Context, endpoint: str) -> dict:
    """A ServiceMonitor scraping the Pushgateway for this endpoint's pushed series only.

    honorLabels keeps the pushed `job`/`instance` (the Pushgateway's own target labels would
    replace them); metricRelabelings keep only this system's and endpoint's groups, so the
    ServiceMonitors of several endpoints (or systems) on one Pushgateway never scrape a series twice.
    """
    prometheus = ctx.spec.platform.prometheus
    meta = metadata(ctx, ctx.name(endpoint, "-pushgateway"), COMPONENT, "platform.prometheus.pushgateway",
                    extra_labels={ENDPOINT_LABEL: endpoint, **prometheus.selector_labels})
    return obj(MONITORING_API, "ServiceMonitor", meta, spec={
        "namespaceSelector": {"matchNames": [pushgateway_namespace(ctx)]},
        "selector": {"matchLabels": dict(sorted(prometheus.pushgateway_selector_labels.items()))},
        "endpoints": [{
            "targetPort": url_port(prometheus.pushgateway), "path": "/metrics", "interval": "30s",
            "honorLabels": True,
            "metricRelabelings": [{"sourceLabels": [m.SYSTEM_LABEL, m.ENDPOINT_LABEL],
                                   "regex": f"{ctx.system};{endpoint}", "action": "keep"}],
        }],
    })


# --- retraining gate ------------------------------------------------------------------------

def gate_config(ctx: Context, endpoint: str, monitor: Monitor) -> dict:
    retraining = monitor.retraining
    labels = m.endpoint_labels(ctx.system, endpoint)
    triggers = {}
    if retraining.when.drift_above is not None:
        triggers["drift"] = {"query": f"max({m.DRIFT_SCORE}{{{labels}}})", "above": retraining.when.drift_above}
    if retraining.when.performance_drop is not None:
        triggers["performance"] = {"query": f"max({m.PERFORMANCE_DROP}{{{labels}}})",
                                   "above": retraining.when.performance_drop.fraction}
    holds = {}
    if monitor.data_quality is not None:
        holds["data_quality"] = {"query": f"min({m.DATA_QUALITY_PASSED}{{{labels}}})", "equals": 0}
    # The jobs this run waits for: their last success must be newer than the workflow's start.
    jobs = [job for job, present in (("drift", monitor.drift), ("estimate", _estimates(monitor))) if present]
    pipeline = retraining.pipeline
    prices = step_node_prices(ctx.spec, pipeline)
    scheduled = ctx.spec.pipelines[pipeline].schedules
    selectors = [f"{GATE_RUN_LABEL}={ctx.name(endpoint, GATE_SUFFIX)}"]
    if scheduled:
        selectors.insert(0, f"{CRON_WORKFLOW_LABEL}={template_name(ctx, pipeline)}")
    return {
        "namespace": ctx.namespace, "endpoint": endpoint, "pipeline": pipeline,
        "workflow_template": template_name(ctx, pipeline),
        "prometheus_url": ctx.spec.platform.prometheus.url,
        "kubernetes_url": KUBERNETES_URL,
        "triggers": triggers, "holds": holds,
        "wait_for": {"queries": {job: f'max({m.LAST_SUCCESS}{{{labels}, {m.JOB_LABEL}="{job}"}})' for job in jobs},
                     "timeout_seconds": GATE_WAIT_SECONDS},
        "cooldown_seconds": seconds(retraining.cooldown) if retraining.cooldown else None,
        "max_monthly_cost_usd": retraining.max_monthly_cost,
        "estimated_run_cost_usd": run_cost(ctx.spec, pipeline),
        "step_prices_usd_per_hour": {step: price for step, price in prices.items() if price is not None},
        "unpriced_steps": sorted(step for step, price in prices.items() if price is None),
        "run_selectors": selectors,
        "requires_approval": retraining.requires_approval,
    }


def _estimates(monitor: Monitor) -> bool:
    return monitor.ground_truth is not None and monitor.ground_truth.estimation != "none"


def retraining_gate(ctx: Context, endpoint: str, monitor: Monitor) -> tuple[dict, list[dict], dict]:
    """The gate's ConfigMap, its templates (`check`, `submit`) and its config.

    With `requires_approval`, the submitted training Workflow starts suspended (`spec.suspend`):
    a person approves it with `argo resume`. The monitor workflow itself never waits, so drift
    checks go on (under `Forbid`, a workflow waiting for approval would block every later run),
    and the suspended Workflow counts for the cooldown, so the gate does not submit it twice.
    """
    retraining = monitor.retraining
    name = ctx.name(endpoint, GATE_SUFFIX)
    config = gate_config(ctx, endpoint, monitor)
    config_map = _config_map(ctx, name, f"monitoring.{endpoint}.retraining", endpoint,
                             {"config.json": _json(config), "gate.py": GATE_SCRIPT.read_text(encoding="utf-8")})
    check = {
        "name": "check",
        "container": container(ctx, image=_monitor_image(ctx, monitor),
                               command=["python", f"{GATE_MOUNT}/gate.py"],
                               args=["--since", "{{workflow.creationTimestamp}}"],
                               env={"MLOPS_GATE_CONFIG": f"{GATE_MOUNT}/config.json"}, resources=_monitor_resources(),
                               mounts=[{"name": "gate", "mountPath": GATE_MOUNT, "readOnly": True}]),
        "outputs": {"parameters": [{"name": "decision", "valueFrom": {"path": "/tmp/decision"}}]},
    }
    run_spec: dict = {"workflowTemplateRef": {"name": template_name(ctx, retraining.pipeline)}}
    if retraining.requires_approval:
        run_spec["suspend"] = True
    run = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {
        "generateName": f"{template_name(ctx, retraining.pipeline)}-retrain-",
        "namespace": ctx.namespace,
        "labels": {GATE_RUN_LABEL: name, ENDPOINT_LABEL: endpoint}},
        "spec": run_spec}
    submit = {"name": "submit", "resource": {"action": "create", "setOwnerReference": False,
                                             "manifest": dump_document(run)}}
    return config_map, [check, submit], config


def monitor_jobs(ctx: Context, endpoint: str, monitor: Monitor) -> list[dict]:
    """ConfigMaps, the Pushgateway ServiceMonitor and the one CronWorkflow running the endpoint's jobs."""
    objects: list[dict] = []
    templates: list[dict] = []
    tasks: list[dict] = []
    volumes: list[dict] = []
    annotations: dict[str, str] = {}
    source = monitor.drift.source if monitor.drift else None
    if monitor.drift:
        config, template = drift_check(ctx, endpoint, monitor)
        objects.append(config)
        templates.append(template)
        volumes.append({"name": "drift-config", "configMap": {"name": config["metadata"]["name"]}})
        annotations.update(model_annotations(ctx.model_ref(ctx.spec.serving[endpoint].model)))
    if _estimates(monitor):
        config, template = performance_estimation(ctx, endpoint, monitor)
        objects.append(config)
        templates.append(template)
        volumes.append({"name": "estimate-config", "configMap": {"name": config["metadata"]["name"]}})
    tasks = [{"name": t["name"], "template": t["name"]} for t in templates]
    if monitor.retraining:
        config_map, gate_templates, config = retraining_gate(ctx, endpoint, monitor)
        objects.append(config_map)
        templates += gate_templates
        volumes.append({"name": "gate", "configMap": {"name": config_map["metadata"]["name"]}})
        check: dict = {"name": "check", "template": "check"}
        if tasks:
            check["dependencies"] = [t["name"] for t in tasks]
        tasks += [check, {"name": "submit", "template": "submit", "dependencies": ["check"],
                          "when": "{{tasks.check.outputs.parameters.decision}} == retrain"}]
        annotations.update({
            f"{DOMAIN}/estimated-run-cost-usd": str(config["estimated_run_cost_usd"]),
            f"{DOMAIN}/worst-case-run-cost-usd": str(run_cost(ctx.spec, monitor.retraining.pipeline, with_retries=True)),
            f"{DOMAIN}/history-days": str(TTL_SECONDS // 86400)})
        if config["unpriced_steps"]:
            annotations[f"{DOMAIN}/unpriced-steps"] = ",".join(config["unpriced_steps"])
    if source is not None and source.claim is not None:
        volumes.append({"name": DATA_VOLUME, "persistentVolumeClaim": {"claimName": source.claim, "readOnly": True}})
    if monitor.drift or _estimates(monitor):
        objects.append(pushgateway_monitor(ctx, endpoint))
    templates.insert(0, {"name": ENTRYPOINT, "dag": {"tasks": tasks}})
    workflow = workflow_spec(ctx, role="monitoring", component=COMPONENT, entrypoint=ENTRYPOINT, templates=templates,
                             pod_labels={ENDPOINT_LABEL: endpoint}, volumes=volumes,
                             runtimes=[monitor.drift.runtime] if monitor.drift else [],
                             deadline_seconds=MONITOR_DEADLINE_SECONDS)
    schedule = monitor.drift.schedule if monitor.drift else GATE_SCHEDULE
    cron = cron_workflow(ctx, name=ctx.name(endpoint, "-monitor"), component=COMPONENT,
                         spec_path=f"monitoring.{endpoint}", schedules=[schedule], timezone="UTC",
                         concurrency="forbid", workflow=workflow, extra_annotations=annotations)
    return [*objects, cron]


def _first_image(ctx: Context) -> str:
    return next(iter(ctx.spec.runtimes.values())).image
