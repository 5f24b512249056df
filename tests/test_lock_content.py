"""A hand-edited mlops.lock is not trusted: its artifact URIs and version status are checked when it is read,
with the lock's own line and column, and `compile --frozen` refuses local artifacts (issue 14, item 11).

Before, any string in `artifact_uri` went into every InferenceService's storageUri, with or without --frozen.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.lock import artifact_uri_problem
from tests.compile_support import EXAMPLE

REPO = Path(__file__).resolve().parent.parent
URI = "file:///work/main/mlartifacts/d90858fff35b4f9998dfd438cd2f1d10/artifacts/model"


@pytest.fixture
def spec(tmp_path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "mlops.yaml")
    shutil.copytree(REPO / "contracts", tmp_path / "contracts")  # the example's data contract
    # What `mlops lock` wrote for the demo registry (file: artifacts), frozen: the README's demo rewrites
    # mlops.lock.example with its own run ids and paths.
    shutil.copy(REPO / "tests" / "fixtures" / "demo-registry.lock", tmp_path / "mlops.lock")
    return tmp_path / "mlops.yaml"


def edit_lock(spec: Path, old: str, new: str) -> int:
    """Replace the first `old` in the lock; returns the (1-based) line it was on."""
    lock = spec.with_name("mlops.lock")
    text = lock.read_text()
    assert old in text, old
    lock.write_text(text.replace(old, new, 1))
    return text[:text.index(old)].count("\n") + 1


@pytest.mark.parametrize("uri, message", [
    ("/var/run/secrets/kubernetes.io/serviceaccount", "is not a URI a model server downloads from (a local path?)"),
    ("ftp://models.example/fraud", "the scheme ftp: is not one KServe's storage initializer downloads from"),
    ("https://ci:hunter2@models.example/fraud", "the artifact URI carries a user or password"),
    ("s3://bucket/fraud?X-Amz-Signature=abc123", "carries a credential in its query"),
    ('"s3://bucket/fraud model"', "the artifact URI holds whitespace or control characters"),
], ids=["local-path", "unknown-scheme", "userinfo", "presigned", "whitespace"])
@pytest.mark.parametrize("frozen", [False, True], ids=["compile", "frozen"])
def test_hostile_artifact_uris_are_refused_at_their_position(spec, tmp_path, capsys, uri, message, frozen):
    line = edit_lock(spec, URI, uri)
    args = ["compile", str(spec), "-o", str(tmp_path / "out")] + (["--frozen"] if frozen else [])
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"{spec.with_name('mlops.lock')}:{line}:19: error: models.fraud-xgb.artifact_uri: " in err, err
    assert message in err, err
    assert "hunter2" not in err and "abc123" not in err
    assert not (tmp_path / "out" / "base").exists()


def test_a_previous_version_is_checked_too(spec, tmp_path, capsys):
    old = "file:///work/main/mlartifacts/5ac992987e7a41ae8e000f4c71a15541/artifacts/model"
    line = edit_lock(spec, old, "../../etc/passwd")
    assert main(["lint", str(spec)]) == 1
    out = capsys.readouterr().out
    assert f"mlops.lock:{line}:23: " in out and "models.fraud-xgb.previous.0.artifact_uri" in out, out


def test_a_version_that_is_not_ready_is_refused(spec, tmp_path, capsys):
    line = edit_lock(spec, "status: READY", "status: PENDING_REGISTRATION")
    assert main(["compile", str(spec), "-o", str(tmp_path / "out")]) == 1
    assert (f"mlops.lock:{line}:13: error: models.fraud-xgb.status: the version is 'PENDING_REGISTRATION', not READY"
            in capsys.readouterr().err)


def test_a_version_past_mlflows_integer_is_refused(spec, tmp_path, capsys):
    line = edit_lock(spec, "version: 3\n", f"version: {2**40}\n")
    assert main(["compile", str(spec), "-o", str(tmp_path / "out")]) == 1
    assert f"mlops.lock:{line}:14: error: models.fraud-xgb.version: expected a version number" in capsys.readouterr().err


def test_frozen_refuses_the_demo_registrys_local_artifacts(spec, tmp_path, capsys):
    assert main(["compile", str(spec), "-o", str(tmp_path / "out"), "--frozen"]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:64:12: error: models.fraud-xgb: " in err and "a file on the machine that ran `mlops lock`" in err
    # The same lock with its artifacts in object storage deploys.
    lock = spec.with_name("mlops.lock")
    lock.write_text(re.sub(r"file:///work/main/mlartifacts/", "s3://acme-models/mlartifacts/", lock.read_text()))
    assert main(["compile", str(spec), "-o", str(tmp_path / "out"), "--frozen"]) == 0
    service = (tmp_path / "out" / "base" / "manifests" / "serving" / "fraud-api.yaml").read_text()
    assert "storageUri: s3://acme-models/mlartifacts/d90858fff35b4f9998dfd438cd2f1d10/artifacts/model" in service


@pytest.mark.parametrize("uri", ["s3://b/m", "gs://b/m", "https://models.example/m.tar.gz?version=3", "pvc://claim/m",
                                 "hf://org/model", "oci://registry.example/m:1", "hdfs://nn/m", "file:///tmp/m"])
def test_what_kserve_downloads_is_accepted(uri):
    assert artifact_uri_problem(uri) is None
