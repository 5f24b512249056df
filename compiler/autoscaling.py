"""Which autoscaler drives an endpoint: one decision that serving, monitoring and lint share.

KServe hands scaling to a different controller depending on the deployment mode and the metric,
and each controller can only act on signals that exist for it:

| mode     | `autoscale.metric`         | scaler            | signal, and where it comes from                                  |
|----------|----------------------------|-------------------|------------------------------------------------------------------|
| knative  | none, concurrency, rps     | `knative-kpa`     | Knative's activator / queue-proxy count requests (no Prometheus) |
| knative  | cpu, memory                | `knative-hpa`     | the metrics server, through Knative's HPA class                  |
| standard | none, cpu, memory          | `hpa`             | the metrics server, through the HPA KServe creates               |
| standard | concurrency, rps           | `keda-http`       | the KEDA HTTP add-on's interceptor, which sits in front of the   |
|          |                            |                   | pods and counts requests even at zero replicas                   |
| standard | gpu_utilization            | `keda-prometheus` | DCGM exporter's `DCGM_FI_DEV_GPU_UTIL`, through KEDA's Prometheus |
|          |                            |                   | scaler                                                           |
| standard | queue_depth, kv_cache      | `keda-prometheus` | vLLM's `vllm:num_requests_waiting` / `vllm:kv_cache_usage_perc`, |
|          |                            |                   | through KEDA's Prometheus scaler (server vllm only)              |

A scaler that reads a metric of the pods themselves (cpu, memory, GPU utilisation) cannot bring an
endpoint back from zero: at zero replicas there is nothing to measure. `refusal()` says which
combinations no controller can carry out, so validation refuses them with a message instead of
compiling something that sits in the cluster doing nothing. The refusals, and where upstream they
come from:

- min 0 with a pod-metric scaler: nothing to measure at zero (KEDA's own webhook refuses a
  cpu/memory-only ScaledObject with minReplicaCount 0: kedacore/keda v2.20.2
  apis/keda/v1alpha1/scaledobject_webhook.go verifyCPUMemoryScalers);
- gpu_utilization in knative mode: Knative's autoscalers take concurrency, rps, cpu or memory
  (knative/serving knative-v1.23.0 pkg/apis/autoscaling/annotation_validation.go validateMetric);
- a percentage target above 100: KServe refuses it for its HPA path
  (kserve/kserve v0.20.0 pkg/apis/serving/v1beta1/inference_service_validation.go
  validateScalingHPACompExtension), and a utilisation above 100 % is never reached;
- a standard-mode canary with min 0: KServe runs a canary with ceil(min x percent / 100) fixed
  replicas and refuses a canary minReplicas above the stable one (same file, validateCanarySpecs;
  pkg/controller/v1beta1/inferenceservice/components/predictor.go canaryReplicaCount), so with
  min 0 the canary never runs;
- memory in knative mode when the target cannot be said: Knative's HPA class reads a memory target
  as MiB per pod (knative/serving knative-v1.23.0 pkg/reconciler/autoscaling/hpa/resources/hpa.go
  MakeHPA), and KServe refuses a scaleTarget above 100 (validateScalingHPACompExtension), so a
  utilisation of the memory request is only expressible when it is at most 100 MiB.
"""
from __future__ import annotations

import math
from typing import Literal, NamedTuple, TYPE_CHECKING

if TYPE_CHECKING:
    from .spec.serving import Endpoint

Scaler = Literal["knative-kpa", "knative-hpa", "hpa", "keda-http", "keda-prometheus"]
ServingMode = Literal["standard", "knative"]

#: Scalers whose signal is a measurement of the running pods: none of them can scale from zero.
POD_METRIC_SCALERS: frozenset[str] = frozenset({"knative-hpa", "hpa", "keda-prometheus"})
#: Metrics whose target is a utilisation in percent.
PERCENT_METRICS: frozenset[str] = frozenset({"cpu", "memory", "gpu_utilization", "kv_cache"})
#: Metrics read from vLLM's own series through KEDA's Prometheus scaler (vllm v0.33.0 loggers.py).
VLLM_METRICS: frozenset[str] = frozenset({"queue_depth", "kv_cache"})
#: The memory request of a container without `resources.memory` (backends/kubernetes/pods.py DEFAULT_MEMORY).
DEFAULT_MEMORY_REQUEST = 2**30
#: KServe's scaleTarget and the HTTP add-on's targetValue are 32-bit integers.
INT32_MAX = 2**31 - 1
#: The largest scaleTarget KServe accepts on an HPA-class predictor.
KSERVE_MAX_SCALE_TARGET = 100


def knative_memory_target_mib(endpoint: "Endpoint") -> int:
    """The MiB per pod Knative's HPA class must be given for `autoscale.target` percent of the memory request."""
    request = endpoint.resources.memory.bytes if endpoint.resources.memory is not None else DEFAULT_MEMORY_REQUEST
    return max(1, math.ceil(request * endpoint.autoscale.target / 100 / 2**20))


def scaler_for(endpoint: "Endpoint", mode: ServingMode) -> Scaler:
    """The controller that scales `endpoint` in serving mode `mode` (see the module's table)."""
    metric = endpoint.autoscale.metric if endpoint.autoscale is not None else None
    if mode == "knative":
        return "knative-hpa" if metric in ("cpu", "memory", "gpu_utilization") else "knative-kpa"
    if metric in ("concurrency", "rps"):
        return "keda-http"
    if metric == "gpu_utilization" or metric in VLLM_METRICS:
        return "keda-prometheus"
    return "hpa"


def through_interceptor(endpoint: "Endpoint", mode: ServingMode) -> bool:
    """True when the endpoint's traffic passes the KEDA HTTP add-on's interceptor (which exports request metrics)."""
    return scaler_for(endpoint, mode) == "keda-http"


class Refusal(NamedTuple):
    """A scaling request no controller can carry out: where it is written, why, and what would work."""

    field: tuple[str, ...]   # path under the endpoint: ("replicas", "min") or ("autoscale", "metric")
    message: str
    hint: str


def refusals(endpoint: "Endpoint", mode: ServingMode) -> list[Refusal]:
    """Every reason `endpoint`'s scaling cannot work in `mode` (empty when it can)."""
    found: list[Refusal] = []
    metric = endpoint.autoscale.metric if endpoint.autoscale is not None else None
    if mode == "knative" and (metric == "gpu_utilization" or metric in VLLM_METRICS):
        found.append(Refusal(("autoscale", "metric"),
                             f"Knative's autoscalers scale on concurrency, rps, cpu or memory; {metric} needs "
                             "KEDA, which KServe only drives in standard mode",
                             "use serving_mode: standard, or autoscale on concurrency or rps"))
        return found
    if endpoint.autoscale is not None and not math.isfinite(endpoint.autoscale.target):
        found.append(Refusal(("autoscale", "target"), f"autoscale.target {endpoint.autoscale.target} is not a number "
                             "a scaler can hold", "write a finite target, e.g. 8 requests or 70 (percent)"))
        return found
    if endpoint.autoscale is not None and endpoint.autoscale.target > INT32_MAX:
        found.append(Refusal(("autoscale", "target"), f"autoscale.target {endpoint.autoscale.target:g} is more than "
                             f"KServe's and the HTTP add-on's integer targets hold ({INT32_MAX})",
                             "write a smaller target"))
    if endpoint.autoscale is not None and metric in PERCENT_METRICS and endpoint.autoscale.target > 100:
        found.append(Refusal(("autoscale", "target"),
                             f"autoscale.target {endpoint.autoscale.target:g} is a {metric} utilisation in percent; "
                             "above 100 it is never reached (and KServe refuses it)",
                             "write a target from 1 to 100"))
    scaler = scaler_for(endpoint, mode)
    if scaler == "knative-hpa" and metric == "memory" and endpoint.autoscale.target <= 100 \
            and knative_memory_target_mib(endpoint) > KSERVE_MAX_SCALE_TARGET:
        found.append(Refusal(("autoscale", "metric"),
                             f"in knative mode a memory target is MiB per pod and KServe accepts at most "
                             f"{KSERVE_MAX_SCALE_TARGET}: {endpoint.autoscale.target:g} % of the memory request is "
                             f"{knative_memory_target_mib(endpoint)} MiB",
                             "autoscale on cpu, concurrency or rps, or use serving_mode: standard (KServe's HPA "
                             "takes memory utilisation in percent)"))
    if endpoint.replicas.min == 0 and scaler in POD_METRIC_SCALERS:
        what = f"autoscale.metric {metric}" if metric else "no autoscale metric (KServe then scales on cpu)"
        found.append(Refusal(("replicas", "min"),
                             f"replicas.min 0 cannot work with {what} in {mode} mode: the {scaler} scaler reads a "
                             "metric of the running pods, and at zero replicas there is none to bring the endpoint "
                             "back" + (" (vLLM's series vanish with its last pod)" if metric in VLLM_METRICS else ""),
                             "autoscale on concurrency or rps (the HTTP add-on's interceptor counts waiting requests "
                             "in front of the pods, a signal that exists at zero replicas), or set replicas.min to 1"))
    if mode == "standard" and endpoint.rollout.canary_percent.percent > 0 and endpoint.replicas.min == 0:
        found.append(Refusal(("rollout", "canary_percent"),
                             "a canary in standard mode runs ceil(replicas.min x canary_percent / 100) fixed "
                             "replicas, and KServe refuses a canary with more replicas than the stable predictor's "
                             "minimum: with replicas.min 0 the canary never runs",
                             "set replicas.min to 1 or more, set canary_percent to 0, or use serving_mode: knative "
                             "(Knative keeps the previous revision and splits traffic itself)"))
    return found


def refusal(endpoint: "Endpoint", mode: ServingMode) -> Refusal | None:
    """Why `endpoint`'s scaling cannot work in `mode` (the first reason), or None when it can."""
    found = refusals(endpoint, mode)
    return found[0] if found else None
