"""Characters a reader cannot see, or that a terminal obeys instead of showing: shown as escapes.

Hidden are the characters Python calls non-printable (controls C0, DEL and C1 with ESC and CSI,
line and paragraph separators, format characters such as the bidi controls U+202A-U+202E,
U+2066-U+2069, U+200E/U+200F and U+061C, zero-width spaces and joiners, the BOM, tag characters,
lone surrogates, spaces other than U+0020, private-use and unassigned code points), plus the
Hangul fillers, letters that render as nothing. Each is written as the escape Python and YAML both
read (`\\n`, `\\t`, `\\r`, `\\x1b`, `\\u202e`, `\\U000e0041`), so what the reader sees is what the text holds.
"""
from __future__ import annotations

#: Letters (category Lo) that render as blank space; Python counts them printable.
FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def hidden(char: str) -> bool:
    """Whether `char` is invisible or a control (see the module docstring)."""
    return not char.isprintable() or char in FILLERS


def escape(char: str) -> str:
    """The visible escape of one character."""
    named = NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def reveal(text: str) -> str:
    """`text` with every hidden character replaced by its escape; other characters unchanged."""
    if text.isascii() and text.isprintable():  # the common case, checked in C
        return text
    return "".join(escape(char) if hidden(char) else char for char in text)
