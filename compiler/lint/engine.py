"""The lint engine: run the registered rules on a checked spec, apply severities and suppressions.

    lint(checked, lock) -> list[Finding]          one environment (or the base)
    lint_environments(path, lock) -> list[Finding]  the base and every environment, deduplicated

Rules read the validated spec, its source map and the lock; they never read the file. Invalid
`lint:` settings (unknown codes or options, bad option values) raise SpecError, like other spec errors.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..checked_spec import CheckedSpec
from .config import LintSettings, settings
from .registry import BY_CODE, RULES
from .rule import SEVERITY_RANK, Context, Finding, Problem, Rule
from .suppressions import apply


@dataclass
class LintResult:
    findings: list[Finding]
    used_ignores: set[tuple]  # identities of LINT001 findings that did not fire because the ignore was used


def load_lock(spec_path: str):
    """The spec's lock, or None when there is none (or no lock reader is installed yet)."""
    try:
        from ..lock import read_lock
    except ImportError:
        return None
    return read_lock(spec_path)


def lint(checked: CheckedSpec, lock=None, *, select: set[str] | None = None,
         ignore: set[str] | None = None) -> list[Finding]:
    """Findings for one checked spec, sorted by position. `select`/`ignore` are sets of codes."""
    return run(checked, lock, select=select, ignore=ignore).findings


def run(checked: CheckedSpec, lock=None, *, select: set[str] | None = None,
        ignore: set[str] | None = None) -> LintResult:
    config = settings(checked)
    wanted = {code for code in BY_CODE if (select is None or code in select) and code not in (ignore or set())
              and code not in config.disabled}
    context = Context(checked, lock)
    findings = [_finding(rule, problem, checked, config)
                for rule in RULES if rule.check is not None and rule.code in wanted
                for problem in rule.check(context, config.options_for(rule))]
    suppressed = apply(findings, checked, wanted)
    hygiene = [_finding(BY_CODE[code], problem, checked, config)
               for code, problem in suppressed.hygiene if code in wanted]
    used = {_finding(BY_CODE["LINT001"], problem, checked, config).identity for problem in suppressed.used_ignores}
    env = (checked.env or "base",)
    result = [replace(f, envs=env) for f in suppressed.kept + hygiene]
    return LintResult(sorted(result), used)


def lint_environments(checked: Iterable[CheckedSpec], lock=None, *, select: set[str] | None = None,
                      ignore: set[str] | None = None) -> list[Finding]:
    """Lint several environments of one spec; a finding reported in several is reported once, naming them.

    An ignore that was used in any environment is not reported as unused in another.
    """
    merged: dict[tuple, Finding] = {}
    used: set[tuple] = set()
    for one in checked:
        result = run(one, lock, select=select, ignore=ignore)
        used |= result.used_ignores
        for finding in result.findings:
            seen = merged.get(finding.identity)
            if seen is None:
                merged[finding.identity] = finding
            else:
                worst = max(seen.severity, finding.severity, key=SEVERITY_RANK.__getitem__)
                merged[finding.identity] = replace(seen, severity=worst, envs=seen.envs + finding.envs)
    return sorted(f for f in merged.values() if not (f.code == "LINT001" and f.identity in used))


def _finding(rule: Rule, problem: Problem, checked: CheckedSpec, config: LintSettings) -> Finding:
    where = checked.source_map
    position = problem.position or (where.key(problem.path) if problem.at == "key" else where.value(problem.path))
    return Finding(position.file, position.line, position.col, rule.code, problem.message,
                   severity=config.severity_of(rule), name=rule.name, path=tuple(problem.path), hint=problem.hint)
