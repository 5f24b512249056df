"""`mlops lock` and `mlops registry seed` against a real MLflow registry (SQLite), never a mock client."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.util import find_spec

import pytest

from compiler.lock import parse_lock, read_lock, write_lock_text
from tests.registry_fixtures import EXAMPLE, SEED_SECONDS, Workspace, mlops, seeded_registry, workspace  # noqa: F401


def lock_of(ws: Workspace):
    lock = read_lock(ws.spec)
    assert lock is not None
    return lock


# --- seeding -------------------------------------------------------------------------------------

def test_seed_registers_versions_aliases_and_lineage_tags(workspace):
    client = workspace.client()
    fraud = client.get_registered_model("fraud-xgb")
    assert fraud.aliases == {"champion": 3}
    assert fraud.tags["mlops.seeded"] == "true"
    versions = {int(v.version): v for v in client.search_model_versions("name = 'fraud-xgb'")}
    assert sorted(versions) == [1, 2, 3]
    assert versions[3].tags["mlops.preprocessing_version"] == "2.3.1"   # the spec's preprocessing version
    assert versions[3].tags["mlops.data_version"].startswith("sha256:")
    assert client.get_run(versions[3].run_id).data.tags["mlops.code_version"]
    source = client.get_model_version_download_uri("fraud-xgb", "3")
    assert source.startswith("file://") and source.endswith("/model")
    merchant = sorted(int(v.version) for v in client.search_model_versions("name = 'merchant-embed'"))
    assert merchant == [1, 2]


def test_seeded_model_is_a_real_loadable_model(workspace):
    import joblib
    import numpy as np
    from urllib.parse import urlparse

    source = workspace.client().get_model_version_download_uri("fraud-xgb", "3")
    model = joblib.load(os.path.join(urlparse(source).path, "model.joblib"))
    assert model.predict(np.zeros((1, 4))).shape == (1,)


def test_seed_again_leaves_seeded_models_alone(workspace, capsys):
    assert mlops("registry", "seed", workspace.spec) == 0
    assert "already seeded" in capsys.readouterr().err
    assert len(workspace.client().search_model_versions("name = 'fraud-xgb'")) == 3


def test_seed_refuses_a_model_it_did_not_create(workspace, capsys):
    workspace.client().create_registered_model("someone-elses")
    workspace.edit_spec("registry_name: merchant-embed", "registry_name: someone-elses")
    assert mlops("registry", "seed", workspace.spec) == 1
    err = capsys.readouterr().err
    assert "models.merchant-embed: registered model 'someone-elses' already exists" in err
    assert f"{workspace.spec}:" in err
    assert workspace.client().search_model_versions("name = 'someone-elses'") == []


def test_registry_seed_time():
    """Not an assertion of speed: reports what creating the session registry costs (pytest -rP shows it)."""
    assert SEED_SECONDS, "the session registry was not created"
    print(f"session registry: migrations + seeding took {SEED_SECONDS[0]:.2f} s")


# --- resolving ------------------------------------------------------------------------------------

def test_lock_resolves_the_alias(workspace):
    assert mlops("lock", workspace.spec) == 0
    entry = lock_of(workspace).entry("fraud-xgb")
    client = workspace.client()
    champion = client.get_model_version_by_alias("fraud-xgb", "champion")
    assert (entry.alias, entry.requested_version, entry.version) == ("champion", None, 3)
    assert entry.resolved.run_id == champion.run_id
    assert entry.resolved.artifact_uri == client.get_model_version_download_uri("fraud-xgb", "3")
    assert entry.resolved.status == "READY"


def test_lock_checks_a_pinned_version(workspace):
    assert mlops("lock", workspace.spec) == 0
    entry = lock_of(workspace).entry("merchant-embed")
    assert (entry.alias, entry.requested_version, entry.version) == (None, 2, 2)
    assert [v.version for v in entry.previous] == [1]


def test_lineage_from_version_tags_run_tags_and_the_spec(workspace):
    assert mlops("lock", workspace.spec) == 0
    lock = lock_of(workspace)
    fraud, merchant = lock.entry("fraud-xgb"), lock.entry("merchant-embed")
    tags = workspace.client().get_model_version("fraud-xgb", "3").tags
    assert fraud.lineage["data_version"] == tags["mlops.data_version"]
    assert fraud.lineage["preprocessing_version"] == "2.3.1"
    assert fraud.lineage_source == {"data_version": "version-tag", "preprocessing_version": "version-tag",
                                    "code_version": "run-tag"}
    assert merchant.lineage == {"data_version": "s3://acme-data/merchants/2026-10-15",
                                "preprocessing_version": "2.3.1", "code_version": "3b7d9a1"}
    assert set(merchant.lineage_source.values()) == {"spec"}


def test_version_tag_wins_over_run_tag_and_missing_lineage_is_recorded(workspace):
    client = workspace.client()
    client.set_model_version_tag("fraud-xgb", "3", "mlops.code_version", "abc1234")
    client.delete_model_version_tag("fraud-xgb", "3", "mlops.data_version")
    assert mlops("lock", workspace.spec) == 0
    fraud = lock_of(workspace).entry("fraud-xgb")
    assert (fraud.lineage["code_version"], fraud.lineage_source["code_version"]) == ("abc1234", "version-tag")
    assert (fraud.lineage["data_version"], fraud.lineage_source["data_version"]) == (None, "missing")


def test_previous_versions_follow_the_largest_keep_previous(workspace):
    workspace.edit_spec("canary_percent: 10\n      keep_previous: 2", "canary_percent: 10\n      keep_previous: 1")
    assert mlops("lock", workspace.spec) == 0
    assert [v.version for v in lock_of(workspace).entry("fraud-xgb").previous] == [2]
    # an environment that keeps more wins: the lock is one per file
    workspace.edit_spec("fraud-api: {replicas: {min: 3}}", "fraud-api: {replicas: {min: 3}, rollout: {keep_previous: 5}}")
    assert mlops("lock", workspace.spec) == 0
    previous = lock_of(workspace).entry("fraud-xgb").previous
    assert [v.version for v in previous] == [2, 1]          # all there is
    client = workspace.client()
    assert previous[0].artifact_uri == client.get_model_version_download_uri("fraud-xgb", "2")
    assert previous[0].run_id == client.get_model_version("fraud-xgb", "2").run_id


def test_previous_versions_skip_versions_that_are_not_ready(workspace):
    workspace.sql("UPDATE model_versions SET status = 'FAILED_REGISTRATION' WHERE name = 'fraud-xgb' AND version = 2")
    assert mlops("lock", workspace.spec) == 0
    assert [v.version for v in lock_of(workspace).entry("fraud-xgb").previous] == [1]


def test_lock_output_is_byte_stable(workspace):
    assert mlops("lock", workspace.spec) == 0
    first = workspace.lock.read_bytes()
    assert mlops("lock", workspace.spec) == 0
    assert workspace.lock.read_bytes() == first
    text = first.decode()
    assert text.startswith("# mlops.lock: generated by `mlops lock`")
    assert write_lock_text(parse_lock(first, str(workspace.lock))) == text


def test_relative_sqlite_uri_is_relative_to_the_spec(workspace, tmp_path_factory, monkeypatch):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert mlops("lock", workspace.spec) == 0          # default sqlite:///mlruns.db next to the spec
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{workspace.db}")
    assert mlops("lock", "--check", workspace.spec) == 0


# --- --check ---------------------------------------------------------------------------------------

def test_check_passes_when_nothing_moved(workspace, capsys):
    assert mlops("lock", workspace.spec) == 0
    assert mlops("lock", "--check", workspace.spec) == 0
    assert "up to date" in capsys.readouterr().err


def test_check_fails_and_names_the_model_when_the_alias_moved(workspace, capsys):
    assert mlops("lock", workspace.spec) == 0
    before = workspace.lock.read_bytes()
    workspace.client().set_registered_model_alias("fraud-xgb", "champion", "2")
    capsys.readouterr()
    assert mlops("lock", "--check", workspace.spec) == 1
    out, err = capsys.readouterr()
    assert "models.fraud-xgb: the registry has moved: alias 'champion' now points to version 2 (the lock has 3)" in err
    assert f"{workspace.spec}:64:12:" in err                       # the line of `alias: champion`
    assert "-    version: 3" in out and "+    version: 2" in out    # a unified diff of the lock
    assert "merchant-embed" not in err
    assert workspace.lock.read_bytes() == before                     # --check writes nothing


def test_check_fails_when_the_lock_is_stale_for_the_spec(workspace, capsys):
    assert mlops("lock", workspace.spec) == 0
    workspace.edit_spec("keep_previous: 1}", "keep_previous: 0}")
    capsys.readouterr()
    assert mlops("lock", "--check", workspace.spec) == 1
    err = capsys.readouterr().err
    assert "models.merchant-embed: the lock is stale for the spec" in err
    assert "fraud-xgb" not in err.split("run `mlops lock")[0]


def test_check_fails_without_a_lock(workspace, capsys):
    assert mlops("lock", "--check", workspace.spec) == 1
    assert "there is no lock file" in capsys.readouterr().err


# --- registry errors ----------------------------------------------------------------------------------

def test_unknown_model(workspace, capsys):
    workspace.edit_spec("registry_name: fraud-xgb", "registry_name: fraud-xgboost")
    assert mlops("lock", workspace.spec) == 1
    err = capsys.readouterr().err
    assert (f"{workspace.spec}:63:20: error: models.fraud-xgb: registered model 'fraud-xgboost' does not exist in "
            "sqlite:///mlruns.db; it has registered models: fraud-xgb, merchant-embed") in err
    assert not workspace.lock.exists()


def test_alias_not_set(workspace, capsys):
    workspace.edit_spec("alias: champion ", "alias: challenger")
    assert mlops("lock", workspace.spec) == 1
    err = capsys.readouterr().err
    assert (f"{workspace.spec}:64:12: error: models.fraud-xgb: alias 'challenger' is not set on registered model "
            "'fraud-xgb' in sqlite:///mlruns.db (its aliases: champion -> 3)") in err
    assert "set_registered_model_alias('fraud-xgb', 'challenger', VERSION)" in err
    assert "or pin `version:`" in err


def test_pinned_version_that_does_not_exist(workspace, capsys):
    workspace.edit_spec("version: 2\n", "version: 7\n")
    assert mlops("lock", workspace.spec) == 1
    err = capsys.readouterr().err
    assert "models.merchant-embed: version 7 of registered model 'merchant-embed' does not exist" in err
    assert "it has versions: 1, 2" in err


def test_version_not_ready(workspace, capsys):
    workspace.sql("UPDATE model_versions SET status = 'PENDING_REGISTRATION' WHERE name = 'fraud-xgb' AND version = 3")
    assert mlops("lock", workspace.spec) == 1
    assert "models.fraud-xgb: version 3 of registered model 'fraud-xgb' is PENDING_REGISTRATION, not READY" in \
        capsys.readouterr().err


def test_every_model_problem_is_reported_at_once(workspace, capsys):
    workspace.edit_spec("alias: champion ", "alias: challenger")
    workspace.edit_spec("version: 2\n", "version: 9\n")
    assert mlops("lock", workspace.spec) == 1
    err = capsys.readouterr().err
    assert "models.fraud-xgb:" in err and "models.merchant-embed:" in err


def test_missing_sqlite_database_is_not_created(workspace, capsys):
    workspace.db.unlink()
    assert mlops("lock", workspace.spec) == 1
    err = capsys.readouterr().err
    assert f"{workspace.spec}:16:19: error: platform.mlflow.tracking_uri: cannot read the model registry" in err
    assert "does not exist" in err and "fraud-xgb, merchant-embed" in err
    assert not workspace.db.exists()


def test_unreachable_server(workspace, capsys, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with socket.socket() as sock:                      # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    assert mlops("lock", workspace.spec, "--tracking-uri", f"http://127.0.0.1:{port}") == 1
    err = capsys.readouterr().err
    assert f"cannot read the model registry at http://127.0.0.1:{port}: cannot connect" in err
    assert "Traceback" not in err
    assert time.perf_counter() - started < 20


def test_bad_usage_exits_2(workspace):
    assert mlops("lock", workspace.spec, "--no-such-flag") == 2


# --- a real tracking server over loopback --------------------------------------------------------------

@pytest.mark.skipif(find_spec("flask") is None or shutil.which("mlflow") is None,
                    reason="`mlflow server` needs the full mlflow package (flask, gunicorn/uvicorn; ~850 MB "
                           "installed); only mlflow-skinny is installed here. pip install mlflow to run this test")
def test_lock_through_mlflow_server(workspace, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [shutil.which("mlflow"), "server", "--backend-store-uri", workspace.uri, "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "wb"), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"mlflow server did not start: {(tmp_path / 'server.log').read_text()[-500:]}")
                time.sleep(0.3)
        assert mlops("lock", workspace.spec, "--tracking-uri", f"http://127.0.0.1:{port}") == 0
        over_http = workspace.lock.read_bytes()
        assert mlops("lock", workspace.spec) == 0           # the same registry read directly
        assert workspace.lock.read_bytes() == over_http
    finally:
        # gunicorn/uvicorn workers outlive a SIGTERM of the parent alone: stop the whole process group
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_lock_needs_no_mlflow_import_to_read(workspace):
    """compile, lint and validate read the lock; none of them may import mlflow (2-3 s)."""
    assert mlops("lock", workspace.spec) == 0
    code = ("import sys\nfrom compiler.cli import main\n"
            f"assert main(['validate', {str(workspace.spec)!r}]) == 0\n"
            "from compiler.lock import read_lock, check_frozen\nfrom compiler.checked_spec import check_file\n"
            f"lock = read_lock({str(workspace.spec)!r}); assert lock is not None and lock.models\n"
            f"assert check_frozen(check_file({str(workspace.spec)!r}), lock) == []\n"
            "assert 'mlflow' not in sys.modules, 'mlflow was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert result.returncode == 0, result.stderr


# --- what each kept version was served with (docs/traps.md, "Rollback needs old versions deployable") ---

def test_lock_records_the_image_the_current_version_is_served_with(workspace):
    assert mlops("lock", workspace.spec) == 0
    entry = lock_of(workspace).entry("fraud-xgb")
    assert entry.resolved.images == (("fraud-api", "ghcr.io/acme/fraud-serve:1.4.2"),)
    assert dict(entry.resolved.lineage) == entry.lineage


def test_a_version_that_becomes_previous_keeps_its_image_and_lineage(workspace, capsys):
    client = workspace.client()
    client.set_registered_model_alias("fraud-xgb", "champion", "2")
    workspace.edit_spec("image: ghcr.io/acme/fraud-serve:1.4.2", "image: ghcr.io/acme/fraud-serve:1.4.1")
    assert mlops("lock", workspace.spec) == 0
    served_then = lock_of(workspace).entry("fraud-xgb")
    assert served_then.version == 2
    # version 3 is promoted and served with a new image: version 2 moves to `previous` with its own record
    client.set_registered_model_alias("fraud-xgb", "champion", "3")
    workspace.edit_spec("image: ghcr.io/acme/fraud-serve:1.4.1", "image: ghcr.io/acme/fraud-serve:1.4.2")
    assert mlops("lock", workspace.spec) == 0
    entry = lock_of(workspace).entry("fraud-xgb")
    assert entry.version == 3 and entry.resolved.images == (("fraud-api", "ghcr.io/acme/fraud-serve:1.4.2"),)
    (two, one) = entry.previous
    assert two.version == 2 and two.images == (("fraud-api", "ghcr.io/acme/fraud-serve:1.4.1"),)
    assert dict(two.lineage) == served_then.lineage
    assert one.version == 1 and one.images == ()                 # never current under `mlops lock`: no image
    assert dict(one.lineage)["preprocessing_version"] is not None   # its lineage from its registry tags
    capsys.readouterr()
    assert mlops("lock", "--check", workspace.spec) == 0         # carrying forward is stable


def test_lock_and_check_leave_nothing_in_the_working_directory(workspace, tmp_path, monkeypatch):
    """MLflow made `file:/<registry dir>` directories in the current directory (the repository root under
    pytest) for the read-only SQLite URI: reading the registry writes nothing where it runs."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    assert mlops("lock", workspace.spec) == 0
    assert mlops("lock", "--check", workspace.spec) == 0
    assert list(here.iterdir()) == []


def test_the_demo_registry_beside_the_spec_gives_a_portable_lock(tmp_path, monkeypatch):
    """As in the README's set-up: seed and lock beside the spec; the lock names no path of this machine."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    shutil.copy(EXAMPLE, tmp_path / "mlops.yaml")
    assert mlops("registry", "seed", tmp_path / "mlops.yaml") == 0
    assert mlops("lock", tmp_path / "mlops.yaml") == 0
    text = (tmp_path / "mlops.lock").read_text()
    assert str(tmp_path) not in text and "file:///" not in text
    assert re.search(r"artifact_uri: file:mlartifacts/[0-9a-f]+/artifacts/model\n", text)
    uri = read_lock(tmp_path / "mlops.yaml").entry("fraud-xgb").resolved.artifact_uri
    assert uri.startswith((tmp_path / "mlartifacts").as_uri() + "/")
    assert mlops("lock", "--check", tmp_path / "mlops.yaml") == 0
