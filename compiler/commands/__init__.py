"""One module per `mlops` subcommand; each defines `register(subparsers)` and imports heavy things in `run`."""

DEFAULT_SPEC = "mlops.yaml"


def add_spec_argument(parser, nargs: str | None = "?") -> None:
    parser.add_argument("spec", nargs=nargs, default=DEFAULT_SPEC if nargs == "?" else None,
                        help=f"path to the spec (default: {DEFAULT_SPEC})")


def add_env_argument(parser) -> None:
    parser.add_argument("--env", metavar="ENV", help="environment overlay to apply (environments.ENV)")
