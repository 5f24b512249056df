"""`mlops lint [SPEC ...]`: check specs for the MLOps traps of docs/rules.md.

Without --env only the base spec is linted (what every environment inherits); --env ENV lints one
environment's merged spec, --all-envs the base and every environment, reporting a finding found in
several of them once. Exit 0 when no finding reaches --fail-on, 1 otherwise (or for an invalid spec),
2 for usage and I/O errors.
"""
from __future__ import annotations

import sys

from . import DEFAULT_SPEC


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lint", help="check specs for known MLOps production traps",
        description="Lint SPEC files (default: mlops.yaml) for the traps in docs/rules.md. Without --env the "
                    "base spec is linted; --all-envs lints the base and every environment.")
    parser.add_argument("specs", nargs="*", metavar="SPEC", help=f"spec files (default: {DEFAULT_SPEC})")
    envs = parser.add_mutually_exclusive_group()
    envs.add_argument("--env", metavar="ENV", help="lint the spec with environments.ENV applied")
    envs.add_argument("--all-envs", action="store_true", help="lint the base and every environment")
    parser.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--select", metavar="CODES", action="append",
                        help="only these rules: comma-separated codes or prefixes (SERVE, GPU001)")
    parser.add_argument("--ignore", metavar="CODES", action="append",
                        help="skip these rules: comma-separated codes or prefixes")
    parser.add_argument("--fail-on", choices=("error", "warning", "info"), default="error",
                        help="lowest severity that makes the exit code 1 (default: error)")
    parser.set_defaults(run=run)


def _codes(values: list[str] | None) -> set[str] | None:
    from ..diagnostics import UsageError
    from ..lint.registry import expand_codes

    if not values:
        return None
    try:
        return expand_codes([part for value in values for part in value.split(",") if part.strip()])
    except ValueError as error:
        raise UsageError(str(error)) from None


def lint_spec(path: str, env: str | None, all_envs: bool, select: set[str] | None,
              ignore: set[str] | None) -> tuple[list, tuple[str, ...]]:
    """Findings of one spec file (validation errors become SPEC findings) and the environments linted."""
    from dataclasses import replace

    from ..checked_spec import check_document
    from ..diagnostics import SpecError
    from ..lint import lint_environments, load_lock
    from ..lint.formats import from_diagnostic
    from ..loader import load_file
    from ..overlays import environment_names

    try:
        document = load_file(path)
        names = [None, *environment_names(document.data)] if all_envs else [env]
        checked, problems = [], {}
        for name in names:
            try:
                checked.append(check_document(document, name))
            except SpecError as error:
                for d in error.diagnostics:  # one finding per problem, with the environments it breaks
                    problems.setdefault((d.position, d.message), (d, []))[1].append(name or "base")
        if problems:
            return [replace(from_diagnostic(d), envs=tuple(envs)) for d, envs in problems.values()], \
                tuple(n or "base" for n in names)
        return lint_environments(checked, load_lock(path), select=select, ignore=ignore), \
            tuple(n or "base" for n in names)
    except SpecError as error:
        return [from_diagnostic(d) for d in error.diagnostics], ()


def run(args) -> int:
    from ..lint.formats import fails, render

    select, ignore = _codes(args.select), _codes(args.ignore)
    findings, linted = [], ()
    for path in args.specs or [DEFAULT_SPEC]:
        found, linted = lint_spec(path, args.env, args.all_envs, select, ignore)
        findings += found
    findings.sort()
    if args.format in ("text", "github"):  # for people and annotations; json and sarif stay complete
        from ..diagnostics import MAX_SHOWN, more_line

        rest = more_line(len(findings), "findings")
        sys.stdout.write(render(findings[:MAX_SHOWN], args.format, linted) + (rest + "\n" if rest else ""))
    else:
        sys.stdout.write(render(findings, args.format, linted))
    if args.format == "text":
        print(_summary(findings), file=sys.stderr)
    return 1 if fails(findings, args.fail_on) else 0


def _summary(findings: list) -> str:
    if not findings:
        return "mlops lint: no findings"
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    parts = [f"{counts[s]} {s}{'s' if counts[s] > 1 else ''}" for s in ("error", "warning", "info") if s in counts]
    return f"mlops lint: {len(findings)} finding{'s' if len(findings) > 1 else ''} ({', '.join(parts)})"
