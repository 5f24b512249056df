"""A real MLflow registry in SQLite for the lock tests: seeded once per session, copied per test.

Creating the database runs MLflow's migrations (over a second); copying the file takes milliseconds.
The copies keep pointing at the session's artifact directory, which no test changes.
"""
from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "mlops.yaml.example"
SEED_SECONDS: list[float] = []

pytest.importorskip("mlflow", reason="the registry tests need the mlflow extra: pip install -e '.[mlflow]'")


@dataclass
class Workspace:
    """A spec (a copy of the example) next to its own copy of the seeded registry."""

    root: Path
    spec: Path
    db: Path

    @property
    def lock(self) -> Path:
        return self.root / "mlops.lock"

    @property
    def uri(self) -> str:
        return f"sqlite:///{self.db}"

    def client(self):
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def edit_spec(self, old: str, new: str) -> None:
        text = self.spec.read_text()
        assert old in text, old
        self.spec.write_text(text.replace(old, new, 1))

    def sql(self, statement: str, *params) -> None:
        with sqlite3.connect(self.db) as connection:
            connection.execute(statement, params)


@pytest.fixture(scope="session")
def seeded_registry(tmp_path_factory) -> Path:
    """`mlops registry seed` of the example into a fresh SQLite registry; returns its directory."""
    root = tmp_path_factory.mktemp("registry")
    shutil.copy(EXAMPLE, root / "mlops.yaml")
    started = time.perf_counter()
    code = main(["registry", "seed", str(root / "mlops.yaml"), "--tracking-uri", f"sqlite:///{root / 'mlruns.db'}"])
    assert code == 0
    SEED_SECONDS.append(time.perf_counter() - started)  # reported by test_registry_seed_time
    return root


@pytest.fixture
def workspace(seeded_registry, tmp_path, monkeypatch) -> Workspace:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    shutil.copy(EXAMPLE, tmp_path / "mlops.yaml")
    shutil.copy(seeded_registry / "mlruns.db", tmp_path / "mlruns.db")
    return Workspace(tmp_path, tmp_path / "mlops.yaml", tmp_path / "mlruns.db")


def mlops(*args: str) -> int:
    return main([str(a) for a in args])
