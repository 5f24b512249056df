"""JSON Pointer (RFC 6901), JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386) on plain data.

Why not the `jsonpatch` package: its `test` compares with Python's `==`, so `true` tests equal to
`1` and `1.0` (RFC 6902 section 4.6 says a boolean equals only a boolean), and its errors do not say
which operation failed at which pointer, which the spec's error positions need. The three RFCs are
short; `tests/test_json_patch.py` holds this module to every example of RFC 6902 appendix A and
RFC 7386 appendix A.

Functions never change their arguments: `apply_patch` and `merge_patch` return new data (values
taken from a patch are copied, so two objects patched with one value share nothing).
"""
from __future__ import annotations

import copy
from typing import Any, NamedTuple

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")


class PatchError(ValueError):
    """One operation cannot apply: `index` is its position in the patch, `field` the key at fault."""

    def __init__(self, index: int, message: str, field: str = "path"):
        super().__init__(message)
        self.index = index
        self.message = message
        self.field = field


class PointerError(ValueError):
    """A string that is not an RFC 6901 JSON Pointer."""


class _SourceMissing(KeyError):
    """The `from` of a move or copy points at nothing."""


class Operation(NamedTuple):
    op: str
    path: str
    value: Any = None
    from_: str | None = None


# --- RFC 6901 ---------------------------------------------------------------------------------

def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of `pointer`, unescaped (`~1` is `/`, `~0` is `~`, in that order)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"{pointer!r} is not a JSON Pointer: it must be empty (the whole object) or start "
                           "with '/', e.g. /metadata/annotations")
    tokens = pointer[1:].split("/")
    for token in tokens:
        rest = token
        while "~" in rest:
            after = rest[rest.index("~") + 1:rest.index("~") + 2]
            if after not in ("0", "1"):
                raise PointerError(f"{pointer!r} is not a JSON Pointer: '~' must be followed by 0 (for '~') or 1 "
                                   "(for '/'), e.g. /metadata/annotations/example.com~1team")
            rest = rest[rest.index("~") + 2:]
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def escape_token(token: str) -> str:
    """One reference token as a pointer writes it: `a/b` becomes `a~1b`."""
    return token.replace("~", "~0").replace("/", "~1")


def _array_index(token: str, length: int, *, append: bool) -> int | None:
    """The index `token` names in an array of `length` (None if it names none); `-` only when appending."""
    if append and token == "-":
        return length
    # RFC 6901 section 4: "0" or digits without a leading zero.
    if not token.isdigit() or not token.isascii() or (len(token) > 1 and token[0] == "0"):
        return None
    index = int(token)
    limit = length if append else length - 1
    return index if index <= limit else None


def _describe(document: Any) -> str:
    if isinstance(document, dict):
        return "an object"
    if isinstance(document, list):
        return f"an array of {len(document)}"
    return "a value"


def resolve(document: Any, tokens: list[str], pointer: str) -> Any:
    """The value `tokens` point at; KeyError with a sentence when nothing is there."""
    current = document
    for depth, token in enumerate(tokens):
        where = "/" + "/".join(escape_token(t) for t in tokens[:depth]) if depth else "the root"
        if isinstance(current, dict):
            if token not in current:
                raise KeyError(f"{pointer} does not exist: {where} has no member {token!r}")
            current = current[token]
        elif isinstance(current, list):
            index = _array_index(token, len(current), append=False)
            if index is None:
                raise KeyError(f"{pointer} does not exist: {where} is {_describe(current)}, and {token!r} is "
                               "not an index of it")
            current = current[index]
        else:
            raise KeyError(f"{pointer} does not exist: {where} is {_describe(current)}, not an object or array")
    return current


# --- RFC 6902 ---------------------------------------------------------------------------------

def json_equal(a: Any, b: Any) -> bool:
    """RFC 6902 section 4.6: same type and value; numbers by value; objects unordered; arrays in order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    return type(a) is type(b) and a == b


def _add(document: Any, tokens: list[str], value: Any, pointer: str) -> Any:
    if not tokens:
        return value
    parent = resolve(document, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = _array_index(last, len(parent), append=True)
        if index is None:
            raise KeyError(f"{pointer}: {last!r} is not an index of the array there (0..{len(parent)}, or '-' "
                           "to append)")
        parent.insert(index, value)
    else:
        raise KeyError(f"{pointer}: the parent is {_describe(parent)}, not an object or array")
    return document


def _remove(document: Any, tokens: list[str], pointer: str) -> tuple[Any, Any]:
    """(document, removed value)."""
    if not tokens:
        raise KeyError("the root cannot be removed")
    resolve(document, tokens, pointer)  # raises when missing
    parent = resolve(document, tokens[:-1], pointer)
    if isinstance(parent, dict):
        return document, parent.pop(tokens[-1])
    return document, parent.pop(int(tokens[-1]))


def apply_operation(document: Any, operation: Operation) -> Any:
    """`document` after one operation (the document is changed in place when it is a container)."""
    tokens = parse_pointer(operation.path)
    if operation.op == "add":
        return _add(document, tokens, copy.deepcopy(operation.value), operation.path)
    if operation.op == "remove":
        return _remove(document, tokens, operation.path)[0]
    if operation.op == "replace":
        resolve(document, tokens, operation.path)
        if not tokens:
            return copy.deepcopy(operation.value)
        document, _ = _remove(document, tokens, operation.path)
        return _add(document, tokens, copy.deepcopy(operation.value), operation.path)
    if operation.op == "test":
        actual = resolve(document, tokens, operation.path)
        if not json_equal(actual, operation.value):
            raise AssertionError(f"test failed: {operation.path} is {_show(actual)}, not {_show(operation.value)}")
        return document
    source = parse_pointer(operation.from_ or "")
    if operation.op in ("move", "copy"):
        try:
            value = resolve(document, source, operation.from_ or "")
        except KeyError as error:
            raise _SourceMissing(error.args[0]) from None
        if operation.op == "copy":
            return _add(document, tokens, copy.deepcopy(value), operation.path)
        if tokens == source:
            return document
        if tokens[:len(source)] == source:
            raise _SourceMissing(f"cannot move {operation.from_} into its own child {operation.path}")
        document, value = _remove(document, source, operation.from_ or "")
        return _add(document, tokens, value, operation.path)
    raise ValueError(f"unknown operation {operation.op!r}; expected one of {', '.join(OPERATIONS)}")


def _show(value: Any) -> str:
    import json

    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def apply_patch(document: Any, operations: list[Operation]) -> Any:
    """RFC 6902: apply every operation in order, or raise PatchError for the first that cannot apply."""
    result = copy.deepcopy(document)
    for index, operation in enumerate(operations):
        try:
            result = apply_operation(result, operation)
        except (KeyError, AssertionError, PointerError) as error:
            field = "from" if isinstance(error, _SourceMissing) else "value" if isinstance(error, AssertionError) \
                else "path"
            raise PatchError(index, error.args[0], field) from None
    return result


# --- RFC 7386 ---------------------------------------------------------------------------------

def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 section 2 MergePatch(Target, Patch): objects merge, `null` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result
