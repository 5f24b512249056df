"""Shared fixtures: snapshots as one readable YAML file per case in the top-level snapshots/ folder."""
from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "mlops.yaml.example"


class YamlSnapshotExtension(SingleFileSnapshotExtension):
    """`snapshots/<test module>/<test name>.yaml`, text, reviewed like any other file in a PR."""

    _write_mode = WriteMode.TEXT
    file_extension = "yaml"

    @classmethod
    def dirname(cls, *, test_location) -> str:
        # Overridden on the class: SingleFileSnapshotExtension calls the base dirname by name, so
        # setting `snapshot_dirname` alone would not move the files.
        return str(REPO_ROOT / "snapshots" / test_location.basename)

    def serialize(self, data, **kwargs) -> str:
        if not isinstance(data, str):
            raise TypeError("YAML snapshots take text: render the object to YAML first")
        return data


@pytest.fixture
def snapshot(snapshot):
    return snapshot.use_extension(YamlSnapshotExtension)


@pytest.fixture(scope="session")
def example_path() -> Path:
    return EXAMPLE
