"""What a lint rule is: declared once with its code, name, severity, options and documentation.

A rule's check function reads the validated spec (and the lock, when there is one) through a
`Context` and yields `Problem`s: a spec path, a message and a fix hint. The engine turns each into a
`Finding` with the rule's code, the configured severity and the position the source map knows for
the path. Rules never read the spec file; positions come only from the source map.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, NamedTuple, TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from ..diagnostics import Position

if TYPE_CHECKING:
    from ..checked_spec import CheckedSpec
    from ..lock import Lock, LockedModel
    from ..spec import Spec
    from .requirements import Requirement

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


class RuleOptions(BaseModel):
    """Base of every rule's options: unknown options are errors, every option has a default.

    Built lazily (`defer_build`): the engine validates `lint.options` once against the union of
    all rules' options and hands each rule its own slice.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True,
                              arbitrary_types_allowed=True)


class NoOptions(RuleOptions):
    pass


class Problem(NamedTuple):
    """What a check yields: where (a spec path), what is wrong, and how to fix it.

    `at="key"` points at the key of `path` (the thing as a whole), `"value"` at its value (the
    offending setting). `position` overrides both for problems that are not about a spec value
    (a suppression comment).
    """

    path: tuple
    message: str
    hint: str | None = None
    at: Literal["key", "value"] = "value"
    position: Position | None = None


@dataclass(frozen=True, order=True)
class Finding:
    """One reported problem, ready to render: sorted by file, line, column, then code."""

    file: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = field(compare=False)
    name: str = field(compare=False)
    path: tuple = field(compare=False, default=())
    hint: str | None = field(compare=False, default=None)
    envs: tuple[str, ...] = field(compare=False, default=())

    @property
    def identity(self) -> tuple:
        """Findings with the same identity in several environments are reported once."""
        return (self.file, self.line, self.col, self.code, self.message)


class Rule(NamedTuple):
    code: str
    name: str
    severity: Severity
    summary: str
    check: Callable[["Context", Any], Iterable[Problem]] | None
    options: type[RuleOptions] = NoOptions
    doc: str = ""

    @property
    def family(self) -> str:
        return self.code.rstrip("0123456789")

    def sections(self) -> dict[str, str]:
        """The docstring's `## Section` blocks by title."""
        sections: dict[str, str] = {}
        title = None
        for line in self.doc.splitlines():
            if line.startswith("## "):
                title = line[3:].strip()
                sections[title] = ""
            elif title is not None:
                sections[title] += line + "\n"
        return {title: text.strip() for title, text in sections.items()}


def rule(code: str, name: str, severity: Severity, summary: str,
         options: type[RuleOptions] = NoOptions) -> Callable[[Callable], Rule]:
    """Declare a rule; the decorated function is its check and its docstring its documentation."""

    def declare(check: Callable) -> Rule:
        return Rule(code, name, severity, summary, check, options, inspect.cleandoc(check.__doc__ or ""))

    return declare


def documented(code: str, name: str, severity: Severity, summary: str, doc: str) -> Rule:
    """A rule the engine itself enforces (the LINT family): documentation without a check function."""
    return Rule(code, name, severity, summary, None, NoOptions, inspect.cleandoc(doc))


@dataclass
class Context:
    """What a rule may read: the checked spec (one environment), its lock, and lockfiles next to it."""

    checked: "CheckedSpec"
    lock: "Lock | None" = None
    _requirements: dict[str, list["Requirement"]] = field(default_factory=dict)

    @property
    def spec(self) -> "Spec":
        return self.checked.spec

    @property
    def env(self) -> str | None:
        return self.checked.env

    @cached_property
    def spec_dir(self) -> Path:
        return Path(self.checked.path).parent

    def lock_entry(self, model_key: str) -> "LockedModel | None":
        return self.lock.entry(model_key) if self.lock is not None else None

    def requirements(self, runtime: str) -> list["Requirement"]:
        """Packages a runtime installs: its `packages` list, then its lockfile if the file exists."""
        if runtime not in self._requirements:
            from .requirements import requirements_of

            self._requirements[runtime] = requirements_of(self.spec, runtime, self.spec_dir, self.checked.source_map)
        return self._requirements[runtime]

    def serving_runtimes(self) -> dict[str, list[str]]:
        """Runtime name -> the endpoints that serve with it."""
        used: dict[str, list[str]] = {}
        for name, endpoint in self.spec.serving.items():
            used.setdefault(endpoint.runtime, []).append(name)
        return used
