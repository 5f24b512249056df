"""SERVE: online endpoints — cold starts, caching, replicas and canaries."""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ...spec.units import Duration, Quantity
from ..rule import Context, Problem, RuleOptions, rule


class ColdStartOptions(RuleOptions):
    large_model: Quantity = Field(default=Quantity.parse("1Gi"),
                                  description="Model size from which scaling to zero is a cold-start trap.")
    download_bandwidth: Quantity = Field(default=Quantity.parse("100Mi"),
                                         description="Bytes per second a pod downloads the model at.")
    model_load_time: Duration = Field(default=Duration.parse("30s"),
                                      description="Time to load a downloaded model into memory, on top of the "
                                                  "download.")


@rule("SERVE001", "cold-start-large-model", "warning",
      "An endpoint can scale to zero with a model of at least `large_model` (1Gi), or its `startup_timeout` is "
      "shorter than size / `download_bandwidth` plus load time.", options=ColdStartOptions)
def cold_start_large_model(ctx: Context, options: ColdStartOptions) -> Iterator[Problem]:
    """## What it does
    For every endpoint whose model declares a `size`: flags `replicas.min: 0` when the model is
    at least `large_model`, and a `startup_timeout` shorter than the time to download the model
    at `download_bandwidth` plus `model_load_time`.

    ## Why is this bad?
    Scaled to zero, the first request after a quiet period waits for a node, an image pull, a
    model download and a model load: tens of seconds to minutes for a large model, far beyond any
    client timeout. And a startup probe shorter than the download kills the pod before the model
    is loaded, in a restart loop that never serves.

    ## Example
    ```yaml
    models:
      embedder: {version: 3, format: pytorch, size: 4Gi}
    serving:
      embed-api:
        model: embedder
        runtime: serve
        replicas: {min: 0, max: 4}
        autoscale: {metric: concurrency, target: 4}
        startup_timeout: 30s          # 4Gi at 100Mi/s is 41s, plus 30s to load
    ```

    ## Use instead
    ```yaml
    models:
      embedder: {version: 3, format: pytorch, size: 4Gi}
    serving:
      embed-api:
        model: embedder
        runtime: serve
        replicas: {min: 1, max: 4}
        startup_timeout: 5m
        model_cache: true
    ```
    """
    bandwidth = max(float(options.download_bandwidth.value), 1.0)
    for name, endpoint in ctx.spec.serving.items():
        model = ctx.spec.models.get(endpoint.model)
        if model is None or model.size is None:
            continue
        size = model.size.bytes
        here = ("serving", name)
        if endpoint.replicas.min == 0 and size >= options.large_model.bytes:
            yield Problem(here + ("replicas", "min"), f"endpoint {name!r} scales to zero with a {model.size} model "
                          f"(large_model: {options.large_model}): the first request after idle waits for a "
                          "download and a model load",
                          hint="keep replicas.min at 1 or more, or accept the cold start with a lint.ignore that "
                               "says why")
        needed = size / bandwidth + options.model_load_time.seconds
        if endpoint.startup_timeout.seconds < needed:
            yield Problem(here + ("startup_timeout",), f"endpoint {name!r} allows {endpoint.startup_timeout} to "
                          f"start, but downloading {model.size} at {options.download_bandwidth}/s and loading it "
                          f"takes about {needed:.0f}s", hint=f"set startup_timeout to at least {int(needed) + 1}s")


class CacheOptions(RuleOptions):
    cache_model_size: Quantity = Field(default=Quantity.parse("10Gi"),
                                       description="Model size from which serving without a model cache is flagged.")


@rule("SERVE002", "large-model-uncached", "warning",
      "A model of at least `cache_model_size` (10Gi) is served with `model_cache: false`.", options=CacheOptions)
def large_model_uncached(ctx: Context, options: CacheOptions) -> Iterator[Problem]:
    """## What it does
    Flags endpoints that serve a model of at least `cache_model_size` without `model_cache: true`.

    ## Why is this bad?
    Without a node-local cache every new replica downloads the whole model from object storage:
    scale-ups take minutes exactly when load is high, every replica multiplies egress, and a
    storage hiccup stops all scale-ups at once.

    ## Example
    ```yaml
    models:
      llm: {version: 1, format: huggingface, size: 16Gi}
    serving:
      chat: {model: llm, runtime: serve, model_cache: false}
    ```

    ## Use instead
    ```yaml
    models:
      llm: {version: 1, format: huggingface, size: 16Gi}
    serving:
      chat: {model: llm, runtime: serve, model_cache: true}
    ```
    """
    for name, endpoint in ctx.spec.serving.items():
        model = ctx.spec.models.get(endpoint.model)
        if model and model.size and not endpoint.model_cache and model.size.bytes >= options.cache_model_size.bytes:
            yield Problem(("serving", name, "model_cache"), f"endpoint {name!r} serves a {model.size} model without "
                          f"a model cache (cache_model_size: {options.cache_model_size}): every new replica "
                          "downloads it again", hint="set model_cache: true")


class ReplicaOptions(RuleOptions):
    production_envs: list[str] = Field(default=["prod", "production"],
                                       description="Environment names that must run at least two replicas.")


@rule("SERVE003", "single-replica-endpoint", "warning",
      "`replicas.min` < 2 in an environment named prod/production.", options=ReplicaOptions)
def single_replica_endpoint(ctx: Context, options: ReplicaOptions) -> Iterator[Problem]:
    """## What it does
    When linting a production environment (`--env prod`; the names are `production_envs`),
    flags endpoints whose `replicas.min` is below 2. The base spec and other environments are not
    checked.

    ## Why is this bad?
    One replica means every node drain, rollout, eviction or crash is an outage. Kubernetes
    cannot keep a PodDisruptionBudget with one pod, and a cluster upgrade takes the endpoint down.

    ## Example
    ```yaml
    environments:
      prod:
        serving: {fraud-api: {replicas: {min: 1}}}
    ```

    ## Use instead
    ```yaml
    environments:
      prod:
        serving: {fraud-api: {replicas: {min: 2}}}
    ```
    """
    if ctx.env not in options.production_envs:
        return
    for name, endpoint in ctx.spec.serving.items():
        if endpoint.replicas.min < 2:
            yield Problem(("serving", name, "replicas", "min"), f"endpoint {name!r} runs {endpoint.replicas.min} "
                          f"replica(s) at minimum in {ctx.env}: any restart or node drain is an outage",
                          hint="set replicas.min to 2 or more in production")


@rule("SERVE004", "canary-unmonitored", "warning", "A canary rollout has no SLO monitoring to judge it by.")
def canary_unmonitored(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags endpoints with `rollout.canary_percent` above 0 that have no `monitoring.<endpoint>.slo`.

    ## Why is this bad?
    A canary exists to compare the new version with the old before promoting it. Without SLOs
    (latency, error rate) nothing can tell a bad canary from a good one, so it is promoted on a
    timer: the risk of a full rollout, with the delay of a careful one.

    ## Example
    ```yaml
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve, rollout: {canary_percent: 10}}
    ```

    ## Use instead
    ```yaml
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve, rollout: {canary_percent: 10}}
    monitoring:
      fraud-api:
        slo: {latency_p99: 250ms, error_rate: 1%}
    ```
    """
    for name, endpoint in ctx.spec.serving.items():
        monitor = ctx.spec.monitoring.get(name)
        if endpoint.rollout.canary_percent.percent > 0 and (monitor is None or monitor.slo is None):
            yield Problem(("serving", name, "rollout", "canary_percent"), f"endpoint {name!r} sends "
                          f"{endpoint.rollout.canary_percent} to a canary but has no SLO to judge it by",
                          hint=f"add monitoring.{name}.slo (latency_p99, error_rate)")




@rule("SERVE005", "canary-unrouted", "warning",
      "A standard-mode canary: KServe v0.20 creates its Deployment and Service but routes no traffic to it.")
def canary_unrouted(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags `rollout.canary_percent` above 0 on an endpoint in `serving_mode: standard`.

    ## Why is this bad?
    In standard mode KServe v0.20.0 runs the canary as its own Deployment and Service,
    `<isvc>-canary-predictor`, sized by the percentage (`pkg/controller/v1beta1/inferenceservice/
    components/predictor.go` `reconcileCanaryDeployments`), but its ingress and the stable Service
    (selected by the pods' `app` label, which KServe sets per Deployment) reach only the stable
    predictor. Unless a mesh or gateway sends the canary its share, it serves nothing: its SLOs
    stay green because nobody calls it, and the new version is promoted untested. Knative mode
    splits the traffic itself (`canaryTrafficPercent`).

    ## Example
    ```yaml
    platform: {serving_mode: standard}
    serving:
      fraud-api:
        model: fraud-xgb
        runtime: serve
        rollout: {canary_percent: 10}
    ```

    ## Use instead
    ```yaml
    platform: {serving_mode: knative}
    serving:
      fraud-api:
        model: fraud-xgb
        runtime: serve
        rollout: {canary_percent: 10}
    ```
    Or keep standard mode, route the share to `<isvc>-canary-predictor` in your mesh or gateway
    (the InferenceService's `mlops.dev/canary-service` annotation names it), and say so with a
    `lint.ignore` of this rule.
    """
    if ctx.spec.platform.serving_mode != "standard":
        return
    system = ctx.spec.metadata.name
    for name, endpoint in ctx.spec.serving.items():
        percent = endpoint.rollout.canary_percent.percent
        if percent <= 0:
            continue
        yield Problem(("serving", name, "rollout", "canary_percent"),
                      f"endpoint {name!r} asks for a {endpoint.rollout.canary_percent} canary in standard mode, where "
                      f"KServe routes no traffic to the canary's Service {system}-{name}-canary-predictor",
                      hint=f"send {endpoint.rollout.canary_percent} of the traffic to {system}-{name}-canary-predictor "
                           "in your mesh or gateway (and record it with a lint.ignore of SERVE005), or use "
                           "serving_mode: knative")
