"""The two sides of a plan: the spec and its lock at a git revision, in the working tree, or in a file.

Git is asked through its command line (`git show REV:./path`, relative to the directory the spec
lives in, so the repository is the spec's, wherever `mlops` runs). Nothing here touches the
network: a revision that is not in the local clone is an error that says how to fetch it.
Errors are UsageError (exit 2): an unknown revision, no git, not a repository.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import UsageError
from ..lock import lock_path_for

GIT_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Revision:
    """One side of a plan. `spec` is None when the spec does not exist there (a new system)."""

    label: str                 # how the plan names this side: "working tree", "HEAD~1 (1a2b3c4)", a file
    spec: bytes | None
    lock: bytes | None         # the lock next to the spec, None when there is none
    lock_name: str             # path of that lock, as messages name it
    ref: str | None = None     # the revision asked for
    commit: str | None = None  # the commit it resolved to

    @property
    def display_prefix(self) -> str:
        """Prefix for positions on this side: `HEAD~1:` for a git revision, empty otherwise."""
        return f"{self.ref}:" if self.ref is not None else ""


def _read_optional(path: Path) -> bytes | None:
    from ..lock import read_lock_bytes

    return read_lock_bytes(path)


def working_tree(spec_path: str) -> Revision:
    """The spec and lock as they are on disk. A missing spec is an error here (there is nothing to plan)."""
    from ..loader import read_spec_bytes

    lock = lock_path_for(spec_path)
    return Revision("working tree", read_spec_bytes(spec_path), _read_optional(lock), str(lock))


def spec_file(path: str) -> Revision:
    """`--base-spec FILE`: that file and the lock next to it (FILE's lock_path_for), for use without git."""
    from ..loader import read_spec_bytes

    lock = lock_path_for(path)
    return Revision(path, read_spec_bytes(path), _read_optional(lock), str(lock))


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess:
    git = shutil.which("git")
    if git is None:
        raise UsageError("--base needs git, which is not installed; compare two files with --base-spec FILE")
    env = dict(os.environ, GIT_PAGER="cat", LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    try:
        return subprocess.run([git, "-C", str(directory), *args], capture_output=True, env=env,
                              timeout=GIT_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {' '.join(args)} took longer than {GIT_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise UsageError(f"cannot run git: {error.strerror or error}") from None


def resolve_commit(directory: Path, ref: str) -> str:
    """The full commit id of `ref` in the repository `directory` is in."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"--base {ref!r} is not a git revision")
    inside = _git(directory, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        raise UsageError(f"{directory}: not inside a git repository; compare two files with --base-spec FILE")
    result = _git(directory, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if result.returncode != 0:
        raise UsageError(f"--base {ref}: no such revision in the repository at {directory} (is it fetched? "
                         "in GitHub Actions check out with `fetch-depth: 0`, or `git fetch origin <sha>`)")
    return result.stdout.decode().strip()


def git_revision(spec_path: str, ref: str) -> Revision:
    """The spec and its lock as committed at `ref`; `spec` None when the spec did not exist there."""
    spec = Path(spec_path)
    directory = spec.parent if str(spec.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{spec_path}: no such directory {directory}")
    commit = resolve_commit(directory, ref)
    lock = lock_path_for(spec)
    label = f"{ref} ({commit[:7]})" if not commit.startswith(ref) else commit[:7]
    return Revision(label, _show(directory, commit, spec.name, ref), _show(directory, commit, lock.name, ref),
                    f"{ref}:{lock}", ref=ref, commit=commit)


def _show(directory: Path, commit: str, name: str, ref: str) -> bytes | None:
    """The blob `commit:./name`, or None when the commit has no such file."""
    exists = _git(directory, "cat-file", "-e", f"{commit}:./{name}")
    if exists.returncode != 0:
        return None
    result = _git(directory, "show", f"{commit}:./{name}")
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"git show {ref}:{name}: {message[-1] if message else 'failed'}")
    return result.stdout
