"""One module per `mlops` subcommand; each defines `register(subparsers)` and imports heavy things in `run`."""

DEFAULT_SPEC = "mlops.yaml"


def add_spec_argument(parser, nargs: str | None = "?") -> None:
    parser.add_argument("spec", nargs=nargs, default=DEFAULT_SPEC if nargs == "?" else None,
                        help=f"path to the spec (default: {DEFAULT_SPEC})")


def add_env_argument(parser) -> None:
    parser.add_argument("--env", metavar="ENV", help="environment overlay to apply (environments.ENV)")


def write_output(text: str, path: str | None) -> None:
    """Write a command's result to `path`, or to standard output when there is none (I/O errors exit 2)."""
    import sys

    if not path:
        sys.stdout.write(text)
        return
    from ..diagnostics import UsageError

    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from None
