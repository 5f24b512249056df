"""`features:` -> one ConfigMap both sides read: the feature views (entities, timestamp field, TTL) and, per
model, the feature service its training steps and its endpoints retrieve.

The trap (docs/traps.md, "Feature values at training time differ from serving time"): training joins
features one way, serving looks them up another. The generated `<system>-features` ConfigMap holds
`features.json`, the one description of the views (`ttl_seconds`, `timestamp_field`, `entities`) and
of each feature service (a model's `features:`, or a step's `features.views`); it is mounted read-only
at /etc/mlops/features in every training step that reads features and every endpoint whose model
does, and each side is told which service to retrieve and how:

- a step: `MLOPS_FEATURE_SERVICE`, `MLOPS_FEATURES_RETRIEVAL=point-in-time` when `point_in_time: true`
  (Feast: `get_historical_features`, joining each row as of its event time, within each view's TTL),
  else `latest`;
- an endpoint: `MLOPS_FEATURE_SERVICE`, `MLOPS_FEATURES_RETRIEVAL=online` (Feast: `get_online_features`
  of the same service, whose values expire after the same TTLs).

Feast's repository configuration (feature_store.yaml: its registry and online/offline stores) is the
platform's and is not generated; `MLOPS_FEATURE_STORE=feast` names the store the service lives in.
"""
from __future__ import annotations

import json

from .context import Context
from .labels import metadata, obj
from .units import seconds

COMPONENT = "platform"
VOLUME = "mlops-features"
MOUNT_PATH = "/etc/mlops/features"
FILE = "features.json"


def config_map_name(ctx: Context) -> str:
    return ctx.name("features")


def enabled(ctx: Context) -> bool:
    features = ctx.spec.features
    return features.store != "none" and bool(features.views)


def step_service(ctx: Context, pipeline: str, step: str) -> str:
    """The service a step retrieves: the one of the model its pipeline registers, when it reads the same views
    (then training and serving read one service); else a service of its own, `<pipeline>.<step>`."""
    spec = ctx.spec.pipelines[pipeline]
    views = set(spec.steps[step].features.views) if spec.steps[step].features else set()
    for other in spec.steps.values():
        model = ctx.spec.models.get(other.registers or "")
        if model is not None and set(model.features) == views:
            return other.registers   # type: ignore[return-value]
    return f"{pipeline}.{step}"


def _services(ctx: Context) -> dict[str, dict]:
    spec = ctx.spec
    services: dict[str, dict] = {}
    for key, model in sorted(spec.models.items()):
        if model.features:
            services[key] = {"views": list(model.features)}
    for pipeline_name, pipeline in sorted(spec.pipelines.items()):
        for step_name, step in pipeline.steps.items():
            if not step.features:
                continue
            service = services.setdefault(step_service(ctx, pipeline_name, step_name),
                                          {"views": list(step.features.views)})
            service.setdefault("trained_by", []).append({"step": f"{pipeline_name}.{step_name}",
                                                         "point_in_time": step.features.point_in_time})
    return services


def lower_feature_store(ctx: Context) -> list[dict]:
    """The features ConfigMap, or nothing without a feature store and views."""
    if not enabled(ctx):
        return []
    views = {name: {"entities": list(view.entities), "timestamp_field": view.timestamp_field,
                    "ttl_seconds": seconds(view.ttl) if view.ttl is not None else None}
             for name, view in sorted(ctx.spec.features.views.items())}
    document = {"store": ctx.spec.features.store, "project": ctx.system, "views": views,
                "services": _services(ctx)}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"   # JSON: spec strings stay data
    return [obj("v1", "ConfigMap", metadata(ctx, config_map_name(ctx), COMPONENT, "features"), data={FILE: text})]


def volume(ctx: Context) -> dict:
    return {"name": VOLUME, "configMap": {"name": config_map_name(ctx)}}


def mount() -> dict:
    return {"name": VOLUME, "mountPath": MOUNT_PATH, "readOnly": True}


def _env(ctx: Context, service: str, retrieval: str) -> dict[str, str]:
    return {"MLOPS_FEATURE_STORE": ctx.spec.features.store, "MLOPS_FEATURES_CONFIG": f"{MOUNT_PATH}/{FILE}",
            "MLOPS_FEATURE_SERVICE": service, "MLOPS_FEATURES_RETRIEVAL": retrieval}


def step_env(ctx: Context, pipeline: str, step_name: str, point_in_time: bool) -> dict[str, str]:
    return _env(ctx, step_service(ctx, pipeline, step_name), "point-in-time" if point_in_time else "latest")


def endpoint_env(ctx: Context, model_key: str) -> dict[str, str]:
    return _env(ctx, model_key, "online")
