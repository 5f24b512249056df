"""Validate plain spec data with the pydantic models, mapping every error back to file:line:col."""
from __future__ import annotations

import difflib
import re
from typing import Any

from .diagnostics import Diagnostic, SpecError
from .source_map import SourceMap

_TYPE_WORDS = {
    "model_type": "a mapping", "dict_type": "a mapping", "model_attributes_type": "a mapping",
    "list_type": "a list", "string_type": "a string", "int_type": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "bool_type": "true or false", "literal_error": None,
}


def dotted(path: tuple) -> str:
    """A spec path as users write it in `lint.ignore.at`: serving.fraud-api.replicas, business[0]."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def validate_data(data: dict, source_map: SourceMap, text: str | None = None):
    """Build the Spec model or raise SpecError listing every problem at its position.

    `text` is the document's source: a number where a string belongs is quoted as the user wrote it."""
    from pydantic import ValidationError

    from .spec import Spec

    try:
        return Spec.model_validate(data)
    except ValidationError as error:
        raise SpecError([_diagnostic(item, source_map, data, text) for item in error.errors(include_url=False)]) from None


def _diagnostic(item: dict, source_map: SourceMap, data: dict, text: str | None = None) -> Diagnostic:
    from .spec import Spec
    from .spec.introspection import keys_of, model_at

    loc = _written(tuple(item["loc"]), data)
    kind = item["type"]
    value = _value_at(data, loc)
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        return Diagnostic(source_map.key(loc), f"{dotted(loc)}: {_message(item, value)}", loc)
    if kind == "extra_forbidden":
        parent = model_at(Spec, loc[:-1])
        valid = keys_of(parent) if parent else []
        suggestion = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
        where = f" in {dotted(loc[:-1])}" if loc[:-1] else " at the top level"
        message = f"unknown key {loc[-1]!r}{where}"
        if suggestion:
            message += f"; did you mean {suggestion[0]!r}?"
        return Diagnostic(source_map.key(loc), message, loc, hint="valid keys: " + ", ".join(valid) if valid else None)
    if kind == "missing":
        where = f" in {dotted(loc[:-1])}" if loc[:-1] else " at the top level"
        return Diagnostic(source_map.key(loc[:-1]) if loc[:-1] else source_map.value(()),
                          f"missing required key {loc[-1]!r}{where}", loc)
    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        position = source_map.value(loc)
        written = _written_token(text, position) if position.file == source_map.file else None
        written = written or repr(value)
        return Diagnostic(position, f"{dotted(loc)}: expected a string; you wrote {written}, which YAML reads as "
                          f"the number {value!r}; quote it: '{written}'", loc)
    # A mapping or list as a whole is wrong (min > max, alias and version): point at its key.
    whole = isinstance(value, (dict, list)) and kind not in _TYPE_WORDS
    position = source_map.key(loc) if whole else source_map.value(loc)
    return Diagnostic(position, f"{dotted(loc)}: {_message(item, value)}", loc)


def _written_token(text: str | None, position: Any) -> str | None:
    """The plain scalar written at `position` in `text` (`1.30`, which YAML reads as 1.3)."""
    if text is None:
        return None
    lines = text.splitlines()
    if not 0 < position.line <= len(lines):
        return None
    token = re.match(r"[-+.0-9A-Za-z_]+", lines[position.line - 1][position.col - 1:])
    return token.group(0) if token else None


def _written(loc: tuple, data: Any) -> tuple:
    """`loc` without a list index into a scalar: a field that reads one value as a list of one reports `[0]`."""
    for i, part in enumerate(loc):
        parent = _value_at(data, loc[:i])
        if isinstance(part, int) and isinstance(parent, str):
            return loc[:i] + loc[i + 1:]
    return loc


def _message(item: dict, value: Any) -> str:
    kind = item["type"]
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"invalid value {value!r}; expected one of {expected}"
    if kind in _TYPE_WORDS and _TYPE_WORDS[kind]:
        return f"expected {_TYPE_WORDS[kind]}, got {_describe(value)}"
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than", "string_too_short",
                "too_short", "string_pattern_mismatch", "too_long", "string_too_long"):
        message = f"{message[0].lower()}{message[1:]}, got {_describe(value)}"
    return message


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def _value_at(data: Any, loc: tuple) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data
