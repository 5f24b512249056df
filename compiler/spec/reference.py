"""docs/spec-reference.md, generated from the models so the reference cannot drift from the code."""
from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .introspection import _unwrap

# Section order as SPEC.md presents them.
_SECTIONS = ("metadata", "platform", "runtimes", "preprocessing", "features", "models", "node_pools",
             "pipelines", "serving", "monitoring", "environments", "lint")


def _type_text(annotation) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, __import__("types").UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(_type_text(m) for m in members)
    if origin is typing.Literal:
        return " \\| ".join(f"`{v}`" for v in typing.get_args(annotation))
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"mapping of name → {_type_text(value)}"
    if origin is list:
        return f"list of {_type_text(typing.get_args(annotation)[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if isinstance(annotation, type) and annotation in _units():
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default_text(info) -> str:
    if info.default is not PydanticUndefined and info.default is not None:
        default = info.default
        if isinstance(default, BaseModel):
            return ""
        if isinstance(default, bool):
            return f"`{str(default).lower()}`"
        return f"`{default}`"
    if info.is_required():
        return "**required**"
    return ""


def _models_in_order(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for info in model.model_fields.values():
            for inner in _nested_models(info.annotation):
                visit(inner)

    visit(root)
    return seen


def _nested_models(annotation) -> list[type[BaseModel]]:
    found = []
    for arg in (annotation, *typing.get_args(annotation)):
        base = _unwrap(arg)
        if isinstance(base, type) and issubclass(base, BaseModel):
            found.append(base)
        elif typing.get_origin(base) in (dict, list):
            found.extend(_nested_models(typing.get_args(base)[-1]))
    return found


def _units() -> tuple[type, ...]:
    from .units import Duration, Percent, Percentage, Quantity

    return (Quantity, Duration, Percentage, Percent)


def _unit_section() -> list[str]:
    """What each unit type reads: suffixes, examples and what a bare number means (from compiler/spec/units.py)."""
    lines = ["## Units", "", "Fields typed Quantity, Duration, Percentage or Percent read these forms.", ""]
    for unit in _units():
        lines += [f"### {unit.__name__}", "", *unit.reference(), ""]
    return lines


def render_reference() -> str:
    from .system import Spec

    lines = ["# mlops.yaml reference", "",
             "Generated from the spec models by `mlops schema --reference`; do not edit by hand. "
             "SPEC.md-level prose and the complete example are in `mlops.yaml.example`; the JSON Schema is "
             "`schemas/mlops.schema.json`.", ""]
    for model in _models_in_order(Spec):
        lines += [f"## {model.__name__}", ""]
        doc = (model.__doc__ or "").strip().splitlines()
        if doc and not doc[0].startswith("!!!") and model.__doc__ is not BaseModel.__doc__:
            lines += [doc[0], ""]
        lines += ["| key | type | default | description |", "|---|---|---|---|"]
        for name, info in model.model_fields.items():
            key = info.alias or name
            description = (info.description or "").replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_text(info.annotation)} | {_default_text(info)} | {description} |")
        lines.append("")
    lines += _unit_section()
    return "\n".join(lines)
