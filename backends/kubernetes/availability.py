"""An endpoint with more than one replica: a PodDisruptionBudget and zone/node topology spread, by default.

KServe v0.20.0 creates no PodDisruptionBudget in either mode (no policy/v1 object anywhere under
kserve/kserve pkg/), so we do. Both select the predictor's pods by the labels KServe itself puts
on them, in Standard and Knative mode, on the stable and on every canary predictor:
`serving.kserve.io/inferenceservice: <isvc>` and `component: predictor` (kserve/kserve v0.20.0
pkg/controller/v1beta1/inferenceservice/components/predictor.go buildObjectMeta; a canary is the
stable predictor with its own fields merged over it and the same InferenceService name,
reconcileCanaryDeployments; Knative copies them onto the revision template, reconcilers/knative/
ksvc_reconciler.go createKnativeService, dropping only the visibility label).

- The budget is `maxUnavailable` (default 1), never `minAvailable`: a minAvailable equal to the
  replica count (2 of 2, or 1 of a single replica) allows no eviction at all and hangs every node
  drain, Karpenter consolidation and cluster upgrade. The disruption controller sums the scale of
  every controller whose pods the selector matches (kubernetes/kubernetes pkg/controller/disruption/
  disruption.go getExpectedScale), so one budget covers the stable and canary Deployments.
  `unhealthyPodEvictionPolicy: AlwaysAllow` (Kubernetes >= 1.27): a crash-looping pod must not
  block a drain the healthy ones allow.
- The spread is one constraint per topology key, maxSkew 1, `ScheduleAnyway` (preferred) or
  `DoNotSchedule` (required); `matchLabelKeys: [pod-template-hash]` (Kubernetes >= 1.27) spreads
  each ReplicaSet on its own, so a rollout's new pods are spread too instead of skewed by the old.
"""
from __future__ import annotations

from compiler.spec.serving import Endpoint

from .context import Context
from .labels import ENDPOINT_LABEL, HOSTNAME_LABEL, ZONE_LABEL, metadata, obj

COMPONENT = "serving"
#: The labels KServe puts on every predictor pod (constants.go InferenceServicePodLabelKey, KServiceComponentLabel).
ISVC_POD_LABEL = "serving.kserve.io/inferenceservice"
COMPONENT_POD_LABEL = "component"
#: The label the Deployment controller puts on each ReplicaSet's pods.
POD_TEMPLATE_HASH = "pod-template-hash"
WHEN_UNSATISFIABLE = {"preferred": "ScheduleAnyway", "required": "DoNotSchedule"}


def _minor(ctx: Context) -> int:
    return int(ctx.spec.platform.kubernetes.split(".")[1])


def is_replicated(endpoint: Endpoint) -> bool:
    """Whether the endpoint can run more than one replica: only then is there anything to budget or spread."""
    return endpoint.replicas.max > 1


def predictor_pod_selector(isvc: str) -> dict[str, str]:
    return {COMPONENT_POD_LABEL: "predictor", ISVC_POD_LABEL: isvc}


def topology_spread(ctx: Context, isvc: str, endpoint: Endpoint) -> list[dict]:
    """The predictor's topologySpreadConstraints (empty for a single replica or `none`)."""
    if not is_replicated(endpoint):
        return []
    result = []
    spread = endpoint.availability
    for key, choice in ((ZONE_LABEL, spread.zone_spread), (HOSTNAME_LABEL, spread.host_spread)):
        if choice == "none":
            continue
        constraint: dict = {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": WHEN_UNSATISFIABLE[choice],
                            "labelSelector": {"matchLabels": predictor_pod_selector(isvc)}}
        if _minor(ctx) >= 27:
            constraint["matchLabelKeys"] = [POD_TEMPLATE_HASH]
        result.append(constraint)
    return result


def _budget_value(endpoint: Endpoint) -> int | str:
    value = endpoint.availability.max_unavailable
    return value if isinstance(value, int) else value.text


def disruption_budget(ctx: Context, name: str, isvc: str, endpoint: Endpoint) -> dict | None:
    """The endpoint's PodDisruptionBudget, or None (one replica, or `disruption_budget: false`)."""
    if not is_replicated(endpoint) or not endpoint.availability.disruption_budget:
        return None
    spec: dict = {"maxUnavailable": _budget_value(endpoint),
                  "selector": {"matchLabels": predictor_pod_selector(isvc)}}
    if _minor(ctx) >= 27:
        spec["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    meta = metadata(ctx, f"{isvc}-predictor", COMPONENT, f"serving.{name}.availability",
                    extra_labels={ENDPOINT_LABEL: name})
    return obj("policy/v1", "PodDisruptionBudget", meta, spec=spec)
