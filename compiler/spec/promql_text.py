"""A PromQL query the spec hands to generated alert rules, checked to stay one expression.

Alert rules embed a business query as `(QUERY) < min`. A query that closes the parenthesis itself
(`up) or vector(1) or (up`) would make the comparison apply to only part of it, and a `#` comment
would swallow the generated `) < min`. So the query must keep its brackets balanced and never close
more than it opened, outside string literals (`"..."` and `'...'` with backslash escapes, and
backtick raw strings, as in Prometheus' promql/parser/lex.go), and hold no comment. Then the
wrapping parentheses enclose all of it, whatever operators (`or`, `unless`) it uses inside.

A light scanner, not a parser: it runs on every lint, and Prometheus validates the full grammar
(`promtool check rules` in the tests).
"""
from __future__ import annotations

_CLOSING = {")": "(", "]": "[", "}": "{"}
_QUOTES = "\"'`"


def embedding_problem(query: str) -> str | None:
    """Why `query` cannot be wrapped as `(query) < bound`, or None when it can."""
    if not query.strip():
        return "the query is blank"
    stack: list[tuple[str, int]] = []
    index, length = 0, len(query)
    while index < length:
        char = query[index]
        if char in _QUOTES:
            end = _string_end(query, index)
            if end is None:
                return f"the string literal opened at character {index + 1} is not closed"
            index = end + 1
            continue
        if char == "#":
            return (f"the query holds a comment (# at character {index + 1}); it is embedded in a generated "
                    "expression, where a comment would hide the rest: remove it")
        if char in "([{":
            stack.append((char, index))
        elif char in _CLOSING:
            if not stack:
                return (f"{char!r} at character {index + 1} closes a bracket the query never opened; the query is "
                        "wrapped in parentheses and must not close them")
            opened, at = stack.pop()
            if opened != _CLOSING[char]:
                return f"{char!r} at character {index + 1} does not match {opened!r} at character {at + 1}"
        index += 1
    if stack:
        opened, at = stack[-1]
        return f"{opened!r} at character {at + 1} is never closed"
    return None


def _string_end(query: str, start: int) -> int | None:
    """Index of the quote closing the literal that starts at `start`, or None when it is unterminated."""
    quote = query[start]
    index = start + 1
    while index < len(query):
        char = query[index]
        if char == "\\" and quote != "`":
            index += 2
            continue
        if char == quote:
            return index
        if char == "\n" and quote != "`":  # Prometheus' lexer: quoted strings end at the line
            return None
        index += 1
    return None
