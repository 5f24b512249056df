"""Environment overlays: `--env NAME` deep-merges `environments.NAME` onto the base.

Mappings merge, lists replace, `null` removes; `overrides` lists compose (compiler/overrides.py). Positions of overlaid values point at the overlay's
lines, so an error in a value that came from `environments.prod` is reported there.
"""
from __future__ import annotations

import copy

from .diagnostics import Diagnostic, SpecError, UsageError
from .source_map import SourceMap
from .validation import dotted


def environment_names(data: dict) -> list[str]:
    environments = data.get("environments")
    return list(environments) if isinstance(environments, dict) else []


def merged_section(data: dict, env: str | None, section: str):
    """One top-level section with `environments.<env>` merged onto it, without positions or validation."""
    base = data.get(section)
    overlay = (data.get("environments") or {}).get(env) if env else None
    if not isinstance(overlay, dict) or section not in overlay:
        return base
    return _merged_values(base, overlay[section])


def _merged_values(base, overlay):
    if overlay is None:
        return None
    if not (isinstance(base, dict) and isinstance(overlay, dict)):
        return overlay
    merged = dict(base)
    for key, value in overlay.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merged_values(base.get(key), value)
    return merged


def apply_overlay(data: dict, source_map: SourceMap, env: str) -> tuple[dict, SourceMap]:
    """The base with `environments.<env>` merged onto it, and the matching source map."""
    names = environment_names(data)
    if env not in names:
        known = ", ".join(names) if names else "none are defined (add an `environments:` section)"
        raise UsageError(f"unknown environment {env!r}; environments in {source_map.file}: {known}")
    overlay = data["environments"][env]
    if overlay is None:
        return data, source_map
    prefix = ("environments", env)
    if not isinstance(overlay, dict):
        raise SpecError(Diagnostic(source_map.value(prefix), f"environments.{env} must be a mapping of overrides"))
    merged = copy.deepcopy(data)
    merged_map = source_map.copy()
    problems: list[Diagnostic] = []
    _merge(merged, overlay, (), prefix, source_map, merged_map, problems)
    if problems:
        raise SpecError(problems)
    return merged, merged_map


def _merge(base: dict, overlay: dict, path: tuple, prefix: tuple, original: SourceMap, merged_map: SourceMap,
           problems: list[Diagnostic]) -> None:
    from .spec import Spec
    from .spec.introspection import is_named_collection

    for key, value in overlay.items():
        here = path + (key,)
        written_at = original.key(prefix + here)
        if here == ("environments",) or here[:1] in (("apiVersion",), ("kind",)):
            problems.append(Diagnostic(written_at, f"an overlay cannot change {key!r}", prefix + here))
            continue
        if key not in base:
            if value is None:
                problems.append(Diagnostic(written_at, f"overlay removes {dotted(here)}, which the base does not "
                                           "define", prefix + here))
                continue
            if is_named_collection(Spec, path):
                known = ", ".join(base) or "none"
                problems.append(Diagnostic(
                    written_at, f"overlay key {key!r} matches nothing in {dotted(path)} of the base (defined: "
                    f"{known}); define it in the base and override it here", prefix + here))
                continue
            # A field the base leaves out is merged in; an unknown one is reported by validation, with
            # "did you mean", at the overlay's line.
        if here == ("overrides",) and isinstance(value, list) and isinstance(base.get(key, []), list):
            from .overrides import merge_overlay

            merge_overlay(base, value, prefix, original, merged_map)  # appended, not replaced: see there
        elif value is None:
            del base[key]
            merged_map.drop(here)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged_map.keys[here] = written_at  # the overlay changed this mapping: errors about it point here
            _merge(base[key], value, here, prefix, original, merged_map, problems)
        else:
            base[key] = copy.deepcopy(value)
            merged_map.drop(here)
            merged_map.keys[here] = written_at
            merged_map.values[here] = original.value(prefix + here)
            merged_map.graft(original, prefix + here, here)
