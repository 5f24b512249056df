"""Where `mlops compile` writes: one environment's build, replaced in one step, by one compile at a time.

`DIR/<env>/` is built complete in `DIR/.<env>.staging-*` and then put in place by a single rename
that exchanges the two directories (Linux `renameat2(RENAME_EXCHANGE)`): a reader, a crash or a
kill sees the previous build or the new one, never a mixture. Where the system cannot exchange,
the previous build is renamed aside and restored if the second rename fails; a compile killed
between the two renames leaves it as `DIR/.<env>.previous-*`, which the next compile puts back.
A compile holds `DIR/.<env>.lock` (flock: released by the kernel if the process dies) from before
it cleans up leftovers until its build is in place, so two compiles never interleave; a second
one waits up to LOCK_TIMEOUT_SECONDS, then says who holds the lock.

Output never goes through a symlink the project could have committed: a component of `-o DIR`
inside the working directory, or `DIR/<env>` itself, that is a symlink is refused (a committed
`build -> /home/me` would otherwise make compile replace directories there).
"""
from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .diagnostics import UsageError

LOCK_TIMEOUT_SECONDS = 60.0


def output_target(output: str, env: str | None) -> Path:
    """`DIR/<env or base>` as an absolute path without `..`, checked for symlinks (UsageError)."""
    # Normalised first: `build/../x` is checked and used as the same path the kernel then walks.
    target = Path(os.path.abspath(output)) / (env or "base")
    working = Path.cwd().resolve()
    current = Path(target.anchor)
    for part in target.parts[1:]:
        current = current / part
        if not current.is_symlink():
            continue
        inside = current.parent.resolve().is_relative_to(working)
        if inside or current == target:
            raise UsageError(f"{current}: is a symlink (to {os.readlink(current)}); mlops does not write its build "
                             "through a symlink, which could point anywhere: remove it, or pass a real directory "
                             "with -o")
    return target


def refuse_symlink_out_of(path: Path, root: Path) -> None:
    """UsageError when `path` is a symlink (dangling or not) that leads outside `root`."""
    if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"{path}: is a symlink to {os.readlink(path)}, outside {root}; mlops does not write "
                         "through it: remove the symlink")


def staging_name(env: str) -> str:
    return f".{env}.staging-"


def retired_name(env: str) -> str:
    return f".{env}.previous-"


@contextmanager
def locked(target: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold `DIR/.<env>.lock` for the duration; waits at most `timeout` seconds for another compile."""
    import fcntl

    timeout = LOCK_TIMEOUT_SECONDS if timeout is None else timeout
    path = target.parent / f".{target.name}.lock"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise UsageError(f"{path}: cannot create the output lock: {error.strerror or error}") from None
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise UsageError(f"{target}: another `mlops compile` is writing this build (it holds {path}) and "
                                     f"did not finish within {timeout:g} s; run again when it has") from None
                if not told:
                    print(f"{target}: waiting for another `mlops compile` writing it ...", file=sys.stderr)
                    told = True
                time.sleep(0.05)
        yield
    finally:
        os.close(descriptor)


def recover(target: Path) -> None:
    """Under the lock: put back a build a killed compile left aside, and remove abandoned staging folders."""
    parent, env = target.parent, target.name
    for leftover in sorted(parent.glob(retired_name(env) + "*")):
        if not os.path.lexists(target):
            os.rename(leftover, target)  # killed between its two renames: this is the previous build
        else:
            shutil.rmtree(leftover)
    for leftover in sorted(parent.glob(staging_name(env) + "*")):
        shutil.rmtree(leftover)
    if target.is_dir():
        for leftover in sorted(target.glob(".staging-*")):  # where older versions of mlops staged
            shutil.rmtree(leftover)


def new_staging(target: Path) -> Path:
    """An empty directory next to `target` (same file system, so it can be renamed onto it)."""
    staging = Path(tempfile.mkdtemp(prefix=staging_name(target.name), dir=target.parent))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the build is as readable as a mkdir'd one
    return staging


#: Files a user keeps inside a folder compile replaces, carried into the new build unless compile
#: writes one of that name: a Pulumi stack's settings (`pulumi stack init prod` and `pulumi config set`
#: write Pulumi.prod.yaml next to the program's Pulumi.yaml, in DIR/<env>/pulumi/).
USER_FILES = ("Pulumi.*.yaml",)


def carry_over(target: Path, staging: Path, replaced: list[str]) -> None:
    """Copy into `staging` what the previous build has besides the folders this compile replaces, and the
    user's files (USER_FILES) inside those folders."""
    if not target.is_dir():
        return
    for entry in sorted(target.iterdir()):
        if entry.name.startswith(".staging-"):
            continue
        if entry.name in replaced:
            _carry_user_files(entry, staging / entry.name)
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, staging / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, staging / entry.name, follow_symlinks=False)


def _carry_user_files(previous: Path, folder: Path) -> None:
    if not previous.is_dir() or previous.is_symlink() or not folder.is_dir():
        return
    for pattern in USER_FILES:
        for entry in sorted(previous.glob(pattern)):
            if entry.name != "Pulumi.yaml" and not os.path.lexists(folder / entry.name) and \
                    (entry.is_file() or entry.is_symlink()):
                shutil.copy2(entry, folder / entry.name, follow_symlinks=False)


def publish(staging: Path, target: Path) -> str | None:
    """Put the complete build `staging` at `target` in one step. Returns a warning when only cleanup failed."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return None
    if exchange(staging, target):
        retired = staging  # it now holds the previous build
    else:
        retired = Path(tempfile.mkdtemp(prefix=retired_name(target.name), dir=target.parent))
        try:
            os.rename(target, retired)  # onto the empty directory: replaces it
        except BaseException:
            os.rmdir(retired)
            raise
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(retired, target)
            raise
    try:
        shutil.rmtree(retired)
    except OSError as error:
        return (f"warning: the new build is in place, but the previous one in {retired} could not be removed "
                f"({error.strerror or error}); the next compile removes it")
    return None


def exchange(first: Path, second: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False where this system cannot."""
    if sys.platform != "linux":
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:  # a C library without it
        return False
    at_fdcwd, rename_exchange = -100, 2  # <fcntl.h> AT_FDCWD, <linux/fs.h> RENAME_EXCHANGE
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system or kernel without exchange
        return False
    raise OSError(code, os.strerror(code), str(second))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
