"""`mlops registry seed [SPEC] [--tracking-uri URI]`: a local MLflow registry with real demo models."""
from __future__ import annotations

import sys

from . import add_spec_argument


def register(subparsers) -> None:
    parser = subparsers.add_parser("registry", help="work with the MLflow model registry (demo seeding)",
                                   description="Work with the MLflow model registry the spec names.")
    actions = parser.add_subparsers(dest="registry_command", metavar="ACTION")
    seed = actions.add_parser(
        "seed", help="create demo versions of the spec's models in a (local) registry",
        description="For every model of SPEC, register a small real scikit-learn model in several versions, with "
                    "lineage tags and the spec's alias, so that `mlops lock` and `mlops compile` can run with no "
                    "server. With the default tracking URI the registry is mlruns.db next to SPEC and the "
                    "artifacts go to mlartifacts/ beside it. Models seeded before are left alone; models that exist "
                    "but were not seeded are refused.")
    add_spec_argument(seed)
    seed.add_argument("--tracking-uri", metavar="URI",
                      help="registry to seed (default: platform.mlflow.tracking_uri of the spec)")
    seed.set_defaults(run=run_seed)
    parser.set_defaults(run=lambda args: _usage(parser))


def _usage(parser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_seed(args) -> int:
    from ..checked_spec import check_file
    from ..registry import registry_for, require_mlflow, seed_registry

    require_mlflow()
    checked = check_file(args.spec)
    registry = registry_for(checked, args.tracking_uri)
    from ..escaping import terminal

    for line in seed_registry(checked, registry):
        print(terminal.line(line), file=sys.stderr)
    print(terminal.text(f"next: mlops lock {checked.path}" + (f" --tracking-uri {args.tracking_uri}"
                                                              if args.tracking_uri else "")), file=sys.stderr)
    return 0
