"""The API server's checks of PodDisruptionBudgets, PriorityClasses and the placement fields of our pods.

Re-implemented from kubernetes/kubernetes v1.31.0: policy validation (ValidatePodDisruptionBudgetSpec),
scheduling validation (ValidatePriorityClass), the Priority admission plugin (a pod's class must
exist; at most one global default), core pod validation of tolerations, node affinity and topology
spread, and the disruption controller's arithmetic (a budget that allows no eviction hangs every
drain). Pods are those KServe and Argo create from our objects (predictor_pods.py, workloads.py).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator

from . import Case, Objects, compile_check, object_check
from .kubernetes import is_qualified_name
from .predictor_pods import label_selector_matches, predictor_pods

K8S = "kubernetes/kubernetes v1.31.0"
CORE = f"{K8S} pkg/apis/core/validation/validation.go"
#: pkg/apis/scheduling/types.go HighestUserDefinablePriority and the two system classes (SystemPriorityClasses).
HIGHEST_USER_PRIORITY = 1_000_000_000
SYSTEM_CLASSES = {"system-cluster-critical": 2_000_000_000, "system-node-critical": 2_000_001_000}
_PERCENT = re.compile(r"^[0-9]+%$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_NODE_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
WORKLOADS = ("InferenceService", "WorkflowTemplate", "CronWorkflow")


# --- the pod specs inside our workloads --------------------------------------------------------

def pod_specs(obj: dict) -> Iterator[tuple[str, dict]]:
    """(where, fields) of every pod spec a workload carries: predictors, canaries, Argo workflow and templates."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "InferenceService":
        if isinstance(spec.get("predictor"), dict):
            yield "spec.predictor", spec["predictor"]
        for index, canary in enumerate(spec.get("canary") or []):
            if isinstance((canary or {}).get("predictor"), dict):
                yield f"spec.canary[{index}].predictor", canary["predictor"]
        return
    workflow = spec.get("workflowSpec") if obj.get("kind") == "CronWorkflow" else spec
    if not isinstance(workflow, dict):
        return
    yield "workflow", {"tolerations": workflow.get("tolerations"), "affinity": workflow.get("affinity"),
                       "priorityClassName": workflow.get("podPriorityClassName")}
    for template in workflow.get("templates") or []:
        yield f"templates[{template.get('name')}]", template


def _int_or_percent(value, field: str) -> Iterator[str]:
    # ValidatePositiveIntOrPercent + IsNotMoreThan100Percent
    if isinstance(value, bool):
        yield f"{field}: must be an integer or a percentage"
    elif isinstance(value, int):
        if value < 0:
            yield f"{field}: must be greater than or equal to 0"
    elif isinstance(value, str):
        if not _PERCENT.match(value):
            yield f"{field}: {value!r} must be an integer or percentage (e.g. '5%')"
        elif int(value[:-1]) > 100:
            yield f"{field}: must not be greater than 100%"
    else:
        yield f"{field}: must be an integer or a percentage"


def _label_selector(selector, field: str) -> Iterator[str]:
    # apimachinery pkg/apis/meta/v1/validation ValidateLabelSelector
    if not isinstance(selector, dict):
        yield f"{field}: required"
        return
    for key, value in (selector.get("matchLabels") or {}).items():
        for message in is_qualified_name(key):
            yield f"{field}.matchLabels key {key!r}: {message}"
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            yield f"{field}.matchLabels[{key}]: {value!r} is not a valid label value"
    for index, expression in enumerate(selector.get("matchExpressions") or []):
        operator, values = expression.get("operator"), expression.get("values") or []
        if operator not in _SELECTOR_OPERATORS:
            yield f"{field}.matchExpressions[{index}].operator: {operator!r} is not a valid selector operator"
        elif operator in ("In", "NotIn") and not values:
            yield f"{field}.matchExpressions[{index}].values: must be specified when operator is In or NotIn"
        elif operator in ("Exists", "DoesNotExist") and values:
            yield f"{field}.matchExpressions[{index}].values: may not be specified when operator is Exists or " \
                  "DoesNotExist"


@object_check("kubernetes-pod-disruption-budget", kinds=("PodDisruptionBudget",),
              source=f"{K8S} pkg/apis/policy/validation/validation.go: ValidatePodDisruptionBudgetSpec")
def pod_disruption_budget(obj: dict, objects: Objects) -> Iterator[str]:
    spec = obj.get("spec") or {}
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        yield "minAvailable and maxUnavailable cannot be both set"
    for field in ("minAvailable", "maxUnavailable"):
        if spec.get(field) is not None:
            yield from _int_or_percent(spec[field], f"spec.{field}")
    yield from _label_selector(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in ("IfHealthyBudget", "AlwaysAllow"):
        yield f"spec.unhealthyPodEvictionPolicy: unsupported value {policy!r}"


@object_check("kubernetes-priority-class", kinds=("PriorityClass",),
              source=f"{K8S} pkg/apis/scheduling/validation/validation.go: ValidatePriorityClass; "
                     f"{CORE}: ValidatePreemptionPolicy")
def priority_class(obj: dict, objects: Objects) -> Iterator[str]:
    name = (obj.get("metadata") or {}).get("name") or ""
    value = obj.get("value")
    if name.startswith("system-"):
        if SYSTEM_CLASSES.get(name) != value:
            yield f"priority class names with 'system-' prefix are reserved ({name!r})"
    elif not isinstance(value, int) or isinstance(value, bool):
        yield "value: required integer"
    elif value > HIGHEST_USER_PRIORITY:
        yield f"value: maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"
    if isinstance(value, int) and not -(2**31) <= value < 2**31:
        yield "value: must fit in an int32"
    policy = obj.get("preemptionPolicy")
    if policy is not None and policy not in ("PreemptLowerPriority", "Never"):
        yield f"preemptionPolicy: unsupported value {policy!r}"


@compile_check("kubernetes-one-global-default-priority",
               source=f"{K8S} plugin/pkg/admission/priority/admission.go: validatePriorityClass")
def one_global_default(objects: Objects) -> Iterator[str]:
    defaults = [o["metadata"]["name"] for o in objects.of_kind("PriorityClass") if o.get("globalDefault")]
    if len(defaults) > 1:
        yield f"PriorityClasses {', '.join(defaults)} are all globalDefault; only one may be"


@compile_check("kubernetes-pod-priority-class-exists",
               source=f"{K8S} plugin/pkg/admission/priority/admission.go: admitPod")
def priority_class_exists(objects: Objects) -> Iterator[str]:
    known = {o["metadata"]["name"] for o in objects.of_kind("PriorityClass")} | set(SYSTEM_CLASSES)
    for obj in objects.of_kind(*WORKLOADS):
        for where, pod in pod_specs(obj):
            name = pod.get("priorityClassName")
            if name and name not in known:
                yield f"{obj['kind']}/{obj['metadata']['name']} {where}: no PriorityClass with name {name} was found"


@object_check("kubernetes-pod-tolerations", kinds=WORKLOADS, source=f"{CORE}: ValidateTolerations")
def pod_tolerations(obj: dict, objects: Objects) -> Iterator[str]:
    for where, pod in pod_specs(obj):
        for index, toleration in enumerate(pod.get("tolerations") or []):
            field = f"{where}.tolerations[{index}]"
            key, operator = toleration.get("key", ""), toleration.get("operator", "Equal")
            if key:
                for message in is_qualified_name(key):
                    yield f"{field}.key: {message}"
            elif operator != "Exists":
                yield f"{field}.operator: operator must be Exists when `key` is empty"
            if toleration.get("tolerationSeconds") is not None and toleration.get("effect") != "NoExecute":
                yield f"{field}.effect: effect must be 'NoExecute' when `tolerationSeconds` is set"
            if operator == "Exists" and toleration.get("value"):
                yield f"{field}.operator: value must be empty when `operator` is 'Exists'"
            elif operator == "Equal" and not _LABEL_VALUE.match(str(toleration.get("value", ""))):
                yield f"{field}.value: {toleration.get('value')!r} is not a valid label value"
            elif operator not in ("Equal", "Exists"):
                yield f"{field}.operator: unsupported value {operator!r}"
            if toleration.get("effect") and toleration["effect"] not in _EFFECTS:
                yield f"{field}.effect: unsupported value {toleration['effect']!r}"


def _node_requirements(expressions, field: str) -> Iterator[str]:
    # ValidateNodeSelectorRequirement
    for index, requirement in enumerate(expressions or []):
        where, operator = f"{field}[{index}]", requirement.get("operator")
        values = requirement.get("values") or []
        if operator in ("In", "NotIn") and not values:
            yield f"{where}.values: must be specified when `operator` is 'In' or 'NotIn'"
        elif operator in ("Exists", "DoesNotExist") and values:
            yield f"{where}.values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        elif operator in ("Gt", "Lt") and (len(values) != 1 or not re.fullmatch(r"-?[0-9]+", str(values[0]))):
            yield f"{where}.values: must be specified single integer value when `operator` is 'Lt' or 'Gt'"
        elif operator not in _NODE_OPERATORS:
            yield f"{where}.operator: {operator!r} is not a valid node selector operator"
        for message in is_qualified_name(requirement.get("key", "")):
            yield f"{where}.key: {message}"


@object_check("kubernetes-pod-node-affinity", kinds=WORKLOADS,
              source=f"{CORE}: ValidateNodeSelector, ValidatePreferredSchedulingTerms")
def pod_node_affinity(obj: dict, objects: Objects) -> Iterator[str]:
    for where, pod in pod_specs(obj):
        affinity = ((pod.get("affinity") or {}).get("nodeAffinity")) or {}
        required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
        if required is not None:
            terms = required.get("nodeSelectorTerms") or []
            if not terms:
                yield f"{where}.affinity.nodeAffinity.required.nodeSelectorTerms: must have at least one term"
            for index, term in enumerate(terms):
                yield from _node_requirements(term.get("matchExpressions"),
                                              f"{where}.affinity.nodeAffinity.required.nodeSelectorTerms[{index}]")
        for index, term in enumerate(affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []):
            field = f"{where}.affinity.nodeAffinity.preferred[{index}]"
            if not isinstance(term.get("weight"), int) or not 1 <= term["weight"] <= 100:
                yield f"{field}.weight: must be in the range 1-100"
            yield from _node_requirements((term.get("preference") or {}).get("matchExpressions"), f"{field}.preference")


@object_check("kubernetes-pod-topology-spread", kinds=WORKLOADS, source=f"{CORE}: ValidateTopologySpreadConstraints")
def pod_topology_spread(obj: dict, objects: Objects) -> Iterator[str]:
    for where, pod in pod_specs(obj):
        seen = set()
        for index, constraint in enumerate(pod.get("topologySpreadConstraints") or []):
            field = f"{where}.topologySpreadConstraints[{index}]"
            skew, key = constraint.get("maxSkew"), constraint.get("topologyKey") or ""
            when = constraint.get("whenUnsatisfiable")
            if not isinstance(skew, int) or skew <= 0:
                yield f"{field}.maxSkew: must be greater than zero"
            if not key:
                yield f"{field}.topologyKey: can not be empty"
            for message in is_qualified_name(key) if key else ():
                yield f"{field}.topologyKey: {message}"
            if when not in ("DoNotSchedule", "ScheduleAnyway"):
                yield f"{field}.whenUnsatisfiable: unsupported value {when!r}"
            if (key, when) in seen:
                yield f"{field}: duplicate {{{key!r}, {when!r}}} pair"
            seen.add((key, when))
            if constraint.get("minDomains") is not None and when != "DoNotSchedule":
                yield f"{field}.minDomains: can only use minDomains if whenUnsatisfiable=DoNotSchedule"
            selector_keys = set((constraint.get("labelSelector") or {}).get("matchLabels") or {})
            for label_key in constraint.get("matchLabelKeys") or []:
                if label_key in selector_keys:
                    yield f"{field}.matchLabelKeys: {label_key!r} exists in both matchLabelKeys and labelSelector"


# --- budgets against the pods they protect -----------------------------------------------------

def _budget_pods(pdb: dict, objects: Objects) -> list:
    selector = (pdb.get("spec") or {}).get("selector") or {}
    namespace = pdb["metadata"].get("namespace")
    return [(isvc, pod) for isvc in objects.of_kind("InferenceService") for pod in predictor_pods(isvc)
            if pod.namespace == namespace and label_selector_matches(selector, pod.labels)]


@compile_check("kubernetes-disruption-budget-selects-its-predictor",
               source=f"{K8S} pkg/controller/disruption/disruption.go: getPodsForPdb; kserve/kserve v0.20.0 "
                      "pkg/controller/v1beta1/inferenceservice/components/predictor.go: buildObjectMeta")
def budget_selects_predictor(objects: Objects) -> Iterator[str]:
    """A budget of an endpoint must match the pods of exactly that endpoint's InferenceService, canary included."""
    for pdb in objects.of_kind("PodDisruptionBudget"):
        endpoint = (pdb["metadata"].get("labels") or {}).get("mlops.dev/endpoint")
        if endpoint is None:
            continue
        matched = _budget_pods(pdb, objects)
        owners = {isvc["metadata"]["name"] for isvc, _ in matched}
        mine = [isvc for isvc in objects.of_kind("InferenceService")
                if (isvc["metadata"].get("labels") or {}).get("mlops.dev/endpoint") == endpoint]
        if not matched:
            yield f"PodDisruptionBudget/{pdb['metadata']['name']} selects none of the predictor pods KServe creates"
        if mine and owners != {i["metadata"]["name"] for i in mine}:
            yield f"PodDisruptionBudget/{pdb['metadata']['name']} selects the pods of {sorted(owners)}, not of " \
                  f"endpoint {endpoint}'s InferenceService"
        for isvc in mine:
            for pod in predictor_pods(isvc):
                if not label_selector_matches((pdb.get("spec") or {}).get("selector") or {}, pod.labels):
                    yield f"PodDisruptionBudget/{pdb['metadata']['name']} leaves {pod.workload}'s pods unprotected"


def _floor(isvc: dict) -> int:
    """The fewest predictor pods the endpoint runs while it runs at all (KServe's default minReplicas is 1)."""
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    return max(int(predictor.get("minReplicas", 1)), 0)


def _scaled(value, expected: int) -> int:
    # intstr.GetScaledValueFromIntOrPercent(value, expected, roundUp=true)
    return math.ceil(int(value[:-1]) * expected / 100) if isinstance(value, str) else int(value)


@compile_check("kubernetes-disruption-budget-allows-evictions",
               source=f"{K8S} pkg/controller/disruption/disruption.go: getExpectedPodCount, updatePdbStatus")
def budget_allows_evictions(objects: Objects) -> Iterator[str]:
    """At the endpoint's fewest replicas, all healthy, the budget must allow at least one eviction: one that
    allows none (minAvailable equal to the replicas, maxUnavailable 0) hangs every drain and upgrade."""
    for pdb in objects.of_kind("PodDisruptionBudget"):
        spec = pdb.get("spec") or {}
        owners = {isvc["metadata"]["name"]: isvc for isvc, _ in _budget_pods(pdb, objects)}
        expected = sum(_floor(isvc) for isvc in owners.values())
        if expected == 0:
            continue
        if spec.get("maxUnavailable") is not None:
            desired = expected - _scaled(spec["maxUnavailable"], expected)
        elif spec.get("minAvailable") is not None:
            desired = _scaled(spec["minAvailable"], expected)
        else:
            continue
        if expected - desired <= 0:
            yield f"PodDisruptionBudget/{pdb['metadata']['name']}: at {expected} healthy pod(s) it allows no " \
                  "eviction (disruptionsAllowed 0): node drains would hang"


# --- fixtures ---------------------------------------------------------------------------------------

def _pdb(spec: dict, endpoint: str | None = "api", name: str = "demo-api-predictor") -> dict:
    labels = {"mlops.dev/endpoint": endpoint} if endpoint else {}
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": "ml", "labels": labels}, "spec": spec}


_SELECTOR = {"matchLabels": {"component": "predictor", "serving.kserve.io/inferenceservice": "demo-api"}}


def _isvc(min_replicas: int = 2, canary: bool = False, endpoint: str = "api", name: str = "demo-api",
          **predictor) -> dict:
    spec: dict = {"predictor": {"minReplicas": min_replicas, "labels": {"mlops.dev/endpoint": endpoint},
                                "model": {"modelFormat": {"name": "sklearn"}}, **predictor}}
    if canary:
        spec["canary"] = [{"trafficPercent": 10, "predictor": {"name": "canary",
                                                               "labels": {"mlops.dev/endpoint": endpoint}}}]
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": "ml", "labels": {"mlops.dev/endpoint": endpoint},
                         "annotations": {"serving.kserve.io/deploymentMode": "Standard"}}, "spec": spec}


def _class(name: str, value: int, **fields) -> dict:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, **fields}


def _spread(**fields) -> dict:
    return {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": _SELECTOR, **fields}


CASES = [
    Case("kubernetes-pod-disruption-budget", "minAvailable and maxUnavailable together",
         [_pdb({"minAvailable": 1, "maxUnavailable": 1, "selector": _SELECTOR})]),
    Case("kubernetes-pod-disruption-budget", "maxUnavailable 150%",
         [_pdb({"maxUnavailable": "150%", "selector": _SELECTOR})]),
    Case("kubernetes-pod-disruption-budget", "an unknown unhealthyPodEvictionPolicy",
         [_pdb({"maxUnavailable": 1, "selector": _SELECTOR, "unhealthyPodEvictionPolicy": "Always"})]),
    Case("kubernetes-pod-disruption-budget", "maxUnavailable 25% with AlwaysAllow",
         [_pdb({"maxUnavailable": "25%", "selector": _SELECTOR, "unhealthyPodEvictionPolicy": "AlwaysAllow"})],
         refused=False),
    Case("kubernetes-priority-class", "a user class with the reserved system- prefix", [_class("system-ml", 1000)]),
    Case("kubernetes-priority-class", "a value above the user-definable ceiling", [_class("ml-serving", 2_000_000_000)]),
    Case("kubernetes-priority-class", "an unknown preemptionPolicy",
         [_class("ml-serving", 1000, preemptionPolicy="Sometimes")]),
    Case("kubernetes-priority-class", "a user class, Never preempting", [_class("ml-training", 10000,
                                                                                  preemptionPolicy="Never")],
         refused=False),
    Case("kubernetes-one-global-default-priority", "two global defaults",
         [_class("a", 1, globalDefault=True), _class("b", 2, globalDefault=True)]),
    Case("kubernetes-one-global-default-priority", "no global default",
         [_class("a", 1, globalDefault=False), _class("b", 2)], refused=False),
    Case("kubernetes-pod-priority-class-exists", "a predictor naming a class nobody creates",
         [_isvc(priorityClassName="demo-serving-priority")]),
    Case("kubernetes-pod-priority-class-exists", "a predictor naming a class of the compile, a step a system class",
         [_isvc(priorityClassName="demo-serving-priority"), _class("demo-serving-priority", 100000),
          {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "t"},
           "spec": {"podPriorityClassName": "system-cluster-critical", "templates": []}}], refused=False),
    Case("kubernetes-pod-tolerations", "Equal without a key", [_isvc(tolerations=[{"operator": "Equal", "value": "x"}])]),
    Case("kubernetes-pod-tolerations", "tolerationSeconds on NoSchedule",
         [_isvc(tolerations=[{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}])]),
    Case("kubernetes-pod-tolerations", "Exists with a value",
         [_isvc(tolerations=[{"key": "k", "operator": "Exists", "value": "v"}])]),
    Case("kubernetes-pod-tolerations", "Exists without a key, and Equal NoExecute for 300 s",
         [_isvc(tolerations=[{"operator": "Exists"}, {"key": "spot", "operator": "Equal", "value": "true",
                                                      "effect": "NoExecute", "tolerationSeconds": 300}])],
         refused=False),
    Case("kubernetes-pod-node-affinity", "In without values",
         [_isvc(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
             "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In"}]}]}}})]),
    Case("kubernetes-pod-node-affinity", "Gt with a word, preferred weight 0",
         [_isvc(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
             {"weight": 0, "preference": {"matchExpressions": [{"key": "gen", "operator": "Gt",
                                                                "values": ["new"]}]}}]}})]),
    Case("kubernetes-pod-node-affinity", "required In and preferred Gt",
         [_isvc(affinity={"nodeAffinity": {
             "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
                 {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a"]}]}]},
             "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 50, "preference": {"matchExpressions": [
                 {"key": "gen", "operator": "Gt", "values": ["6"]}]}}]}})], refused=False),
    Case("kubernetes-pod-topology-spread", "maxSkew 0", [_isvc(topologySpreadConstraints=[_spread(maxSkew=0)])]),
    Case("kubernetes-pod-topology-spread", "the same key and policy twice",
         [_isvc(topologySpreadConstraints=[_spread(), _spread()])]),
    Case("kubernetes-pod-topology-spread", "minDomains with ScheduleAnyway",
         [_isvc(topologySpreadConstraints=[_spread(minDomains=2)])]),
    Case("kubernetes-pod-topology-spread", "a matchLabelKey that is in the selector",
         [_isvc(topologySpreadConstraints=[_spread(matchLabelKeys=["component"])])]),
    Case("kubernetes-pod-topology-spread", "zone and hostname, pod-template-hash",
         [_isvc(topologySpreadConstraints=[_spread(matchLabelKeys=["pod-template-hash"]),
                                           _spread(topologyKey="kubernetes.io/hostname",
                                                   whenUnsatisfiable="DoNotSchedule")])], refused=False),
    Case("kubernetes-disruption-budget-selects-its-predictor", "a selector on a label KServe does not set",
         [_isvc(), _pdb({"maxUnavailable": 1, "selector": {"matchLabels": {"app": "demo-api"}}})]),
    Case("kubernetes-disruption-budget-selects-its-predictor", "the stable predictor's Deployment name only",
         [_isvc(canary=True), _pdb({"maxUnavailable": 1, "selector": {"matchLabels": {
             "serving.kserve.io/inferenceservice": "demo-api", "app": "demo-api-predictor"}}})]),
    Case("kubernetes-disruption-budget-selects-its-predictor", "KServe's labels, stable and canary",
         [_isvc(canary=True), _pdb({"maxUnavailable": 1, "selector": _SELECTOR})], refused=False),
    Case("kubernetes-disruption-budget-allows-evictions", "minAvailable equal to a single replica",
         [_isvc(min_replicas=1), _pdb({"minAvailable": 1, "selector": _SELECTOR})]),
    Case("kubernetes-disruption-budget-allows-evictions", "minAvailable 100%",
         [_isvc(min_replicas=3), _pdb({"minAvailable": "100%", "selector": _SELECTOR})]),
    Case("kubernetes-disruption-budget-allows-evictions", "maxUnavailable 0",
         [_isvc(min_replicas=3), _pdb({"maxUnavailable": 0, "selector": _SELECTOR})]),
    Case("kubernetes-disruption-budget-allows-evictions", "maxUnavailable 1 at one replica",
         [_isvc(min_replicas=1), _pdb({"maxUnavailable": 1, "selector": _SELECTOR})], refused=False),
    Case("kubernetes-disruption-budget-allows-evictions", "maxUnavailable 10% rounds up to one of two",
         [_isvc(min_replicas=2), _pdb({"maxUnavailable": "10%", "selector": _SELECTOR})], refused=False),
]
