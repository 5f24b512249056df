"""`mlops init [SPEC] [--force]`: scaffold a Pulumi project (and a pre-commit hook) beside the spec."""
from __future__ import annotations

import sys

from . import add_spec_argument


def register(subparsers) -> None:
    parser = subparsers.add_parser("init", help="scaffold a Pulumi project and a pre-commit hook beside a spec",
                                   description="Write Pulumi.yaml, __main__.py (deploy(SPEC)), requirements.txt, one "
                                               "Pulumi.<env>.yaml per environment and .pre-commit-config.yaml "
                                               "(mlops lint) next to SPEC; the pre-commit config goes to the root of the git repository SPEC is "
                                               "in (merged into an existing one). Existing files are kept unless --force.")
    add_spec_argument(parser)
    parser.add_argument("--force", action="store_true", help="overwrite files that already exist")
    parser.set_defaults(run=run)


def run(args) -> int:
    from backends.pulumi.init_project import PRE_COMMIT, scaffold

    from ..diagnostics import UsageError
    from ..escaping import terminal

    try:
        result = scaffold(args.spec, force=args.force)
    except OSError as error:
        raise UsageError(f"cannot write the project beside {args.spec}: {error.strerror or error}") from None
    where = result.directory
    for name in result.written:
        print(f"wrote {terminal.text(where / name)}", file=sys.stderr)
    for name in result.merged:
        print(f"added the mlops-lint hook to {terminal.text(where / name)}", file=sys.stderr)
    for name in result.kept:
        print(f"kept {terminal.text(where / name)}: it exists (--force overwrites it)", file=sys.stderr)
    if any(name.endswith(PRE_COMMIT) for name in result.kept):
        print(f"  to lint in pre-commit, add the mlops-lint hook `mlops init --force` would write to {PRE_COMMIT}",
              file=sys.stderr)
    for env, reason in result.skipped.items():
        print(f"no stack file for environment {terminal.text(repr(env))}: {reason}", file=sys.stderr)
    print("next: pulumi stack init <environment> && pulumi up", file=sys.stderr)
    return 0
