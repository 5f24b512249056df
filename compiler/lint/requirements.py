"""What a runtime installs: its declared `packages` and, when the file exists, its lockfile.

Lockfiles are read as pip requirement lines (`name==1.2.3`, hashes and comments allowed) or as the
`name = "..."` / `version = "..."` pairs of poetry.lock and uv.lock.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from ..diagnostics import UsageError
from ..spec import Spec
from ..validation import dotted

_CLAUSE = r"(?:===?|~=|!=|<=|>=|<|>)\s*[^\s;,#\\]+"
_REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*"
                          rf"(?P<spec>{_CLAUSE}(?:\s*,\s*{_CLAUSE})*)?")
_TOML_NAME = re.compile(r'^name\s*=\s*"(?P<name>[^"]+)"')
_TOML_VERSION = re.compile(r'^version\s*=\s*"(?P<version>[^"]+)"')
MAX_LOCKFILE_BYTES = 4 * 2**20


def normalize(name: str) -> str:
    """PEP 503 normal form: `Acme_Fraud.Features` and `acme-fraud-features` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Requirement(NamedTuple):
    name: str          # normalized
    spec: str          # "==2.2.3", ">=2", "" (unpinned)
    path: tuple        # spec path the finding points at
    where: str         # how a message names it: "runtimes.serve.packages[1]" or "requirements/serve.lock:12"

    @property
    def pinned_version(self) -> str | None:
        return self.spec[2:].strip() if self.spec.startswith("==") and not self.spec.startswith("===") else None


def requirements_of(spec: Spec, runtime_name: str, spec_dir: Path, source_map=None) -> list[Requirement]:
    runtime = spec.runtimes.get(runtime_name)
    if runtime is None:
        return []
    found = []
    for i, text in enumerate(runtime.packages):
        match = _REQUIREMENT.match(text)
        if match:
            path = ("runtimes", runtime_name, "packages", i)
            found.append(Requirement(normalize(match["name"]), (match["spec"] or "").replace(" ", ""), path,
                                     dotted(path)))
    if runtime.lockfile:
        path = ("runtimes", runtime_name, "lockfile")
        found.extend(_lockfile(spec_dir, runtime.lockfile, path, source_map))
    return found


def _lockfile(spec_dir: Path, shown: str, path: tuple, source_map) -> list[Requirement]:
    """The requirements of a lockfile inside the spec's directory; absent: none. Anything else is an error there."""
    from ..diagnostics import Diagnostic, Position, SpecError
    from ..input_files import TooLarge, read_regular_file, too_large_message

    def refuse(message: str) -> SpecError:
        position = source_map.value(path) if source_map is not None else Position(str(spec_dir), 1, 1)
        return SpecError(Diagnostic(position, f"{dotted(path)}: {message}", path,
                                    hint="name a lock file inside the spec's directory, e.g. requirements/serve.lock"))

    file = spec_dir / shown
    # A committed symlink must not make lint read a file elsewhere on the machine (/proc/self/environ).
    if not file.resolve().is_relative_to(spec_dir.resolve()):
        raise refuse(f"{shown!r} resolves outside the spec's directory ({file.resolve()})")
    try:
        raw = read_regular_file(file, MAX_LOCKFILE_BYTES, expected="a lock file")
    except TooLarge as error:
        raise refuse(too_large_message(error, MAX_LOCKFILE_BYTES, shown)) from None
    except UsageError as error:
        raise refuse(str(error)) from None
    if raw is None:
        return []
    lines = raw.decode("utf-8", errors="replace").splitlines()
    if any(line.strip() == "[[package]]" for line in lines):
        return _toml_lock(lines, shown, path)
    found = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "-")) and (match := _REQUIREMENT.match(stripped)):
            found.append(Requirement(normalize(match["name"]), (match["spec"] or "").replace(" ", ""), path,
                                     f"{shown}:{number}"))
    return found


def _toml_lock(lines: list[str], shown: str, path: tuple) -> list[Requirement]:
    """poetry.lock / uv.lock: each `[[package]]` table has `name = "..."` then `version = "..."`."""
    found = []
    pending: tuple[str, int] | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if (name := _TOML_NAME.match(stripped)):
            pending = (name["name"], number)
        elif (version := _TOML_VERSION.match(stripped)) and pending:
            found.append(Requirement(normalize(pending[0]), "==" + version["version"], path, f"{shown}:{pending[1]}"))
            pending = None
    return found
