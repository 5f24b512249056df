"""Reading the files a spec, a lock or a pull request names: regular files only, and never more than a bound.

Every input file (the spec, `--base-spec`, mlops.lock, the lockfiles lint reads) may come from a
pull request. `/dev/zero` as a spec would grow memory without bound and a FIFO would block
forever; a size checked with stat() and then read can change in between. So a file is opened
without blocking (O_NONBLOCK: opening a FIFO does not wait for a writer), refused unless fstat()
says it is a regular file, and read to at most `limit + 1` bytes: one byte more than allowed says
that it is too big, whatever its size claimed to be.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .diagnostics import UsageError

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class TooLarge(Exception):
    """The file holds more than the limit; `size` is what fstat() said (None when it did not know)."""

    def __init__(self, size: int | None):
        super().__init__(size)
        self.size = size


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((word for test, word in _KINDS if test(mode)), "not a regular file")


def read_regular_file(path: str | Path, limit: int, *, expected: str = "a file") -> bytes | None:
    """The bytes of `path`, or None when it does not exist.

    Raises UsageError for anything but a readable regular file (the message names what it is and
    `expected`), and TooLarge when the file holds more than `limit` bytes.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except PermissionError:
        raise UsageError(f"{path}: permission denied") from None
    except OSError as error:
        if error.errno == errno.ENXIO:  # a Unix socket cannot be opened as a file
            raise UsageError(f"{path}: is a socket, expected {expected}") from None
        raise UsageError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{path}: is {kind_of(info.st_mode)}, expected {expected}")
        if info.st_size > limit:
            raise TooLarge(info.st_size)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(descriptor, min(limit + 1 - total, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # grew after fstat, or a file whose size fstat does not know (/proc)
            raise TooLarge(None)
        return b"".join(chunks)
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror or error}") from None
    finally:
        os.close(descriptor)


def too_large_message(error: TooLarge, limit: int, what: str = "file") -> str:
    size = f"{error.size} bytes" if error.size is not None else f"more than {limit} bytes"
    return f"{what} is {size}; the limit is {limit} bytes"
