"""PriorityClasses: serving above training above the monitor jobs, and every generated pod names one.

When a pool is full, the scheduler preempts lower-priority pods for a pending higher-priority one
(kubernetes/kubernetes pkg/scheduler/framework/plugins/defaultpreemption), and Karpenter provisions
for the pending pods either way. A model server is what users wait on: it may preempt a training
step or a monitor job. A training step waits for capacity rather than preempt a monitor job
(`preemptionPolicy: Never`), but is scheduled before them. Values stay far below the user-definable
ceiling (1000000000, kubernetes pkg/apis/scheduling/types.go HighestUserDefinablePriority) and the
system classes (system-cluster-critical 2000000000), so cluster add-ons keep outranking the system.

The classes are cluster-scoped: their names carry the system and the environment
(`ctx.cluster_name`), so two systems or two environments in one cluster never overwrite each other.
"""
from __future__ import annotations

from typing import NamedTuple

from .context import Context
from .labels import metadata, obj

API_VERSION = "scheduling.k8s.io/v1"
COMPONENT = "platform"


class Tier(NamedTuple):
    value: int
    preemption: str
    description: str


#: Role (as `namespace.roles_in_use` names them) -> its class. Monitoring runs batch jobs (drift,
#: estimation, the retraining gate).
TIERS: dict[str, Tier] = {
    "serving": Tier(100000, "PreemptLowerPriority", "model servers: may preempt training steps and monitor jobs"),
    "training": Tier(10000, "Never", "training pipeline steps: scheduled before monitor jobs, never preempt"),
    "monitoring": Tier(1000, "Never", "monitor jobs (drift, estimation, retraining gate): lowest, never preempt"),
}


def class_name(ctx: Context, role: str) -> str:
    """The PriorityClass of a role's pods: `<system>[-<env>]-<role>-priority`."""
    return ctx.cluster_name(role, "-priority")


def priority_classes(ctx: Context, roles: list[str]) -> list[dict]:
    """One PriorityClass per role the system runs."""
    result = []
    for role in roles:
        tier = TIERS[role]
        meta = metadata(ctx, class_name(ctx, role), COMPONENT, "platform", namespaced=False)
        result.append(obj(API_VERSION, "PriorityClass", meta, value=tier.value, globalDefault=False,
                          preemptionPolicy=tier.preemption,
                          description=f"{ctx.system} ({ctx.env or 'base'}): {tier.description}"))
    return result
