"""`pipelines:` -> an Argo WorkflowTemplate (a DAG of steps) and, when scheduled, a CronWorkflow.

Each step becomes a container template: the pipeline's (or the step's) runtime image, retries
(`retryStrategy`, backoff from 1m doubling: spot nodes go away), `activeDeadlineSeconds` from
`timeout`, requests and limits, and for GPU steps the pool's node selector, the GPU toleration and
`nvidia.com/gpu` or, under the mixed MIG strategy, `nvidia.com/mig-<profile>`. The CronWorkflow
refers to the template, so a manual run and a scheduled run are the same workflow. A step with
`distributed:` is a resource template creating a Kubeflow Trainer TrainJob (train_jobs.py).
"""
from __future__ import annotations

from compiler.naming import DAG_TEMPLATE
from compiler.spec.pipelines import Pipeline, Step

from . import feature_store
from .argo import API_VERSION, container, cron_workflow, placement, template_pod_fields, workflow_spec
from .context import Context
from .labels import DOMAIN, PIPELINE_LABEL, metadata, obj
from .queues import step_labels
from .train_jobs import checkpoint_env, resource_template
from .units import seconds

COMPONENT = "pipeline"
ENTRYPOINT = DAG_TEMPLATE


def lower_pipeline(ctx: Context, name: str) -> list[dict]:
    pipeline = ctx.spec.pipelines[name]
    objects = [workflow_template(ctx, name, pipeline)]
    if pipeline.schedules:
        objects.append(cron_workflow(
            ctx, name=template_name(ctx, name), component=COMPONENT, spec_path=f"pipelines.{name}.schedule",
            schedules=pipeline.schedules, timezone=pipeline.timezone, concurrency=pipeline.concurrency,
            workflow={"workflowTemplateRef": {"name": template_name(ctx, name)}}))
    return objects


def template_name(ctx: Context, pipeline: str) -> str:
    return ctx.name(pipeline)


def step_env(ctx: Context, pipeline: str, step_name: str, step: Step) -> dict:
    """What a step is told about its context, besides the user's own `env`."""
    env = {"MLOPS_SYSTEM": ctx.system, "MLOPS_PIPELINE": pipeline, "MLOPS_STEP": step_name}
    if step.preprocessing:
        artifact = ctx.spec.preprocessing[step.preprocessing]
        env["MLOPS_PREPROCESSING"] = step.preprocessing
        if artifact.package and artifact.version:
            env["MLOPS_PREPROCESSING_PACKAGE"] = f"{artifact.package}=={artifact.version}"
        if artifact.entrypoint:
            env["MLOPS_PREPROCESSING_ENTRYPOINT"] = artifact.entrypoint
    if step.features:
        env["MLOPS_FEATURE_VIEWS"] = ",".join(step.features.views)
        env["MLOPS_FEATURES_POINT_IN_TIME"] = "true" if step.features.point_in_time else "false"
        if feature_store.enabled(ctx):   # the views/TTLs and the service the endpoint reads too
            env.update(feature_store.step_env(ctx, pipeline, step_name, step.features.point_in_time))
    if step.registers:
        model = ctx.spec.models[step.registers]
        env["MLOPS_REGISTERS_MODEL"] = model.registry_name or step.registers
    env.update(checkpoint_env(step))
    env.update(step.env)
    return env


def step_template(ctx: Context, pipeline_name: str, pipeline: Pipeline, step_name: str, step: Step) -> dict:
    if step.distributed is not None:
        return resource_template(ctx, pipeline_name, pipeline, step_name, step,
                                 step_env(ctx, pipeline_name, step_name, step))
    runtime_name = step.runtime or pipeline.runtime
    runtime = ctx.spec.runtimes[runtime_name]
    pod = template_pod_fields(ctx, role="training", runtime=runtime_name, settings=step, resources=step.resources)
    pod_meta = pod.pop("metadata", {})
    labels = {**pod_meta.get("labels", {}), **step_labels(ctx, pipeline_name, step_name)}
    meta = {"annotations": {f"{DOMAIN}/spec-path": f"pipelines.{pipeline_name}.steps.{step_name}"},
            **({"labels": labels} if labels else {})}
    template: dict = {
        "name": step_name,
        "metadata": meta,
        "container": container(ctx, image=runtime.image, command=step.command, args=step.args,
                               env=step_env(ctx, pipeline_name, step_name, step), resources=step.resources,
                               settings=step,
                               mounts=[feature_store.mount()] if _reads_features(ctx, step) else None),
        **placement(ctx, step.resources, step.scheduling),
        **pod,
    }
    if step.timeout is not None:
        template["activeDeadlineSeconds"] = seconds(step.timeout)
    if step.retries:
        template["retryStrategy"] = {"limit": step.retries, "retryPolicy": "Always",
                                     "backoff": {"duration": "1m", "factor": 2}}
    return template


def _reads_features(ctx: Context, step: Step) -> bool:
    return step.features is not None and feature_store.enabled(ctx)


def dag(pipeline: Pipeline) -> dict:
    tasks = []
    for step_name, step in pipeline.steps.items():
        task: dict = {"name": step_name, "template": step_name}
        if step.after:
            task["dependencies"] = list(step.after)
        tasks.append(task)
    return {"name": ENTRYPOINT, "dag": {"tasks": tasks}}


def workflow_template(ctx: Context, name: str, pipeline: Pipeline) -> dict:
    templates = [dag(pipeline)] + [step_template(ctx, name, pipeline, step_name, step)
                                   for step_name, step in pipeline.steps.items()]
    spec = workflow_spec(ctx, role="training", component=COMPONENT, entrypoint=ENTRYPOINT, templates=templates,
                         pod_labels={PIPELINE_LABEL: name},
                         runtimes=sorted({step.runtime or pipeline.runtime for step in pipeline.steps.values()}),
                         volumes=[feature_store.volume(ctx)] if any(_reads_features(ctx, s) for s in
                                                                     pipeline.steps.values()) else None,
                         deadline_seconds=seconds(pipeline.timeout) if pipeline.timeout else None)
    meta = metadata(ctx, template_name(ctx, name), COMPONENT, f"pipelines.{name}")
    return obj(API_VERSION, "WorkflowTemplate", meta, spec=spec)
