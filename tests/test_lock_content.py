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


# --- a portable lock: local artifacts inside the project are written relative to the lock --------

def test_local_artifacts_inside_the_project_are_written_relative_and_read_back_absolute(tmp_path):
    from compiler.lock import Lock, LockedModel, LockedVersion, parse_lock, write_lock_text

    inside = (tmp_path / "mlartifacts" / "r1" / "artifacts" / "model").as_uri()
    elsewhere = "file:///srv/registry/r0/artifacts/model"
    entry = LockedModel("m", "m", "champion", None, LockedVersion(2, inside, run_id="r1"), {}, {},
                        (LockedVersion(1, elsewhere, run_id="r0"),), "sha256:0")
    text = write_lock_text(Lock(str(tmp_path / "mlops.lock"), {"m": entry}))
    assert "artifact_uri: file:mlartifacts/r1/artifacts/model\n" in text and str(tmp_path) not in text
    assert f"artifact_uri: {elsewhere}\n" in text  # outside the project: kept as the registry says
    read = parse_lock(text.encode(), str(tmp_path / "mlops.lock")).entry("m")
    assert read.resolved.artifact_uri == inside and read.previous[0].artifact_uri == elsewhere
    moved = tmp_path / "clone"
    moved.mkdir()
    assert parse_lock(text.encode(), str(moved / "mlops.lock")).entry("m").resolved.artifact_uri == \
        (moved / "mlartifacts" / "r1" / "artifacts" / "model").as_uri()  # the same lock in another checkout


@pytest.mark.parametrize("relative", ["file:../outside/model", "file:mlartifacts/../../x", "file:..", "file:."])
def test_a_relative_artifact_path_cannot_leave_the_project(spec, tmp_path, capsys, relative):
    line = edit_lock(spec, URI, relative)
    assert main(["compile", str(spec), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"mlops.lock:{line}:" in err and "leaves the lock's directory" in err, err


def test_the_committed_example_lock_is_portable():
    text = (REPO / "mlops.lock.example").read_text()
    assert "file:///" not in text and "file:mlartifacts/" in text
