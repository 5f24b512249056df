"""`serving:` -> a KServe InferenceService (v1beta1) per endpoint, its scaler, its model cache, rollback manifests.

What each endpoint setting becomes, and which controller acts on it, is written up in
docs/serving.md; the facts below come from kserve/kserve v0.20.0, kedacore/keda v2.20.2 and
kedacore/http-add-on v0.15.0 (each function names its source).

- Version: the storage URI of the pinned version (mlops.lock), or a placeholder derived from the
  registry name and version/alias while the lock has no fresh entry (`context.placeholder_uri`).
- Predictor: `model:` with the format's runtime (`compiler.kserve_runtimes`), or, for format
  custom, a custom predictor (`containers:`) that runs the image as it is. `model.name` is never
  set: KServe's webhook refuses it (inference_service_validation.go validatePredictor).
- Autoscaling: one scaler per endpoint, as `compiler.autoscaling.scaler_for` decides:
  KServe's HPA (`autoscalerClass: hpa`), KServe's KEDA path with a Prometheus query on DCGM
  (`autoscalerClass: keda`), the KEDA HTTP add-on (an HTTPScaledObject in front of the predictor's
  Deployment and Service, with `autoscalerClass: external` so KServe creates no HPA and leaves the
  replica count alone), Knative's KPA, or Knative's HPA class.
- Startup: a startup probe whose budget is `startup_timeout` (failureThreshold x periodSeconds),
  then readiness and liveness probes on the model port.
- Canary: Standard mode lists the new version in `spec.canary[]` (predictor named `canary`, no
  scaling fields, `autoscalerClass: none` so KServe holds it at its fixed replica count) and keeps
  the previous version as the main predictor; Knative mode sets `canaryTrafficPercent` and lets
  Knative keep the previous revision. Without a known previous version there is nothing to split
  traffic with: the canary is skipped and the reason annotated.
- Model cache: one cluster-scoped LocalModelCache per served model version, on a
  LocalModelNodeGroup per pool whose node affinity is the pods' own node selector.
- Rollback: `rollback/<endpoint>/v<N>.yaml` holds the InferenceService (with its scaler and cache)
  serving version N.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from compiler.autoscaling import knative_memory_target_mib, scaler_for
from compiler.kserve_runtimes import DEFAULT_HTTP_PORT, FORMATS, SERVING_RUNTIMES
from compiler.serving_checks import CANARY_NAME
from compiler.spec.serving import Endpoint
from compiler.spec.units import Quantity

from .availability import disruption_budget, topology_spread
from .context import Context, ModelRef
from .labels import DOMAIN, ENDPOINT_LABEL, metadata, model_annotations, obj, selector_labels
from .metrics import DCGM_GPU_UTIL, VLLM_KV_CACHE, VLLM_WAITING, dcgm_series, scrape_job
from .model_servers import (STORAGE_SECRET_ANNOTATION, endpoint_server, hf_token_env, port_facts, probe_action,
                            runs_as_custom, server_args, server_env, tmp_size, token_secret)
from .priority import class_name
from .scheduling import merged_tolerations, node_affinity
from .pods import (container_resources, container_security_context, image_pull_policy, node_selector,
                   pod_security_context, termination_message, tmp_mount, tmp_volume, tolerations)
from . import feature_store
from .served_with import SERVED_WITH, apply_to_container, reads_features, served_with
from .units import go_duration, probe_failure_threshold
from .workload_settings import (MODEL_CACHE_JOB_NAMESPACE, env_entries, env_from_entries, grace_seconds,
                                identity_annotations, identity_pod_labels, image_pull_secrets, volumes_and_mounts,
                                workload_service_account)

COMPONENT = "serving"
API_VERSION = "serving.kserve.io/v1beta1"
CACHE_API_VERSION = "serving.kserve.io/v1alpha1"
HTTP_SCALER_API_VERSION = "http.keda.sh/v1alpha1"
PORT_NAME = "http1"
#: The startup probe's period in seconds; its failureThreshold is startup_timeout over it (an int32 holds
#: every duration the spec accepts, see compiler/serving_checks.py).
STARTUP_PERIOD = 10
CONTAINER_NAME = "kserve-container"  # KServe's name for the model server container
DEFAULT_MODEL_SIZE = Quantity.parse("1Gi")
DEPLOYMENT_MODE = {"standard": "Standard", "knative": "Knative"}
MODEL_CACHE_PATH = "/mnt/models-cache"

# Annotation and label keys KServe and Knative read (kserve pkg/constants/constants.go; knative
# serving pkg/apis/autoscaling/register.go).
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
DEPLOYMENT_MODE_KEY = "serving.kserve.io/deploymentMode"
NODE_GROUP = "serving.kserve.io/nodegroup"
DISABLE_LOCAL_MODEL = "serving.kserve.io/disable-localmodel"
VISIBILITY = "networking.kserve.io/visibility"
KNATIVE_CLASS = "autoscaling.knative.dev/class"
KNATIVE_HPA_CLASS = "hpa.autoscaling.knative.dev"
#: The port of the Service KServe puts in front of a Standard-mode predictor (constants.go CommonDefaultHttpPort).
PREDICTOR_SERVICE_PORT = 80
CLUSTER_DOMAIN = "cluster.local"
#: Knative `config-features` flags the predictors' pod specs need (all `disabled` by default in
#: knative/serving knative-v1.23.0 pkg/apis/config/features.go; docs/serving.md says to enable them).
KNATIVE_FEATURES = {
    "nodeSelector": "kubernetes.podspec-nodeselector",
    "tolerations": "kubernetes.podspec-tolerations",
    "securityContext": "kubernetes.podspec-securitycontext",
    "affinity": "kubernetes.podspec-affinity",
    "priorityClassName": "kubernetes.podspec-priorityclassname",
    "topologySpreadConstraints": "kubernetes.podspec-topologyspreadconstraints",
}
#: The HTTP add-on's request-rate window (its CRD default), kept explicit so the scaler's maths is visible.
RATE_WINDOW, RATE_GRANULARITY = "1m", "1s"


def pod_port_name(ctx: Context) -> str:
    """The name the model port has in the running pods (what a PodMonitor selects): ours in Standard mode;
    Knative renames the user container's port `user-port` (knative/serving knative-v1.23.0
    pkg/reconciler/revision/resources/deploy.go makeServingContainer, v1.UserPortName)."""
    return "user-port" if ctx.spec.platform.serving_mode == "knative" else PORT_NAME


def service_name(ctx: Context, endpoint: str) -> str:
    """The InferenceService's name."""
    return ctx.name(endpoint)


def predictor_name(isvc: str, variant: str = "") -> str:
    """The Deployment and Service KServe creates for a Standard-mode predictor (constants.go PredictorServiceName)."""
    return f"{isvc}-{variant}-predictor" if variant else f"{isvc}-predictor"


def lower_endpoint(ctx: Context, name: str) -> list[dict]:
    endpoint = ctx.spec.serving[name]
    current = ctx.model_ref(endpoint.model)
    previous = ctx.previous_versions(endpoint.model, endpoint.rollout.keep_previous)
    objects = [inference_service(ctx, name, endpoint, current, previous[0] if previous else None)]
    objects += scaler_objects(ctx, name, endpoint, with_canary=_has_canary(ctx, endpoint))
    budget = disruption_budget(ctx, name, service_name(ctx, name), endpoint)
    if budget is not None:
        objects.append(budget)
    if endpoint.model_cache and _caches_here(ctx, name, endpoint):
        objects.append(model_cache(ctx, current))
        account = model_cache_service_account(ctx, endpoint.model)
        if account is not None:
            objects.append(account)
    return objects


def lower_rollbacks(ctx: Context, name: str) -> dict[str, list[dict]]:
    """`v<N>` -> the objects that serve version N of this endpoint's model, all traffic, no canary."""
    endpoint = ctx.spec.serving[name]
    result = {}
    for version in ctx.previous_versions(endpoint.model, endpoint.rollout.keep_previous):
        objects = [inference_service(ctx, name, endpoint, version, None, rollback=True)]
        objects += scaler_objects(ctx, name, endpoint, with_canary=False)
        if endpoint.model_cache:
            objects.append(model_cache(ctx, version))
        result[f"v{version.label}"] = objects
    return result


# --- the model server container ------------------------------------------------------------

def _probe(action: dict, period: int, failures: int) -> dict:
    return {**action, "periodSeconds": period, "failureThreshold": failures, "timeoutSeconds": 5}


def _server_container(ctx: Context, endpoint: Endpoint) -> dict:
    """What every model server container carries: image, port, resources, security, probes, env, mounts."""
    image = ctx.spec.runtimes[endpoint.runtime].image
    resources = container_resources(ctx, endpoint.resources)
    ready = probe_action(ctx.spec, endpoint)
    _, mounts = volumes_and_mounts(endpoint, endpoint.resources, resources["limits"]["memory"])
    result = {
        "image": image,
        "imagePullPolicy": image_pull_policy(image),
        "ports": [{"name": PORT_NAME, "containerPort": endpoint.port, "protocol": "TCP"}],
        "resources": resources,
        "securityContext": container_security_context(),
        "startupProbe": _probe(ready, STARTUP_PERIOD,
                               probe_failure_threshold(endpoint.startup_timeout, STARTUP_PERIOD)),
        "readinessProbe": _probe(ready, 10, 3),
        "livenessProbe": _probe(probe_action(ctx.spec, endpoint, live=True), 20, 3),
        "volumeMounts": [tmp_mount(), *mounts],
        **termination_message(endpoint.resources),
    }
    if endpoint.command is not None:
        result["command"] = list(endpoint.command)
    if endpoint.env_from:
        result["envFrom"] = env_from_entries(endpoint)
    return result


def _server_env(endpoint: Endpoint, ours: dict) -> list[dict]:
    """The user's `env` and the variables we set (validation keeps their names apart)."""
    return env_entries({**endpoint.env, **ours})


def model_container(ctx: Context, endpoint: Endpoint, model: ModelRef) -> dict:
    """`predictor.model`: the server's KServe runtime, told its backend, its LLM engine settings, our port
    when it is not the runtime's own, the Hugging Face token when the weights need one, then the user's args.

    KServe appends these args to the runtime's (MergeRuntimeContainers), and the last occurrence of a flag wins.
    """
    model_format = ctx.spec.models[model.model_key].format
    server = SERVING_RUNTIMES[endpoint_server(ctx.spec, endpoint)]
    runtime = port_facts(ctx.spec, endpoint)
    result = {"modelFormat": {"name": model_format}, "storageUri": model.storage_uri, **_server_container(ctx, endpoint)}
    protocol = server.protocol or FORMATS[model_format].protocol
    if protocol:
        result["protocolVersion"] = protocol
    args = [*server_args(ctx.spec, endpoint), *endpoint.args]
    if args:
        result["args"] = args
    ours = server_env(ctx.spec, endpoint)
    if endpoint.port != DEFAULT_HTTP_PORT and runtime.port_env:
        ours[runtime.port_env] = str(endpoint.port)
    env = _server_env(endpoint, ours)
    secret = token_secret(ctx.spec, endpoint)
    if secret is not None:
        env.append(hf_token_env(secret))
    if env:
        result["env"] = env
    return result


def custom_container(ctx: Context, endpoint: Endpoint, model: ModelRef) -> dict:
    """A custom predictor's container: KServe downloads STORAGE_URI to /mnt/models (predictor_custom.go GetStorageUri)."""
    env = _server_env(endpoint, {"STORAGE_URI": model.storage_uri})
    secret = token_secret(ctx.spec, endpoint)
    if secret is not None:
        env.append(hf_token_env(secret))
    result = {"name": CONTAINER_NAME, **_server_container(ctx, endpoint), "env": env}
    if endpoint.args:
        result["args"] = list(endpoint.args)
    return result


def _implementation(ctx: Context, endpoint: Endpoint, model: ModelRef) -> dict:
    if runs_as_custom(ctx.spec, endpoint):
        return {"containers": [custom_container(ctx, endpoint, model)]}
    return {"model": model_container(ctx, endpoint, model)}


# --- autoscaling -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scaling:
    """What the endpoint's scaler puts on the InferenceService."""

    predictor: dict = field(default_factory=dict)     # fields of the main predictor
    annotations: dict = field(default_factory=dict)   # InferenceService annotations
    labels: dict = field(default_factory=dict)        # InferenceService labels


def _target(endpoint: Endpoint) -> int:
    """Targets are whole numbers for every controller (KServe scaleTarget, the add-on's targetValue)."""
    return max(1, round(endpoint.autoscale.target)) if endpoint.autoscale else 0


def scaling(ctx: Context, name: str, endpoint: Endpoint) -> Scaling:
    """The InferenceService side of `compiler.autoscaling.scaler_for(endpoint, mode)`."""
    scale = endpoint.autoscale
    scaler = scaler_for(endpoint, ctx.spec.platform.serving_mode)
    metric = {"scaleMetric": scale.metric, "scaleTarget": _target(endpoint)} if scale else {}
    if scaler == "knative-kpa":
        return Scaling(metric)
    if scaler == "knative-hpa":
        # KServe validates cpu/memory against Knative's HPA class only when the class annotation says so.
        # That class reads a memory target as MiB per pod (validation refuses what does not fit).
        if scale.metric == "memory":
            metric["scaleTarget"] = knative_memory_target_mib(endpoint)
        return Scaling(metric, {KNATIVE_CLASS: KNATIVE_HPA_CLASS})
    if scaler == "hpa":
        return Scaling(metric, {AUTOSCALER_CLASS: "hpa"})
    if scaler == "keda-http":
        # `external`: KServe creates no HPA/ScaledObject and leaves the Deployment's replicas to the
        # add-on (hpa_reconciler.go shouldCreateHPA; deployment_reconciler.go sets replicas only for
        # `none`). Cluster-local: KServe's own ingress would send traffic around the interceptor.
        return Scaling({}, {AUTOSCALER_CLASS: "external"}, {VISIBILITY: "cluster-local"})
    # keda-prometheus: KServe builds a ScaledObject whose trigger threshold is `target.value`
    # (keda_reconciler.go getKedaMetrics) and KEDA's default metric type is AverageValue
    # (keda pkg/scalers/scaler.go GetMetricTargetType): the HPA divides the query by the replica
    # count, so the query is the sum over the predictor's GPUs, not their average.
    query = _keda_query(ctx, name, scale.metric)
    trigger = {"type": "External", "external": {
        "metric": {"backend": "prometheus", "serverAddress": ctx.spec.platform.prometheus.url, "query": query},
        "target": {"type": "Value", "value": str(_target(endpoint))},
    }}
    return Scaling({"autoScaling": {"metrics": [trigger]}}, {AUTOSCALER_CLASS: "keda"})


def _keda_query(ctx: Context, name: str, metric: str) -> str:
    """The sum over the predictor's pods of what `metric` reads (the HPA divides it by the replica count)."""
    if metric == "gpu_utilization":
        return f"sum({dcgm_series(DCGM_GPU_UTIL, ctx.namespace, service_name(ctx, name))})"
    # vLLM's own series, scraped by the endpoint's PodMonitor (named like the InferenceService,
    # scraping.podmonitor_name); a stable and a canary pod both count.
    selector = scrape_job(ctx.namespace, service_name(ctx, name))
    if metric == "queue_depth":
        return f"sum({VLLM_WAITING}{{{selector}}})"
    return f"sum({VLLM_KV_CACHE}{{{selector}}}) * 100"   # kv_cache: usage is 0-1, the target a percent


def canary_replicas(min_replicas: int, percent: float) -> int:
    """The fixed replicas KServe gives a Standard-mode canary (predictor.go canaryReplicaCount)."""
    return math.ceil(min_replicas * _traffic(percent) / 100)


def stable_min_replicas(endpoint: Endpoint, with_canary: bool) -> int:
    """The stable predictor's minimum while a canary runs: KServe subtracts the canary's replicas, keeping
    at least one (predictor.go reconcileRawDeployment)."""
    low = endpoint.replicas.min
    if not with_canary or low == 0:
        return low
    return max(low - canary_replicas(low, endpoint.rollout.canary_percent.percent), 1)


def scaler_objects(ctx: Context, name: str, endpoint: Endpoint, *, with_canary: bool) -> list[dict]:
    """The scaler objects we create ourselves (the HTTP add-on's); KServe creates the others."""
    if scaler_for(endpoint, ctx.spec.platform.serving_mode) != "keda-http":
        return []
    return [http_scaled_object(ctx, name, endpoint, with_canary=with_canary)]


def http_scaled_object(ctx: Context, name: str, endpoint: Endpoint, *, with_canary: bool) -> dict:
    """An HTTPScaledObject routing the predictor's cluster host through the interceptor and scaling its Deployment.

    The add-on's operator creates a ScaledObject of the same name for the Deployment
    (http-add-on operator/controllers/http/scaled_object.go); the interceptor routes requests whose
    Host is one of `hosts` to the Service's port (pkg/routing/table.go) and counts them, which is the
    signal the scaler reads, also at zero replicas.
    """
    isvc = service_name(ctx, name)
    predictor = predictor_name(isvc)
    metric = (
        {"concurrency": {"targetValue": _target(endpoint)}} if endpoint.autoscale.metric == "concurrency"
        else {"requestRate": {"targetValue": _target(endpoint), "window": RATE_WINDOW,
                              "granularity": RATE_GRANULARITY}})
    meta = metadata(ctx, isvc, COMPONENT, f"serving.{name}", extra_labels={ENDPOINT_LABEL: name})
    return obj(HTTP_SCALER_API_VERSION, "HTTPScaledObject", meta, spec={
        "hosts": [f"{predictor}.{ctx.namespace}.svc", f"{predictor}.{ctx.namespace}.svc.{CLUSTER_DOMAIN}"],
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": predictor, "service": predictor,
                           "port": PREDICTOR_SERVICE_PORT},
        "replicas": {"min": stable_min_replicas(endpoint, with_canary), "max": endpoint.replicas.max},
        "scalingMetric": metric,
        # The first request after idle waits for the model to load, as long as the startup probe allows.
        "timeouts": {"conditionWait": go_duration(endpoint.startup_timeout)},
    })


# --- the InferenceService ----------------------------------------------------------------------

def predictor(ctx: Context, name: str, endpoint: Endpoint, model: ModelRef, *, with_scaling: bool = True) -> dict:
    memory = container_resources(ctx, endpoint.resources)["limits"]["memory"]
    volumes, _ = volumes_and_mounts(endpoint, endpoint.resources, memory)
    labels = {**selector_labels(ctx, COMPONENT), ENDPOINT_LABEL: name, **identity_pod_labels(ctx, endpoint.runtime)}
    result: dict = {
        # The storage initializer reads the model's credentials through this ServiceAccount (kserve v0.20.0
        # pkg/credentials/service_account_credentials.go CreateSecretVolumeAndEnv); IRSA and Azure
        # Workload Identity project their own token, so the API token stays unmounted.
        "serviceAccountName": workload_service_account(ctx, "serving", endpoint.runtime),
        "automountServiceAccountToken": False,
        "labels": dict(sorted(labels.items())),
        "securityContext": pod_security_context(),
        **_implementation(ctx, endpoint, model),
        "volumes": [tmp_volume(tmp_size(ctx.spec, endpoint)), *volumes],
    }
    pull = image_pull_secrets(ctx, [endpoint.runtime])
    if pull:
        result["imagePullSecrets"] = pull
    grace = grace_seconds(endpoint)
    if grace is not None:
        result["terminationGracePeriodSeconds"] = grace
    if reads_features(ctx, model):   # the same views/TTLs and feature service as training (feature_store.py)
        result["volumes"] = [*result["volumes"], feature_store.volume(ctx)]
    if "model" in result:   # the version's recorded image and its preprocessing package (served_with.py)
        result["model"] = apply_to_container(ctx, name, model, result["model"])
    else:
        result["containers"] = [apply_to_container(ctx, name, model, result["containers"][0]),
                                *result["containers"][1:]]
    if with_scaling:
        result["minReplicas"] = endpoint.replicas.min
        result["maxReplicas"] = endpoint.replicas.max
    result["priorityClassName"] = class_name(ctx, "serving")
    selector = node_selector(ctx, endpoint.resources)
    if selector:
        result["nodeSelector"] = selector
    affinity = node_affinity(endpoint.scheduling)
    if affinity:
        result["affinity"] = affinity
    toleration = merged_tolerations(tolerations(ctx, endpoint.resources), endpoint.scheduling)
    if toleration:
        result["tolerations"] = toleration
    spread = topology_spread(ctx, service_name(ctx, name), endpoint)
    if spread:
        result["topologySpreadConstraints"] = spread
    return result


def _traffic(percent: float) -> int:
    """A requested canary gets at least 1 % (0 would be a dark launch)."""
    return max(1, round(percent)) if percent > 0 else 0


def _has_canary(ctx: Context, endpoint: Endpoint) -> bool:
    """Whether the main manifests split traffic: Standard mode needs a known previous version to keep serving."""
    if endpoint.rollout.canary_percent.percent <= 0:
        return False
    if ctx.spec.platform.serving_mode == "knative":
        return True
    return bool(ctx.previous_versions(endpoint.model, endpoint.rollout.keep_previous))


def canary_predictor(ctx: Context, name: str, endpoint: Endpoint, model: ModelRef) -> dict:
    """The new version beside the stable one: no scaling fields (KServe refuses them on a canary,
    validateCanarySpecs) and class `none`, which makes KServe hold its Deployment at the canary's
    replica count (deployment_reconciler.go createRawDefaultDeployment) whatever scales the stable one:
    under `keda` KServe would otherwise build it a ScaledObject without triggers, which KEDA refuses."""
    result = {"name": CANARY_NAME, **predictor(ctx, name, endpoint, model, with_scaling=False),
              "annotations": {AUTOSCALER_CLASS: "none"}}
    if "model" in result:
        # The CRD requires `model.name` in a canary (not in the main predictor, where the webhook refuses it).
        result["model"] = {"name": CONTAINER_NAME, **result["model"]}
    return result


def inference_service(ctx: Context, name: str, endpoint: Endpoint, model: ModelRef, previous: ModelRef | None,
                      *, rollback: bool = False) -> dict:
    mode = ctx.spec.platform.serving_mode
    scale = scaling(ctx, name, endpoint)
    extra = {DEPLOYMENT_MODE_KEY: DEPLOYMENT_MODE[mode], **scale.annotations, **model_annotations(model)}
    spec_predictor: dict = {}
    main_model, canary = model, None
    percent = endpoint.rollout.canary_percent.percent
    if percent > 0 and not rollback:
        if mode == "knative":
            spec_predictor["canaryTrafficPercent"] = _traffic(percent)
        elif previous is not None:
            main_model = previous
            canary = [{"trafficPercent": _traffic(percent), "predictor": canary_predictor(ctx, name, endpoint, model)}]
            extra[f"{DOMAIN}/stable-model-version"] = previous.label
            extra[f"{DOMAIN}/canary-service"] = predictor_name(service_name(ctx, name), CANARY_NAME)
            # KServe marks the InferenceService cached when a cache matches the *stable* predictor, and the
            # canary copies those labels: its pods would then load the stable cache's volume
            # (storage_initializer_injector.go InjectStorageInitializer). No local model during a canary;
            # the canary version's cache below is pre-loaded for when it becomes the stable one.
            extra[DISABLE_LOCAL_MODEL] = "true"
        else:
            extra[f"{DOMAIN}/canary"] = "skipped: no earlier model version is known to split traffic with"
    if rollback:
        extra[f"{DOMAIN}/rollback"] = "true"
    secret = token_secret(ctx.spec, endpoint)
    if secret is not None:
        extra[STORAGE_SECRET_ANNOTATION] = secret
    if main_model.previous:
        extra[SERVED_WITH] = served_with(main_model, name)
    if endpoint.model_cache:
        # The cache of the version this manifest serves; during a Standard canary that is the canary's
        # version, pre-loaded on the nodes before it becomes the stable one.
        extra[f"{DOMAIN}/model-cache"] = cache_name(ctx, model)
        extra[NODE_GROUP] = node_group_name(ctx, endpoint.resources.pool)
    spec_predictor = {**predictor(ctx, name, endpoint, main_model), **scale.predictor, **spec_predictor}
    spec: dict = {"predictor": spec_predictor}
    if canary is not None:
        spec["canary"] = canary
    meta = metadata(ctx, service_name(ctx, name), COMPONENT, f"serving.{name}",
                    extra_labels={ENDPOINT_LABEL: name, **scale.labels}, extra_annotations=extra)
    return obj(API_VERSION, "InferenceService", meta, spec=spec)


# --- model cache -------------------------------------------------------------------------------

def cache_name(ctx: Context, model: ModelRef) -> str:
    """One cache per model version, shared by every endpoint serving it (KServe refuses two caches of one URI)."""
    return ctx.cluster_name(model.model_key, f"-{model.label}")


def node_group_name(ctx: Context, pool: str | None) -> str:
    return ctx.cluster_name(pool or "default", "-model-cache")


def _cached_endpoints(ctx: Context, model_key: str) -> list[str]:
    """The endpoints that serve and cache `model_key`, by name (computed once per compile: compile stays linear)."""
    by_model = ctx._cache.get("cached-endpoints")
    if by_model is None:
        by_model = ctx._cache["cached-endpoints"] = {}
        for name in sorted(ctx.spec.serving):
            endpoint = ctx.spec.serving[name]
            if endpoint.model_cache:
                by_model.setdefault(endpoint.model, []).append(name)
    return by_model.get(model_key, [])


def _caches_here(ctx: Context, name: str, endpoint: Endpoint) -> bool:
    """The cache of a version is written once, with the first endpoint (by name) that serves and caches it."""
    return _cached_endpoints(ctx, endpoint.model)[0] == name


def model_cache(ctx: Context, model: ModelRef) -> dict:
    size = ctx.spec.models[model.model_key].size or DEFAULT_MODEL_SIZE
    endpoints = _cached_endpoints(ctx, model.model_key)
    meta = metadata(ctx, cache_name(ctx, model), COMPONENT, f"serving.{endpoints[0]}.model_cache", namespaced=False,
                    extra_annotations=model_annotations(model))
    spec = {
        "sourceModelUri": model.storage_uri,
        "modelSize": size.text,
        "nodeGroups": _cache_node_groups(ctx, model.model_key),
    }
    if _cache_runtime(ctx, model.model_key) is not None:
        spec["serviceAccountName"] = model_cache_service_account_name(ctx, model.model_key)
    return obj(CACHE_API_VERSION, "LocalModelCache", meta, spec=spec)


def _cache_runtime(ctx: Context, model_key: str) -> str | None:
    """The runtime whose identity downloads a model into the cache: the first caching endpoint's, if it has one."""
    runtime = ctx.spec.serving[_cached_endpoints(ctx, model_key)[0]].runtime
    return runtime if ctx.spec.runtimes[runtime].service_account is not None else None


def model_cache_service_account_name(ctx: Context, model_key: str) -> str:
    return ctx.cluster_name(model_key, "-model-cache")


def model_cache_service_account(ctx: Context, model_key: str) -> dict | None:
    """The ServiceAccount a LocalModelCache's download jobs read credentials through.

    KServe looks it up in the job namespace, not the system's (localmodelnode/controller.go
    injectCredentials -> CreateSecretVolumeAndEnv(jobNamespace, ...)): a copy of the serving runtime's
    identity there. Its storage secrets must exist in that namespace too (docs/production.md).
    """
    runtime_name = _cache_runtime(ctx, model_key)
    if runtime_name is None:
        return None
    runtime = ctx.spec.runtimes[runtime_name]
    endpoint = _cached_endpoints(ctx, model_key)[0]
    meta = metadata(ctx, model_cache_service_account_name(ctx, model_key), COMPONENT,
                    f"runtimes.{runtime_name}.service_account", namespace=MODEL_CACHE_JOB_NAMESPACE,
                    extra_annotations={**identity_annotations(runtime), f"{DOMAIN}/model-cache-of": endpoint})
    secrets = [{"name": name} for name in runtime.service_account.storage_secrets]
    return obj("v1", "ServiceAccount", meta, automountServiceAccountToken=False, secrets=secrets or None)


def _cache_node_groups(ctx: Context, model_key: str) -> list[str]:
    """The node groups of every pool an endpoint caching `model_key` runs on (once per model)."""
    key = ("cache-node-groups", model_key)
    if key not in ctx._cache:
        pools = sorted({ctx.spec.serving[n].resources.pool or "" for n in _cached_endpoints(ctx, model_key)})
        ctx._cache[key] = [node_group_name(ctx, pool or None) for pool in pools]
    return list(ctx._cache[key])


def _node_affinity(ctx: Context, resources) -> dict:
    """The nodes a pool's pods run on, from the same node selector the predictors use."""
    selector = node_selector(ctx, resources)
    expressions = ([{"key": key, "operator": "In", "values": [value]} for key, value in sorted(selector.items())]
                   if selector else [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}])
    return {"required": {"nodeSelectorTerms": [{"matchExpressions": expressions}]}}


def model_cache_node_groups(ctx: Context) -> list[dict]:
    """One LocalModelNodeGroup per pool that hosts a cached endpoint, sized for every cached version."""
    # A model's caches (current and every kept version) name all the node groups of the endpoints that
    # cache it, so each of those groups holds all of its versions.
    versions: dict[str, int] = {}
    pools: dict[str | None, set[str]] = {}
    placement: dict = {}   # pool -> the resources of one endpoint on it (its node selector)
    for endpoint in ctx.spec.serving.values():
        if endpoint.model_cache:
            versions[endpoint.model] = max(versions.get(endpoint.model, 0), 1 + endpoint.rollout.keep_previous)
            pools.setdefault(endpoint.resources.pool, set()).add(endpoint.model)
            placement.setdefault(endpoint.resources.pool, endpoint.resources)
    needed = {pool: sum((ctx.spec.models[m].size or DEFAULT_MODEL_SIZE).bytes * versions[m] for m in models)
              for pool, models in pools.items()}
    objects = []
    for pool in sorted(needed, key=lambda p: p or ""):
        storage = Quantity.of_bytes(_round_up_gib(needed[pool])).text
        group = node_group_name(ctx, pool)
        storage_class = group
        # Per pool, so it is written with the node pools (and labelled like them).
        meta = metadata(ctx, group, "node-pool", f"node_pools.{pool}" if pool else "serving", namespaced=False)
        objects.append(obj(CACHE_API_VERSION, "LocalModelNodeGroup", meta, spec={
            "storageLimit": storage,
            "persistentVolumeSpec": {
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": storage},
                "local": {"path": MODEL_CACHE_PATH},
                "nodeAffinity": _node_affinity(ctx, placement[pool]),
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
