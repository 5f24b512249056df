"""`resources.json`, the data the emitted Pulumi program declares: one entry per object, as JSON.

The program (`__main__.py`) is short code that reads this file with `json` (data, never code) and
declares each entry with the class it names from a fixed table. Objects as data instead of Python
literals keep the program's cost linear and small: Python parses 30 MB of literals in seconds and
a gigabyte of memory, JSON in a fraction of that.

Layout, for review in a pull request: keys in the manifests' order, one key per line, and a mapping
or list of scalars on one line when it fits in WIDTH columns (labels, a command line), so a change
shows as the lines that changed. Every character outside printable ASCII is a `\\u` escape (no
bidi or invisible character reaches a reviewer's screen), NaN and infinities are refused, mapping
keys must be strings (JSON would silently turn `1` into `"1"`). Each subtree is encoded once, by the
C encoder at the leaves: linear in the size of the objects.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from .resources import Declaration

WIDTH = 100
INDENT = " "
#: The version of this layout; the program refuses a file of another.
FORMAT = 1
FILE_NAME = "resources.json"

_compact = json.JSONEncoder(ensure_ascii=True, allow_nan=False, check_circular=False,
                            separators=(", ", ": ")).encode
_SCALARS = (str, int, float, bool, type(None))


def resource_data(declarations: list[Declaration], env: str | None, outputs: dict, gke_node_pools=()) -> str:
    """The text of `resources.json` for `declarations` (dependencies first, as `resources.plan` orders them),
    and the GKE node pools of a `cloud: gcp` spec (backends/pulumi/gke_node_pools.py), declared apart: they are
    cloud resources, not objects of the cluster's provider."""
    document = {
        "format": FORMAT,
        "environment": env,
        "outputs": outputs,
        "resources": [{"name": item.logical_name, "class": f"{item.module}.{item.class_name}",
                       "manifest": item.section, "spec_path": item.spec_path,
                       "depends_on": list(item.depends_on), "args": item.args}
                      for item in declarations],
    }
    if gke_node_pools:
        document["gke_node_pools"] = [{"name": pool.logical_name, "spec_path": pool.spec_path, "args": pool.args}
                                      for pool in gke_node_pools]
    lines: list[str] = []
    _lines(document, 0, "", lines)
    return "\n".join(lines) + "\n"


def digest(text: str) -> str:
    """What the program checks the file against before reading it: a program runs only the data it was compiled with."""
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _check_keys(mapping: dict) -> None:
    for key in mapping:
        if not isinstance(key, str):
            raise TypeError(f"mapping key {key!r} is not a string")


def _lines(value: Any, depth: int, head: str, out: list[str]) -> None:
    """`value` at `depth`, its first line starting with `head` (indentation and key), appended to `out`."""
    if isinstance(value, dict):
        _check_keys(value)
        items = value.items()
        opening, closing = "{", "}"
    elif isinstance(value, (list, tuple)):
        items = None
        opening, closing = "[", "]"
    elif isinstance(value, _SCALARS):
        out.append(head + _compact(value))
        return
    else:
        raise TypeError(f"{type(value).__name__} is not plain data")
    if not value:
        out.append(head + opening + closing)
        return
    children = value.values() if items is not None else value
    if not any(isinstance(child, (dict, list, tuple)) for child in children):
        text = _compact(value)
        if len(head) + len(text) <= WIDTH:
            out.append(head + text)
            return
    out.append(head + opening)
    pad = INDENT * (depth + 1)
    last = len(value) - 1
    if items is not None:
        for index, (key, child) in enumerate(items):
            _lines(child, depth + 1, pad + _compact(key) + ": ", out)
            if index < last:
                out[-1] += ","
    else:
        for index, child in enumerate(value):
            _lines(child, depth + 1, pad, out)
            if index < last:
                out[-1] += ","
    out.append(INDENT * depth + closing)
