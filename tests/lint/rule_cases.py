"""Rule cases, sqlfluff style: tests/lint/cases/<CODE>.yaml holds named cases, each a whole spec (and
optionally an environment, a lock and files beside the spec) with the line:col of every finding of
that code it must produce (`expect: []` for a passing case). `pytest_generate_tests` (in
test_rule_cases.py) turns every case of every file into one parametrized test."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

CASES_DIR = Path(__file__).parent / "cases"


@dataclass
class RuleCase:
    code: str
    name: str
    spec: str
    expect: list[str]
    env: str | None = None
    lock: dict | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.code}-{self.name}"


def load_cases() -> list[RuleCase]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["rule"] == path.stem, f"{path.name} declares rule {data['rule']}"
        for name, case in data["cases"].items():
            unknown = set(case) - {"spec", "expect", "env", "lock", "files"}
            assert not unknown, f"{path.name} case {name}: unknown keys {unknown}"
            cases.append(RuleCase(path.stem, name, case["spec"], [str(e) for e in case["expect"]], case.get("env"),
                                  case.get("lock"), case.get("files") or {}))
    return cases

