"""Suppressions: `lint.ignore` entries and `# mlops: ignore CODE[,CODE] -- reason` comments.

A comment at the end of a line suppresses findings on that line; a comment on a line of its own
suppresses findings on the next line that is not blank or a comment. An ignore entry suppresses
findings of its rule whose spec path is its `at` or lies under it (`at: serving.api` covers
`serving.api.replicas.min`). Ignores without a reason still suppress, and are LINT002; ignores that
suppress nothing are LINT001.

Only a real YAML comment suppresses: text that looks like one inside a quoted string, a block
scalar or a flow collection is data (`'# mlops: ignore SERVE001 -- x'` in an image name, say, must
not switch a rule off). Which `#` starts a comment is the YAML scanner's decision: a `#` inside no
token (scalar, anchor, alias, tag) is a comment. The scan runs only when a line holds the text.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..checked_spec import CheckedSpec
from ..diagnostics import DiagnosticBag, Position
from ..validation import dotted
from .registry import BY_CODE, SUPPRESSION_RULES, suggest_code
from .rule import Finding, Problem
from .rules.hygiene import IGNORE_WITHOUT_REASON, UNUSED_IGNORE

UNUSED, WITHOUT_REASON = UNUSED_IGNORE.code, IGNORE_WITHOUT_REASON.code

_COMMENT = re.compile(r"#\s*mlops:\s*ignore\b(?P<rest>.*)$")
_CODE = re.compile(r"[A-Za-z]+[0-9]+")


@dataclass
class IgnoreComment:
    position: Position          # where the `#` is
    target_line: int            # the line whose findings it suppresses
    codes: tuple[str, ...]
    reason: str | None
    used: set[str] = field(default_factory=set)


class _Tokens:
    """Where the YAML scanner found scalars, anchors, aliases and tags: a `#` outside all of them is a comment."""

    def __init__(self, text: str):
        spans = sorted(_token_spans(text))
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]

    def is_comment(self, line: int, col: int) -> bool:
        """Whether the `#` at 0-based (line, col) starts a comment."""
        at = (line, col)
        index = bisect_right(self.starts, at) - 1
        return index < 0 or not at < self.ends[index]


def _token_spans(text: str) -> Iterable[tuple[tuple[int, int], tuple[int, int]]]:
    """((line, col), (line, col)) of every token that holds text, 0-based, from libyaml (or PyYAML's scanner)."""
    from yaml.tokens import AliasToken, AnchorToken, ScalarToken, StreamEndToken, TagToken

    try:
        from yaml.cyaml import CParser as Scanner
    except ImportError:  # PyYAML without libyaml
        from yaml.loader import SafeLoader as Scanner
    scanner = Scanner(text)
    try:
        while not isinstance(token := scanner.get_token(), StreamEndToken):
            if isinstance(token, (ScalarToken, AnchorToken, AliasToken, TagToken)):
                yield ((token.start_mark.line, token.start_mark.column), (token.end_mark.line, token.end_mark.column))
    finally:
        scanner.dispose()


def parse_comments(text: str, file: str) -> list[IgnoreComment]:
    """Every `# mlops: ignore` comment of the file. Raises SpecError for a comment without codes or with
    unknown ones."""
    lines = text.splitlines()
    comments, bag = [], DiagnosticBag()
    tokens: _Tokens | None = None
    for number, line in enumerate(lines, start=1):
        if "mlops" not in line or not (match := _COMMENT.search(line)):
            continue
        tokens = tokens or _Tokens(text)
        if not tokens.is_comment(number - 1, match.start()):
            continue
        position = Position(file, number, match.start() + 1)
        codes_text, dashes, reason = match["rest"].partition("--")
        codes = tuple(code.upper() for code in _CODE.findall(codes_text))
        if not codes:
            bag.add(position, "`# mlops: ignore` needs the codes it ignores: `# mlops: ignore SERVE001 -- reason`")
            continue
        for code in codes:
            if code not in BY_CODE:
                bag.add(position, f"unknown rule code {code!r} in an ignore comment{suggest_code(code)}")
            elif code in SUPPRESSION_RULES:
                bag.add(position, f"{code} polices ignores and cannot itself be ignored; use lint.disable")
        own_line = not line[:match.start()].strip()
        target = number
        if own_line:
            target = next((n for n in range(number + 1, len(lines) + 1)
                           if lines[n - 1].strip() and not _comment_line(lines[n - 1], n, tokens)), number + 1)
        comments.append(IgnoreComment(position, target, codes, reason.strip() or None if dashes else None))
    bag.raise_if_any()
    return comments


def _comment_line(line: str, number: int, tokens: _Tokens) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("#") and tokens.is_comment(number - 1, len(line) - len(stripped))


@dataclass
class Suppressed:
    """The findings that remain, the LINT findings about the ignores, and the unused-ignore findings that
    were *not* raised because the ignore was used (so several environments can be merged)."""

    kept: list[Finding]
    hygiene: list[tuple[str, Problem]]   # (LINT001 | LINT002, problem)
    used_ignores: list[Problem]          # LINT001 problems that did not happen


def _covers(at: str, path: tuple) -> bool:
    target = dotted(path)
    at = at.strip()
    return target == at or target.startswith(at + ".") or target.startswith(at + "[")


def apply(findings: Iterable[Finding], checked: CheckedSpec, ran: set[str]) -> Suppressed:
    entries = checked.spec.lint.ignore
    used_entries: set[int] = set()
    comments = parse_comments(checked.document.text, checked.path)
    by_line: dict[int, list[IgnoreComment]] = {}
    for comment in comments:
        by_line.setdefault(comment.target_line, []).append(comment)
    kept = []
    for finding in findings:
        suppressed = False
        for i, entry in enumerate(entries):
            if entry.rule == finding.code and _covers(entry.at, finding.path):
                used_entries.add(i)
                suppressed = True
        if finding.file == checked.path:
            for comment in by_line.get(finding.line, ()):
                if finding.code in comment.codes:
                    comment.used.add(finding.code)
                    suppressed = True
        if not suppressed:
            kept.append(finding)

    hygiene, used = [], []
    for i, entry in enumerate(entries):
        path = ("lint", "ignore", i)
        if not (entry.reason or "").strip():
            hygiene.append((WITHOUT_REASON, Problem(path, f"the ignore of {entry.rule} at {entry.at} gives no reason",
                                                    hint="add `reason:` saying why this finding is acceptable here")))
        if entry.rule in ran:
            unused = Problem(path, f"the ignore of {entry.rule} at {entry.at} matches no finding",
                             hint="remove this lint.ignore entry")
            if i in used_entries:
                used.append(unused)
            else:
                hygiene.append((UNUSED, unused))
    for comment in comments:
        if comment.reason is None:
            hygiene.append((WITHOUT_REASON, Problem((), f"`# mlops: ignore {','.join(comment.codes)}` gives no reason",
                                                    hint="add ` -- reason` after the codes",
                                                    position=comment.position)))
        for code in comment.codes:
            if code in ran:
                unused = Problem((), f"`# mlops: ignore {code}` on line {comment.target_line} matches no finding",
                                 hint=f"remove {code} from this comment", position=comment.position)
                if code in comment.used:
                    used.append(unused)
                else:
                    hygiene.append((UNUSED, unused))
    return Suppressed(kept, hygiene, used)

