"""The `mlops` command line. Exit codes: 0 ok, 1 invalid input or findings, 2 usage or I/O error.

Each subcommand lives in `compiler/commands/<name>.py` with `register(subparsers)`; modules import
their heavy dependencies (jinja2, pulumi, mlflow) inside `run`, so `validate` and `lint` stay fast.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys

# A short-lived CLI that builds large trees: Python's default collector rescans every live object
# more and more often as they pile up (compile at 1000 endpoints: 9.3 s -> 7.0 s with this).
gc.set_threshold(100_000, 50, 100)
from . import pydantic_plugins
from .diagnostics import SpecError, UsageError, report

# pydantic scans every installed package's entry points for plugins on first validation; the CLI
# uses none (a user who wants one can still set PYDANTIC_DISABLE_PLUGINS).
pydantic_plugins.disable()

COMMANDS = ("validate", "lint", "compile", "plan", "graph", "lock", "registry", "init", "rules", "schema",
            "monitor")

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its usage line, drop nothing
        self.print_usage(sys.stderr)
        raise UsageError(message)


class _VersionAction(argparse.Action):
    """--version, reading package metadata only when asked (importlib.metadata costs ~15 ms)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"mlops {_version()}")
        parser.exit()


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with argv naming a command, only that command's module is imported (pre-commit speed)."""
    parser = _Parser(prog="mlops", description="Compile mlops.yaml into ML infrastructure on Kubernetes, "
                                               "and lint it for the traps that break ML systems in production.")
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    first = next((arg for arg in argv or [] if not arg.startswith("-")), None)
    for name in ([first] if first in COMMANDS else COMMANDS):
        try:
            module = importlib.import_module(f"compiler.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"compiler.commands.{name}":
                raise
            continue  # a command not built yet
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    _printable_output()
    try:
        argv = sys.argv[1:] if argv is None else argv
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args.run(args)
    except SpecError as error:
        report(error)
        return EXIT_INVALID
    except UsageError as error:
        report(error)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # never show a user a traceback; MLOPS_DEBUG=1 shows it for us
        if os.environ.get("MLOPS_DEBUG"):
            raise
        from .escaping import terminal

        print(f"mlops: internal error: {type(error).__name__}: {terminal.text(error)} (rerun with MLOPS_DEBUG=1 "
              "and report it)", file=sys.stderr)
        return EXIT_USAGE


def _printable_output() -> None:
    """A terminal that cannot show a character (LANG=C, PYTHONIOENCODING=ascii) gets an escape, not a crash.

    stderr already does this (Python's default); stdout carries lint findings and plans.
    """
    stream = sys.stdout
    if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # a stream that cannot be reconfigured: leave it
            pass


def entry() -> int:
    """The `mlops` console script: `main`, then an exit without the interpreter's last collections.

    On exit the interpreter runs full garbage collections over every object still alive (pydantic's
    validators and schemas are most of them): ~20 ms of a ~140 ms `mlops lint` in pre-commit.
    The memory goes back to the OS either way; frozen objects are skipped, and atexit handlers and
    buffered output are unaffected. `main` itself leaves the collector alone: tests call it in-process.
    """
    code = main()
    gc.freeze()
    return code


def _version() -> str:
    from .distribution import version

    return version("unknown")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(entry())
