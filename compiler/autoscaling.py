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

A scaler that reads a metric of the pods themselves (cpu, memory, GPU utilisation) cannot bring an
endpoint back from zero: at zero replicas there is nothing to measure. `refusal()` says which
combinations no controller can carry out, so validation refuses them with a message instead of
compiling something that sits in the cluster doing nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .spec.serving import Endpoint

Scaler = Literal["knative-kpa", "knative-hpa", "hpa", "keda-http", "keda-prometheus"]
ServingMode = Literal["standard", "knative"]

#: Scalers whose signal is a measurement of the running pods: none of them can scale from zero.
POD_METRIC_SCALERS: frozenset[str] = frozenset({"knative-hpa", "hpa", "keda-prometheus"})


def scaler_for(endpoint: "Endpoint", mode: ServingMode) -> Scaler:
    """The controller that scales `endpoint` in serving mode `mode` (see the module's table)."""
    metric = endpoint.autoscale.metric if endpoint.autoscale is not None else None
    if mode == "knative":
        return "knative-hpa" if metric in ("cpu", "memory", "gpu_utilization") else "knative-kpa"
    if metric in ("concurrency", "rps"):
        return "keda-http"
    if metric == "gpu_utilization":
        return "keda-prometheus"
    return "hpa"


def through_interceptor(endpoint: "Endpoint", mode: ServingMode) -> bool:
    """True when the endpoint's traffic passes the KEDA HTTP add-on's interceptor (which exports request metrics)."""
    return scaler_for(endpoint, mode) == "keda-http"


@dataclass(frozen=True)
class Refusal:
    """A scaling request no controller can carry out: where it is written, why, and what would work."""

    field: tuple[str, ...]   # path under the endpoint: ("replicas", "min") or ("autoscale", "metric")
    message: str
    hint: str


def refusal(endpoint: "Endpoint", mode: ServingMode) -> Refusal | None:
    """Why `endpoint`'s scaling cannot work in `mode`, or None when it can."""
    metric = endpoint.autoscale.metric if endpoint.autoscale is not None else None
    if mode == "knative" and metric == "gpu_utilization":
        return Refusal(("autoscale", "metric"),
                       "Knative's autoscalers scale on concurrency, rps, cpu or memory; gpu_utilization needs "
                       "KEDA, which KServe only drives in standard mode",
                       "use serving_mode: standard, or autoscale on concurrency or rps")
    scaler = scaler_for(endpoint, mode)
    if endpoint.replicas.min == 0 and scaler in POD_METRIC_SCALERS:
        what = f"autoscale.metric {metric}" if metric else "no autoscale metric (KServe then scales on cpu)"
        return Refusal(("replicas", "min"),
                       f"replicas.min 0 cannot work with {what} in {mode} mode: the {scaler} scaler reads a "
                       "metric of the running pods, and at zero replicas there is none to bring the endpoint back",
                       "autoscale on concurrency or rps (a request signal that exists at zero replicas), "
                       "or set replicas.min to 1")
    return None
