"""Argo Workflows building blocks shared by pipelines and monitoring (drift checks, retraining gate)."""
from __future__ import annotations

import json

from compiler.spec.containers import WorkloadSettings
from compiler.spec.resources import Resources
from compiler.spec.scheduling import Scheduling

from .context import Context
from .labels import metadata, obj, selector_labels
from .priority import class_name
from .scheduling import merged_tolerations, node_affinity
from .pods import (container_resources, container_security_context, image_pull_policy, node_selector,
                   pod_security_context, termination_message, tmp_mount, tmp_volume, tolerations)
from .workload_settings import (env_entries, env_from_entries, grace_seconds, identity_pod_labels, image_pull_secrets,
                                volumes_and_mounts, workload_service_account)

API_VERSION = "argoproj.io/v1alpha1"
CONCURRENCY = {"allow": "Allow", "forbid": "Forbid", "replace": "Replace"}
DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"
#: Finished workflows are kept 35 days, then garbage-collected: the retraining gate counts this
#: month's runs and the cooldown from the Workflow objects, so they must outlive a month.
TTL_SECONDS = 35 * 86400


def workflow_spec(ctx: Context, *, role: str, component: str, entrypoint: str, templates: list[dict],
                  pod_labels: dict[str, str] | None = None, volumes: list[dict] | None = None,
                  deadline_seconds: int | None = None, runtimes: list[str] | None = None) -> dict:
    """The parts of a Workflow spec every generated workflow shares: identity, security, cleanup."""
    spec: dict = {
        "entrypoint": entrypoint,
        "serviceAccountName": ctx.service_account(role),
        "podPriorityClassName": class_name(ctx, role),
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
    # Argo takes pull secrets for the whole workflow only (WorkflowSpec.imagePullSecrets).
    pull = image_pull_secrets(ctx, runtimes or [])
    if pull:
        spec["imagePullSecrets"] = pull
    if deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = deadline_seconds
    return spec


def container(ctx: Context, *, image: str, command: list[str], args: list[str] | None = None,
              env: dict | None = None, resources: Resources,
              mounts: list[dict] | None = None, settings: WorkloadSettings | None = None) -> dict:
    """A step's main container: read-only root, /tmp on an emptyDir, requests and limits, the user's env/mounts."""
    result: dict = {
        "name": "main",
        "image": image,
        "imagePullPolicy": image_pull_policy(image),
        "command": list(command),
    }
    if args:
        result["args"] = list(args)
    if env:
        result["env"] = env_entries(env)
    if settings is not None and settings.env_from:
        result["envFrom"] = env_from_entries(settings)
    result["resources"] = container_resources(ctx, resources)
    result["securityContext"] = container_security_context()
    user_mounts = []
    if settings is not None:
        _, user_mounts = volumes_and_mounts(settings, resources, result["resources"]["limits"]["memory"])
    result["volumeMounts"] = [tmp_mount(), *(mounts or []), *user_mounts]
    result.update(termination_message(resources))
    return result


def template_pod_fields(ctx: Context, *, role: str, runtime: str | None, settings: WorkloadSettings,
                        resources: Resources) -> dict:
    """Per-template pod fields: the user's volumes, the runtime's identity, the grace period."""
    result: dict = {}
    memory = container_resources(ctx, resources)["limits"]["memory"]
    volumes, _ = volumes_and_mounts(settings, resources, memory)
    if volumes:
        result["volumes"] = volumes
    account = workload_service_account(ctx, role, runtime)
    if account != ctx.service_account(role):
        result["serviceAccountName"] = account
    labels = identity_pod_labels(ctx, runtime)
    if labels:
        result["metadata"] = {"labels": labels}
    grace = grace_seconds(settings)
    if grace is not None:
        # Argo templates have no terminationGracePeriodSeconds; its podSpecPatch sets pod fields.
        result["podSpecPatch"] = json.dumps({"terminationGracePeriodSeconds": grace}, sort_keys=True)
    return result


def placement(ctx: Context, resources: Resources, scheduling: Scheduling | None = None) -> dict:
    """nodeSelector, affinity and tolerations of a template: the pool its resources name, then `scheduling`."""
    scheduling = scheduling or Scheduling()
    result: dict = {}
    selector = node_selector(ctx, resources)
    if selector:
        result["nodeSelector"] = selector
    affinity = node_affinity(scheduling)
    if affinity:
        result["affinity"] = affinity
    toleration = merged_tolerations(tolerations(ctx, resources), scheduling)
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
