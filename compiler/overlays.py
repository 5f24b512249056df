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
    """The base with `environments.<env>` merged onto it, and the matching source map.

    Linear in spec size + overlay size: the merge copies only the mappings the overlay reaches (the
    rest is shared with `data`, which nothing downstream mutates), and the source map is re-mapped in
    one pass at the end rather than scanned once per overridden field."""
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
    merged = dict(data)
    remap = _Remap()
    problems: list[Diagnostic] = []
    _merge(merged, overlay, (), prefix, source_map, remap, problems)
    if problems:
        raise SpecError(problems)
    return merged, remap.apply(source_map, prefix)


class _Remap:
    """What the merge does to the source map, applied in one pass (`SourceMap.drop`/`graft` scan the
    whole map, so calling them per overridden field made an overlay cost spec size x fields)."""

    def __init__(self) -> None:
        self.replaced: set[tuple] = set()     # paths whose base positions are forgotten (replaced or removed)
        self.grafted: set[tuple] = set()      # paths whose overlay positions (under the env) land on the base
        self.keys: dict[tuple, object] = {}
        self.values: dict[tuple, object] = {}
        #: Overlay items that land at another index of a merged list (`overrides`): absolute source path
        #: (all of one length) -> merged path; their positions, and those under them, move there.
        self.moved: dict[tuple, tuple] = {}

    def apply(self, original: SourceMap, prefix: tuple) -> SourceMap:
        merged = SourceMap(original.file)
        lengths = sorted({len(path) for path in self.replaced})
        for name in ("keys", "values"):
            kept = getattr(original, name)
            for n in lengths:  # one comprehension per prefix length (a handful), not a generator per entry
                kept = {path: position for path, position in kept.items() if path[:n] not in self.replaced}
            setattr(merged, name, dict(kept) if kept is getattr(original, name) else kept)
        merged.keys.update(self.keys)
        merged.values.update(self.values)
        if self.grafted:
            start, grafted = len(prefix), self.grafted
            for mine, theirs in ((merged.keys, original.keys), (merged.values, original.values)):
                under = {path[start:]: position for path, position in theirs.items()
                         if path[:start] == prefix and len(path) > start}
                for n in sorted({len(p) for p in grafted}):
                    mine.update((path, position) for path, position in under.items()
                                if len(path) > n and path[:n] in grafted)
        if self.moved:
            n = len(next(iter(self.moved)))
            for mine, theirs in ((merged.keys, original.keys), (merged.values, original.values)):
                for path, position in theirs.items():
                    target = self.moved.get(path[:n])
                    if target is not None:
                        mine[target + path[n:]] = position
        return merged


def _merge(base: dict, overlay: dict, path: tuple, prefix: tuple, original: SourceMap, remap: _Remap,
           problems: list[Diagnostic]) -> None:
    """Merge `overlay` into `base` in place; `base` is already a copy, its child mappings are not."""
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

            merge_overlay(base, value, prefix, original, remap)  # appended, not replaced: see there
        elif value is None:
            del base[key]
            remap.replaced.add(here)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            remap.keys[here] = written_at  # the overlay changed this mapping: errors about it point here
            base[key] = dict(base[key])   # copy on write: the base document's mapping stays as loaded
            _merge(base[key], value, here, prefix, original, remap, problems)
        else:
            base[key] = copy.deepcopy(value)
            remap.replaced.add(here)
            remap.keys[here] = written_at
            remap.values[here] = original.value(prefix + here)
            remap.grafted.add(here)
