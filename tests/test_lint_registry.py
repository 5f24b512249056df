"""The rule registry against RULES.md: every code registered with its name and severity, documented with
every section, with failing and passing cases; rule names describe problems; options are one flat set."""
from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from compiler.lint.docs import rules_markdown
from compiler.lint.registry import BY_CODE, RULES
from compiler.lint.rule import DOC_SECTIONS
from tests.conftest import REPO_ROOT
from tests.lint.rule_cases import load_cases
from tests.upstream import SKIP_REASON, upstream_dir

_ROW = re.compile(r"^\| (?P<code>[A-Z]+[0-9]{3}) \| (?P<name>[a-z0-9-]+) \| (?P<severity>error|warning|info) \|")


def rules_md_table() -> dict[str, tuple[str, str]]:
    root = upstream_dir()
    if root is None or not (root / "RULES.md").is_file():
        pytest.skip(SKIP_REASON)
    rows = {}
    for line in (root / "RULES.md").read_text(encoding="utf-8").splitlines():
        if match := _ROW.match(line):
            rows[match["code"]] = (match["name"], match["severity"])
    return rows


#: Codes added after RULES.md was written (issue 12: what the controllers refuse or never schedule).
#: They are held to the same docs, cases and naming as the rest; RULES.md is upstream data, not ours to edit.
BEYOND_RULES_MD = {"GPU008", "GPU009", "GPU010", "MON006", "MON007", "MON008", "SCHED001", "SERVE005", "SCHED002", "SCHED003", "SCHED004", "GPU021", "GPU022",
                   "LLM001", "LLM002", "LLM003",  # issue 16: LLM serving
                   "TRAIN001", "TRAIN002",  # issue 16: distributed and spot training
                   "PATCH001",  # issue 15: overrides
                   "SEC001",  # issue 15: credentials in plain env values
                   # issue 19, the traps closed in the output: rollback records, declared lineage, MIG/MPS limits
                   "REPRO004", "REPRO005", "GPU011", "GPU012", "GPU013", "SKEW007",
                   "DEPS003", "REPRO006"}  # issue 17: a missing lockfile, a served version without a storage URI


def test_every_code_of_rules_md_is_registered_with_its_name_and_severity():
    table = rules_md_table()
    assert len(table) >= 29
    registered = {r.code: (r.name, r.severity) for r in RULES}
    assert {code: registered.get(code) for code in table} == table
    assert set(registered) - set(table) == BEYOND_RULES_MD


def test_codes_are_unique_and_in_families():
    assert len(BY_CODE) == len(RULES)
    assert all(re.fullmatch(r"(SKEW|DEPS|GPU|LLM|TRAIN|SERVE|REPRO|MON|SCHED|PATCH|SEC|LINT)[0-9]{3}", r.code) for r in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule):
    sections = rule.sections()
    assert list(sections)[:4] == list(DOC_SECTIONS), f"{rule.code} sections: {list(sections)}"
    for title in DOC_SECTIONS:
        assert len(sections[title]) > 40, f"{rule.code}: section {title!r} is too thin"
    for title in ("Example", "Use instead"):
        snippet = re.search(r"```yaml\n(.*?)```", sections[title], re.S)
        assert snippet, f"{rule.code}: {title} has no yaml block"
        assert isinstance(yaml.safe_load(snippet[1]), dict), f"{rule.code}: {title} is not a YAML mapping"
    for name, info in rule.options.model_fields.items():
        assert info.description, f"{rule.code}: option {name} has no description"
        assert name in rule.doc or name in rule.summary, f"{rule.code}: option {name} is not mentioned in its docs"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_name_names_the_problem(rule):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name)
    assert not rule.name.startswith(("avoid-", "use-", "prefer-", "do-not-", "no-use-"))


def test_every_rule_has_failing_and_passing_cases():
    cases = load_cases()
    failing = Counter(c.code for c in cases if c.expect)
    passing = Counter(c.code for c in cases if not c.expect)
    missing = [r.code for r in RULES if not failing[r.code] or not passing[r.code]]
    assert not missing, f"rules without a failing and a passing case: {missing}"


def test_options_are_one_flat_namespace():
    seen = {}
    for rule in RULES:
        assert rule.options.model_config.get("extra") == "forbid"
        for name, info in rule.options.model_fields.items():
            assert name not in seen, f"option {name} is declared by {seen.get(name)} and {rule.code}"
            seen[name] = rule.code
            assert info.default is not None


def test_docs_rules_md_is_current():
    committed = (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "docs/rules.md is stale: run `mlops rules --markdown > docs/rules.md`"
