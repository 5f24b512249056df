"""compile with mlops.lock: storage URIs and lineage come from the lock; --frozen refuses a missing or stale one."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from compiler.cli import main
from compiler.lock import read_lock

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "mlops.yaml.example"


def inference_services(build: Path) -> dict[str, dict]:
    found = {}
    for file in sorted(build.rglob("*.yaml")):
        for document in yaml.safe_load_all(file.read_text()):
            if isinstance(document, dict) and document.get("kind") == "InferenceService":
                found[str(file.relative_to(build))] = document
    return found


def storage_uris(node) -> list[str]:
    """Every storageUri in an object (predictor, canary[] entries), wherever the backend puts it."""
    if isinstance(node, dict):
        return [u for key, value in node.items() for u in ([value] if key == "storageUri" else storage_uris(value))]
    if isinstance(node, list):
        return [u for item in node for u in storage_uris(item)]
    return []


def test_inference_service_carries_the_locked_artifact_uri_and_lineage(tmp_path, capsys):
    assert main(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path)]) == 0  # --frozen: file: URIs
    assert "warning" not in capsys.readouterr().err
    lock = read_lock(EXAMPLE)
    fraud = lock.entry("fraud-xgb")
    services = inference_services(tmp_path / "prod")
    current = services["manifests/serving/fraud-api.yaml"]
    assert fraud.resolved.artifact_uri in storage_uris(current)
    annotations = current["metadata"]["annotations"]
    assert annotations["mlops.dev/model-version"] == str(fraud.version)
    assert annotations["mlops.dev/model-storage-uri"] == fraud.resolved.artifact_uri
    for key, value in fraud.lineage.items():
        assert annotations["mlops.dev/lineage-" + key.replace("_", "-")] == value
    rollbacks = {p: s for p, s in services.items() if p.startswith("rollback/")}
    for previous in fraud.previous:
        assert any(previous.artifact_uri in storage_uris(s) for s in rollbacks.values()), previous
    merchant = lock.entry("merchant-embed")
    assert any(merchant.resolved.artifact_uri in storage_uris(s) for s in services.values())


@pytest.fixture
def spec(tmp_path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "mlops.yaml")
    shutil.copy(REPO_ROOT / "mlops.lock.example", tmp_path / "mlops.lock")
    return tmp_path / "mlops.yaml"


def test_frozen_fails_without_a_lock(spec, tmp_path, capsys):
    (tmp_path / "mlops.lock").unlink()
    assert main(["compile", str(spec), "-o", str(tmp_path / "build"), "--frozen"]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:64:12: error: models.fraud-xgb: alias 'champion' is not pinned: there is no lock file" in err
    assert not (tmp_path / "build" / "base" / "manifests").exists()


def test_frozen_fails_on_a_stale_lock(spec, tmp_path, capsys):
    spec.write_text(spec.read_text().replace("alias: champion ", "alias: challenger", 1))
    assert main(["compile", str(spec), "-o", str(tmp_path / "build"), "--frozen"]) == 1
    assert "models.fraud-xgb: the entry in" in capsys.readouterr().err


def test_without_frozen_a_stale_alias_is_refused_at_the_model(spec, tmp_path, capsys):
    """A placeholder storage URI cannot serve: compile refuses it unless the flag says it is meant."""
    spec.write_text(spec.read_text().replace("alias: champion ", "alias: challenger", 1))
    assert main(["compile", str(spec), "-o", str(tmp_path / "build")]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:64:12: error: models.fraud-xgb:" in err and "placeholder storage URI" in err
    assert "--allow-placeholder-models" in err
    assert not (tmp_path / "build" / "base").exists()


def test_allow_placeholder_models_compiles_with_a_placeholder_and_says_so(spec, tmp_path, capsys):
    spec.write_text(spec.read_text().replace("alias: champion ", "alias: challenger", 1))
    assert main(["compile", str(spec), "-o", str(tmp_path / "build"), "--allow-placeholder-models"]) == 0
    err = capsys.readouterr().err
    assert f"{spec}:64:12: warning: models.fraud-xgb:" in err and "placeholder storage URI" in err
    assert "1 served model compiled with a placeholder storage URI" in err
    locked = read_lock(spec).entry("fraud-xgb").resolved.artifact_uri
    uris = [u for s in inference_services(tmp_path / "build" / "base").values() for u in storage_uris(s)]
    assert locked not in uris
