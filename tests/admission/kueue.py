"""Kueue (kubernetes-sigs/kueue v0.19.2): ResourceFlavors, ClusterQueues, LocalQueues and queued pods.

The webhooks refuse malformed quotas (pkg/webhooks/clusterqueue_webhook.go); the cache marks a
ClusterQueue inactive when a flavor it names does not exist (pkg/cache/scheduler/clusterqueue.go
inactiveReason), a LocalQueue inactive without its ClusterQueue (pkg/controller/core/
localqueue_controller.go), a workload stuck without its LocalQueue (pkg/controller/core/
workload_controller.go getQueueBlocker); the flavor assigner admits a pod set only on a flavor whose
node labels its node selector matches (pkg/scheduler/flavorassigner/flavorassigner.go
checkFlavorForPodSets) and only when the ClusterQueue covers every resource it requests
(`resource %s unavailable in ClusterQueue`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from . import Case, Objects, compile_check, object_check

KUEUE = "kubernetes-sigs/kueue v0.19.2"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
API = "kueue.x-k8s.io/v1beta2"


def _quantity_negative(value) -> bool:
    return str(value).strip().startswith("-")


@object_check("kueue-clusterqueue-quotas", kinds=("ClusterQueue",),
              source=f"{KUEUE} pkg/webhooks/clusterqueue_webhook.go: validateResourceGroups")
def clusterqueue_quotas(obj: dict, objects: Objects) -> Iterator[str]:
    """Each flavor lists the covered resources in their order; no resource or flavor twice; no negative
    quota; a borrowing limit only with a cohort (validateFlavorQuotas, validateLimit)."""
    spec = obj.get("spec") or {}
    has_cohort = bool(spec.get("cohortName"))
    seen_resources, seen_flavors = set(), set()
    for i, group in enumerate(spec.get("resourceGroups") or []):
        covered = group.get("coveredResources") or []
        for name in covered:
            if name in seen_resources:
                yield f"resourceGroups[{i}]: resource {name} is covered twice"
            seen_resources.add(name)
        for j, flavor in enumerate(group.get("flavors") or []):
            if flavor.get("name") in seen_flavors:
                yield f"resourceGroups[{i}].flavors[{j}]: flavor {flavor.get('name')} listed twice"
            seen_flavors.add(flavor.get("name"))
            resources = flavor.get("resources") or []
            for k, quota in enumerate(resources[:len(covered)]):
                where = f"resourceGroups[{i}].flavors[{j}].resources[{k}]"
                if quota.get("name") != covered[k]:
                    yield f"{where}.name: {quota.get('name')} must match the name in coveredResources ({covered[k]})"
                if _quantity_negative(quota.get("nominalQuota", 0)):
                    yield f"{where}.nominalQuota is negative"
                if "borrowingLimit" in quota and not has_cohort:
                    yield f"{where}.borrowingLimit: must be nil when cohort is empty"
            if len(resources) != len(covered):
                # the CRD's CEL rule: "flavors must have the same number of resources as the coveredResources"
                yield f"resourceGroups[{i}].flavors[{j}]: {len(resources)} resources for {len(covered)} covered ones"


@compile_check("kueue-clusterqueue-flavors-exist",
               source=f"{KUEUE} pkg/cache/scheduler/clusterqueue.go: inactiveReason")
def flavors_exist(objects: Objects) -> Iterator[str]:
    """A ClusterQueue naming a missing ResourceFlavor is inactive: it admits nothing."""
    flavors = {(o.get("metadata") or {}).get("name") for o in objects.of_kind("ResourceFlavor")}
    for queue in objects.of_kind("ClusterQueue"):
        for group in (queue.get("spec") or {}).get("resourceGroups") or []:
            for flavor in group.get("flavors") or []:
                if flavor.get("name") not in flavors:
                    yield f"ClusterQueue {queue['metadata']['name']}: references missing ResourceFlavor {flavor.get('name')}"


@object_check("kueue-localqueue-clusterqueue-exists", kinds=("LocalQueue",),
              source=f"{KUEUE} pkg/controller/core/localqueue_controller.go: Reconcile")
def local_queue_target(obj: dict, objects: Objects) -> Iterator[str]:
    """A LocalQueue whose ClusterQueue does not exist is inactive (ClusterQueueDoesNotExist)."""
    target = (obj.get("spec") or {}).get("clusterQueue")
    if objects.get("ClusterQueue", target) is None:
        yield f"ClusterQueue {target} does not exist"


def _queued_pods(objects: Objects) -> Iterator[tuple[str, str, dict, dict]]:
    """(where, namespace, labels, pod template) of every Argo step template that names a queue."""
    for workflow in objects.of_kind("WorkflowTemplate", "Workflow", "CronWorkflow"):
        spec = workflow.get("spec") or {}
        spec = (spec.get("workflowSpec") or spec) if workflow["kind"] == "CronWorkflow" else spec
        for template in spec.get("templates") or []:
            labels = (template.get("metadata") or {}).get("labels") or {}
            if QUEUE_LABEL in labels:
                where = f"{workflow['kind']} {workflow['metadata']['name']} template {template.get('name')}"
                yield where, workflow["metadata"].get("namespace", ""), labels, template


@compile_check("kueue-pod-queue-exists", source=f"{KUEUE} pkg/controller/core/workload_controller.go: getQueueBlocker")
def pod_queue_exists(objects: Objects) -> Iterator[str]:
    """A queued pod's LocalQueue must exist in its namespace, or its workload never gets quota."""
    locals_ = {((o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name"))
               for o in objects.of_kind("LocalQueue")}
    for where, namespace, labels, _ in _queued_pods(objects):
        if (namespace, labels[QUEUE_LABEL]) not in locals_:
            yield f"{where}: LocalQueue {labels[QUEUE_LABEL]} doesn't exist in {namespace}"


def _cluster_queue_of(objects: Objects, namespace: str, local: str) -> dict | None:
    queue = objects.get("LocalQueue", local, namespace)
    if queue is None:
        return None
    return objects.get("ClusterQueue", (queue.get("spec") or {}).get("clusterQueue"))


@compile_check("kueue-pod-fits-a-flavor",
               source=f"{KUEUE} pkg/scheduler/flavorassigner/flavorassigner.go: checkFlavorForPodSets")
def pod_fits_a_flavor(objects: Objects) -> Iterator[str]:
    """A queued pod is admitted on a flavor whose node labels its node selector matches, and only when
    the ClusterQueue covers every resource it requests."""
    for where, namespace, labels, template in _queued_pods(objects):
        queue = _cluster_queue_of(objects, namespace, labels[QUEUE_LABEL])
        if queue is None:
            continue   # kueue-pod-queue-exists says so
        selector = template.get("nodeSelector") or {}
        requested = set(((template.get("container") or {}).get("resources") or {}).get("requests") or {}) | \
            set(((template.get("container") or {}).get("resources") or {}).get("limits") or {})
        fits = False
        for group in (queue.get("spec") or {}).get("resourceGroups") or []:
            for flavor in group.get("flavors") or []:
                definition = objects.get("ResourceFlavor", flavor.get("name")) or {}
                node_labels = (definition.get("spec") or {}).get("nodeLabels") or {}
                if all(selector.get(key) == value for key, value in node_labels.items() if key in selector):
                    fits = True
        if not fits:
            yield f"{where}: no flavor of ClusterQueue {queue['metadata']['name']} matches its node selector {selector}"
        covered = {r for g in (queue.get("spec") or {}).get("resourceGroups") or [] for r in g.get("coveredResources") or []}
        for resource in sorted(requested - covered):
            yield f"{where}: resource {resource} unavailable in ClusterQueue {queue['metadata']['name']}"


@object_check("kueue-flavor-labels-are-node-labels", kinds=("ResourceFlavor",),
              source="kubernetes-sigs/karpenter v1.14.1 pkg/controllers/provisioning/scheduling/scheduler.go: "
                     "NewScheduler")
def flavor_labels_on_nodes(obj: dict, objects: Objects) -> Iterator[str]:
    """A flavor's node labels must be labels the pool's NodePool puts on its nodes (its template labels),
    or the flavor counts quota for nodes that never exist (aws: NodePools are emitted)."""
    pools = objects.of_kind("NodePool")
    if not pools:
        return   # cloud generic: the nodes are labelled outside mlops
    node_labels = (obj.get("spec") or {}).get("nodeLabels") or {}
    if not any(all((((p.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels", {}).get(k) == v
                   for k, v in node_labels.items()) for p in pools):
        yield f"no NodePool labels its nodes {node_labels}"


_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")


@object_check("kueue-resourceflavor-node-labels", kinds=("ResourceFlavor",),
              source=f"{KUEUE} pkg/webhooks/resourceflavor_webhook.go: ValidateResourceFlavor")
def flavor_node_labels(obj: dict, objects: Objects) -> Iterator[str]:
    """nodeLabels are validated as Kubernetes labels (metav1validation.ValidateLabels)."""
    for key, value in ((obj.get("spec") or {}).get("nodeLabels") or {}).items():
        if not _LABEL_NAME.match(key.rsplit("/", 1)[-1]) or len(key) > 253:
            yield f"nodeLabels key {key!r} is not a label key"
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            yield f"nodeLabels value {value!r} of {key} is not a label value"


# --- fixtures -------------------------------------------------------------------------------------

def _flavor(name="gpu", labels=None) -> dict:
    return {"apiVersion": API, "kind": "ResourceFlavor", "metadata": {"name": name},
            "spec": {"nodeLabels": labels if labels is not None else {"mlops.dev/node-pool": "s-gpu"}}}


def _cq(name="team", cohort="c", flavor="gpu", resources=None, covered=("cpu", "memory", "nvidia.com/gpu")) -> dict:
    spec = {"resourceGroups": [{"coveredResources": list(covered), "flavors": [{"name": flavor, "resources": resources or [
        {"name": "cpu", "nominalQuota": "96"}, {"name": "memory", "nominalQuota": "1Ti"},
        {"name": "nvidia.com/gpu", "nominalQuota": 8, "borrowingLimit": 8}]}]}]}
    if cohort:
        spec["cohortName"] = cohort
    return {"apiVersion": API, "kind": "ClusterQueue", "metadata": {"name": name}, "spec": spec}


def _lq(name="team", target="team", namespace="ml") -> dict:
    return {"apiVersion": API, "kind": "LocalQueue", "metadata": {"name": name, "namespace": namespace},
            "spec": {"clusterQueue": target}}


def _workflow(queue="team", selector=None, requests=None) -> dict:
    template = {"name": "train", "metadata": {"labels": {QUEUE_LABEL: queue}},
                "nodeSelector": selector if selector is not None else {"mlops.dev/node-pool": "s-gpu"},
                "container": {"resources": {"requests": requests or {"cpu": "8", "memory": "64Gi"},
                                            "limits": {"nvidia.com/gpu": 8}}}}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
            "metadata": {"name": "wf", "namespace": "ml"}, "spec": {"templates": [template]}}


def _nodepool(labels) -> dict:
    return {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "s-gpu"},
            "spec": {"template": {"metadata": {"labels": labels}}}}


_GPU_ONLY = [{"name": "nvidia.com/gpu", "nominalQuota": 8}]
CASES = [
    Case("kueue-clusterqueue-quotas", "resources out of coveredResources' order", [_cq(resources=[
        {"name": "memory", "nominalQuota": "1Ti"}, {"name": "cpu", "nominalQuota": "96"},
        {"name": "nvidia.com/gpu", "nominalQuota": 8}])]),
    Case("kueue-clusterqueue-quotas", "a borrowing limit without a cohort", [_cq(cohort=None)]),
    Case("kueue-clusterqueue-quotas", "fewer resources than covered", [_cq(resources=_GPU_ONLY)]),
    Case("kueue-clusterqueue-quotas", "cpu, memory, GPUs in order, borrowing in a cohort", [_cq()], refused=False),
    Case("kueue-clusterqueue-flavors-exist", "a flavor nobody defines", [_cq(flavor="h100"), _flavor("gpu")]),
    Case("kueue-clusterqueue-flavors-exist", "its flavor is defined", [_cq(), _flavor()], refused=False),
    Case("kueue-localqueue-clusterqueue-exists", "a LocalQueue of a missing ClusterQueue", [_lq(target="other"), _cq()]),
    Case("kueue-localqueue-clusterqueue-exists", "its ClusterQueue exists", [_lq(), _cq()], refused=False),
    Case("kueue-pod-queue-exists", "a step queued in another namespace's LocalQueue",
         [_workflow(), _lq(namespace="other")]),
    Case("kueue-pod-queue-exists", "a step queued in its namespace's LocalQueue", [_workflow(), _lq()], refused=False),
    Case("kueue-pod-fits-a-flavor", "a step on a pool no flavor of its queue covers",
         [_workflow(selector={"mlops.dev/node-pool": "s-other"}), _lq(), _cq(), _flavor()]),
    Case("kueue-pod-fits-a-flavor", "a queue that does not cover cpu and memory",
         [_workflow(), _lq(), _cq(resources=_GPU_ONLY, covered=("nvidia.com/gpu",)), _flavor()]),
    Case("kueue-pod-fits-a-flavor", "a step on its queue's flavor", [_workflow(), _lq(), _cq(), _flavor()],
         refused=False),
    Case("kueue-flavor-labels-are-node-labels", "a flavor of a label no NodePool sets",
         [_flavor(), _nodepool({"mlops.dev/node-pool": "s-cpu"})]),
    Case("kueue-resourceflavor-node-labels", "a label value with a space", [_flavor(labels={"pool": "a b"})]),
    Case("kueue-resourceflavor-node-labels", "the pool label", [_flavor()], refused=False),
    Case("kueue-flavor-labels-are-node-labels", "the pool's NodePool labels its nodes so",
         [_flavor(), _nodepool({"mlops.dev/node-pool": "s-gpu"})], refused=False),
]
