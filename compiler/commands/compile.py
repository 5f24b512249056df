"""`mlops compile [SPEC] [--env ENV] [-o DIR] [--backend kubernetes|pulumi|all]`: write what the spec deploys.

Output for environment ENV (or `base` without --env) goes to DIR/ENV/:
    manifests/             one multi-document YAML per component + kustomization.yaml (kubectl apply -k)
    rollback/<endpoint>/   v<N>.yaml: the manifests that serve each kept previous model version
    pulumi/                (--backend pulumi or all) a Pulumi program declaring the same objects

Each backend is an emitter: a function (checked spec, lock, staging dir) -> the top-level folders it
wrote. The whole of DIR/ENV is built in a staging directory beside it and put in place in one step,
under a lock (compiler/build_output.py): a failed, killed or concurrent compile leaves the previous
build whole.
"""
from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from . import add_env_argument, add_spec_argument

DEFAULT_OUTPUT = "build"
BACKENDS = ("kubernetes", "pulumi")


def register(subparsers) -> None:
    parser = subparsers.add_parser("compile", help="compile a spec into Kubernetes manifests (and a Pulumi program)",
                                   description="Lower SPEC for one environment into Kubernetes manifests under "
                                               "DIR/<env>/manifests (kubectl apply -k), rollback manifests under "
                                               "DIR/<env>/rollback and a standalone Pulumi program under DIR/<env>/pulumi.")
    add_spec_argument(parser)
    add_env_argument(parser)
    parser.add_argument("-o", "--output", metavar="DIR", default=DEFAULT_OUTPUT,
                        help=f"output directory (default: {DEFAULT_OUTPUT}); DIR/<env or base>/ is replaced")
    parser.add_argument("--backend", choices=(*BACKENDS, "all"), default="all",
                        help="what to emit: kubernetes manifests, the pulumi program, or all (default)")
    parser.add_argument("--frozen", action="store_true",
                        help="fail when mlops.lock is missing or stale for a model (as `npm ci` does), or a "
                             "data contract file is missing")
    parser.add_argument("--allow-placeholder-models", action="store_true",
                        help="compile even when a served model has no lock entry: its InferenceService then points "
                             "at a placeholder storage URI (s3://mlops-placeholder/...) that cannot serve")
    parser.set_defaults(run=run)


# --- emitters -------------------------------------------------------------------------------

Emitter = Callable[..., list[str]]


def emit_kubernetes(checked, lock, staging: Path, files: dict | None = None) -> list[str]:
    from backends.kubernetes import MANIFESTS, ROLLBACK, lower_files
    from backends.kubernetes.files import write_tree

    write_tree(files if files is not None else lower_files(checked, lock), staging, kustomize=MANIFESTS)
    return [MANIFESTS, ROLLBACK]


def emit_pulumi(checked, lock, staging: Path, files: dict | None = None) -> list[str]:
    from ..diagnostics import UsageError

    try:
        from backends.pulumi import emit  # written by the Pulumi backend
    except ImportError:
        raise UsageError("the pulumi backend is not available in this version; use --backend kubernetes") from None
    return emit(checked, lock, staging, files=files)


EMITTERS: dict[str, Emitter] = {"kubernetes": emit_kubernetes, "pulumi": emit_pulumi}


def read_lock_for(spec_path: str):
    """The spec's mlops.lock, or None when there is none (serving then uses placeholder URIs)."""
    from ..lock import read_lock

    return read_lock(spec_path)


def run(args) -> int:
    from .. import build_output
    from ..checked_spec import check_file
    from ..diagnostics import SpecError, UsageError

    checked = check_file(args.spec, args.env)
    lock, placeholders = _usable_lock(checked, read_lock_for(args.spec), frozen=args.frozen,
                                      allow_placeholders=args.allow_placeholder_models)
    _check_contracts(checked, frozen=args.frozen)
    names = list(BACKENDS) if args.backend == "all" else [args.backend]
    target = build_output.output_target(args.output, args.env)
    from backends.kubernetes import lower_files

    files = lower_files(checked, lock)  # lowered once: every backend declares the same objects
    collisions = duplicate_objects(checked, files)
    if collisions:
        raise SpecError(collisions)
    warning = None
    try:
        with build_output.locked(target):
            build_output.recover(target)
            staging = build_output.new_staging(target)
            try:
                written: list[str] = []
                for name in names:
                    written += EMITTERS[name](checked, lock, staging, files=files)
                build_output.carry_over(target, staging, written)
                warning = build_output.publish(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # gone already unless the compile failed
    except OSError as error:
        raise UsageError(f"{target}: cannot write: {error.strerror or error}") from None
    from ..escaping import terminal

    if warning:
        print(terminal.text(warning), file=sys.stderr)
    print(f"{terminal.path(args.spec)}: compiled {checked.env or 'base'} ({', '.join(names)}) -> "
          + terminal.text(", ".join(str(target / folder) for folder in written if (target / folder).exists())),
          file=sys.stderr)
    if placeholders:
        print(f"warning: {placeholders} served model{'s' if placeholders > 1 else ''} compiled with a placeholder "
              "storage URI (--allow-placeholder-models): those endpoints cannot serve until `mlops lock` pins them",
              file=sys.stderr)
    return 0


def duplicate_objects(checked, files: dict[str, list[dict]]) -> list:
    """An error for every object whose kind, namespace and name another object of the build already has.

    Validation refuses the names spec keys derive alike (compiler/naming.py); this is the last check, on
    what was really lowered, so nothing is ever silently replaced in the cluster.
    """
    from backends.kubernetes.labels import SPEC_PATH

    from ..diagnostics import Diagnostic

    seen: dict[tuple, str] = {}
    problems = []
    for path, objects in files.items():
        if not path.startswith("manifests/"):
            continue  # rollback manifests replace the live ones on purpose
        for item in objects:
            meta = item.get("metadata", {})
            key = (item.get("apiVersion"), item.get("kind"), meta.get("namespace"), meta.get("name"))
            written = meta.get("annotations", {}).get(SPEC_PATH, "")
            if key in seen:
                position = checked.source_map.key(tuple(p for p in written.split(".") if p))
                problems.append(Diagnostic(position, f"{written}: generates {key[1]} {key[3]!r}, which "
                                           f"{seen[key] or 'another part of the spec'} generates too; rename one"))
            else:
                seen[key] = written
    return problems


def _usable_lock(checked, lock, *, frozen: bool, allow_placeholders: bool = False):
    """The lock to lower with, and how many served models get a placeholder storage URI.

    --frozen refuses missing or stale entries. Otherwise a served model without a fresh entry is an
    error unless --allow-placeholder-models (a placeholder must never be deployed unnoticed); stale
    entries are dropped, with a warning each.
    """
    from .. import lock as lock_module
    from ..diagnostics import SpecError

    if frozen:
        problems = lock_module.check_frozen(checked, lock) or lock_module.check_deployable(checked, lock)
        if problems:
            raise SpecError(problems)
        return lock, 0
    placeholders = lock_module.placeholder_models(checked, lock)
    if placeholders and not allow_placeholders:
        raise SpecError(placeholders)
    lock, warnings = lock_module.usable_lock(checked, lock)
    for warning in warnings:
        print(warning, file=sys.stderr)
    return lock, len(placeholders)


def _check_contracts(checked, *, frozen: bool) -> None:
    """Data contracts the spec names: a missing one warns (an error with --frozen), a bad one is an error."""
    from ..data_contract import read_contracts

    for warning in read_contracts(checked, frozen=frozen)[1]:
        print(warning, file=sys.stderr)

