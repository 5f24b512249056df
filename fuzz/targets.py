"""What the fuzzers run: one input through every stage, failing on anything but a clean refusal.

`spec_pipeline(raw)`: load -> validate (base and every environment) -> lint -> lower -> the Pulumi
program -> plan (the example as the base side), rendering every diagnostic. `lock_file(raw)`: a lock
read for the example spec and used for compile. `promql_embedding(query)`: a query the spec layer
accepts stays one expression when alerts wrap it (checked against promql-parser, a dev dependency).

A clean refusal is SpecError or UsageError with printable messages; any other exception, a message
that cannot be written as UTF-8, or a valid spec whose build has two objects of one name is a crash.
Used by the atheris harnesses beside this file and by tests/test_fuzz.py.
"""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "mlops.yaml.example"
SPEC_NAME = "mlops.yaml"


def _refused(error) -> None:
    from compiler.diagnostics import SpecError

    texts = [d.render() for d in error.diagnostics] if isinstance(error, SpecError) else [str(error)]
    for text in texts:
        text.encode("utf-8")  # a message no terminal or log can hold is a crash too
        assert "Traceback" not in text, text


def spec_pipeline(raw: bytes, *, plan: bool = True, pulumi: bool = True) -> str:
    """Run one spec through every stage; returns how far it got ("load", "valid", ...)."""
    from compiler.checked_spec import check_document
    from compiler.diagnostics import SpecError, UsageError
    from compiler.loader import load_bytes
    from compiler.overlays import environment_names

    try:
        document = load_bytes(raw, SPEC_NAME)
    except (SpecError, UsageError) as error:
        _refused(error)
        return "load"
    checked = []
    for env in [None, *environment_names(document.data)]:
        try:
            checked.append(check_document(document, env))
        except (SpecError, UsageError) as error:
            _refused(error)
    if not checked:
        return "invalid"
    from backends.kubernetes import lower_files
    from backends.kubernetes.files import render_tree
    from compiler.commands.compile import duplicate_objects
    from compiler.lint import lint_environments

    try:
        findings = lint_environments(checked, None)
    except (SpecError, UsageError) as error:  # lint settings are validated when lint runs
        _refused(error)
        findings = []
    for finding in findings:
        str(finding.message).encode("utf-8")
    for one in checked:
        files = lower_files(one, None)
        problems = duplicate_objects(one, files)
        assert not problems, [p.render() for p in problems]
        render_tree(files, kustomize="manifests")
        if pulumi:
            from backends.pulumi.emitted import render_program, stack_outputs

            manifests = {path: objects for path, objects in files.items() if path.startswith("manifests/")}
            render_program(manifests, env=one.env, spec_file=SPEC_NAME,
                           outputs=stack_outputs([o for objects in manifests.values() for o in objects], one.env))
    if plan:
        _plan(raw)
    return "valid"


def _plan(raw: bytes) -> None:
    from compiler.diagnostics import SpecError, UsageError
    from compiler.plan import json_report, markdown
    from compiler.plan.build import build_plan
    from compiler.plan.revisions import Revision

    base = Revision("origin/main", EXAMPLE.read_bytes(), None, "origin/main:mlops.lock", ref="origin/main",
                    commit="0" * 40)
    head = Revision("working tree", raw, None, "mlops.lock")
    try:
        result = build_plan(SPEC_NAME, base, head, all_envs=True)
    except (SpecError, UsageError) as error:
        _refused(error)
        return
    markdown.render(result).encode("utf-8")
    json_report.render(result).encode("utf-8")


def lock_file(raw: bytes) -> str:
    """A lock for the example spec: parsed, checked for --frozen and used to lower."""
    from backends.kubernetes import lower_files
    from compiler.diagnostics import SpecError, UsageError
    from compiler.lock import check_frozen, parse_lock, usable_lock

    checked = _example()
    try:
        lock = parse_lock(raw, "mlops.lock")
    except (SpecError, UsageError) as error:
        _refused(error)
        return "refused"
    for problem in check_frozen(checked, lock):
        problem.render().encode("utf-8")
    usable, warnings = usable_lock(checked, lock)
    for warning in warnings:
        warning.encode("utf-8")
    lower_files(checked, usable)
    return "read"


_EXAMPLE_CHECKED = []


def _example():
    if not _EXAMPLE_CHECKED:
        from compiler.checked_spec import check_bytes

        _EXAMPLE_CHECKED.append(check_bytes(EXAMPLE.read_bytes(), str(EXAMPLE)))
    return _EXAMPLE_CHECKED[0]


def promql_embedding(query: str) -> str:
    """An accepted query that parses stays whole inside `(query) < 1`; returns "refused", "unparsable" or "kept"."""
    import promql_parser

    from compiler.spec.promql_text import embedding_problem

    if embedding_problem(query) is not None:
        return "refused"
    try:
        alone = promql_parser.parse(query)
    except (ValueError, TypeError, OverflowError):
        return "unparsable"
    # In parentheses the query must stay the whole expression; compared with a bound, the comparison
    # must apply to all of it (a range vector or a string cannot be compared: that is no escape).
    inside = promql_parser.parse(f"({query})")
    assert type(inside).__name__ == "ParenExpr" and str(inside.expr) == str(alone), (query, str(inside), str(alone))
    try:
        wrapped = promql_parser.parse(f"({query}) < 1")
    except (ValueError, TypeError, OverflowError):
        return "kept"
    assert type(wrapped).__name__ == "BinaryExpr" and type(wrapped.lhs).__name__ == "ParenExpr", (query, wrapped)
    assert str(wrapped.lhs.expr) == str(alone), (query, str(wrapped.lhs.expr), str(alone))
    return "kept"
