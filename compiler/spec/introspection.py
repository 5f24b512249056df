"""Walk the spec models along a path: which keys are valid where (for "did you mean" and overlays)."""
from __future__ import annotations

import types
import typing
from functools import lru_cache
from typing import Any, Union

from pydantic import BaseModel


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional; of a union keep the model member (GpuRequest: float | MigRequest)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            annotation = models[0] if models else members[0]
        else:
            return annotation


@lru_cache(maxsize=None)
def _fields_by_key(model: type[BaseModel]) -> dict[str, Any]:
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


def keys_of(model: type[BaseModel]) -> list[str]:
    """The keys a user may write in this model's mapping."""
    return list(_fields_by_key(model))


def node_at(root: type[BaseModel], path: tuple) -> Any:
    """The (unwrapped) annotation describing the value at `path`: a model class, dict[..], list[..], or a scalar type."""
    current: Any = root
    for part in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = _fields_by_key(current)
            if part not in fields:
                return None
            current = fields[part]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
        else:
            return None
    return _unwrap(current)


def model_at(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    node = node_at(root, path)
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


def is_named_collection(root: type[BaseModel], path: tuple) -> bool:
    """True where the spec maps user-chosen names to entities (serving, node_pools, steps; not labels)."""
    node = node_at(root, path)
    if typing.get_origin(node) is not dict:
        return False
    value = _unwrap(typing.get_args(node)[1])
    return isinstance(value, type) and issubclass(value, BaseModel)
