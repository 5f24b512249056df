"""The escape hatch: `overrides:` patches the generated objects after lowering (docs/overrides.md).

    merge_overlay(...)            how `environments.<env>.overrides` composes with the base list
    check_overrides(spec, map)    spec-only checks at validation: references, the objects' identity
    apply_overrides(checked, files) -> (files)   the patched objects, or SpecError at the override's position

Composition with overlays: an overlay's `overrides` list is appended to the base's; an overlay item
whose `name` a base item has replaces that item in place; `overrides: null` drops the base's list.
Every other list in an overlay replaces the base's, but a list of patches that replaced would make
every environment repeat the base's patches to add one of its own.

Applied in list order, each to every object it matches (manifests and rollback files alike, so a
rollback keeps the patch), between lowering and every emitter: `backends.kubernetes.lower_files`
is the one function every backend and the plan lower through. A patched object carries the
annotation `mlops.dev/overrides` listing the spec paths of the overrides that changed it.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostic, SpecError
from .source_map import SourceMap
from .validation import dotted

if TYPE_CHECKING:
    from .checked_spec import CheckedSpec
    from .spec import Spec
    from .spec.overrides import Override, OverrideTarget

SECTION = "overrides"
APPLIED_ANNOTATION = "mlops.dev/overrides"
SPEC_PATH_ANNOTATION = "mlops.dev/spec-path"  # backends/kubernetes/labels.py SPEC_PATH (not imported: lint path)

#: Where each identity field lives: what no override may change (see docs/overrides.md, "Identity").
IDENTITY = (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"))
#: In a step's template, `name` is what the pipeline's DAG tasks call it by.
STEP_IDENTITY = (("name",),)


# --- composition with environment overlays -----------------------------------------------------

def merged_items(base: Any, overlay: list) -> list[tuple[Any, tuple]]:
    """(item, the spec path it was written at) for the base list with `overlay` composed onto it."""
    items = [(item, (SECTION, i)) for i, item in enumerate(base)] if isinstance(base, list) else []
    by_name = {item.get("name"): i for i, (item, _) in enumerate(items)
               if isinstance(item, dict) and isinstance(item.get("name"), str)}
    for j, item in enumerate(overlay):
        name = item.get("name") if isinstance(item, dict) else None
        written = ("overlay", j)
        if isinstance(name, str) and name in by_name:
            items[by_name[name]] = (item, written)
        else:
            items.append((item, written))
    return items


def merge_overlay(base: dict, overlay_list: list, prefix: tuple, original: SourceMap, remap) -> None:
    """`base[overrides]` composed with an overlay's list (prefix: `('environments', env)`), positions included
    (`remap` is compiler/overlays.py's record of what the merge does to the source map, applied in one pass)."""
    items = merged_items(base.get(SECTION), overlay_list)
    remap.keys[(SECTION,)] = original.key(prefix + (SECTION,))
    for index, (item, written) in enumerate(items):
        if written[0] != "overlay":
            continue
        remap.replaced.add((SECTION, index))
        remap.moved[prefix + (SECTION, written[1])] = (SECTION, index)
    base[SECTION] = [copy.deepcopy(item) for item, _ in items]


def origins(checked: "CheckedSpec") -> list[str]:
    """The spec path each override of `checked` was written at: `overrides[0]`, `environments.prod.overrides[1]`."""
    data = checked.document.data
    base = data.get(SECTION)
    overlay = ((data.get("environments") or {}).get(checked.env) or {}) if checked.env else {}
    if not isinstance(overlay, dict) or SECTION not in overlay:
        items = [(item, (SECTION, i)) for i, item in enumerate(base or [])]
    elif overlay[SECTION] is None:
        items = []
    else:
        items = merged_items(base, overlay[SECTION])
    return [dotted(("environments", checked.env, SECTION, written[1]) if written[0] == "overlay" else written)
            for _, written in items]


# --- spec-only checks --------------------------------------------------------------------------

def _protected(tokens: list[str], identity: tuple) -> tuple | None:
    """The identity field that writing at `tokens` would change (a parent counts: it replaces the child)."""
    for field in identity:
        if tuple(tokens) == field[:len(tokens)]:
            return field
    return None


def _merge_identity(patch: dict, identity: tuple) -> tuple | None:
    for field in identity:
        current: Any = patch
        for depth, key in enumerate(field):
            if not isinstance(current, dict) or key not in current:
                break
            if current[key] is None or depth == len(field) - 1:
                return field[:depth + 1] if current[key] is None else field
            current = current[key]
    return None


def _identity_message(field: tuple, step: bool) -> str:
    if step:
        return ("is the name the pipeline's DAG runs the step's template by; an override cannot change it "
                "(rename the step in the spec)")
    shown = ".".join(field)
    return (f"would change {shown}, part of the object's identity (apiVersion, kind, metadata.name, "
            "metadata.namespace); an override cannot: mlops checks names, namespaces and references on what it "
            "generates, and a patch that moved an object would escape those checks. Set metadata.namespace or "
            "rename the spec entry instead")


def _reference_problems(spec: "Spec", target: "OverrideTarget", path: tuple, source_map: SourceMap) -> list:
    from .spec.overrides import ENTITIES

    problems = []
    for key, section in ENTITIES.items():
        name = getattr(target, key)
        entries = getattr(spec, section)
        if name is not None and name not in entries:
            known = ", ".join(sorted(entries)) or "none"
            problems.append(Diagnostic(source_map.value(path + (key,)), f"{dotted(path + (key,))}: {name!r} is "
                                       f"not an entry of `{section}` (defined: {known})", path + (key,)))
    if target.step is not None and target.pipeline in spec.pipelines:
        steps = spec.pipelines[target.pipeline].steps
        if target.step not in steps:
            problems.append(Diagnostic(source_map.value(path + ("step",)), f"{dotted(path + ('step',))}: "
                                       f"{target.step!r} is not a step of pipeline {target.pipeline!r} "
                                       f"(steps: {', '.join(steps)})", path + ("step",)))
    return problems


STRING_MAPS = ("labels", "annotations")


def _string_map_problem(tokens: tuple, value: Any) -> str | None:
    """Why `value` written at `tokens` is not what a labels/annotations map holds (map[string]string), or None."""
    def wrong(item: Any) -> bool:
        return item is not None and not isinstance(item, str)

    if len(tokens) >= 2 and tokens[-2] in STRING_MAPS and wrong(value):
        return f"{tokens[-2]} values are strings; YAML read {value!r} as a {type(value).__name__}: quote it"
    if tokens and tokens[-1] in STRING_MAPS and value is not None:
        if not isinstance(value, dict):
            return f"{tokens[-1]} is a mapping of strings, got {type(value).__name__}"
        bad = next((key for key, item in value.items() if wrong(item)), None)
        if bad is not None:
            return f"{tokens[-1]} values are strings; YAML read {bad}: {value[bad]!r} as a " \
                   f"{type(value[bad]).__name__}: quote it"
    return None


def _merge_writes(value: Any, tokens: tuple):
    """(tokens, value) of every key a merge patch writes, parents first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield tokens + (key,), item
            yield from _merge_writes(item, tokens + (key,))


def _string_map_problems(override: "Override", here: tuple, source_map: SourceMap) -> list[Diagnostic]:
    """Labels and annotations the API server would refuse: Kubernetes holds them as map[string]string."""
    from .json_patch import parse_pointer

    problems = []
    if override.merge is not None:
        for tokens, value in _merge_writes(override.merge, ()):
            if tokens[-1] in STRING_MAPS and isinstance(value, dict):
                continue  # its items are checked one by one, each at its own position
            problem = _string_map_problem(tokens, value)
            if problem is not None:
                at = here + ("merge",) + tokens
                problems.append(Diagnostic(source_map.value(at), f"{dotted(at)}: {problem}", at))
    for j, operation in enumerate(override.json_patch or ()):
        if operation.op in ("add", "replace"):
            problem = _string_map_problem(tuple(parse_pointer(operation.path)), operation.value)
            if problem is not None:
                at = here + ("json_patch", j, "value")
                problems.append(Diagnostic(source_map.value(at), f"{dotted(at)}: {problem}", at))
    return problems


def check_overrides(spec: "Spec", source_map: SourceMap) -> None:
    """SpecError for overrides that name what the spec does not define or that would change an object's identity."""
    from .json_patch import parse_pointer

    problems: list[Diagnostic] = []
    names: dict[str, int] = {}
    for i, override in enumerate(spec.overrides):
        here = (SECTION, i)
        if override.name is not None:
            if override.name in names:
                problems.append(Diagnostic(source_map.value(here + ("name",)), f"{dotted(here)}: another override "
                                           f"is named {override.name!r} ({dotted((SECTION, names[override.name]))})"
                                           "; names are unique, an overlay replaces an override by its name",
                                           here + ("name",)))
            names.setdefault(override.name, i)
        problems += _reference_problems(spec, override.target, here + ("target",), source_map)
        problems += _string_map_problems(override, here, source_map)
        step = override.target.step is not None
        identity = STEP_IDENTITY if step else IDENTITY
        if override.merge is not None:
            field = _merge_identity(override.merge, identity)
            if field is not None:
                at = here + ("merge",) + field
                problems.append(Diagnostic(source_map.key(at), f"{dotted(at)}: {_identity_message(field, step)}", at))
        for j, operation in enumerate(override.json_patch or ()):
            written = [("path", operation.path)]
            if operation.op == "move":
                written.append(("from", operation.from_))
            if operation.op == "test":
                continue
            for key, pointer in written:
                field = _protected(parse_pointer(pointer or ""), identity)
                if field is not None:
                    at = here + ("json_patch", j, key)
                    shown = pointer or '""'
                    problems.append(Diagnostic(source_map.value(at), f"{dotted(at)}: {operation.op} {shown} "
                                               f"{_identity_message(field, step)}", at))
    if problems:
        raise SpecError(problems)


# --- applying ----------------------------------------------------------------------------------

def _spec_path(obj: dict) -> str:
    return str(((obj.get("metadata") or {}).get("annotations") or {}).get(SPEC_PATH_ANNOTATION, ""))


def _under(spec_path: str, prefix: str) -> bool:
    return spec_path == prefix or spec_path.startswith(prefix + ".")


def entity_prefix(target: "OverrideTarget") -> str | None:
    """The spec path the target's entity key names (`serving.fraud-api`), or None when it names none."""
    from .spec.overrides import ENTITIES

    for key, section in ENTITIES.items():
        name = getattr(target, key)
        if name is not None:
            return f"{section}.{name}"
    return None


def roots(target: "OverrideTarget", obj: dict) -> list[tuple[str, ...]] | None:
    """Where in `obj` the patch applies ([()]: the object itself), or None when `obj` is not a target."""
    meta = obj.get("metadata") or {}
    if obj.get("kind") != target.kind:
        return None
    if target.api_version is not None and obj.get("apiVersion") != target.api_version:
        return None
    if target.name is not None and meta.get("name") != target.name:
        return None
    prefix = entity_prefix(target)
    if prefix is not None and not _under(_spec_path(obj), prefix):
        return None
    if target.step is None:
        return [()]
    step_path = f"{prefix}.steps.{target.step}"
    templates = (obj.get("spec") or {}).get("templates") or []
    found = [("spec", "templates", str(k)) for k, template in enumerate(templates)
             if isinstance(template, dict) and _spec_path(template) == step_path]
    return found or None


def _at(document: Any, tokens: tuple) -> Any:
    for token in tokens:
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


def _put(document: Any, tokens: tuple, value: Any) -> Any:
    if not tokens:
        return value
    parent = _at(document, tokens[:-1])
    parent[int(tokens[-1]) if isinstance(parent, list) else tokens[-1]] = value
    return document


def _identity(obj: Any) -> tuple:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    return (obj.get("apiVersion") if isinstance(obj, dict) else None, obj.get("kind") if isinstance(obj, dict) else None,
            meta.get("name"), meta.get("namespace"))


def _describe(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')} {meta.get('name')!r}"


def _patched(override: "Override", obj: dict, where: list[tuple], here: tuple, source_map: SourceMap
             ) -> tuple[dict | None, Diagnostic | None]:
    from .json_patch import Operation, PatchError, apply_patch, merge_patch

    result = copy.deepcopy(obj)
    for root in where:
        document = _at(result, root)
        if override.merge is not None:
            document = merge_patch(document, override.merge)
        else:
            operations = [Operation(o.op, o.path, o.value, o.from_) for o in override.json_patch or ()]
            try:
                document = apply_patch(document, operations)
            except PatchError as error:
                at = here + ("json_patch", error.index, error.field)
                scope = f" (in the template of step {override.target.step!r})" if root else ""
                return None, Diagnostic(source_map.value(at), f"{dotted(here + ('json_patch', error.index))}: "
                                        f"{_describe(obj)}{scope}: {error.message}", at)
        result = _put(result, root, document)
    if not isinstance(result, dict) or not isinstance(result.get("metadata"), dict) or _identity(result) != _identity(obj):
        return None, Diagnostic(source_map.key(here), f"{dotted(here)}: the patch changes the identity of "
                                f"{_describe(obj)} (apiVersion, kind, metadata.name, metadata.namespace); an override "
                                "cannot", here)
    return result, None


def _unmatched(override: "Override", here: tuple, files: dict[str, list[dict]], source_map: SourceMap) -> Diagnostic:
    target = override.target
    same_kind = [o for objects in files.values() for o in objects if o.get("kind") == target.kind]
    if same_kind:
        shown = sorted({f"{(o.get('metadata') or {}).get('name')} ({o.get('apiVersion')}, from "
                        f"{_spec_path(o) or 'no spec path'})" for o in same_kind})
        more = f", and {len(shown) - 8} more" if len(shown) > 8 else ""
        generated = f"the {target.kind} objects generated are: {', '.join(shown[:8])}{more}"
    else:
        kinds = sorted({str(o.get("kind")) for objects in files.values() for o in objects})
        generated = f"no {target.kind} is generated; kinds generated: {', '.join(kinds)}"
    if target.step is not None:
        generated += f"; a step target matches the WorkflowTemplate of pipeline {target.pipeline!r}"
    return Diagnostic(source_map.key(here + ("target",)), f"{dotted(here + ('target',))} matches no generated "
                      f"object: {generated}", here + ("target",))


def apply_overrides(checked: "CheckedSpec", files: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """`files` (output path -> objects) with every override applied; SpecError at the override that cannot apply.

    The patched objects keep the keys in the order the patch left them: the caller puts them in
    canonical order (backends/kubernetes/order.py)."""
    overrides = checked.spec.overrides
    if not overrides:
        return files
    written_at = origins(checked)
    source_map = checked.source_map
    result = {path: list(objects) for path, objects in files.items()}
    # Objects by kind and by (kind, entity): each override looks only at the objects it could match,
    # so applying stays linear in the spec's size.
    by_kind: dict[str, list[tuple[str, int]]] = {}
    by_entity: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for path, objects in result.items():
        for k, obj in enumerate(objects):
            kind = str(obj.get("kind"))
            by_kind.setdefault(kind, []).append((path, k))
            entity = ".".join(_spec_path(obj).split(".")[:2])
            by_entity.setdefault((kind, entity), []).append((path, k))
    applied: dict[tuple[str, int], list[str]] = {}
    problems: list[Diagnostic] = []
    for i, override in enumerate(overrides):
        here = (SECTION, i)
        prefix = entity_prefix(override.target)
        candidates = by_kind.get(override.target.kind, []) if prefix is None else \
            by_entity.get((override.target.kind, prefix), [])
        matched = 0
        for path, k in candidates:
            obj = result[path][k]
            where = roots(override.target, obj)
            if where is None:
                continue
            matched += 1
            patched, problem = _patched(override, obj, where, here, source_map)
            if problem is not None:
                problems.append(problem)
                continue
            result[path][k] = patched
            applied.setdefault((path, k), []).append(written_at[i])
        if not matched:
            problems.append(_unmatched(override, here, result, source_map))
    if problems:
        raise SpecError(list(dict.fromkeys(problems)))  # a rollback copy fails as its live object does: once
    for (path, k), paths in applied.items():
        obj = result[path][k]
        annotations = obj["metadata"].get("annotations")
        annotations = dict(annotations) if isinstance(annotations, dict) else {}
        annotations[APPLIED_ANNOTATION] = ", ".join(dict.fromkeys(paths))
        obj["metadata"]["annotations"] = dict(sorted(annotations.items()))
    return result


def applied_overrides(obj: dict | None) -> list[str]:
    """The spec paths of the overrides that patched `obj` (its `mlops.dev/overrides` annotation)."""
    text = ((obj or {}).get("metadata") or {}).get("annotations", {}).get(APPLIED_ANNOTATION) if obj else None
    return [part.strip() for part in str(text).split(",") if part.strip()] if text else []
