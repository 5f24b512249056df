"""Every rule fires on its failing cases at the right line:col and stays silent on its passing cases."""
from __future__ import annotations

from compiler.checked_spec import check_file
from compiler.lint import lint
from tests.lint.lock_fixtures import build_lock
from tests.lint.rule_cases import load_cases


def pytest_generate_tests(metafunc):
    if "rule_case" in metafunc.fixturenames:
        cases = load_cases()
        metafunc.parametrize("rule_case", cases, ids=[c.id for c in cases])


def findings_of(rule_case, tmp_path):
    spec = tmp_path / "mlops.yaml"
    spec.write_text(rule_case.spec, encoding="utf-8")
    for name, text in rule_case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    checked = check_file(str(spec), rule_case.env)
    lock = build_lock(rule_case.lock, checked) if rule_case.lock is not None else None
    return lint(checked, lock)


def test_rule_case(rule_case, tmp_path):
    findings = findings_of(rule_case, tmp_path)
    got = sorted((f"{f.line}:{f.col}" for f in findings if f.code == rule_case.code),
                 key=lambda p: tuple(map(int, p.split(":"))))
    expected = sorted(rule_case.expect, key=lambda p: tuple(map(int, p.split(":"))))
    detail = "\n".join(f"{f.line}:{f.col} {f.code} {f.message}" for f in findings)
    assert got == expected, f"{rule_case.code} at {got}, expected {expected}; all findings:\n{detail}"
