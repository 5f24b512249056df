"""`mlops validate [SPEC ...] [--env ENV]`: load, overlay and validate; no output but errors."""
from __future__ import annotations

import sys

from . import DEFAULT_SPEC, add_env_argument


def register(subparsers) -> None:
    parser = subparsers.add_parser("validate", help="check a spec against the language (no lint)",
                                   description="Validate each SPEC: syntax, schema and references. Without --env "
                                               "the base and every environment are validated.")
    parser.add_argument("specs", nargs="*", metavar="SPEC", help=f"specs to validate (default: {DEFAULT_SPEC})")
    add_env_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    """Every spec is checked even when an earlier one fails (pre-commit passes them all at once)."""
    from ..checked_spec import check_all_environments, check_file
    from ..diagnostics import SpecError, UsageError

    status = 0
    for spec in args.specs or [DEFAULT_SPEC]:
        try:
            if args.env:
                check_file(spec, args.env)
                checked = [args.env]
            else:
                checked = ["base"] + [c.env for c in check_all_environments(spec)[1:]]
        except SpecError as error:
            from ..cli import print_diagnostics

            print_diagnostics(error.diagnostics)
            status = max(status, 1)
            continue
        except UsageError as error:
            print(f"mlops: error: {error}", file=sys.stderr)
            status = 2
            continue
        print(f"{spec}: valid ({', '.join(checked)})", file=sys.stderr)
    return status
