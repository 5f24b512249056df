"""`scheduling:` and `availability:` of endpoints and steps: where pods may run and how many may go at once.

The checks are Kubernetes' own, so that a spec that validates is one the API server admits:
kubernetes/kubernetes v1.31.0 pkg/apis/core/validation/validation.go `ValidateTolerations`,
`ValidateNodeSelectorRequirement` and `ValidatePreferredSchedulingTerms`; label keys and values as
apimachinery pkg/util/validation/validation.go `IsQualifiedName` and `IsValidLabelValue` read them.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic.functional_validators import PlainValidator
from pydantic_core import PydanticCustomError
from pydantic import WithJsonSchema

from .base import SpecModel, empty_list
from .units import Percentage

_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
#: The label mlops places pods on a pool with: an affinity on it would contradict `resources.pool`.
POOL_LABEL = "mlops.dev/node-pool"


def qualified_name_problem(key: str) -> str | None:
    """Why `key` is not a Kubernetes label key (`[prefix/]name`), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in prefix:
        return "a label key has at most one '/'"
    if "/" in key and (not prefix or len(prefix) > 253 or not _PREFIX.fullmatch(prefix)):
        return f"prefix {prefix!r} must be a lowercase DNS subdomain (e.g. topology.kubernetes.io)"
    if not name or len(name) > 63 or not _NAME_PART.fullmatch(name):
        return (f"name part {name!r} must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a "
                "letter or digit")
    return None


def _label_key(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("label_key", "a label key is a string, got {got}", {"got": type(value).__name__})
    problem = qualified_name_problem(value)
    if problem:
        raise PydanticCustomError("label_key", "{key} is not a Kubernetes label key: {why}",
                                  {"key": repr(value), "why": problem})
    return value


def _label_value(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("label_value", "write this value as a quoted string (got {got})",
                                  {"got": type(value).__name__})
    if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        raise PydanticCustomError("label_value", "{value} is not a Kubernetes label value: at most 63 letters, "
                                  "digits, '-', '_' or '.', starting and ending with a letter or digit",
                                  {"value": repr(value)})
    return value


LabelKey = Annotated[str, PlainValidator(_label_key), WithJsonSchema({"type": "string", "maxLength": 317})]
LabelValue = Annotated[str, PlainValidator(_label_value), WithJsonSchema({"type": "string", "maxLength": 63})]


class Toleration(SpecModel):
    """A taint the pods tolerate, as a Kubernetes toleration (`tolerationSeconds` is `seconds`)."""

    key: LabelKey | None = Field(None, description="Taint key; omitted with `operator: Exists` = every taint.")
    operator: Literal["Equal", "Exists"] = Field("Equal", description="Equal: the taint's value is `value`; "
                                                                      "Exists: any value (no `value`).")
    value: LabelValue | None = Field(None, description="Taint value (operator Equal).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        None, description="Taint effect tolerated; omitted = every effect.")
    seconds: int | None = Field(None, ge=0, le=2**31 - 1,
                                description="How long a pod stays bound after a NoExecute taint appears "
                                            "(tolerationSeconds); only with `effect: NoExecute`.")

    @model_validator(mode="after")
    def _kubernetes_rules(self) -> "Toleration":
        # ValidateTolerations, in its order.
        if self.key is None and self.operator != "Exists":
            raise ValueError("a toleration without `key` must have `operator: Exists` (it then tolerates every "
                             "taint); give the taint's key, or write operator: Exists")
        if self.seconds is not None and self.effect != "NoExecute":
            raise ValueError("`seconds` (tolerationSeconds) applies only to `effect: NoExecute`: a NoSchedule "
                             "taint never evicts a running pod")
        if self.operator == "Exists" and self.value is not None:
            raise ValueError("`operator: Exists` tolerates any value of the taint: remove `value`, or use "
                             "operator: Equal")
        return self

    def lowered(self) -> dict:
        result: dict = {}
        if self.key is not None:
            result["key"] = self.key
        result["operator"] = self.operator
        if self.operator == "Equal":
            result["value"] = self.value or ""
        if self.effect is not None:
            result["effect"] = self.effect
        if self.seconds is not None:
            result["tolerationSeconds"] = self.seconds
        return result


class NodeRequirement(SpecModel):
    """One node label requirement (a NodeSelectorRequirement)."""

    key: LabelKey = Field(description="Node label key, e.g. topology.kubernetes.io/zone.")
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] = Field(
        description="In/NotIn: the label's value is (not) one of `values`; Exists/DoesNotExist: no `values`; "
                    "Gt/Lt: one integer value.")
    values: list[LabelValue] = Field(default_factory=empty_list, description="Values the operator compares with.")

    @model_validator(mode="after")
    def _kubernetes_rules(self) -> "NodeRequirement":
        # ValidateNodeSelectorRequirement.
        if self.key == POOL_LABEL:
            raise ValueError(f"{POOL_LABEL} is the label mlops places pods on their pool with: set "
                             "`resources.pool` instead")
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"operator {self.operator} needs at least one value in `values`")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"operator {self.operator} takes no `values`: remove them, or use In/NotIn")
        if self.operator in ("Gt", "Lt"):
            if len(self.values) != 1 or not re.fullmatch(r"-?[0-9]{1,18}", self.values[0]):
                raise ValueError(f"operator {self.operator} takes exactly one integer value, e.g. values: ['3']")
        return self

    def lowered(self) -> dict:
        result: dict = {"key": self.key, "operator": self.operator}
        if self.values:
            result["values"] = list(self.values)
        return result


class PreferredNodes(SpecModel):
    weight: int = Field(ge=1, le=100, description="How much the scheduler prefers these nodes (1-100).")
    match: list[NodeRequirement] = Field(min_length=1, description="Requirements a preferred node meets (all).")


class NodeAffinity(SpecModel):
    required: list[NodeRequirement] = Field(
        default_factory=empty_list, description="Requirements every node the pods run on meets (all of them), "
                                                "beside the pool's node selector.")
    preferred: list[PreferredNodes] = Field(default_factory=empty_list,
                                            description="Weighted preferences among the nodes that qualify.")

    @model_validator(mode="after")
    def _something(self) -> "NodeAffinity":
        if not self.required and not self.preferred:
            raise ValueError("node_affinity needs `required` or `preferred` requirements (or remove it)")
        return self

    def lowered(self) -> dict:
        result: dict = {}
        if self.required:
            result["requiredDuringSchedulingIgnoredDuringExecution"] = {
                "nodeSelectorTerms": [{"matchExpressions": [r.lowered() for r in self.required]}]}
        if self.preferred:
            result["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": p.weight, "preference": {"matchExpressions": [r.lowered() for r in p.match]}}
                for p in self.preferred]
        return result


class Scheduling(SpecModel):
    """Extra placement of a workload's pods, added to what its pool gives them (node selector, GPU toleration)."""

    tolerations: list[Toleration] = Field(default_factory=empty_list,
                                          description="Taints tolerated beside the GPU pool's own.")
    node_affinity: NodeAffinity | None = Field(None, description="Node label requirements and preferences.")


Spread = Literal["preferred", "required", "none"]


def _max_unavailable(value: Any) -> int | Percentage:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise PydanticCustomError("max_unavailable", "max_unavailable {n} would block every eviction (node "
                                      "drains and upgrades would hang): use 1 or more, or a percentage", {"n": value})
        return value
    percentage = Percentage.parse(value)
    if not 0 < percentage.percent < 100:
        raise PydanticCustomError("max_unavailable", "max_unavailable {text} must be above 0% (0% blocks every "
                                  "eviction) and below 100% (100% protects nothing: write disruption_budget: false)",
                                  {"text": percentage.text})
    return percentage


MaxUnavailable = Annotated[int | Percentage, PlainValidator(_max_unavailable),
                           WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1},
                                                     {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?%$"}]})]


class Availability(SpecModel):
    """How an endpoint with more than one replica survives node drains, upgrades and a lost zone.

    Applies while `replicas.max` is above 1 (one replica has nothing to spread or budget)."""

    disruption_budget: bool = Field(True, description="A PodDisruptionBudget over the predictor's pods (stable "
                                                      "and canary).")
    max_unavailable: MaxUnavailable = Field(1, description="Pods a voluntary disruption (drain, consolidation) may "
                                                           "take at once: a count >= 1 or a percentage, rounded up.")
    zone_spread: Spread = Field("preferred", description="Spread replicas over topology.kubernetes.io/zone: "
                                                         "preferred (ScheduleAnyway), required (DoNotSchedule), "
                                                         "none.")
    host_spread: Spread = Field("preferred", description="Spread replicas over nodes (kubernetes.io/hostname), "
                                                         "same choices.")
