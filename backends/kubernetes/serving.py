"""`serving:` -> a KServe InferenceService (v1beta1) per endpoint, its model cache, and rollback manifests.

- Version: the storage URI of the pinned version (mlops.lock), or a placeholder derived from the
  registry name and version/alias while the lock has no fresh entry (`context.placeholder_uri`).
- Autoscaling: Knative mode scales on `scaleMetric`/`scaleTarget` (concurrency, rps, cpu, memory).
  Standard mode uses the HPA for cpu/memory and KEDA with a Prometheus query for concurrency, rps
  and gpu_utilization (also what lets a Standard endpoint scale to zero). An HPA cannot scale to
  zero, so a Standard cpu/memory endpoint with `replicas.min: 0` keeps one replica (annotated).
- Startup: a startup probe whose budget is `startup_timeout` (failureThreshold x periodSeconds),
  then readiness and liveness probes on the model port.
- Canary: Standard mode lists the new version in `spec.canary[]` with `trafficPercent` and keeps
  the previous version as the main predictor; Knative mode sets `canaryTrafficPercent` and lets
  Knative keep the previous revision. Without a known previous version there is nothing to split
  traffic with: the canary is skipped and the reason annotated.
- Model cache: a cluster-scoped LocalModelCache per served version, on a LocalModelNodeGroup per pool.
- Rollback: `rollback/<endpoint>/v<N>.yaml` holds the InferenceService (and cache) serving version N.
"""
from __future__ import annotations

from compiler.spec.serving import Endpoint
from compiler.spec.units import Quantity

from .context import Context, ModelRef
from .labels import DOMAIN, ENDPOINT_LABEL, NODE_POOL_LABEL, metadata, model_annotations, obj, selector_labels
from .metrics import DCGM_GPU_UTIL, INTERCEPTOR_CONCURRENCY, INTERCEPTOR_REQUESTS, dcgm_series, interceptor_route
from .pods import (container_resources, container_security_context, image_pull_policy, node_selector,
                   pod_security_context, tmp_mount, tmp_volume, tolerations)
from .units import probe_failure_threshold

COMPONENT = "serving"
API_VERSION = "serving.kserve.io/v1beta1"
CACHE_API_VERSION = "serving.kserve.io/v1alpha1"
PORT_NAME = "http1"
CONTAINER_NAME = "kserve-container"  # KServe's name for the model server container
STARTUP_PERIOD = 10
DEFAULT_MODEL_SIZE = Quantity.parse("1Gi")
DEPLOYMENT_MODE = {"standard": "Standard", "knative": "Knative"}
MODEL_CACHE_PATH = "/mnt/models-cache"


def service_name(ctx: Context, endpoint: str) -> str:
    return ctx.name(endpoint)


def lower_endpoint(ctx: Context, name: str) -> list[dict]:
    endpoint = ctx.spec.serving[name]
    current = ctx.model_ref(endpoint.model)
    previous = ctx.previous_versions(endpoint.model, endpoint.rollout.keep_previous)
    objects = [inference_service(ctx, name, endpoint, current, previous[0] if previous else None)]
    if endpoint.model_cache:
        objects.append(model_cache(ctx, name, endpoint, current))
    return objects


def lower_rollbacks(ctx: Context, name: str) -> dict[str, list[dict]]:
    """`v<N>` -> the objects that serve version N of this endpoint's model, all traffic, no canary."""
    endpoint = ctx.spec.serving[name]
    result = {}
    for version in ctx.previous_versions(endpoint.model, endpoint.rollout.keep_previous):
        objects = [inference_service(ctx, name, endpoint, version, None, rollback=True)]
        if endpoint.model_cache:
            objects.append(model_cache(ctx, name, endpoint, version))
        result[f"v{version.label}"] = objects
    return result


def _probe(port: int, period: int, failures: int) -> dict:
    return {"tcpSocket": {"port": port}, "periodSeconds": period, "failureThreshold": failures, "timeoutSeconds": 5}


def model_container(ctx: Context, endpoint: Endpoint, model: ModelRef) -> dict:
    image = ctx.spec.runtimes[endpoint.runtime].image
    spec_model = ctx.spec.models[model.model_key]
    return {
        "name": CONTAINER_NAME,
        "modelFormat": {"name": spec_model.format},
        "image": image,
        "imagePullPolicy": image_pull_policy(image),
        "storageUri": model.storage_uri,
        "ports": [{"name": PORT_NAME, "containerPort": endpoint.port, "protocol": "TCP"}],
        "resources": container_resources(ctx, endpoint.resources),
        "securityContext": container_security_context(),
        "startupProbe": _probe(endpoint.port, STARTUP_PERIOD,
                               probe_failure_threshold(endpoint.startup_timeout, STARTUP_PERIOD)),
        "readinessProbe": _probe(endpoint.port, 10, 3),
        "livenessProbe": _probe(endpoint.port, 20, 3),
        "volumeMounts": [tmp_mount()],
    }


def _autoscaling(ctx: Context, name: str, endpoint: Endpoint) -> tuple[dict, dict[str, str]]:
    """Predictor fields and InferenceService annotations for the endpoint's autoscaling."""
    scale = endpoint.autoscale
    knative = ctx.spec.platform.serving_mode == "knative"
    if scale is None:
        return {}, {}
    target = max(1, round(scale.target))
    if knative and scale.metric != "gpu_utilization":
        return {"scaleMetric": scale.metric, "scaleTarget": target}, {}
    if not knative and scale.metric in ("cpu", "memory"):
        return ({"scaleMetric": scale.metric, "scaleMetricType": "Utilization", "scaleTarget": target},
                {"serving.kserve.io/autoscalerClass": "hpa"})
    # Request signals from the KEDA HTTP add-on's interceptor (the model servers export none; metric_contract).
    route = interceptor_route(ctx.namespace, service_name(ctx, name))
    query = {
        "concurrency": f"sum({INTERCEPTOR_CONCURRENCY}{{{route}}})",
        "rps": f"sum(rate({INTERCEPTOR_REQUESTS}{{{route}}}[1m]))",
        "gpu_utilization": f"avg({dcgm_series(DCGM_GPU_UTIL, ctx.namespace, service_name(ctx, name))})",
    }[scale.metric]
    target_type = "Value" if scale.metric == "gpu_utilization" else "AverageValue"
    metric = {"type": "External", "external": {
        "metric": {"backend": "prometheus", "serverAddress": ctx.spec.platform.prometheus.url, "query": query},
        "target": {"type": target_type, ("value" if target_type == "Value" else "averageValue"): str(target)},
    }}
    annotations = {} if knative else {"serving.kserve.io/autoscalerClass": "keda"}
    return {"autoScaling": {"metrics": [metric]}}, annotations


def predictor(ctx: Context, name: str, endpoint: Endpoint, model: ModelRef, *, with_scaling: bool = True) -> dict:
    result: dict = {
        "serviceAccountName": ctx.service_account("serving"),
        "automountServiceAccountToken": False,
        "labels": dict(sorted({**selector_labels(ctx, COMPONENT), ENDPOINT_LABEL: name}.items())),
        "securityContext": pod_security_context(),
        "model": model_container(ctx, endpoint, model),
        "volumes": [tmp_volume()],
    }
    if with_scaling:
        result["minReplicas"] = endpoint.replicas.min
        result["maxReplicas"] = endpoint.replicas.max
    selector = node_selector(ctx, endpoint.resources)
    if selector:
        result["nodeSelector"] = selector
    toleration = tolerations(ctx, endpoint.resources)
    if toleration:
        result["tolerations"] = toleration
    return result


def inference_service(ctx: Context, name: str, endpoint: Endpoint, model: ModelRef, previous: ModelRef | None,
                      *, rollback: bool = False) -> dict:
    mode = ctx.spec.platform.serving_mode
    scaling, scaling_annotations = _autoscaling(ctx, name, endpoint)
    extra = {"serving.kserve.io/deploymentMode": DEPLOYMENT_MODE[mode], **scaling_annotations,
             **model_annotations(model)}
    if endpoint.model_cache:
        extra[f"{DOMAIN}/model-cache"] = cache_name(ctx, name, model)
    canary = endpoint.rollout.canary_percent.percent
    main_model, canary_spec = model, None
    if canary > 0 and not rollback:
        if mode == "knative":
            canary_spec = {"canaryTrafficPercent": round(canary)}
        elif previous is not None:
            main_model = previous
            canary_spec = {"canary": [{"trafficPercent": round(canary),
                                       "predictor": {**predictor(ctx, name, endpoint, model, with_scaling=False),
                                                     **scaling}}]}
            extra[f"{DOMAIN}/stable-model-version"] = previous.label
        else:
            extra[f"{DOMAIN}/canary"] = "skipped: no earlier model version is known to split traffic with"
    if rollback:
        extra[f"{DOMAIN}/rollback"] = "true"
    spec_predictor = {**predictor(ctx, name, endpoint, main_model), **scaling}
    if endpoint.replicas.min == 0 and mode == "standard" and scaling_annotations.get(
            "serving.kserve.io/autoscalerClass") != "keda":
        spec_predictor["minReplicas"] = 1
        extra[f"{DOMAIN}/min-replicas-raised"] = "an HPA cannot scale to zero; use a request metric or knative"
    if canary_spec and "canaryTrafficPercent" in canary_spec:
        spec_predictor.update(canary_spec)
    spec: dict = {"predictor": spec_predictor}
    if canary_spec and "canary" in canary_spec:
        spec.update(canary_spec)
    meta = metadata(ctx, service_name(ctx, name), COMPONENT, f"serving.{name}",
                    extra_labels={ENDPOINT_LABEL: name}, extra_annotations=extra)
    return obj(API_VERSION, "InferenceService", meta, spec=spec)


# --- model cache -------------------------------------------------------------------------

def cache_name(ctx: Context, endpoint: str, model: ModelRef) -> str:
    return ctx.name(endpoint, f"-{model.label}")


def node_group_name(ctx: Context, pool: str | None) -> str:
    return ctx.name(pool or "default", "-model-cache")


def model_cache(ctx: Context, name: str, endpoint: Endpoint, model: ModelRef) -> dict:
    size = ctx.spec.models[model.model_key].size or DEFAULT_MODEL_SIZE
    meta = metadata(ctx, cache_name(ctx, name, model), COMPONENT, f"serving.{name}.model_cache", namespaced=False,
                    extra_labels={ENDPOINT_LABEL: name}, extra_annotations=model_annotations(model))
    return obj(CACHE_API_VERSION, "LocalModelCache", meta, spec={
        "sourceModelUri": model.storage_uri,
        "modelSize": size.text,
        "nodeGroups": [node_group_name(ctx, endpoint.resources.pool)],
    })


def model_cache_node_groups(ctx: Context) -> list[dict]:
    """One LocalModelNodeGroup per pool that hosts a cached endpoint, sized for every cached version."""
    needed: dict[str | None, int] = {}
    for endpoint in ctx.spec.serving.values():
        if endpoint.model_cache:
            size = ctx.spec.models[endpoint.model].size or DEFAULT_MODEL_SIZE
            versions = 1 + endpoint.rollout.keep_previous
            needed[endpoint.resources.pool] = needed.get(endpoint.resources.pool, 0) + size.bytes * versions
    objects = []
    for pool in sorted(needed, key=lambda p: p or ""):
        storage = Quantity.of_bytes(_round_up_gib(needed[pool])).text
        group = node_group_name(ctx, pool)
        match = ({"key": NODE_POOL_LABEL, "operator": "In", "values": [ctx.name(pool)]} if pool
                 else {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]})
        storage_class = group
        # Per pool, so it is written with the node pools (and labelled like them).
        meta = metadata(ctx, group, "node-pool", f"node_pools.{pool}" if pool else "serving", namespaced=False)
        objects.append(obj(CACHE_API_VERSION, "LocalModelNodeGroup", meta, spec={
            "storageLimit": storage,
            "persistentVolumeSpec": {
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": storage},
                "local": {"path": MODEL_CACHE_PATH},
                "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [match]}]}},
                "persistentVolumeReclaimPolicy": "Delete",
                "storageClassName": storage_class,
                "volumeMode": "Filesystem",
            },
            "persistentVolumeClaimSpec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": storage}},
                "storageClassName": storage_class,
                "volumeMode": "Filesystem",
            },
        }))
    return objects


def _round_up_gib(count: int) -> int:
    gib = 2**30
    return -(-count // gib) * gib
