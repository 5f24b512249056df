"""The pods our objects make, as the scheduler and the device plugin see them (for Karpenter and NVIDIA checks).

KServe turns an InferenceService predictor (and each Standard-mode canary predictor) into a pod
whose main container is the `model` container; Argo turns every container template of a
WorkflowTemplate or CronWorkflow into a pod whose `main` container is the template's, placed by the
template's `nodeSelector` and `tolerations`. The injected containers (KServe's storage initializer
and Knative's queue-proxy, Argo's `init`/`wait` executor, which requests nothing by default:
argo-workflows v4.1.2 config/config.go `GetExecutor`) are left out: the requests checked are ours.
Requests are what the API server defaults them to: an extended resource given only as a limit
is requested at its limit (kubernetes/kubernetes pkg/apis/core/v1/defaults.go `SetDefaults_Pod`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from . import Objects

_QUANTITY = re.compile(r"^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti|Pi)?$")
_SCALE = {None: Decimal(1), "m": Decimal("0.001"), "k": Decimal(10) ** 3, "M": Decimal(10) ** 6,
          "G": Decimal(10) ** 9, "T": Decimal(10) ** 12, "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20,
          "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50}


def quantity(value) -> Decimal:
    """A Kubernetes quantity (`500m`, `4Gi`, `8`) as a number of base units."""
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise ValueError(f"not a quantity: {value!r}")
    return Decimal(match[1]) * _SCALE[match[2]]


@dataclass
class Pod:
    """One pod a generated object creates: where it is declared, how it is placed, what it requests."""

    where: str
    node_selector: dict[str, str]
    tolerations: list[dict]
    requests: dict[str, Decimal] = field(default_factory=dict)  # cpu in cores, memory in bytes


def _requests(containers: list[dict]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for container in containers:
        resources = container.get("resources") or {}
        asked = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        for name, value in asked.items():
            total[name] = total.get(name, Decimal(0)) + quantity(value)
    return total


def _kserve(obj: dict) -> Iterator[Pod]:
    spec = obj.get("spec") or {}
    name = (obj.get("metadata") or {}).get("name")
    parts = [("spec.predictor", spec.get("predictor"))]
    parts += [(f"spec.canary[{i}].predictor", (c or {}).get("predictor")) for i, c in enumerate(spec.get("canary") or [])]
    for where, predictor in parts:
        if not isinstance(predictor, dict):
            continue
        containers = [predictor["model"]] if isinstance(predictor.get("model"), dict) else []
        containers += predictor.get("containers") or []
        yield Pod(f"InferenceService/{name} {where}", dict(predictor.get("nodeSelector") or {}),
                  list(predictor.get("tolerations") or []), _requests(containers))


def _argo(obj: dict) -> Iterator[Pod]:
    spec = obj.get("spec") or {}
    workflow = spec.get("workflowSpec") if obj.get("kind") == "CronWorkflow" else spec
    name = (obj.get("metadata") or {}).get("name")
    if not isinstance(workflow, dict):
        return
    for template in workflow.get("templates") or []:
        container = template.get("container") or template.get("script")
        if not isinstance(container, dict):
            continue
        yield Pod(f"{obj['kind']}/{name} templates[{template.get('name')}]",
                  {**(workflow.get("nodeSelector") or {}), **(template.get("nodeSelector") or {})},
                  list(template.get("tolerations") or workflow.get("tolerations") or []), _requests([container]))


def pods(objects: Objects) -> list[Pod]:
    """Every pod the InferenceServices, WorkflowTemplates and CronWorkflows of one compile create."""
    found: list[Pod] = []
    for obj in objects:
        if obj.get("kind") == "InferenceService":
            found += _kserve(obj)
        elif obj.get("kind") in ("WorkflowTemplate", "CronWorkflow"):
            found += _argo(obj)
    return found
