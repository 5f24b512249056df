"""Golden output: the compiled example in every environment and every focused case, as written to disk.

Regenerate with `pytest tests/test_compile_snapshots.py --snapshot-update`, never by hand.
"""
from __future__ import annotations

import pytest

from backends.kubernetes import MANIFESTS, lower_files
from backends.kubernetes.files import render_tree
from tests.compile_support import COMPILED, EXAMPLE, checked, example_lock


def rendered(files: dict) -> str:
    """Every output file of one compile, in order, each under a `# file:` header."""
    return "".join(f"# file: {path}\n{text}" for path, text in render_tree(files, kustomize=MANIFESTS).items())


@pytest.mark.parametrize(("path", "env"), [(p, e) for _, p, e in COMPILED], ids=[i for i, _, _ in COMPILED])
def test_compiled(path, env, snapshot) -> None:
    assert rendered(lower_files(checked(path, env))) == snapshot


def test_compiled_example_with_lock(snapshot) -> None:
    assert rendered(lower_files(checked(EXAMPLE, "prod"), example_lock())) == snapshot
