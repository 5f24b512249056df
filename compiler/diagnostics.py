"""Positions and user-facing errors: every message a person sees names file, line and column."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Position(NamedTuple):
    """A 1-based place in a source file."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Diagnostic(NamedTuple):
    """One problem with the input, with where it is and what would be valid."""

    position: Position
    message: str
    path: tuple = ()
    hint: str | None = None
    severity: str = "error"

    def render(self) -> str:
        """`file:line:col: severity: message` and a `help:` line, safe for a terminal or CI log: the
        message and hint may quote the spec (keys with newlines, escape sequences), so they go through
        `escaping.terminal`, and a file named `::error::x` cannot start a workflow command."""
        from .escaping import terminal

        text = f"{terminal.path(self.position.file)}:{self.position.line}:{self.position.col}: {self.severity}: " \
               f"{terminal.text(self.message)}"
        if self.hint:
            text += f"\n  help: {terminal.text(self.hint)}"
        return text


class SpecError(Exception):
    """The input is invalid (exit code 1). Carries one or more diagnostics, sorted by position."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.position, d.message))
        super().__init__("\n".join(d.render() for d in self.diagnostics))


MAX_SHOWN = 100  # diagnostics printed for a person; a hostile spec can make 100,000 of them


def more_line(total: int, what: str = "errors") -> str | None:
    """The line that stands for the diagnostics past the first MAX_SHOWN, or None when all were shown."""
    if total <= MAX_SHOWN:
        return None
    return f"... and {total - MAX_SHOWN} more {what} (the first {MAX_SHOWN} are shown, by position)"


class UsageError(Exception):
    """Bad command-line use or an I/O problem (exit code 2)."""

    def render(self) -> str:
        """The `mlops: error: ...` line; the message names paths, refs and values from the user or the spec."""
        from .escaping import terminal

        return f"mlops: error: {terminal.text(self)}"


def report(error: SpecError | UsageError) -> None:
    """Print an error the way every command does: each diagnostic, or the usage error, on stderr."""
    import sys

    if isinstance(error, SpecError):
        for diagnostic in error.diagnostics[:MAX_SHOWN]:
            print(diagnostic.render(), file=sys.stderr)
        rest = more_line(len(error.diagnostics))
        if rest:
            print(rest, file=sys.stderr)
    else:
        print(error.render(), file=sys.stderr)


@dataclass
class DiagnosticBag:
    """Collects diagnostics from a stage, raising them together at the end."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, position: Position, message: str, path: tuple = (), hint: str | None = None) -> None:
        self.items.append(Diagnostic(position, message, tuple(path), hint))

    def raise_if_any(self) -> None:
        if self.items:
            raise SpecError(self.items)
