"""`scheduling:` of endpoints and steps -> the pod's extra tolerations and its node affinity.

The pool still places the pod (its node selector and, for GPU pools, the GPU toleration, see
pods.py); a user's tolerations are added after the generated one (an identical one is written
once) and `node_affinity` becomes `affinity.nodeAffinity`, which the scheduler ANDs with the node
selector (kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeaffinity).
"""
from __future__ import annotations

from compiler.spec.scheduling import Scheduling


def merged_tolerations(generated: list[dict] | None, scheduling: Scheduling) -> list[dict] | None:
    result = list(generated or [])
    for toleration in scheduling.tolerations:
        lowered = toleration.lowered()
        if lowered not in result:
            result.append(lowered)
    return result or None


def node_affinity(scheduling: Scheduling) -> dict | None:
    """The pod's `affinity`, or None."""
    if scheduling.node_affinity is None:
        return None
    return {"nodeAffinity": scheduling.node_affinity.lowered()}
