"""The two sides of a plan: the spec and its lock at a git revision, in the working tree, or in a file.

Git is asked through its command line (`git cat-file blob REV:path`) in the repository of the work
tree the spec is in, found with bare repositories not discovered and passed to every later call as
--git-dir/--work-tree; no program the repository's config names is run (SAFE_CONFIG). Nothing here
touches the network: a revision that is not in the local clone is an error that says how to fetch it.
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


# Configuration for every git call. The repository's own config, or one planted beside the spec,
# must not decide what runs: no embedded bare repository is discovered (a committed directory with
# HEAD, objects/ and a config saying `core.bare = false` would otherwise be taken for the spec's
# repository), no fsmonitor, hook, pager, external diff, credential helper or transport runs, and
# replace refs do not swap the objects read. (`cat-file blob` applies no filters or textconv.)
SAFE_CONFIG = ("safe.bareRepository=explicit", "core.fsmonitor=false", "core.hooksPath=/dev/null", "core.pager=cat",
               "diff.external=", "credential.helper=", "core.askPass=", "protocol.allow=never",
               "core.untrackedCache=false")


@dataclass(frozen=True)
class Repository:
    """The work tree a spec is committed in: its top level and its git directory, both absolute."""

    top: Path
    git_dir: Path

    def git(self, *args: str) -> subprocess.CompletedProcess:
        return _git(["--git-dir", str(self.git_dir), "--work-tree", str(self.top), *args], self.top)


def _git(args: list[str], directory: Path) -> subprocess.CompletedProcess:
    git = shutil.which("git")
    if git is None:
        raise UsageError("--base needs git, which is not installed; compare two files with --base-spec FILE")
    env = dict(os.environ, GIT_PAGER="cat", PAGER="cat", LC_ALL="C", GIT_TERMINAL_PROMPT="0",
               GIT_NO_REPLACE_OBJECTS="1", GIT_OPTIONAL_LOCKS="0")
    options = [item for setting in SAFE_CONFIG for item in ("-c", setting)]
    try:
        return subprocess.run([git, "--no-pager", *options, *args], capture_output=True, env=env, cwd=directory,
                              timeout=GIT_TIMEOUT_SECONDS, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {' '.join(args)} took longer than {GIT_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise UsageError(f"cannot run git: {error.strerror or error}") from None


def _discover(directory: Path) -> Repository | None:
    """The work tree `directory` is in, found the safe way, or None (no repository, or a bare one)."""
    result = _git(["rev-parse", "--show-toplevel", "--absolute-git-dir"], directory)
    lines = result.stdout.decode(errors="surrogateescape").splitlines()
    if result.returncode != 0 or len(lines) != 2:
        return None
    return Repository(Path(lines[0]).resolve(), Path(lines[1]).resolve())


def repository_of(spec: Path) -> tuple[Repository, str]:
    """The repository holding `spec` and the spec's path in it (POSIX, from the top level).

    A spec inside the work tree mlops runs in must be in that very repository: a nested one there can
    only have been planted (or be a submodule: run mlops from inside it).
    """
    directory = (spec.parent if str(spec.parent) else Path(".")).resolve()
    # The nearest directory with a `.git` entry holds the work tree. Asking git from the spec's own
    # directory could find that directory itself as a (planted, bare) repository.
    holder = next((d for d in (directory, *directory.parents) if (d / ".git").exists()), None)
    repository = _discover(holder) if holder is not None else None
    if repository is None:
        raise UsageError(f"{directory}: not inside a git repository (bare repositories are not read); compare two "
                         "files with --base-spec FILE")
    here = _discover(Path.cwd())
    if here is not None and directory.is_relative_to(here.top) and here != repository:
        raise UsageError(f"{spec}: git finds the repository {repository.git_dir} for it, not the one of the work tree "
                         f"mlops runs in ({here.top}); mlops reads history only from the work tree's own repository "
                         "(for a submodule, run mlops from inside it)")
    if not directory.is_relative_to(repository.top):
        raise UsageError(f"{spec}: outside the work tree {repository.top} of its repository")
    relative = (directory / spec.name).relative_to(repository.top).as_posix()
    return repository, relative


def resolve_commit(repository: Repository, ref: str) -> str:
    """The full commit id of `ref` in `repository`."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"--base {ref!r} is not a git revision")
    result = repository.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if result.returncode != 0:
        raise UsageError(f"--base {ref}: no such revision in the repository at {repository.top} (is it fetched? "
                         "in GitHub Actions check out with `fetch-depth: 0`, or `git fetch origin <sha>`)")
    return result.stdout.decode().strip()


def git_revision(spec_path: str, ref: str) -> Revision:
    """The spec and its lock as committed at `ref`; `spec` None when the spec did not exist there."""
    spec = Path(spec_path)
    directory = spec.parent if str(spec.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{spec_path}: no such directory {directory}")
    if not ref or ref.startswith("-"):
        raise UsageError(f"--base {ref!r} is not a git revision")
    repository, relative = repository_of(spec)
    commit = resolve_commit(repository, ref)
    lock = lock_path_for(spec)
    lock_relative = str(Path(relative).with_name(lock.name).as_posix())
    label = f"{ref} ({commit[:7]})" if not commit.startswith(ref) else commit[:7]
    return Revision(label, _show(repository, commit, relative, ref), _show(repository, commit, lock_relative, ref),
                    f"{ref}:{lock}", ref=ref, commit=commit)


def _show(repository: Repository, commit: str, path: str, ref: str) -> bytes | None:
    """The blob `commit:path`, or None when the commit has no such file; never more than the loader's bound."""
    from ..diagnostics import Diagnostic, Position, SpecError
    from ..loader import MAX_BYTES

    where = f"{commit}:{path}"
    kind = repository.git("cat-file", "-t", "--end-of-options", where)
    if kind.returncode != 0:
        return None
    if kind.stdout.strip() != b"blob":
        raise UsageError(f"{ref}:{path} is a {kind.stdout.decode(errors='replace').strip()} in git, not a file")
    size = repository.git("cat-file", "-s", "--end-of-options", where)
    if size.returncode != 0 or not size.stdout.strip().isdigit():
        raise UsageError(f"git cat-file -s {ref}:{path}: failed")
    if int(size.stdout) > MAX_BYTES:  # git knows the size of what it stores: nothing is read past the bound
        raise SpecError(Diagnostic(Position(f"{ref}:{path}", 1, 1), f"file is {int(size.stdout)} bytes at {ref}; "
                                   f"the limit is {MAX_BYTES} bytes"))
    result = repository.git("cat-file", "blob", "--end-of-options", where)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"git cat-file {ref}:{path}: {message[-1] if message else 'failed'}")
    return result.stdout
