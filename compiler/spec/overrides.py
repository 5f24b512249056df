"""`overrides:`: patches on the generated objects, for the fields the spec does not model (docs/overrides.md)."""

import math
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, model_validator
from pydantic.functional_validators import PlainValidator
from pydantic_core import PydanticCustomError

from .base import Name, SpecModel

#: How deep a patch value may nest: far past any Kubernetes object, short of Python's recursion limit.
MAX_DEPTH = 64


def _json_value(value: Any, depth: int = 0, where: str = "") -> Any:
    """`value` if it is JSON; the error names where inside the value the offending part is."""
    at = f" (at {where})" if where else ""
    if depth > MAX_DEPTH:
        raise PydanticCustomError("json_value", "a patch value nests deeper than {n} levels", {"n": MAX_DEPTH})
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("json_value", "a patch value must be JSON: .inf and .nan are not{at}",
                                      {"at": at})
        return value
    if isinstance(value, list):
        return [_json_value(item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise PydanticCustomError("json_value", "keys in a patch are strings, got {key!r}{at}; quote it",
                                          {"key": key, "at": at})
        return {key: _json_value(item, depth + 1, f"{where}.{key}" if where else key) for key, item in value.items()}
    raise PydanticCustomError("json_value", "a patch value must be JSON (string, number, true/false, null, list or "
                              "mapping), got {got}{at}; quote it", {"got": type(value).__name__, "at": at})


JsonValue = Annotated[Any, PlainValidator(_json_value), WithJsonSchema({})]


def _merge_document(value: Any) -> dict:
    if not isinstance(value, dict):
        raise PydanticCustomError("merge_patch", "a merge patch is a mapping merged onto the object (RFC 7386), "
                                  "e.g. {metadata: {annotations: {team: risk}}}", {})
    return _json_value(value)


MergeDocument = Annotated[dict, PlainValidator(_merge_document), WithJsonSchema({"type": "object"})]


def _pointer(value: Any) -> str:
    from ..json_patch import PointerError, parse_pointer

    if not isinstance(value, str):
        raise PydanticCustomError("json_pointer", "a JSON Pointer is a string such as /metadata/annotations", {})
    try:
        parse_pointer(value)
    except PointerError as error:
        raise PydanticCustomError("json_pointer", "{message}", {"message": str(error)}) from None
    return value


JsonPointer = Annotated[str, PlainValidator(_pointer),
                        WithJsonSchema({"type": "string", "pattern": "^(/([^~]|~[01])*)*$"})]

#: Which keys an operation needs besides `op` and `path` (RFC 6902 section 4).
NEEDS = {"add": ("value",), "replace": ("value",), "test": ("value",), "move": ("from",), "copy": ("from",),
         "remove": ()}


class PatchOperation(SpecModel):
    """One RFC 6902 operation."""

    op: Literal["add", "remove", "replace", "move", "copy", "test"] = Field(description="The operation (RFC 6902).")
    path: JsonPointer = Field(description="RFC 6901 pointer into the object (or the step's template); `~1` is "
                                          "`/` and `~0` is `~` in a key, `-` appends to an array.")
    from_: JsonPointer | None = Field(None, alias="from", description="Source pointer of move and copy.")
    value: JsonValue = Field(None, description="Value of add, replace and test (any JSON, null included).")

    @model_validator(mode="after")
    def _needed_keys(self) -> "PatchOperation":
        given = {"from" if name == "from_" else name for name in self.model_fields_set}
        missing = [key for key in NEEDS[self.op] if key not in given]
        extra = [key for key in ("value", "from") if key in given and key not in NEEDS[self.op]]
        if missing:
            raise ValueError(f"`{self.op}` needs `{missing[0]}`")
        if extra:
            raise ValueError(f"`{self.op}` takes no `{extra[0]}` (RFC 6902 section 4)")
        return self


def _kind(value: Any) -> str:
    import re

    if not isinstance(value, str) or not re.fullmatch(r"[A-Z][A-Za-z0-9]{0,62}", value):
        raise PydanticCustomError("kind", "a kind is a Kubernetes kind in CamelCase, e.g. InferenceService", {})
    return value


Kind = Annotated[str, PlainValidator(_kind), WithJsonSchema({"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"})]

#: The target keys that select by spec entity, and the section each names an entry of.
ENTITIES = {"endpoint": "serving", "pipeline": "pipelines", "node_pool": "node_pools", "monitor": "monitoring"}


class OverrideTarget(SpecModel):
    """Which generated objects a patch applies to: all that match every key given."""

    kind: Kind = Field(description="Kind of the generated objects, e.g. InferenceService.")
    api_version: str | None = Field(None, alias="apiVersion", min_length=1,
                                    description="Their apiVersion, when a kind exists in several groups.")
    name: str | None = Field(None, min_length=1, max_length=253,
                             description="Their generated metadata.name (see `mlops compile` output).")
    endpoint: Name | None = Field(None, description="Objects lowered from this `serving` entry.")
    pipeline: Name | None = Field(None, description="Objects lowered from this `pipelines` entry.")
    step: Name | None = Field(None, description="With `pipeline` and kind WorkflowTemplate: the patch applies to "
                                                "this step's template, pointers start there.")
    node_pool: Name | None = Field(None, description="Objects lowered from this `node_pools` entry.")
    monitor: Name | None = Field(None, description="Objects lowered from this `monitoring` entry.")

    @model_validator(mode="after")
    def _one_entity(self) -> "OverrideTarget":
        given = [key for key in ENTITIES if getattr(self, key) is not None]
        if len(given) > 1:
            raise ValueError(f"name one spec entity, not {' and '.join(given)}")
        if self.step is not None and (self.pipeline is None or self.kind != "WorkflowTemplate"):
            raise ValueError("`step` selects a step's template inside the pipeline's WorkflowTemplate: give "
                             "`pipeline` and kind: WorkflowTemplate with it")
        return self


class Override(SpecModel):
    """One patch on the generated objects: exactly one of `merge` or `json_patch`."""

    name: Name | None = Field(None, description="Names the override; an environment overlay's override of the "
                                                "same name replaces it (others are appended).")
    target: OverrideTarget = Field(description="Which generated objects it patches.")
    merge: MergeDocument | None = Field(None, description="JSON merge patch (RFC 7386): mappings merge, null "
                                                          "removes, anything else replaces.")
    json_patch: list[PatchOperation] | None = Field(None, min_length=1,
                                                    description="JSON Patch operations (RFC 6902), in order.")

    @model_validator(mode="after")
    def _one_form(self) -> "Override":
        if (self.merge is None) == (self.json_patch is None):
            raise ValueError("give exactly one of `merge` (a JSON merge patch) or `json_patch` (a list of "
                             "operations)")
        return self
