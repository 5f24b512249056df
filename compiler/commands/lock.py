"""`mlops lock [SPEC] [--tracking-uri URI] [--check]`: pin each model's version from the MLflow registry."""
from __future__ import annotations

import sys

from . import add_spec_argument


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lock", help="pin model versions from the MLflow registry into mlops.lock",
        description="Resolve every model of SPEC in the MLflow registry (aliases to versions; pinned versions "
                    "checked), read each version's artifact URI, run, lineage tags and the previous versions kept "
                    "for rollback, and write the lock next to SPEC (mlops.yaml -> mlops.lock). compile, lint and "
                    "plan read the lock and never the network.")
    add_spec_argument(parser)
    parser.add_argument("--tracking-uri", metavar="URI",
                        help="registry to ask (default: platform.mlflow.tracking_uri, which defaults to "
                             "${MLFLOW_TRACKING_URI:-sqlite:///mlruns.db} next to the spec)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 with a diff when the lock is missing, stale for the spec, or the "
                             "registry has moved (an alias now points elsewhere). For CI.")
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..checked_spec import check_file
    from ..escaping import terminal
    from ..lock import lock_path_for, write_lock
    from ..registry import registry_for, require_mlflow, resolve_lock

    checked = check_file(args.spec)
    lock_path = lock_path_for(args.spec)
    if not checked.spec.models:  # nothing to pin: no registry to ask
        from ..lock import Lock

        fresh = Lock(str(lock_path), {})
        if args.check:
            return _check(checked, fresh, lock_path)
        changed = write_lock(fresh, lock_path)
        print(f"{terminal.path(lock_path)}: {'written' if changed else 'unchanged'} (the spec has no models)",
              file=sys.stderr)
        return 0
    require_mlflow()
    registry = registry_for(checked, args.tracking_uri)
    fresh = resolve_lock(checked, registry, str(lock_path))
    if args.check:
        return _check(checked, fresh, lock_path)
    changed = write_lock(fresh, lock_path)
    print(f"{terminal.path(lock_path)}: {'written' if changed else 'unchanged'} ({terminal.text(registry.shown)})",
          file=sys.stderr)
    for key, entry in sorted(fresh.models.items()):
        asked = f"alias {entry.alias} -> version {entry.version}" if entry.alias else f"version {entry.version}"
        previous = ", ".join(str(v.version) for v in entry.previous) or "none"
        print(f"  {terminal.text(f'{key}: {asked} (previous: {previous})')}", file=sys.stderr)
    return 0


def _check(checked, fresh, lock_path) -> int:
    import difflib

    from ..diagnostics import Diagnostic
    from ..escaping import terminal
    from ..lock import describe_changes, lock_requirements, parse_lock, read_lock_bytes, stale_reasons, write_lock_text

    requirements = lock_requirements(checked)
    old_raw = read_lock_bytes(lock_path)
    old_text = None if old_raw is None else old_raw.decode("utf-8", errors="replace")
    new_text = write_lock_text(fresh)
    if old_text == new_text:
        print(f"{terminal.path(lock_path)}: up to date ({len(fresh.models)} models)", file=sys.stderr)
        return 0
    problems = []
    if old_text is None:
        problems.append(Diagnostic(next(iter(requirements.values())).position if requirements else
                                   checked.source_map.value(()), f"there is no lock file {lock_path}",
                                   hint=f"run `mlops lock {checked.path}` and commit {lock_path.name}"))
        old = None
    else:
        old = parse_lock(old_raw, str(lock_path))
    for key in sorted(set(fresh.models) | set(old.models if old else ())):
        if old is None:
            break
        was, now = old.entry(key), fresh.entry(key)
        requirement = requirements.get(key)
        where = requirement.position if requirement else checked.source_map.value(("models",))
        stale = stale_reasons(was, requirement) if was is not None and requirement is not None else []
        if stale:
            problems.append(Diagnostic(where, f"models.{key}: the lock is stale for the spec: " + "; ".join(stale)))
        moved = [] if stale else describe_changes(was, now)
        if moved:
            label = "the registry has moved" if was is not None and now is not None else "the lock is stale"
            problems.append(Diagnostic(where, f"models.{key}: {label}: " + "; ".join(moved)))
    if not problems:  # same entries, other bytes (hand-edited or written by another version of mlops)
        problems.append(Diagnostic(checked.source_map.value(()), f"{lock_path} is not as `mlops lock` writes it"))
    for problem in problems:
        print(problem.render(), file=sys.stderr)
    diff = difflib.unified_diff((old_text or "").splitlines(keepends=True), new_text.splitlines(keepends=True),
                                f"{lock_path} (committed)", f"{lock_path} (registry now)")
    # The diff quotes the registry's answers (artifact URIs, lineage tags): each line made safe to print.
    sys.stdout.writelines(terminal.line(line.rstrip("\n")) + "\n" for line in diff)
    print(terminal.text(f"run `mlops lock {checked.path}` to update {lock_path}"), file=sys.stderr)
    return 1
