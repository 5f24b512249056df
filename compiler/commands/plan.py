"""`mlops plan [SPEC] --base REF`: what a change to the spec does, as a Markdown review (or JSON).

Exit codes: 0 the plan was produced (with or without changes); with --detailed-exitcode, 2 when
it has changes and 0 when it has none (as `terraform plan -detailed-exitcode`). Errors: 1 for an
invalid spec on either side, 2 for usage and I/O errors, except under --detailed-exitcode, where
every error is 1 so that 2 always means "changes".
"""
from __future__ import annotations

from . import add_spec_argument, write_output

EXIT_CHANGES = 2


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "plan", help="review a change: objects added/changed/removed, model moves, lint delta, GPU cost",
        description="Compile SPEC at a base revision and in the working tree and describe the difference: "
                    "resources added, changed and removed (with minimal YAML diffs and the spec changes that "
                    "cause them), model versions that move, lint findings introduced and resolved, node-pool "
                    "cost before and after, and the pipeline DAGs the change touches. Reads mlops.lock on both "
                    "sides; never the network.")
    add_spec_argument(parser)
    base = parser.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", metavar="REF", help="git revision to compare against (`git show REF:path`, in the "
                                                    "repository SPEC lives in), e.g. origin/main or HEAD~1")
    base.add_argument("--base-spec", metavar="FILE", help="compare against this spec file instead (no git); its "
                                                          "lock is the one next to it")
    envs = parser.add_mutually_exclusive_group()
    envs.add_argument("--env", metavar="ENV", help="plan this environment only (default: the base spec and every "
                                                  "environment of either side)")
    envs.add_argument("--all-envs", action="store_true",
                      help="one section per environment of either side, without the base spec (the base spec when "
                           "neither has any)")
    envs.add_argument("--base-only", action="store_true",
                      help="plan the base spec only, without any environment overlay")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown",
                        help="markdown (a PR comment) or json (docs/plan-json.md); default markdown")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="exit 2 when the plan has changes, 0 when it has none, 1 on any error")
    parser.set_defaults(run=run)


def run(args) -> int:
    if not args.detailed_exitcode:
        return _plan(args)
    from ..diagnostics import SpecError, UsageError, report

    try:
        return _plan(args)
    except (SpecError, UsageError) as error:
        report(error)
        return 1


def _plan(args) -> int:
    from ..plan.build import build_plan
    from ..plan.revisions import git_revision, spec_file, working_tree

    head = working_tree(args.spec)
    base = git_revision(args.spec, args.base) if args.base is not None else spec_file(args.base_spec)
    plan = build_plan(args.spec, base, head, env=args.env, all_envs=args.all_envs, base_only=args.base_only)
    if args.format == "json":
        from ..plan.json_report import render
    else:
        from ..plan.markdown import render
    write_output(render(plan), args.output)
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else 0
