"""A small deterministic YAML emitter for plain data: manifests, the lock, plan diffs.

Why not a library: its output must not change with a library release, and ruamel's round-trip
emitter is slow for thousands of objects. This emitter writes block style, keeps dict order (order.py decides it),
quotes every string a YAML 1.1 or 1.2 reader could take for something else (`true`, `on`, `8`,
`1e3`, `0x1F`, `1:20`, dates), double-quotes anything unusual with explicit escapes, and writes
multi-line text (scripts, embedded configs) as literal blocks. A reader sees every character a value
holds: controls, bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C), zero-width and other
hidden characters (`escaping.invisible`) are written as `\\u` escapes inside double quotes, and text
holding one is never a literal block (where YAML has no escapes). Output is a pure function of the
input: no timestamps, no hashing order, no platform line endings.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from .escaping.invisible import hidden

_PLAIN = re.compile(r"[A-Za-z0-9_./$][A-Za-z0-9_./@+=%:$ *-]*")
# Scalars a YAML 1.1 (PyYAML, kubectl's go-yaml v2 heritage) or 1.2 reader resolves to non-strings.
_AMBIGUOUS = re.compile(
    r"""(?x)
    y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |null|Null|NULL|~
    |[-+]?[0-9][0-9_:.xXoObBa-fA-FeE+-]*      # ints, floats, hex/octal/binary, sexagesimal, exponents
    |[-+]?\.[0-9].*|\.(inf|Inf|INF|nan|NaN|NAN)|[-+]\.(inf|Inf|INF)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*          # timestamps
    """
)
_ESCAPE = re.compile("[\\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_NAMED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_BLOCK_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]|[ \t]\n|[ \t]$")


def _escape(match: re.Match) -> str:
    char = match.group()
    return _NAMED_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _escape_hidden(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _has_hidden(text: str) -> bool:
    """Whether `text` holds a hidden character outside ASCII (the regexes above cover ASCII and C1)."""
    return not text.isascii() and any(ord(char) > 0x9f and hidden(char) for char in text)


def quoted(text: str) -> str:
    escaped = _ESCAPE.sub(_escape, text)
    if _has_hidden(escaped):
        escaped = "".join(_escape_hidden(char) if ord(char) > 0x9f and hidden(char) else char for char in escaped)
    return '"' + escaped + '"'


def scalar(value) -> str:
    """One scalar on one line."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value} has no place in a Kubernetes manifest")
        text = repr(value)
        return text if "e" not in text else f"{value:.17f}".rstrip("0")
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as YAML: lowering must produce plain data")
    if (_PLAIN.fullmatch(value) and not _AMBIGUOUS.fullmatch(value) and not value.endswith((" ", ":"))
            and ": " not in value and " #" not in value):
        return value
    return quoted(value)


def _block(text: str) -> str | None:
    """The literal-block header (`|` or `|-`) when `text` can be written as one, else None."""
    if ("\n" not in text or text.startswith((" ", "\n")) or text.endswith("\n\n") or _BLOCK_UNSAFE.search(text)
            or _has_hidden(text)):
        return None
    return "|" if text.endswith("\n") else "|-"


def _value_lines(prefix: str, value, indent: int, out: list[str]) -> None:
    """Write `value` after `prefix` (`key:` or `-`), nesting at `indent`."""
    if isinstance(value, dict):
        if not value:
            out.append(f"{prefix} {{}}")
            return
        out.append(prefix)
        _mapping(value, indent, out)
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append(f"{prefix} []")
            return
        out.append(prefix)
        _sequence(value, indent, out)
    elif isinstance(value, str) and (header := _block(value)) is not None:
        out.append(f"{prefix} {header}")
        pad = " " * indent
        out.extend(pad + line if line else "" for line in value.rstrip("\n").split("\n"))
    else:
        out.append(f"{prefix} {scalar(value)}")


def _mapping(mapping: dict, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise TypeError(f"mapping keys are strings, got {key!r}")
        _value_lines(f"{pad}{scalar(key)}:", value, indent + 2, out)


def _sequence(items: Iterable, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            start = len(out)
            _mapping(item, indent + 2, out)
            out[start] = f"{pad}- {out[start][indent + 2:]}"
        elif isinstance(item, (list, tuple)) and item:
            start = len(out)
            _sequence(item, indent + 2, out)
            out[start] = f"{pad}- {out[start][indent + 2:]}"
        else:
            _value_lines(f"{pad}-", item, indent + 2, out)


def dump_document(value: dict) -> str:
    """One YAML document (no `---`), ending in a newline."""
    out: list[str] = []
    if value:
        _mapping(value, 0, out)
    else:
        out.append("{}")
    return "\n".join(out) + "\n"


def dump_all(objects: Iterable[dict]) -> str:
    """A multi-document stream: every document starts with `---`."""
    return "".join("---\n" + dump_document(obj) for obj in objects)
