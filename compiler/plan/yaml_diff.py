"""Render field changes as a minimal YAML diff: only the changed keys, with their ancestors as context.

```diff
 spec:
   predictor:
-    minReplicas: 2
+    minReplicas: 3
```
Keyed list items appear as `- name: x` context lines, so a change inside one Argo task or one
container says which. The YAML is written here, not by ruamel: a diff needs a few hundred lines at
most, and a small emitter whose every rule is visible keeps the output identical across versions.
"""
from __future__ import annotations

import difflib
import json
from typing import Any

from ..yaml_emitter import scalar as emitted_scalar
from .object_diff import MISSING, FieldChange

def scalar(value: Any) -> str:
    """One scalar as YAML, quoted exactly as the manifests quote it (so a diff reads like the files)."""
    if not isinstance(value, (str, int, float, bool, type(None))):
        value = str(value)
    return emitted_scalar(value)


def _key(key: Any) -> str:
    return scalar(key) if isinstance(key, str) else json.dumps(str(key))


def entry_lines(label: str, value: Any, indent: int) -> list[str]:
    """`label` (`key:` or `-`) followed by `value`, block style, at `indent` spaces."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        body = mapping_lines(value, indent + 2)
        if label == "-":
            return [pad + "- " + body[0][indent + 2:]] + body[1:]
        return [pad + label] + body
    if isinstance(value, list) and value:
        body = []
        for item in value:
            body += entry_lines("-", item, indent + 2)
        return [pad + label] + body
    if isinstance(value, str) and "\n" in value and not value.endswith("\n\n"):
        indicator = "|" if value.endswith("\n") else "|-"
        return [f"{pad}{label} {indicator}"] + [(" " * (indent + 2) + line).rstrip() for line in value.splitlines()]
    if isinstance(value, dict):
        return [f"{pad}{label} {{}}"]
    if isinstance(value, list):
        return [f"{pad}{label} []"]
    return [f"{pad}{label} {scalar(value)}"]


def mapping_lines(mapping: dict, indent: int = 0) -> list[str]:
    lines: list[str] = []
    for key, value in mapping.items():
        lines += entry_lines(_key(key) + ":", value, indent)
    return lines


def to_yaml(obj: dict) -> str:
    """A whole object as block YAML, keys in the order the backend wrote them."""
    return "\n".join(mapping_lines(obj)) + "\n"


def _context_line(part: Any, indent: int) -> tuple[str, int]:
    """The context line an ancestor path part shows as, and the indent of its children."""
    pad = " " * indent
    if isinstance(part, tuple):        # keyed list item
        return f"{pad}- {_key(part[0])}: {scalar(part[1])}", indent + 2
    if isinstance(part, int):          # positional list item
        return f"{pad}-  # [{part}]", indent + 2
    return f"{pad}{_key(part)}:", indent + 2


def _leaf_lines(part: Any, value: Any, indent: int) -> list[str]:
    if isinstance(part, tuple) or isinstance(part, int):
        return entry_lines("-", value, indent)
    return entry_lines(_key(part) + ":", value, indent)


def diff_lines(changes: list[FieldChange]) -> list[str]:
    """Unified-diff-style lines (` `, `-`, `+` then YAML) for the changes of one object."""
    lines: list[str] = []
    shown: tuple = ()        # the ancestor path whose context lines are already out
    for change in changes:
        path = change.path
        if not path:
            continue
        common = 0
        while common < min(len(shown), len(path) - 1) and shown[common] == path[common]:
            common += 1
        indent = 0
        for part in path[:common]:
            _, indent = _context_line(part, indent)
        for part in path[common:-1]:
            line, indent = _context_line(part, indent)
            lines.append(" " + line)
        shown = path[:-1]
        if _both_multiline(change.old, change.new):
            lines += _text_diff(path[-1], change.old, change.new, indent)
            continue
        if change.old is not MISSING:
            lines += ["-" + line for line in _leaf_lines(path[-1], change.old, indent)]
        if change.new is not MISSING:
            lines += ["+" + line for line in _leaf_lines(path[-1], change.new, indent)]
    return lines


def _both_multiline(old: Any, new: Any) -> bool:
    return isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new)


#: Unchanged lines shown around each changed line of an embedded text (a config file, a query).
TEXT_CONTEXT_LINES = 2


def _text_diff(part: Any, old: str, new: str, indent: int) -> list[str]:
    """A changed multi-line string (an embedded JSON config, say): its changed lines, not all of it."""
    head, _ = _context_line(part, indent)
    pad = " " * (indent + 2)
    lines = [" " + head + " |"]
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=TEXT_CONTEXT_LINES)
    for line in list(diff)[2:]:  # drop the ---/+++ header
        if line.startswith("@@"):
            lines.append(" " + pad + "# ...")
        else:
            lines.append((line[0] + pad + line[1:]).rstrip())
    return lines


def whole_object_lines(obj: dict, sign: str) -> list[str]:
    """An added (`+`) or removed (`-`) object, every line marked."""
    return [sign + line for line in mapping_lines(obj)]
