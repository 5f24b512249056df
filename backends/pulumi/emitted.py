"""The standalone Pulumi program `mlops compile` writes: short, readable Python that imports only
pulumi and pulumi_kubernetes (and the standard library) and declares the same objects as the
manifests, read at run time from `resources.json` beside it (`resource_data.py`: data parsed with
`json`, each entry's class looked up in the program's fixed table, the file's SHA-256 checked first).

Safety: the first two lines are fixed text and declare UTF-8. Python reads an encoding declaration
(PEP 263: `coding[:=]` in a comment on line 1 or 2) before the rest, and under `utf-7` a string
literal such as `'+ACc-...'` decodes into code; so nothing derived from the spec or its file name is
written there (`render_program` checks it). Values from the spec reach the generated code only as
Python literals (the environment name) and comments (the spec's file name); the objects themselves
are in resources.json, never in the code. The template prints nothing but the output of two filters, `py` (a literal built
from `repr` of plain data, which escapes every non-printable character) and `comment` (text made
safe for a `#` line); the environment's `finalize` rejects anything else, so a template edit that
pastes a raw value fails to render instead of emitting code. Autoescaping is off because the output
is Python, not HTML; undefined names are errors (StrictUndefined).

Nothing here imports pulumi: emitting a program needs only jinja2, imported when rendering.
"""
from __future__ import annotations

import math
import re
from keyword import iskeyword
from pathlib import Path

from typing import NamedTuple

from .resource_data import FILE_NAME, FORMAT, digest, resource_data
from .resources import plan_files, stack_outputs

TEMPLATE = "__main__.py.j2"
TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDTH = 100
INDENT = 4
_PLAIN_COMMENT = re.compile(r"[A-Za-z0-9_.,:;/()<>=+@ -]*")
#: What the emitted program needs; the same floor as the `pulumi` extra of mlops itself.
REQUIREMENTS = ("pulumi>=3.100,<4", "pulumi-kubernetes>=4.10,<5")
#: Added when the program declares GKE node pools (cloud gcp).
GCP_REQUIREMENT = "pulumi-gcp>=8,<11"


class Code(str):
    """Text that is already safe to place in Python source (the only thing the template may print)."""


def python_literal(value, indent: int = 0, width: int = WIDTH) -> str:
    """`value` (dicts, lists, str, int, float, bool, None) as a Python literal that evaluates to it.

    Scalars are rendered by the base types' own `repr` (never a subclass's), so any string,
    whatever quotes, backslashes, newlines or braces it holds, stays one string literal. Mappings and
    lists that do not fit on the line are broken one item per line with a trailing comma, indented
    from `indent`. Key order is the mapping's own; the output depends on nothing else.
    """
    return _literal(value, indent, 0, width)


def _literal(value, indent: int, prefix: int, width: int) -> str:
    # `prefix`: characters already on the first line after the indentation (a key, `name=`).
    inline = _inline(value)
    if indent + prefix + len(inline) + 1 <= width:
        return inline
    inner = " " * (indent + INDENT)
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        # A multi-line text (a config file in a ConfigMap) reads best one line per literal: Python
        # joins adjacent string literals, so the parenthesised group is still exactly `value`.
        pieces = [line + "\n" for line in value.split("\n")[:-1]] + [value.split("\n")[-1]]
        lines = [inner + _inline(piece) for piece in pieces if piece]
        return "(\n" + "\n".join(lines) + "\n" + " " * indent + ")"
    if not isinstance(value, (dict, list, tuple)) or not value:
        return inline
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            head = f"{_inline(key)}: "
            lines.append(inner + head + _literal(item, indent + INDENT, len(head), width) + ",")
    else:
        lines = [inner + _literal(item, indent + INDENT, 0, width) + "," for item in value]
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return opening + "\n" + "\n".join(lines) + "\n" + " " * indent + closing


def _inline(value) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)  # None, True, False: no subclasses exist
    if isinstance(value, int):
        return int.__repr__(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no Python literal")
        return float.__repr__(float(value))
    if isinstance(value, str):
        return str.__repr__(str(value))
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"mapping key {key!r} is not a string")
        return "{" + ", ".join(f"{_inline(key)}: {_inline(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    raise TypeError(f"{type(value).__name__} is not plain data and has no safe literal")


def py(value, indent: int = 0, prefix: int = 0) -> Code:
    """Jinja filter: a Python literal (see `python_literal`) starting `prefix` characters into a line."""
    return Code(_literal(value, indent, prefix, WIDTH))


def comment(value) -> Code:
    """Jinja filter: text for the rest of a `#` line; anything but plain punctuation is shown as a literal."""
    text = str(value)
    return Code(text if _PLAIN_COMMENT.fullmatch(text) else python_literal(text))


def heading(section) -> Code:
    """Jinja filter: a rule line opening a section of the program."""
    text = comment(section)
    return Code(f"# --- {text} " + "-" * max(3, WIDTH - 7 - len(text)))


def identifier(value) -> Code:
    """Jinja filter: a keyword argument or dotted class path built by `resources.py`, checked to be only that."""
    text = str(value)
    if not all(part.isidentifier() and not iskeyword(part) for part in text.split(".")):
        raise ValueError(f"{text!r} is not a Python identifier")
    return Code(text)


def _finalize(value):
    if not isinstance(value, Code):
        raise TypeError(f"template printed {value!r} without the `py` or `comment` filter")
    return value


def _environment():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,  # Python source, not HTML; safety comes from the filters and `_finalize`
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["py"] = py
    environment.filters["comment"] = comment
    environment.filters["heading"] = heading
    environment.filters["identifier"] = identifier
    return environment


PULUMI = "pulumi"


def emit(checked, lock, staging: Path, files: dict | None = None) -> list[str]:
    """The compile emitter: write `staging/pulumi/` (Pulumi.yaml, requirements.txt, __main__.py, resources.json).

    `files` is what the Kubernetes backend lowered (compile passes it, so nothing is lowered twice)."""
    from backends.kubernetes import MANIFESTS, lower_files

    if files is None:
        files = lower_files(checked, lock)
    files = {path: objects for path, objects in files.items() if path.startswith(MANIFESTS + "/")}
    spec_file = Path(checked.path).name
    from backends.kubernetes import context_for

    from .gke_node_pools import gke_node_pools

    gke = gke_node_pools(context_for(checked, lock))
    program = render_program(files, env=checked.env, spec_file=spec_file,
                             outputs=stack_outputs([o for objects in files.values() for o in objects], checked.env),
                             gke_node_pools=gke)
    folder = staging / PULUMI
    folder.mkdir(parents=True, exist_ok=True)
    system = checked.spec.metadata.name
    environment = checked.env or "base"
    (folder / "Pulumi.yaml").write_text(pulumi_yaml(
        system, f"{system} ({environment}), compiled by mlops from {spec_file}: the objects of ../manifests/"),
        encoding="utf-8")
    requirements = REQUIREMENTS + ((GCP_REQUIREMENT,) if gke else ())
    (folder / "requirements.txt").write_text(requirements_txt(requirements), encoding="utf-8")
    (folder / FILE_NAME).write_text(program.resources, encoding="ascii")
    (folder / "__main__.py").write_text(program.main, encoding="utf-8")
    return [PULUMI]


#: The first two lines of every emitted program: Python reads the source encoding from them.
HEADER = ("# -*- coding: utf-8 -*-\n"
          "# Generated by `mlops compile`. Do not edit: change the spec and compile again.\n")


class Program(NamedTuple):
    main: str        # __main__.py
    resources: str   # resources.json


def render_program(files: dict[str, list[dict]], *, env: str | None, spec_file: str, outputs: dict,
                   gke_node_pools: list = ()) -> Program:
    """The program declaring the objects of `{manifest path: objects}` (the lowering's output), and its data;
    with the GKE node pools of a `cloud: gcp` spec (backends/pulumi/gke_node_pools.py)."""
    declarations = plan_files(files)
    resources = resource_data(declarations, env, outputs, gke_node_pools)
    classes = sorted({(f"{item.module}.{item.class_name}", item.class_path) for item in declarations})
    template = _environment().get_template(TEMPLATE)
    program = template.render(
        environment=env,
        spec_file=spec_file,
        count=len(declarations),
        format=FORMAT,
        sha256=digest(resources),
        classes=classes,
        gke_node_pools=bool(gke_node_pools),
    )
    if not program.startswith(HEADER):  # a template edit that moves spec text onto lines 1-2 fails here
        raise ValueError("the emitted program must open with the fixed encoding header")
    return Program(program, resources)


def pulumi_yaml(project: str, description: str) -> str:
    """Pulumi.yaml; strings double-quoted by the manifests' emitter (not JSON: YAML reads JSON's
    surrogate-pair escape of an emoji in a file name as two broken characters)."""
    from compiler.yaml_emitter import quoted

    return (f"name: {quoted(project)}\n"
            f"description: {quoted(description)}\n"
            "runtime: python\n")


def requirements_txt(lines: tuple[str, ...]) -> str:
    return "".join(line + "\n" for line in lines)
