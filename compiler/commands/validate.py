"""`mlops validate [SPEC] [--env ENV]`: load, overlay and validate; no output but errors."""
from __future__ import annotations

import sys

from . import add_env_argument, add_spec_argument


def register(subparsers) -> None:
    parser = subparsers.add_parser("validate", help="check a spec against the language (no lint)",
                                   description="Validate SPEC: syntax, schema and references. Without --env the "
                                               "base and every environment are validated.")
    add_spec_argument(parser)
    add_env_argument(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..checked_spec import check_all_environments, check_file

    if args.env:
        check_file(args.spec, args.env)
        checked = [args.env]
    else:
        checked = ["base"] + [c.env for c in check_all_environments(args.spec)[1:]]
    print(f"{args.spec}: valid ({', '.join(checked)})", file=sys.stderr)
    return 0
