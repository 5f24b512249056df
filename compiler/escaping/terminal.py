"""Text for a terminal or a CI log: one line per message, and no line an attacker can make a command.

A terminal obeys control sequences (ESC, CSI) and bidi controls reorder what it shows; GitHub's
runner reads `::command::` at the start of a line (after leading spaces) and the legacy
`##[command]` anywhere in one (actions/runner `src/Runner.Common/ActionCommand.cs`, `TryParseV2`
and `TryParse`; `ActionCommandManager.TryProcessCommand` tries both), including `::add-mask::`
and `::stop-commands::`, which silence every annotation after it. So untrusted text is shown with
its hidden characters escaped (`invisible.reveal`, which also turns a newline into `\\n`: a value
never starts a line of its own), `##[` is broken up, and a line that would start with `::` (a file
named so) starts with `./` or an escaped colon instead.
"""
from __future__ import annotations

from typing import Any

from .invisible import hidden, reveal

LEGACY_COMMAND = "##["
LEGACY_COMMAND_SHOWN = "##\\x5b"


def text(value: object) -> str:
    """Untrusted text for the inside of a line: hidden characters escaped, no workflow command."""
    shown = reveal(str(value))
    return shown.replace(LEGACY_COMMAND, LEGACY_COMMAND_SHOWN) if LEGACY_COMMAND in shown else shown


def starts_a_command(line: str) -> bool:
    return line.lstrip().startswith("::")


def path(value: object) -> str:
    """A file name that may start a line (`mlops.yaml:3:5: ...`): a name starting with `::` reads `./::...`."""
    shown = text(value)
    return "./" + shown if starts_a_command(shown) else shown


def line(value: object) -> str:
    """A whole line whose start may be untrusted: escaped as `text`, and a leading `::` shown as `\\x3a:`."""
    shown = text(value)
    if starts_a_command(shown):
        head = len(shown) - len(shown.lstrip())
        shown = shown[:head] + "\\x3a" + shown[head + 1:]
    return shown


def json_dumps(value: Any, **options: Any) -> str:
    """JSON that is also safe to print: hidden characters inside strings as `\\u` escapes, `##[` broken.

    JSON's own escaping covers only C0 controls; a C1 control, a bidi control or `##[` in a string
    would reach the terminal raw. Outside strings JSON output is printable ASCII, so escaping after
    dumping changes no value."""
    import json

    dumped = json.dumps(value, **options)
    if not (dumped.isascii() and dumped.isprintable()):
        dumped = "".join(_json_escape(char) if char != "\n" and hidden(char) else char for char in dumped)
    return dumped.replace(LEGACY_COMMAND, "##\\u005b") if LEGACY_COMMAND in dumped else dumped


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xd800 + (code >> 10):04x}\\u{0xdc00 + (code & 0x3ff):04x}"
