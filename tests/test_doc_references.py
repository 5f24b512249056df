"""Every file the README and docs/*.md point at exists: Markdown links, and `code` spans that name a path
with a directory and an extension (`compiler/lock.py`). Paths under `shared/` are the upstream data
beside the repository (tests/upstream.py), checked there when it is present."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.upstream import upstream_dir

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
_PATH = re.compile(r"`((?:[\w.-]+/)+[\w.-]+\.(?:md|py|yaml|yml|json|toml|txt|lock|sh|cfg|j2))`")
#: Written by another engineer's branch (docs/production.md, the production guide the README links);
#: tolerated only while it does not exist yet. Remove once it is merged.
PENDING: set[str] = set()


def references(document: Path) -> list[tuple[int, str, Path]]:
    """(line, as written, where it resolves) of every local file `document` names."""
    found = []
    for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), start=1):
        for match in _LINK.finditer(line):
            target = match.group(1)
            if "://" not in target and not target.startswith("mailto:"):
                found.append((number, target, document.parent / target))
        for match in _PATH.finditer(line):
            target = match.group(1)
            if not target.startswith(("build/", "~", ".venv/", ".cache/")) and "<" not in target:
                found.append((number, target, REPO / target))
    return found


def _exists(target: str, path: Path) -> bool:
    if path.exists():
        return True
    if target.startswith("shared/"):
        shared = upstream_dir()
        return shared is None or (shared / target[len("shared/"):]).exists()
    return path.resolve().relative_to(REPO).as_posix() in PENDING if path.resolve().is_relative_to(REPO) else False


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_every_referenced_file_exists(document: Path) -> None:
    missing = [f"{document.name}:{line}: {target}" for line, target, path in references(document)
               if not _exists(target, path)]
    assert not missing, "references to files that are not in the repository:\n" + "\n".join(missing)


def test_the_scan_finds_a_missing_file(tmp_path: Path) -> None:
    document = tmp_path / "guide.md"
    document.write_text("See [the guide](no-such.md) and `compiler/no_such_module.py`.\n")
    assert [(line, target) for line, target, path in references(document) if not _exists(target, path)] == [
        (1, "no-such.md"), (1, "compiler/no_such_module.py")]
