"""Argo Workflows building blocks shared by pipelines and monitoring (drift checks, retraining gate)."""
from __future__ import annotations

from compiler.spec.resources import Resources

from .context import Context
from .labels import metadata, obj, selector_labels
from .pods import (container_resources, container_security_context, env_list, image_pull_policy, node_selector,
                   pod_security_context, termination_message, tmp_mount, tmp_volume, tolerations)

API_VERSION = "argoproj.io/v1alpha1"
CONCURRENCY = {"allow": "Allow", "forbid": "Forbid", "replace": "Replace"}
DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"
#: Finished workflows are kept 35 days, then garbage-collected: the retraining gate counts this
#: month's runs and the cooldown from the Workflow objects, so they must outlive a month.
TTL_SECONDS = 35 * 86400


def workflow_spec(ctx: Context, *, role: str, component: str, entrypoint: str, templates: list[dict],
                  pod_labels: dict[str, str] | None = None, volumes: list[dict] | None = None,
                  deadline_seconds: int | None = None) -> dict:
    """The parts of a Workflow spec every generated workflow shares: identity, security, cleanup."""
    spec: dict = {
        "entrypoint": entrypoint,
        "serviceAccountName": ctx.service_account(role),
        "securityContext": pod_security_context(),
        "podMetadata": {
            "labels": dict(sorted({**selector_labels(ctx, component), **(pod_labels or {})}.items())),
            # A step that is running must not be evicted by consolidation of its node.
            "annotations": {DO_NOT_DISRUPT: "true"},
        },
        "podGC": {"strategy": "OnPodSuccess"},
        "ttlStrategy": {"secondsAfterCompletion": TTL_SECONDS},
        "volumes": [tmp_volume(), *(volumes or [])],
        "templates": templates,
    }
    if deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = deadline_seconds
    return spec


def container(ctx: Context, *, image: str, command: list[str], args: list[str] | None = None,
              env: dict[str, str] | None = None, resources: Resources,
              mounts: list[dict] | None = None) -> dict:
    """A step's main container: read-only root, /tmp on an emptyDir, requests and limits."""
    result: dict = {
        "name": "main",
        "image": image,
        "imagePullPolicy": image_pull_policy(image),
        "command": list(command),
    }
    if args:
        result["args"] = list(args)
    if env:
        result["env"] = env_list(env)
    result["resources"] = container_resources(ctx, resources)
    result["securityContext"] = container_security_context()
    result["volumeMounts"] = [tmp_mount(), *(mounts or [])]
    result.update(termination_message(resources))
    return result


def placement(ctx: Context, resources: Resources) -> dict:
    """nodeSelector and tolerations of a template, for the pool its resources name."""
    result: dict = {}
    selector = node_selector(ctx, resources)
    if selector:
        result["nodeSelector"] = selector
    toleration = tolerations(ctx, resources)
    if toleration:
        result["tolerations"] = toleration
    return result


def cron_workflow(ctx: Context, *, name: str, component: str, spec_path: str, schedules: list[str],
                  timezone: str, concurrency: str, workflow: dict,
                  extra_annotations: dict[str, str] | None = None) -> dict:
    """A CronWorkflow in Argo v4 form: a `schedules:` list and a `workflowSpec`."""
    meta = metadata(ctx, name, component, spec_path, extra_annotations=extra_annotations)
    return obj(API_VERSION, "CronWorkflow", meta, spec={
        "schedules": list(schedules),
        "timezone": timezone,
        "concurrencyPolicy": CONCURRENCY[concurrency],
        "startingDeadlineSeconds": 300,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "workflowSpec": workflow,
    })
