"""What each lowered Kubernetes object becomes in a Pulumi program, as plain data.

Both Pulumi modes read this one plan, so they cannot drift apart: the runtime (`runtime.py`)
instantiates the classes it names, the emitted program (`emitted.py`) prints them. Nothing here
imports pulumi.

- Core kinds map to their typed `pulumi_kubernetes` class (`KINDS`); every object of a dotted,
  non-`k8s.io` API group is a custom resource (`k8s.apiextensions.CustomResource`).
- Logical names are `<kind>/<namespace>/<name>` (cluster-scoped: `<kind>/<name>`): unique, stable,
  unambiguous (Kubernetes names contain no `/`). `metadata.name` is always set explicitly, so
  Pulumi never auto-names: what lands in the cluster is what the manifests say.
- `depends_on`: a namespaced object depends on its Namespace, and a workload on the ConfigMaps,
  Secrets, ServiceAccounts, PVCs, Roles and WorkflowTemplates it names. Declarations are ordered so
  every dependency comes first (a stable sort: otherwise the lowering's order is kept).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from backends.kubernetes.labels import ENDPOINT_LABEL, MODEL, MODEL_VERSION, SPEC_PATH

CUSTOM_RESOURCE = ("apiextensions", "CustomResource")

#: (apiVersion, kind) -> (pulumi_kubernetes submodule, class). Add a row when lowering emits a new core kind.
KINDS: dict[tuple[str, str], tuple[str, str]] = {
    ("v1", "Namespace"): ("core.v1", "Namespace"),
    ("v1", "ConfigMap"): ("core.v1", "ConfigMap"),
    ("v1", "Secret"): ("core.v1", "Secret"),
    ("v1", "ServiceAccount"): ("core.v1", "ServiceAccount"),
    ("v1", "Service"): ("core.v1", "Service"),
    ("v1", "PersistentVolumeClaim"): ("core.v1", "PersistentVolumeClaim"),
    ("v1", "LimitRange"): ("core.v1", "LimitRange"),
    ("v1", "ResourceQuota"): ("core.v1", "ResourceQuota"),
    ("apps/v1", "Deployment"): ("apps.v1", "Deployment"),
    ("apps/v1", "StatefulSet"): ("apps.v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"): ("apps.v1", "DaemonSet"),
    ("batch/v1", "Job"): ("batch.v1", "Job"),
    ("batch/v1", "CronJob"): ("batch.v1", "CronJob"),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networking.v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"): ("networking.v1", "Ingress"),
    ("policy/v1", "PodDisruptionBudget"): ("policy.v1", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io/v1", "Role"): ("rbac.v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rbac.v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("rbac.v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("rbac.v1", "ClusterRoleBinding"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("autoscaling.v2", "HorizontalPodAutoscaler"),
    ("scheduling.k8s.io/v1", "PriorityClass"): ("scheduling.v1", "PriorityClass"),
    ("storage.k8s.io/v1", "StorageClass"): ("storage.v1", "StorageClass"),
}

#: Kinds a workload may name and must therefore exist first (the Namespace is handled apart).
#: (key holding the reference, key of the name inside it) -> referenced kind.
_REFERENCES: dict[tuple[str, str], str] = {
    ("configMap", "name"): "ConfigMap",
    ("configMapRef", "name"): "ConfigMap",
    ("configMapKeyRef", "name"): "ConfigMap",
    ("secret", "secretName"): "Secret",
    ("secretRef", "name"): "Secret",
    ("secretKeyRef", "name"): "Secret",
    ("persistentVolumeClaim", "claimName"): "PersistentVolumeClaim",
    ("workflowTemplateRef", "name"): "WorkflowTemplate",
    ("templateRef", "name"): "WorkflowTemplate",
}
_NAME_REFERENCES = {"serviceAccountName": "ServiceAccount", "priorityClassName": "PriorityClass",
                    "podPriorityClassName": "PriorityClass"}
#: Referenced kinds that are cluster-scoped: looked up without the referring object's namespace.
_CLUSTER_SCOPED = {"PriorityClass"}
_KIND_REFERENCES = ("roleRef", "nodeClassRef", "scaleTargetRef")  # carry their own `kind`

COMPONENT_LABEL = "app.kubernetes.io/component"
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


class UnsupportedObject(ValueError):
    """An object the Pulumi backends cannot declare faithfully (a lowering bug, not a user error)."""


@dataclass(frozen=True)
class Declaration:
    """One Pulumi resource: `<module>.<class_name>(logical_name, **args, opts=depends_on + provider)`."""

    logical_name: str
    api_version: str
    kind: str
    module: str                     # pulumi_kubernetes submodule, e.g. "apps.v1"
    class_name: str                 # e.g. "Deployment", "CustomResource"
    args: dict[str, Any]            # keyword arguments, in the manifest's key order
    depends_on: tuple[str, ...]     # logical names declared earlier
    section: str                    # what the emitted program groups it under (its manifest file)
    spec_path: str | None           # where in mlops.yaml the object came from
    name: str
    namespace: str | None

    @property
    def class_path(self) -> str:
        """How the emitted program spells the class: `k8s.apps.v1.Deployment`."""
        return f"k8s.{self.module}.{self.class_name}"


def is_custom_resource(api_version: str) -> bool:
    """A dotted API group that is not Kubernetes' own (`*.k8s.io`) is served by a CRD."""
    group = api_version.rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io")


def keyword(field: str) -> str:
    """A top-level manifest field as the typed class's Python argument: `roleRef` -> `role_ref`."""
    return _CAMEL.sub(r"_\1", field).lower()


def logical_name(obj: dict) -> str:
    meta = obj["metadata"]
    kind = obj["kind"].lower()
    namespace = meta.get("namespace")
    return f"{kind}/{namespace}/{meta['name']}" if namespace else f"{kind}/{meta['name']}"


def declaration(obj: dict, depends_on: tuple[str, ...] = (), section: str | None = None) -> Declaration:
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise UnsupportedObject(f"{api_version} {kind} has no metadata.name: Pulumi would invent one")
    rest = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
    if (api_version, kind) in KINDS:
        module, class_name = KINDS[(api_version, kind)]
        args = {keyword(key): value for key, value in rest.items()}
    elif is_custom_resource(api_version):
        module, class_name = CUSTOM_RESOURCE
        extra = sorted(set(rest) - {"metadata", "spec"})
        if extra:  # CustomResource takes metadata and spec only; anything else would be dropped silently
            raise UnsupportedObject(f"{api_version} {kind} {meta['name']}: top-level field(s) {', '.join(extra)} "
                                    "cannot be declared with k8s.apiextensions.CustomResource")
        args = {"api_version": api_version, "kind": kind, **rest}
    else:
        raise UnsupportedObject(f"no pulumi_kubernetes class is mapped for {api_version} {kind}: "
                                "add it to KINDS in backends/pulumi/resources.py")
    annotations = meta.get("annotations") or {}
    labels = meta.get("labels") or {}
    return Declaration(logical_name(obj), api_version, kind, module, class_name, args, depends_on,
                       section or labels.get(COMPONENT_LABEL, "other"), annotations.get(SPEC_PATH),
                       meta["name"], meta.get("namespace"))


def references(obj: dict) -> list[tuple[str, str]]:
    """(kind, name) of every object `obj` names in its body, in the order they appear."""
    found: list[tuple[str, str]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict):
                    if key in _KIND_REFERENCES and isinstance(item.get("kind"), str) and isinstance(item.get("name"), str):
                        found.append((item["kind"], item["name"]))
                    for (holder, name_key), kind in _REFERENCES.items():
                        if key == holder and isinstance(item.get(name_key), str):
                            found.append((kind, item[name_key]))
                elif key in _NAME_REFERENCES and isinstance(item, str):
                    found.append((_NAME_REFERENCES[key], item))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk({key: value for key, value in obj.items() if key not in ("apiVersion", "kind", "metadata")})
    return found


def plan(objects: list[dict]) -> list[Declaration]:
    """Every object as a declaration, dependencies first, otherwise in the lowering's order.

    Sections are the objects' components (`app.kubernetes.io/component`)."""
    return _plan([(obj, None) for obj in objects])


def plan_files(files: dict[str, list[dict]]) -> list[Declaration]:
    """`plan` of the objects of `{manifest path: objects}`, each declaration's section its path."""
    return _plan([(obj, path) for path, objects in files.items() for obj in objects])


def _plan(items: list[tuple[dict, str | None]]) -> list[Declaration]:
    by_name: dict[str, dict] = {}
    sections: dict[str, str | None] = {}
    index: dict[tuple[str, str | None, str], str] = {}   # (kind, namespace, name) -> logical name
    for obj, section in items:
        name = logical_name(obj)
        if name in by_name:
            raise UnsupportedObject(f"two objects would be the same Pulumi resource {name!r}")
        by_name[name] = obj
        sections[name] = section
        index[(obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])] = name

    dependencies: dict[str, tuple[str, ...]] = {}
    for name, obj in by_name.items():
        namespace = obj["metadata"].get("namespace")
        wanted = [index.get(("Namespace", None, namespace))] if namespace else []
        wanted += [index.get((kind, None if kind in _CLUSTER_SCOPED else namespace, ref))
                   for kind, ref in references(obj)]
        dependencies[name] = tuple(dict.fromkeys(d for d in wanted if d is not None and d != name))

    ordered: list[str] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(name: str) -> None:
        if name in placed:
            return
        if name in visiting:
            raise UnsupportedObject(f"objects depend on each other in a cycle through {name!r}")
        visiting.add(name)
        for dependency in dependencies[name]:
            place(dependency)
        visiting.discard(name)
        placed.add(name)
        ordered.append(name)

    for name in by_name:
        place(name)
    return [declaration(by_name[name], dependencies[name], sections[name]) for name in ordered]


def stack_outputs(objects: list[dict], env: str | None) -> dict[str, Any]:
    """What `pulumi stack output` shows: environment, namespace, endpoints, served model versions, pipelines."""
    namespace = next((o["metadata"]["name"] for o in objects if o.get("kind") == "Namespace"), None)
    endpoints: dict[str, str] = {}
    model_versions: dict[str, dict[str, str]] = {}
    pipelines: list[str] = []   # WorkflowTemplate names: what `argo submit --from` takes
    for obj in objects:
        meta = obj["metadata"]
        labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
        if obj.get("kind") == "InferenceService":
            endpoint = labels.get(ENDPOINT_LABEL, meta["name"])
            endpoints[endpoint] = meta["name"]
            if MODEL in annotations:
                model_versions[endpoint] = {"model": annotations[MODEL],
                                            "version": annotations.get(MODEL_VERSION, "unknown")}
        elif obj.get("kind") == "WorkflowTemplate":
            pipelines.append(meta["name"])
    return {"environment": env or "base", "namespace": namespace, "endpoints": endpoints,
            "model_versions": model_versions, "pipelines": pipelines}
