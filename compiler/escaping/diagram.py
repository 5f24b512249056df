"""Untrusted text in diagram labels: Mermaid (rendered by GitHub inside a ```mermaid fence) and DOT.

Mermaid: a label is one double-quoted string; inside it Mermaid reads entity codes (`#quot;`,
`#35;`) and, with HTML labels on (the flowchart default), HTML. So `"`, `#`, `&`, `<`, `>` and the
backtick (a label opening with one is a Markdown string) are written as entity codes and `|` too
(it ends an edge label); a label's own line breaks become `<br/>`, the one tag the writer uses.
Hidden characters are shown as escapes, so no label can end the statement, the line, or the
fence around it.

DOT: a label is one double-quoted string; `\\` and `"` are escaped (a backslash would otherwise
start Graphviz's own `\\l`, `\\N` escapes), line breaks become DOT's `\\n`.
"""
from __future__ import annotations

from .invisible import reveal
from .terminal import text as terminal_text

_MERMAID = {"#": "#35;", "&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;", "|": "#124;"}


def mermaid_label(label: str) -> str:
    """`label` (lines joined by `\\n`) as a quoted Mermaid label."""
    lines = ["".join(_MERMAID.get(char, char) for char in line) for line in label.split("\n")]
    return '"' + "<br/>".join(terminal_text(line) for line in lines) + '"'


def dot_string(text: str) -> str:
    """`text` (lines joined by `\\n`) as a quoted DOT string."""
    lines = [reveal(line).replace("\\", "\\\\").replace('"', '\\"') for line in text.split("\n")]
    return '"' + "\\n".join(line.replace("##[", "##\\\\x5b") for line in lines) + '"'
