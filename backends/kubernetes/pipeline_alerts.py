"""A pipeline's GPU steps -> one PrometheusRule: OOM kills, GPU memory near its limit, XID errors, per step.

Training jobs fall into the GPU OOM trap as often as endpoints do, so each GPU step's pods get the
generic workload alerts (backends/kubernetes/workload_alerts.py). Argo names a step's pod
`<workflow>-<template>-<fnv32 hash>` (argoproj/argo-workflows workflow/util/pod_name.go GeneratePodName,
pod names v2, the default), and a workflow of the pipeline is `<system>-<pipeline>-<suffix>` (the
CronWorkflow's `-<unix time>`, a manual submit's generateName): the rules select those pod names, in
the system's namespace, container `main`. Argo never restarts a step's container (it retries with a
new pod), so a step's OOM kill is its current termination reason, not a restart.

Alerts are labelled `mlops_system`, `mlops_pipeline`, `mlops_step`, `namespace`, `receiver` (the
owner's receiver, as endpoints without `alerts.receiver`) and `severity`.
"""
from __future__ import annotations

from .context import Context
from .labels import PIPELINE_LABEL, metadata, obj
from .metrics import SYSTEM_LABEL
from .workload_alerts import Workload, container_rules, gpu_rules

MONITORING_API = "monitoring.coreos.com/v1"
COMPONENT = "monitoring"
PIPELINE_ALERT_LABEL = "mlops_pipeline"
STEP_ALERT_LABEL = "mlops_step"
#: Argo's main container of a step's pod (workflow/common/common.go MainContainerName).
MAIN_CONTAINER = "main"


def rule_name(ctx: Context, pipeline: str) -> str:
    return ctx.name(pipeline, "-gpu-alerts")


def step_pods(ctx: Context, pipeline: str, step: str) -> str:
    """A regular expression for the pods of one step of any run of the pipeline."""
    return f"{ctx.name(pipeline)}-[a-z0-9]+-{step}-[0-9]+"   # Kubernetes names: nothing to escape


def pipeline_rule(ctx: Context, pipeline: str) -> dict | None:
    """The PrometheusRule of a pipeline's GPU steps, or None when no step uses a GPU."""
    spec = ctx.spec.pipelines[pipeline]
    receiver = ctx.spec.metadata.owner or "default"
    groups = []
    for step_name, step in spec.steps.items():
        if not step.resources.uses_gpu:
            continue
        path = f"pipelines.{pipeline}.steps.{step_name}"

        def make(alert, expr, summary, severity, duration, labels=None, _step=step_name, _path=path):
            rule: dict = {"alert": alert, "expr": expr}
            if duration:
                rule["for"] = duration
            rule["labels"] = dict(sorted({SYSTEM_LABEL: ctx.system, PIPELINE_ALERT_LABEL: pipeline,
                                          STEP_ALERT_LABEL: _step, "namespace": ctx.namespace,
                                          "receiver": receiver, "severity": severity, **(labels or {})}.items()))
            rule["annotations"] = {"mlops_spec_path": _path, "summary": summary}
            return rule

        workload = Workload(ctx.namespace, step_pods(ctx, pipeline, step_name), MAIN_CONTAINER,
                            f"pipeline {pipeline}, step {step_name}", restarts=False)
        groups.append({"name": f"{ctx.name(pipeline)}.{step_name}.gpu",
                       "rules": container_rules(make, workload) + gpu_rules(make, workload)})
    if not groups:
        return None
    meta = metadata(ctx, rule_name(ctx, pipeline), COMPONENT, f"pipelines.{pipeline}",
                    extra_labels={PIPELINE_LABEL: pipeline, **ctx.spec.platform.prometheus.selector_labels})
    return obj(MONITORING_API, "PrometheusRule", meta, spec={"groups": groups})
