"""Changes that delete objects in the cluster, and those that must delete an object to change it.

A reviewer reads "2 to change" as harmless; these are not:
- an object no longer generated is deleted (an InferenceService: the endpoint stops answering; a
  Namespace: everything in it goes);
- an object generated under another name or namespace (a renamed endpoint, `metadata.namespace`
  changed) is a delete and a create: the old one is gone before the new one is ready;
- a field the API server refuses to update (IMMUTABLE_FIELDS) can only change by deleting and
  recreating the object (`kubectl apply` fails; Pulumi replaces it).
"""
from __future__ import annotations

from typing import NamedTuple

from .report import ResourceChange

#: (kind, field path) -> where the API says the field cannot change after creation.
IMMUTABLE_FIELDS: dict[tuple[str, tuple[str, ...]], str] = {
    ("LocalModelCache", ("spec", "sourceModelUri")):
        "the LocalModelCache CRD (kserve v0.20.0 config/crd/full/serving.kserve.io_localmodelcaches.yaml): "
        "x-kubernetes-validations `self == oldSelf`, \"StorageUri is immutable\"",
    ("RoleBinding", ("roleRef",)):
        "kubernetes pkg/apis/rbac/validation/validation.go ValidateRoleBindingUpdate: \"cannot change roleRef\"",
}

#: What deleting an object of this kind takes away, for the reviewer.
_IMPACT = {
    "InferenceService": "the endpoint stops serving",
    "Namespace": "every object in the namespace is deleted with it",
    "NodePool": "Karpenter drains and removes its nodes",
    "PrometheusRule": "its alerts stop",
}


class Destructive(NamedTuple):
    """One object the change deletes (and perhaps recreates)."""

    kind: str
    name: str            # namespace/name as the plan shows it
    reason: str          # why it is deleted, in words


def _shown(resource: ResourceChange) -> str:
    return f"{resource.namespace}/{resource.name}" if resource.namespace else resource.name


def destructive_changes(resources: list[ResourceChange]) -> list[Destructive]:
    """Every deletion the plan implies, in the order of `resources`. Linear in the number of changes."""
    # A successor: the same kind and name in another namespace, else the same kind from the same spec entry.
    by_name: dict[tuple[str, str], ResourceChange] = {}
    by_origin: dict[tuple[str, str], list[ResourceChange]] = {}
    for resource in resources:
        if resource.action == "added":
            by_name.setdefault((resource.kind, resource.name), resource)
            if resource.spec_path:
                by_origin.setdefault((resource.kind, resource.spec_path), []).append(resource)
    result = []
    for resource in resources:
        impact = _IMPACT.get(resource.kind)
        if resource.action == "removed":
            successor = by_name.get((resource.kind, resource.name))
            if successor is None and resource.spec_path:
                candidates = by_origin.get((resource.kind, resource.spec_path))
                successor = candidates[0] if candidates and len(candidates) == 1 else None
            if successor is not None:
                reason = (f"recreated as {_shown(successor)} (another name or namespace): the old one is deleted "
                          "and the new one starts from nothing")
            else:
                reason = "deleted"
            result.append(Destructive(resource.kind, _shown(resource), reason + (f"; {impact}" if impact else "")))
        elif resource.action == "changed":
            for change in resource.changes:
                fields = tuple(part for part in change.path if isinstance(part, str))
                for (kind, path), source in IMMUTABLE_FIELDS.items():
                    if kind == resource.kind and fields[:len(path)] == path:
                        result.append(Destructive(resource.kind, _shown(resource),
                                                  f"`{'.'.join(path)}` cannot be updated ({source}): the object is "
                                                  "deleted and recreated"))
                        break
                else:
                    continue
                break
    # What takes most away first: endpoints and namespaces, then the rest in plan order.
    return sorted(result, key=lambda item: item.kind not in _IMPACT)
