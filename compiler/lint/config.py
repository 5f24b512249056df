"""`lint:` as the engine applies it: codes checked, options validated against the rules' option models.

The spec models keep `lint.options` an open mapping; here it is validated against the union of every
rule's options model (flat keys: `large_model`, `download_bandwidth`, ...). Problems are spec errors
(exit 1) at the line and column of the offending key or value, with a "did you mean".
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..checked_spec import CheckedSpec
from ..diagnostics import DiagnosticBag
from ..validation import dotted
from .registry import BY_CODE, RULES, SUPPRESSION_RULES, suggest_code
from .rule import Rule, RuleOptions, Severity


@dataclass(frozen=True)
class LintSettings:
    """What one lint run does: which rules, at which severity, with which options."""

    disabled: frozenset[str]
    severity: dict[str, Severity]
    options: dict[str, Any]     # validated values of the options the spec sets

    def severity_of(self, rule: Rule) -> Severity:
        return self.severity.get(rule.code, rule.severity)

    def options_for(self, rule: Rule) -> RuleOptions:
        # Values were validated by the union model, which shares these very fields: no second validation.
        return rule.options.model_construct(**{k: v for k, v in self.options.items() if k in rule.options.model_fields})


@cache
def option_owners() -> dict[str, list[str]]:
    """Option name -> the codes of the rules that read it."""
    owners: dict[str, list[str]] = {}
    for rule in RULES:
        for name in rule.options.model_fields:
            owners.setdefault(name, []).append(rule.code)
    return owners


@cache
def _union_model() -> type[RuleOptions]:
    from pydantic import create_model

    fields: dict[str, Any] = {}
    for rule in RULES:
        for name, info in rule.options.model_fields.items():
            fields.setdefault(name, (info.annotation, info))
    return create_model("LintOptions", __base__=RuleOptions, **fields)


def settings(checked: CheckedSpec) -> LintSettings:
    """Check `lint:` of this environment and return what the run applies. Raises SpecError."""
    config = checked.spec.lint
    where = checked.source_map
    bag = DiagnosticBag()

    def check_code(code: str, path: tuple) -> bool:
        if code in BY_CODE:
            return True
        bag.add(where.value(path), f"{dotted(path)}: unknown rule code {code!r}{suggest_code(code)}", path)
        return False

    for i, code in enumerate(config.disable):
        check_code(code, ("lint", "disable", i))
    for code in config.severity:
        check_code(code, ("lint", "severity", code))
    for i, entry in enumerate(config.ignore):
        path = ("lint", "ignore", i, "rule")
        if check_code(entry.rule, path) and entry.rule in SUPPRESSION_RULES:
            bag.add(where.value(path), f"{dotted(path)}: {entry.rule} polices ignores and cannot itself be ignored; "
                    "turn it off with lint.disable", path)
    options = _validate_options(config.options, checked, bag)
    bag.raise_if_any()
    return LintSettings(frozenset(config.disable), dict(config.severity), options)


def _validate_options(raw: dict[str, Any], checked: CheckedSpec, bag: DiagnosticBag) -> dict[str, Any]:
    if not raw:
        return {}
    from pydantic import ValidationError

    owners = option_owners()
    try:
        validated = _union_model().model_validate(raw)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            key = str(item["loc"][0]) if item["loc"] else ""
            path = ("lint", "options", key)
            if item["type"] == "extra_forbidden":
                close = difflib.get_close_matches(key, list(owners), n=1, cutoff=0.6)
                bag.add(checked.source_map.key(path), f"unknown lint option {key!r}"
                        + (f"; did you mean {close[0]!r}?" if close else ""), path,
                        hint="options: " + ", ".join(f"{name} ({', '.join(codes)})" for name, codes in owners.items()))
            else:
                message = item["msg"].removeprefix("Value error, ")
                bag.add(checked.source_map.value(path), f"lint.options.{key} ({', '.join(owners.get(key, []))}): "
                        f"{message}", path)
        return {}
    return {name: getattr(validated, name) for name in raw}
