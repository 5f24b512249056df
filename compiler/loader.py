"""Load mlops.yaml safely into plain data plus a source map.

ruamel's round-trip loader keeps the line and column of every key and item; the loader turns its
tree into plain dicts, lists and scalars once, recording positions, so nothing later re-reads the
file. It refuses what a spec never needs and an attacker might send: duplicate keys, unknown tags,
alias bombs, huge or deeply nested documents, invalid UTF-8.
"""
from __future__ import annotations

import datetime
import functools
import io
import re
from dataclasses import dataclass
from typing import Any

from .diagnostics import Diagnostic, Position, SpecError, UsageError
from .source_map import SourceMap

MAX_BYTES = 8 * 2**20        # a large real spec is ~1 MiB (1000 endpoints)
MAX_NODES = 1_000_000        # expanded values, aliases counted every time they are used
MAX_DEPTH = 64               # no valid spec nests deeper than ~10
MAX_INT_DIGITS = 4300        # Python's default int/str conversion limit (sys.get_int_max_str_digits)


@dataclass
class LoadedDocument:
    """A parsed spec file: plain data, where each value was written, and the raw text (for comments)."""

    path: str
    data: dict
    source_map: SourceMap
    text: str


def read_spec_bytes(path: str) -> bytes:
    """Read a spec file: a regular file of at most MAX_BYTES (read to one byte more, never stat-then-read).

    I/O problems, a missing file and FIFOs, devices or sockets are usage errors (exit 2); a file
    over the bound is a spec error at its first line (exit 1).
    """
    from .input_files import TooLarge, read_regular_file, too_large_message

    try:
        raw = read_regular_file(path, MAX_BYTES, expected="an mlops.yaml file")
    except TooLarge as error:
        raise SpecError(Diagnostic(Position(path, 1, 1), too_large_message(error, MAX_BYTES) +
                                   " (an mlops.yaml of 1000 endpoints is about 1 MB)")) from None
    if raw is None:
        raise UsageError(f"{path}: no such file")
    return raw


def load_file(path: str) -> LoadedDocument:
    return load_bytes(read_spec_bytes(path), path)


def load_bytes(raw: bytes, path: str) -> LoadedDocument:
    """Parse bytes as one YAML mapping. Raises SpecError with file:line:col on any problem."""
    if len(raw) > MAX_BYTES:
        raise SpecError(Diagnostic(Position(path, 1, 1), f"document is {len(raw)} bytes; the limit is {MAX_BYTES}"))
    text = _decode(raw, path)
    _check_flow_depth(text, path)
    fast = _load_fast(text, path)
    if fast is not None:
        return LoadedDocument(path, fast[0], fast[1], text)
    tree = _parse(text, path)
    if tree is None:
        raise SpecError(Diagnostic(Position(path, 1, 1), "the file is empty; expected a mapping that starts with "
                                   "`apiVersion: mlops/v1` and `kind: System`"))
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(tree, CommentedMap):
        raise SpecError(Diagnostic(Position(path, 1, 1), f"the document is a {_kind(tree)}; expected a mapping "
                                   "that starts with `apiVersion: mlops/v1` and `kind: System`"))
    _check_expansion(tree, path)
    source_map = SourceMap(path)
    source_map.values[()] = Position(path, 1, 1)
    data = _Plainer(path, source_map).convert(tree)
    return LoadedDocument(path, data, source_map, text)


def _decode(raw: bytes, path: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise SpecError(Diagnostic(Position(path, line, col), f"invalid UTF-8 (byte 0x{raw[error.start]:02x}); "
                                   "save the file as UTF-8")) from None
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise SpecError(Diagnostic(Position(path, line, col), "NUL byte in the file; a spec is plain text"))
    return text


def _parse(text: str, path: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    yaml.Constructor = _strict_constructor(RoundTripConstructor)
    try:
        return yaml.load(io.StringIO(text))
    except DuplicateKeyError as error:
        mark = error.problem_mark
        key = str(error.problem).split('"')[1] if '"' in str(error.problem) else "a key"
        first = error.context_mark
        raise SpecError(Diagnostic(_position(path, mark), f"duplicate key {key!r}: it is already defined "
                                   f"at line {first.line + 1 if first else '?'}; each key appears once in a mapping")) from None
    except _BadScalar as error:
        raise SpecError(Diagnostic(_position(path, error.mark), error.message)) from None
    except _UnknownTag as error:
        shown = error.tag.replace("tag:yaml.org,2002:", "!!")
        raise SpecError(Diagnostic(_position(path, error.mark), f"unknown YAML tag {shown!r}; mlops.yaml is plain "
                                   "YAML without tags")) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = (error.problem or error.context or "invalid YAML").strip()
        if "\t" in _line_at(text, mark) and ("tab" in problem or "found character" in problem):
            problem = "tab character; YAML indents with spaces only"
        raise SpecError(Diagnostic(_position(path, mark), f"YAML syntax error: {problem}",
                                   hint=_syntax_hint(problem, _line_at(text, mark)))) from None
    except RecursionError:
        raise SpecError(Diagnostic(Position(path, 1, 1), f"the document nests deeper than Python's parser can "
                                   f"follow; a spec nests at most {MAX_DEPTH} levels")) from None
    except YAMLError as error:  # reader errors (non-printable characters) carry a plain position
        position = Position(path, getattr(error, "line", 0) + 1, getattr(error, "column", 0) + 1)
        raise SpecError(Diagnostic(position, f"cannot read YAML: {str(error).splitlines()[0]}")) from None


class _BadScalar(Exception):
    """A scalar YAML reads but a spec cannot hold; raised with its mark so the error has a position."""

    def __init__(self, mark: Any, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


class _UnknownTag(Exception):
    def __init__(self, mark: Any, tag: str):
        super().__init__(tag)
        self.mark = mark
        self.tag = tag


_CORE_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")}


_TAG_NODES = {"tag:yaml.org,2002:map": "MappingNode", "tag:yaml.org,2002:seq": "SequenceNode"}
_NODE_WORDS = {"ScalarNode": "scalar", "SequenceNode": "list", "MappingNode": "mapping"}


def _strict_constructor(base: type) -> type:
    """Round-trip construction that refuses tags a spec never uses (`!!python/object`, `!Ref`, `!!binary`)."""

    class StrictConstructor(base):  # type: ignore[misc, valid-type]
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            if node.tag not in _CORE_TAGS:
                raise _UnknownTag(node.start_mark, node.tag)
            kind = type(node).__name__  # ScalarNode, SequenceNode, MappingNode
            expected = _TAG_NODES.get(node.tag, "ScalarNode")
            if kind != expected:  # `!!str [1]`, `!!map x`: ruamel builds objects without positions
                shown = node.tag.replace("tag:yaml.org,2002:", "!!")
                raise _BadScalar(node.start_mark, f"the tag {shown} does not fit a "
                                 f"{_NODE_WORDS[kind]}; remove the tag")
            try:
                return super().construct_object(node, deep)
            except (ValueError, TypeError, LookupError, ArithmeticError) as error:  # `!!int pool`, `!!bool 3`
                shown = node.tag.replace("tag:yaml.org,2002:", "!!")
                raise _BadScalar(node.start_mark, f"{str(node.value)[:40]!r} cannot be read as {shown} "
                                 f"({error}); remove the tag or fix the value") from None

        def construct_yaml_int(self, node: Any) -> Any:
            digits = sum(c.isdigit() for c in str(node.value))
            if digits > MAX_INT_DIGITS:  # int() would refuse it (sys.get_int_max_str_digits), deep inside ruamel
                raise _BadScalar(node.start_mark, f"an integer of {digits} digits; numbers in a spec have at most "
                                 f"{MAX_INT_DIGITS} digits (quote it if it is text)")
            return super().construct_yaml_int(node)

        def construct_mapping(self, node: Any, *args: Any, **kwargs: Any) -> Any:
            from ruamel.yaml.nodes import ScalarNode

            first_at: dict = {}
            for key_node, _ in node.value:  # `? {a: 1}: x`: ruamel would try to hash a mapping
                if not isinstance(key_node, ScalarNode):
                    raise _BadScalar(key_node.start_mark, "a mapping or list used as a key; keys in a spec are "
                                     "strings")
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                # ruamel's DuplicateKeyError marks the mapping's start, not the first key: find it here.
                earlier = first_at.setdefault((key_node.tag, key_node.value), key_node.start_mark)
                if earlier is not key_node.start_mark:
                    raise _BadScalar(key_node.start_mark, f"duplicate key {key_node.value!r}: it is already "
                                     f"defined at line {earlier.line + 1}; each key appears once in a mapping")
            try:
                return super().construct_mapping(node, *args, **kwargs)
            except AttributeError:  # `a: &x {<<: *x}`: ruamel merges a mapping it has not finished building
                raise _BadScalar(node.start_mark, "a merge key (<<) refers to the mapping it is in (a recursive "
                                 "alias); write the keys out") from None

    StrictConstructor.add_constructor("tag:yaml.org,2002:int", StrictConstructor.construct_yaml_int)

    return StrictConstructor


# A value that starts with `*` is a YAML alias (`*name`), so `schedule: */5 * * * *` stops the parser.
_STAR_VALUE = re.compile(r"(^|:|-)\s+\*")
_INDENTATION_PROBLEMS = ("mapping values are not allowed", "expected <block end>", "could not find expected ':'",
                         "did not find expected key", "did not find expected '-' indicator")


def _syntax_hint(problem: str, line: str) -> str | None:
    """What the parser's words most likely mean for a spec author (the parser says only what it met)."""
    if _STAR_VALUE.search(line) and ("alias" in problem or "alphabetic or numeric" in problem):
        return ("a value that starts with `*` is read as a YAML alias; quote it, e.g. schedule: \"*/5 * * * *\"")
    if any(words in problem for words in _INDENTATION_PROBLEMS):
        return ("likely wrong indentation: keys of one mapping start in the same column, and a key's children are "
                "indented further (with spaces); a value that holds ': ' must be quoted")
    return None


def _position(path: str, mark: Any) -> Position:
    if mark is None:
        return Position(path, 1, 1)
    return Position(path, mark.line + 1, mark.column + 1)


def _line_at(text: str, mark: Any) -> str:
    if mark is None:
        return ""
    lines = text.splitlines()
    return lines[mark.line] if 0 <= mark.line < len(lines) else ""


def _check_flow_depth(text: str, path: str) -> None:
    """Refuse deep `[[[[...` nesting before the parser recurses into it (it is quadratic and may overflow)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match[0] in "[{" else -1
        if depth > MAX_DEPTH:
            offset = match.start()
            line = text.count("\n", 0, offset) + 1
            col = offset - (text.rfind("\n", 0, offset) + 1) + 1
            raise SpecError(Diagnostic(Position(path, line, col), f"the document nests deeper than {MAX_DEPTH} levels"))


_BRACKETS = re.compile(r"[\[\]{}]")


def _check_expansion(tree: Any, path: str) -> None:
    """Refuse alias bombs: count each value as often as aliases repeat it, in time linear in the file."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, (CommentedMap, CommentedSeq)):
            return 1
        known = sizes.get(id(node))
        if known is None:
            children = node.values() if isinstance(node, CommentedMap) else node
            known = sizes[id(node)] = 1 + sum(size(child) for child in children)
        return known

    if size(tree) <= MAX_NODES:
        return
    # Walk down to the innermost value that is still too big: that is where the aliases multiply.
    node, line, col = tree, 0, 0
    while True:
        items = list(node.items()) if isinstance(node, CommentedMap) else list(enumerate(node))
        big = next(((k, v) for k, v in items if size(v) > MAX_NODES), None)
        if big is None:
            break
        line, col = node.lc.value(big[0]) if isinstance(node, CommentedMap) else node.lc.item(big[0])
        node = big[1]
    raise SpecError(Diagnostic(Position(path, line + 1, col + 1), f"the document expands to more than {MAX_NODES} "
                               "values (YAML aliases repeat their anchor's content); write it out instead"))


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


class _Plainer:
    """Turns the ruamel tree into plain Python data, recording positions and bounding alias expansion."""

    def __init__(self, file: str, source_map: SourceMap):
        self.file = file
        self.map = source_map
        self.nodes = 0

    def convert(self, node: Any, path: tuple = (), depth: int = 0) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SpecError(Diagnostic(self.map.value(path), f"the document expands to more than {MAX_NODES} "
                                       "values (YAML aliases repeat their anchor's content); write it out instead"))
        if depth > MAX_DEPTH:
            raise SpecError(Diagnostic(self.map.value(path), f"the document nests deeper than {MAX_DEPTH} levels"))
        if isinstance(node, CommentedMap):
            result = {}
            for key, value in node.items():
                written = _written_in(node, key)  # a key a merge (`<<: *base`) brought in is written there
                if not isinstance(key, str):
                    position = self._key_position(written, key)
                    raise SpecError(Diagnostic(position, f"key {key!r} is not a string; quote it "
                                               f"(\"{key}\")"))
                child = path + (key,)
                self.map.keys[child] = self._key_position(written, key)
                self._check_text(key, self.map.keys[child])
                line, col = written.lc.value(key)
                self.map.values[child] = Position(self.file, line + 1, col + 1)
                result[key] = self.convert(value, child, depth + 1)
            return result
        if isinstance(node, CommentedSeq):
            result = []
            for index, value in enumerate(node):
                child = path + (index,)
                line, col = node.lc.item(index)
                self.map.values[child] = self.map.keys[child] = Position(self.file, line + 1, col + 1)
                result.append(self.convert(value, child, depth + 1))
            return result
        if isinstance(node, str):
            self._check_text(node, self.map.value(path))
        return _plain_scalar(node)

    def _key_position(self, node: Any, key: Any) -> Position:
        line, col = node.lc.key(key)
        return Position(self.file, line + 1, col + 1)

    @staticmethod
    def _check_text(text: str, position: Position) -> None:
        """Escapes (`"\\ud800"`) can make strings that are not Unicode text: every output would fail on them."""
        if text.isascii():
            return
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise SpecError(Diagnostic(position, f"the string holds a lone surrogate (U+{ord(text[error.start]):04X}, "
                                       "written as an escape); a spec string is Unicode text")) from None


def _written_in(node: Any, key: Any) -> Any:
    """The mapping whose text holds `key`: `node` itself, or the one a merge key brought it from."""
    if key in (node.lc.data or ()):
        return node
    for source in getattr(node, "merge", None) or ():
        mapping = source[1] if isinstance(source, tuple) else source
        if key in mapping:
            return _written_in(mapping, key)
    return node


def _plain_scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


# ---- fast path: libyaml's event parser (PyYAML's C extension), when it is installed ----------------
#
# ruamel's pure-Python round-trip parser costs about 5 us per byte (7 s for a 1.5 MB spec of 1000
# endpoints, 25 ms for the example) plus 15 ms to import. libyaml parses the same text 6-8x faster.
# The fast path takes only the plain subset every real spec is written in: one document of
# mappings, sequences and untagged scalars, without anchors, aliases, merge keys, duplicate or
# non-string keys, timestamps, tabs, directives or unusual line breaks. For anything else it returns
# None and the ruamel path above decides, so errors and edge cases read exactly as they always did.
# Scalars resolve as ruamel resolves YAML 1.2 (the regular expressions below are ruamel's);
# tests/test_fuzz.py checks that both paths give the same data and positions.

# Tabs, control characters, NEL and other line breaks go to ruamel. The full pattern costs 3 ms to
# compile, a tenth of a lint run: ASCII text (nearly every spec) is checked with a small one.
_ASCII_NOT_FAST = re.compile("[^\x0A\x0D\x20-\x7E]")


@functools.cache
def _not_fast() -> re.Pattern:
    return re.compile("[^\x0A\x0D\x20-\x7E\xA0-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\U00010000-\U0010FFFF]"
                      "|[\u2028\u2029]")


def _unusual_characters(text: str) -> bool:
    return bool((_ASCII_NOT_FAST if text.isascii() else _not_fast()).search(text))
_RESOLVERS: dict[str, list[tuple[str, re.Pattern]]] = {}
for _tag, _regexp, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("float", r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                 |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                 |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
                 |[-+]?\.(?:inf|Inf|INF)
                 |\.(?:nan|NaN|NAN))$""", "-+0123456789."),
    ("int", r"""^(?:[-+]?0b[0-1_]+
               |[-+]?0o?[0-7_]+
               |[-+]?[0-9_]+
               |[-+]?0x[0-9a-fA-F_]+)$""", "-+0123456789"),
    ("merge", r"^(?:<<)$", "<"),
    ("null", r"^(?: ~ |null|Null|NULL | )$", "~nN"),
    ("timestamp", r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                     |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", "0123456789"),
    ("value", r"^(?:=)$", "="),
):
    for _char in _first:
        _RESOLVERS.setdefault(_char, []).append((_tag, re.compile(_regexp, re.X)))
_SIMPLE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_SIMPLE_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+|\.[0-9]+(?:[eE][-+][0-9]+)?)")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


class _NotFast(Exception):
    """The document uses something the fast path leaves to ruamel."""


def _plain(value: str) -> Any:
    """A plain (unquoted) scalar as ruamel's YAML 1.2 resolver and _plain_scalar read it."""
    if not value:
        return None
    for tag, regexp in _RESOLVERS.get(value[0], ()):
        if regexp.match(value):
            break
    else:
        return value
    if tag == "null":
        return None
    if tag == "bool":
        return _BOOLS[value]
    if tag == "int" and _SIMPLE_INT.fullmatch(value) and len(value) <= MAX_INT_DIGITS:
        return int(value)
    if tag == "float" and _SIMPLE_FLOAT.fullmatch(value):
        return float(value)
    raise _NotFast  # underscores, 0x/0o/0b, .inf/.nan, timestamps, merge keys: ruamel knows best


def _load_fast(text: str, path: str) -> tuple[dict, SourceMap] | None:
    """Plain data and positions through libyaml, or None to let ruamel load the document."""
    if _unusual_characters(text):  # tabs, control characters, NEL and other line breaks
        return None
    try:
        from yaml import YAMLError
        from yaml.cyaml import CParser
        from yaml.events import (AliasEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
                                 SequenceEndEvent, SequenceStartEvent, StreamEndEvent)
    except ImportError:  # PyYAML without libyaml, or no PyYAML: ruamel alone
        return None
    source_map = SourceMap(path)
    keys, values = source_map.keys, source_map.values
    values[()] = Position(path, 1, 1)
    # One frame per open collection: [container, its spec path, the key awaiting its value or _KEY].
    stack: list[list] = []
    root: Any = _KEY
    nodes = documents = 0
    pending: tuple | None = None  # (path, comment follows) of an empty mapping value: see below
    lines: list[str] | None = None
    parser = CParser(text)
    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            if pending is not None:
                if not pending[1] or kind is MappingEndEvent:
                    values[pending[0]] = Position(path, event.start_mark.line + 1, event.start_mark.column + 1)
                pending = None
            if kind is ScalarEvent or kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None:
                    raise _NotFast
                mark = event.start_mark
                if kind is ScalarEvent:
                    value: Any = _plain(event.value) if event.style in ("", None) else event.value
                    node: Any = value
                else:
                    node = {} if kind is MappingStartEvent else []
                if stack:
                    frame = stack[-1]
                    container, parent = frame[0], frame[1]
                    position = Position(path, mark.line + 1, mark.column + 1)
                    if type(container) is dict:
                        key = frame[2]
                        if key is _KEY:  # this node is a key
                            if kind is not ScalarEvent or type(node) is not str or node in container:
                                raise _NotFast  # complex, non-string or duplicate key: ruamel says which
                            frame[2] = node
                            keys[(*parent, node)] = position
                            continue
                        child = (*parent, key)
                        container[key] = node
                        frame[2] = _KEY
                        if node is None and not event.value and event.style in ("", None):
                            # `key:` with nothing after it: ruamel places the value at the next token, except
                            # when a comment follows on the line and another key follows (then right after the
                            # colon, as libyaml does).
                            lines = lines if lines is not None else text.splitlines()
                            rest = lines[mark.line][mark.column:] if mark.line < len(lines) else ""
                            pending = (child, rest.lstrip().startswith("#"))
                    else:
                        child = (*parent, len(container))
                        container.append(node)
                        keys[child] = position
                    values[child] = position
                else:
                    if root is not _KEY:
                        raise _NotFast
                    root, child = node, ()
                nodes += 1
                if nodes > MAX_NODES:
                    raise SpecError(Diagnostic(values.get(child, Position(path, 1, 1)), f"the document expands to "
                                               f"more than {MAX_NODES} values; a spec of 1000 endpoints has about "
                                               "200000"))
                if len(stack) > MAX_DEPTH:
                    raise SpecError(Diagnostic(values.get(child, Position(path, 1, 1)),
                                               f"the document nests deeper than {MAX_DEPTH} levels"))
                if kind is not ScalarEvent:
                    stack.append([node, child, _KEY])
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                stack.pop()
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1 or event.version is not None or event.tags:
                    raise _NotFast
            elif kind is AliasEvent:
                raise _NotFast
            elif kind is StreamEndEvent:
                break
    except (_NotFast, YAMLError):
        return None
    finally:
        parser.dispose()
    if type(root) is not dict:  # empty, or not a mapping: ruamel's messages say what it is
        return None
    return root, source_map


_KEY = object()  # a mapping frame waiting for its next key
