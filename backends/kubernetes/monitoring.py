"""`monitoring:` -> per endpoint: a PodMonitor, one PrometheusRule, the drift check, the retraining gate.

Scraping and alerts have their own modules: scraping.py (the PodMonitor of the predictor pods) and
alert_rules.py (one PrometheusRule per endpoint, one group per kind: SLOs, business metrics, drift,
data quality and freshness, the monitor jobs' silence, the estimated performance drop, GPU memory
and XID errors); alertmanager.py turns `platform.alerts.receivers` into the AlertmanagerConfig that
delivers them.

Drift: a CronWorkflow runs the drift command in the monitor runtime with the generated config
(features, method, threshold, reference) mounted from a ConfigMap.

Retraining gate: a CronWorkflow whose first step (retraining_gate_job.py, config in a ConfigMap)
checks the triggers, the cooldown and the monthly cost bound; only when it says `retrain` (and a
person approved, when `requires_approval`) does the next step submit a Workflow from the training
WorkflowTemplate. The cost bound is a number of runs per month: `max_monthly_cost` over the
estimated cost of one run (GPU steps x pool GPU-hour price x step timeout, 1h for a step without one).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from compiler import gpu_catalogue
from compiler.spec.monitoring import Monitor
from compiler.spec.resources import Resources

from . import metrics as m
from .alert_rules import prometheus_rule
from .argo import TTL_SECONDS, container, cron_workflow, workflow_spec
from .context import Context
from .labels import DOMAIN, ENDPOINT_LABEL, metadata, model_annotations, obj
from .pipelines import template_name
from .scraping import pod_monitor
from .units import seconds
from compiler.yaml_emitter import dump_document

COMPONENT = "monitoring"
DRIFT_MOUNT = "/etc/mlops/drift"
GATE_MOUNT = "/etc/mlops/gate"
GATE_SCRIPT = Path(__file__).with_name("retraining_gate_job.py")
ASSUMED_STEP_HOURS = 1.0
GATE_SCHEDULE = "0 * * * *"


def lower_monitor(ctx: Context, endpoint: str) -> list[dict]:
    monitor = ctx.spec.monitoring[endpoint]
    objects = [pod_monitor(ctx, endpoint), prometheus_rule(ctx, endpoint, monitor)]
    if monitor.drift:
        objects += drift_check(ctx, endpoint, monitor)
    if monitor.retraining:
        objects += retraining_gate(ctx, endpoint, monitor)
    return objects


def _json(value: dict) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


# --- drift ----------------------------------------------------------------------------------

def drift_config(ctx: Context, endpoint: str, monitor: Monitor) -> dict:
    drift = monitor.drift
    model = ctx.model_ref(ctx.spec.serving[endpoint].model)
    reference: dict = {"kind": drift.reference}
    if drift.reference == "training":
        reference["data_version"] = dict(model.lineage).get("data_version")
    quality = monitor.data_quality
    return {
        "system": ctx.system, "namespace": ctx.namespace, "endpoint": endpoint,
        "model": {"registry_name": model.registry_name, "version": model.label, "storage_uri": model.storage_uri},
        "features": list(drift.features), "method": drift.method, "threshold": drift.threshold,
        "reference": reference,
        "data_quality": None if quality is None else {
            "contract": quality.contract,
            "freshness_seconds": seconds(quality.freshness) if quality.freshness else None},
        "metrics": {"drift_score": m.DRIFT_SCORE, "data_quality_passed": m.DATA_QUALITY_PASSED,
                    "data_newest_timestamp_seconds": m.DATA_NEWEST_TIMESTAMP, "last_success": m.LAST_SUCCESS,
                    "labels": {m.SYSTEM_LABEL: ctx.system, m.ENDPOINT_LABEL: endpoint}},
    }


def drift_check(ctx: Context, endpoint: str, monitor: Monitor) -> list[dict]:
    drift = monitor.drift
    name = ctx.name(endpoint, "-drift")
    path = f"monitoring.{endpoint}.drift"
    model = ctx.model_ref(ctx.spec.serving[endpoint].model)
    config = obj("v1", "ConfigMap", metadata(ctx, name, COMPONENT, path, extra_labels={ENDPOINT_LABEL: endpoint}),
                 data={"config.json": _json(drift_config(ctx, endpoint, monitor))})
    volume = {"name": "drift-config", "configMap": {"name": name}}
    step = {
        "name": "drift",
        "container": container(ctx, image=ctx.spec.runtimes[drift.runtime].image, command=drift.command,
                               env={"MLOPS_DRIFT_CONFIG": f"{DRIFT_MOUNT}/config.json"},
                               resources=_monitor_resources(),
                               mounts=[{"name": "drift-config", "mountPath": DRIFT_MOUNT, "readOnly": True}]),
    }
    workflow = workflow_spec(ctx, role="monitoring", component=COMPONENT, entrypoint="drift", templates=[step],
                             pod_labels={ENDPOINT_LABEL: endpoint}, volumes=[volume], deadline_seconds=3600)
    cron = cron_workflow(ctx, name=name, component=COMPONENT, spec_path=path, schedules=[drift.schedule],
                         timezone="UTC", concurrency="forbid", workflow=workflow,
                         extra_annotations=model_annotations(model))
    return [config, cron]


def _monitor_resources() -> Resources:
    """Drift and gate steps take the defaults (pods.DEFAULT_CPU, pods.DEFAULT_MEMORY)."""
    return Resources()


# --- retraining gate ------------------------------------------------------------------------

def run_cost(ctx: Context, pipeline_name: str) -> float:
    """Estimated USD of one run: GPU share x pool GPU-hour price x hours, summed over GPU steps."""
    pipeline = ctx.spec.pipelines[pipeline_name]
    total = 0.0
    for step in pipeline.steps.values():
        resources = step.resources
        pool = ctx.spec.node_pools.get(resources.pool or "")
        if not resources.uses_gpu or pool is None or pool.accelerator is None:
            continue
        accelerator = gpu_catalogue.get(pool.accelerator)
        price = ctx.spec.platform.prices.get(pool.accelerator, accelerator.hourly_price_usd)
        if resources.mig_profile and accelerator.has_mig and resources.mig_profile in accelerator.mig_profiles:
            share = accelerator.mig_profiles[resources.mig_profile].compute_slices / accelerator.compute_slices
        else:
            share = math.ceil(resources.gpu_count) or 1
        timeout = step.timeout or pipeline.timeout
        hours = timeout.seconds / 3600 if timeout else ASSUMED_STEP_HOURS
        total += share * price * hours
    return round(total, 2)


def gate_config(ctx: Context, endpoint: str, monitor: Monitor) -> dict:
    retraining = monitor.retraining
    labels = m.endpoint_labels(ctx.system, endpoint)
    triggers = {}
    if retraining.when.drift_above is not None:
        triggers["drift"] = {"query": f"max({m.DRIFT_SCORE}{{{labels}}})", "above": retraining.when.drift_above}
    if retraining.when.performance_drop is not None:
        triggers["performance"] = {"query": f"max({m.PERFORMANCE_DROP}{{{labels}}})",
                                   "above": retraining.when.performance_drop.fraction}
    cost = run_cost(ctx, retraining.pipeline)
    budget = retraining.max_monthly_cost
    max_runs = None if budget is None or cost <= 0 else int(budget // cost)
    return {
        "namespace": ctx.namespace, "endpoint": endpoint, "pipeline": retraining.pipeline,
        "workflow_template": template_name(ctx, retraining.pipeline),
        "prometheus_url": ctx.spec.platform.prometheus.url,
        "triggers": triggers,
        "cooldown_seconds": seconds(retraining.cooldown) if retraining.cooldown else None,
        "max_monthly_cost_usd": budget, "estimated_run_cost_usd": cost, "max_runs_per_month": max_runs,
        "run_selector": f"{DOMAIN}/retrain-gate={ctx.name(endpoint, '-retrain-gate')}",
        "requires_approval": retraining.requires_approval,
    }


def retraining_gate(ctx: Context, endpoint: str, monitor: Monitor) -> list[dict]:
    retraining = monitor.retraining
    name = ctx.name(endpoint, "-retrain-gate")
    path = f"monitoring.{endpoint}.retraining"
    config = gate_config(ctx, endpoint, monitor)
    config_map = obj("v1", "ConfigMap", metadata(ctx, name, COMPONENT, path, extra_labels={ENDPOINT_LABEL: endpoint}),
                     data={"config.json": _json(config), "gate.py": GATE_SCRIPT.read_text(encoding="utf-8")})
    runtime = monitor.drift.runtime if monitor.drift else "monitor"
    image = ctx.spec.runtimes[runtime].image if runtime in ctx.spec.runtimes else _first_image(ctx)
    check = {
        "name": "check",
        "container": container(ctx, image=image, command=["python", f"{GATE_MOUNT}/gate.py"],
                               env={"MLOPS_GATE_CONFIG": f"{GATE_MOUNT}/config.json"}, resources=_monitor_resources(),
                               mounts=[{"name": "gate", "mountPath": GATE_MOUNT, "readOnly": True}]),
        "outputs": {"parameters": [{"name": "decision", "valueFrom": {"path": "/tmp/decision"}}]},
    }
    run = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {
        "generateName": f"{template_name(ctx, retraining.pipeline)}-retrain-",
        "namespace": ctx.namespace,
        "labels": {f"{DOMAIN}/retrain-gate": name, ENDPOINT_LABEL: endpoint}},
        "spec": {"workflowTemplateRef": {"name": template_name(ctx, retraining.pipeline)}}}
    submit = {"name": "submit", "resource": {"action": "create", "setOwnerReference": False,
                                             "manifest": dump_document(run)}}
    go = "{{tasks.check.outputs.parameters.decision}} == retrain"
    tasks = [{"name": "check", "template": "check"}]
    templates = [check, submit]
    before_submit = "check"
    if retraining.requires_approval:
        tasks.append({"name": "approve", "template": "approve", "dependencies": ["check"], "when": go})
        templates.append({"name": "approve", "suspend": {}})
        before_submit = "approve"
    tasks.append({"name": "submit", "template": "submit", "dependencies": [before_submit], "when": go})
    templates.insert(0, {"name": "gate", "dag": {"tasks": tasks}})
    volume = {"name": "gate", "configMap": {"name": name}}
    workflow = workflow_spec(ctx, role="monitoring", component=COMPONENT, entrypoint="gate", templates=templates,
                             pod_labels={ENDPOINT_LABEL: endpoint}, volumes=[volume])
    schedule = monitor.drift.schedule if monitor.drift else GATE_SCHEDULE
    cron = cron_workflow(ctx, name=name, component=COMPONENT, spec_path=path, schedules=[schedule], timezone="UTC",
                         concurrency="forbid", workflow=workflow, extra_annotations={
                             f"{DOMAIN}/estimated-run-cost-usd": str(config["estimated_run_cost_usd"]),
                             f"{DOMAIN}/max-runs-per-month": str(config["max_runs_per_month"]),
                             f"{DOMAIN}/history-days": str(TTL_SECONDS // 86400)})
    return [config_map, cron]


def _first_image(ctx: Context) -> str:
    return next(iter(ctx.spec.runtimes.values())).image
