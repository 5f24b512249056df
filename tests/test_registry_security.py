"""`mlops lock` with a spec an attacker wrote: no secret leaves the machine, no database is written,
and every way a registry can be unreachable is named for what it is, without credentials.

Servers here are threads of the test process on 127.0.0.1 (a free port), stopped by the test.
"""
from __future__ import annotations

import hashlib
import http.server
import socket
import sqlite3
import threading
from contextlib import contextmanager

import pytest

from compiler.lock import write_lock_text
from tests.registry_fixtures import Workspace, mlops, seeded_registry, workspace  # noqa: F401

SECRET = "s3cr3t-value-9b1f"


@contextmanager
def http_server(status: int = 200, body: bytes = b"<html>hello</html>", content_type: str = "text/html"):
    """A loopback server answering every request with `status`/`body`; yields (port, request headers)."""
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def fast_failures(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")


# --- 3. read-only commands write nothing ----------------------------------------------------------

def test_lock_check_leaves_the_registry_database_byte_for_byte(workspace, capsys):
    assert mlops("lock", workspace.spec) == 0
    before = digest(workspace.db)
    assert mlops("lock", "--check", workspace.spec) == 0
    assert mlops("lock", workspace.spec) == 0
    assert digest(workspace.db) == before
    assert not (workspace.root / "mlruns").exists()  # no artifact root made either
    assert sorted(p.name for p in workspace.root.iterdir()) == ["mlops.lock", "mlops.yaml", "mlruns.db"]


def test_lock_check_does_not_turn_another_sqlite_database_into_a_registry(workspace, capsys):
    """Before: MLflow ran its migrations and added ~30 tables to whatever file the URI named."""
    other = workspace.root / "app.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO customers (name) VALUES ('ada')")
    connection.close()
    before = digest(other)
    for command in (["lock", "--check"], ["lock"]):
        assert mlops(*command, workspace.spec, "--tracking-uri", f"sqlite:///{other}") == 1
        err = capsys.readouterr().err
        assert "is a SQLite database but not an MLflow registry" in err, err
        assert digest(other) == before
    assert not workspace.lock.exists()


def test_a_file_that_is_not_sqlite(workspace, capsys):
    text = workspace.root / "notes.db"
    text.write_text("not a database\n" * 100)
    before = digest(text)
    assert mlops("lock", "--check", workspace.spec, "--tracking-uri", f"sqlite:///{text}") == 1
    assert "is not a SQLite database" in capsys.readouterr().err
    assert digest(text) == before


def test_missing_database_is_named_and_not_created(workspace, capsys):
    missing = workspace.root / "nope.db"
    assert mlops("lock", "--check", workspace.spec, "--tracking-uri", f"sqlite:///{missing}") == 1
    assert f"the database file {missing} does not exist" in capsys.readouterr().err
    assert not missing.exists()


# --- 2. environment expansion -----------------------------------------------------------------------

@pytest.mark.parametrize("uri", [
    "http://127.0.0.1:{port}/?k=${{MLOPS_TEST_SECRET_NOT_ALLOWED_AWS_KEY}}",
    "http://127.0.0.1:{port}/?k=${{AWS_SECRET_ACCESS_KEY}}",
    "http://127.0.0.1:{port}/${{MLFLOW_TRACKING_URI}}",
    "${{HOME}}",
], ids=["mlops-var-inside", "other-var", "allowed-var-inside-a-longer-uri", "other-var-whole"])
def test_a_spec_cannot_send_an_environment_variable_to_a_host_it_names(workspace, capsys, monkeypatch, uri):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("MLOPS_TEST_SECRET_NOT_ALLOWED_AWS_KEY", SECRET)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"https://ci:{SECRET}@mlflow.internal")
    with http_server() as (port, seen):
        workspace.edit_spec("${MLFLOW_TRACKING_URI:-sqlite:///mlruns.db}", uri.format(port=port))
        assert mlops("lock", "--check", workspace.spec) == 1
        assert mlops("validate", workspace.spec) == 1
    err = capsys.readouterr().err
    assert "platform.mlflow.tracking_uri" in err and ":16:19: error:" in err, err
    assert SECRET not in err
    assert seen == [], "nothing may be sent"


def test_the_whole_value_from_the_environment_is_used_and_shown_without_its_password(workspace, capsys, monkeypatch):
    port = free_port()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://ci:{SECRET}@127.0.0.1:{port}/?token={SECRET}")
    assert mlops("lock", "--check", workspace.spec) == 1
    err = capsys.readouterr().err
    assert f"http://***@127.0.0.1:{port}/?token=***" in err and "connection refused" in err, err
    assert SECRET not in err


def test_credentials_go_only_to_the_server_the_user_named(workspace, capsys, monkeypatch):
    """The spec names a server and CI has MLFLOW_TRACKING_TOKEN: before, MLflow sent the token to it."""
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", SECRET)
    with http_server(status=401, body=b'{"error_code": "UNAUTHENTICATED"}', content_type="application/json") as (
            port, seen):
        workspace.edit_spec("${MLFLOW_TRACKING_URI:-sqlite:///mlruns.db}", f"http://127.0.0.1:{port}")
        assert mlops("lock", "--check", workspace.spec) == 1
        err = capsys.readouterr().err
        assert seen and all(SECRET not in str(request) for request in seen), seen
        assert "HTTP 401" in err and "MLFLOW_TRACKING_TOKEN were not sent" in err, err
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", SECRET)
        seen.clear()
        assert mlops("lock", "--check", workspace.spec, "--tracking-uri", f"http://127.0.0.1:{port}") == 1
        assert any(request.get("authorization") == f"Bearer {SECRET}" for request in seen), seen
        assert SECRET not in capsys.readouterr().err


# --- 11. what an unreachable registry says ------------------------------------------------------------

def lock_error(workspace, capsys, uri: str) -> str:
    assert mlops("lock", "--check", workspace.spec, "--tracking-uri", uri) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert f"{workspace.spec}:16:19: error: platform.mlflow.tracking_uri: cannot read the model registry" in err, err
    return err


def test_refused_connection(workspace, capsys):
    port = free_port()
    assert f"cannot connect to 127.0.0.1:{port}: connection refused" in lock_error(
        workspace, capsys, f"http://127.0.0.1:{port}")


def test_dns_failure(workspace, capsys, monkeypatch):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)  # no resolver is asked: the test stays offline
    assert "cannot resolve the host name mlflow.does-not-exist.example (DNS)" in lock_error(
        workspace, capsys, "https://mlflow.does-not-exist.example")


def test_tls_error(workspace, capsys):
    with http_server() as (port, _):  # a plain HTTP server spoken to over https
        err = lock_error(workspace, capsys, f"https://127.0.0.1:{port}")
    assert f"TLS handshake with 127.0.0.1:{port} failed" in err, err


@pytest.mark.parametrize("status, word, body", [
    (401, "unauthorized", b'{"error_code": "UNAUTHENTICATED", "message": "no"}'),
    (403, "forbidden", b'{"error_code": "PERMISSION_DENIED", "message": "no"}'),
    (401, "unauthorized", b"You are not authenticated. Please see the documentation"),  # mlflow's basic-auth app
], ids=["401-json", "403-json", "401-text"])
def test_http_401_and_403(workspace, capsys, status, word, body):
    with http_server(status=status, body=body, content_type="application/json") as (port, _):
        err = lock_error(workspace, capsys, f"http://u:{SECRET}@127.0.0.1:{port}")
    assert f"refused the request (HTTP {status}: {word})" in err, err
    assert SECRET not in err


@pytest.mark.parametrize("status", [200, 404])
def test_a_server_that_is_not_mlflow(workspace, capsys, status):
    with http_server(status=status, body=b"<html><body>Welcome to nginx</body></html>") as (port, _):
        err = lock_error(workspace, capsys, f"http://127.0.0.1:{port}")
    assert "does not answer as an MLflow tracking server" in err, err


def test_unsupported_scheme(workspace, capsys):
    assert mlops("lock", "--check", workspace.spec, "--tracking-uri", "file:///etc") == 1
    assert "is not a registry URI mlops reads" in capsys.readouterr().err


def test_the_lock_text_for_a_valid_registry_is_unchanged(workspace):
    """The hardening changes nothing for a registry that works: the lock is the one the example commits."""
    assert mlops("lock", workspace.spec) == 0
    from compiler.lock import read_lock

    assert workspace.lock.read_text() == write_lock_text(read_lock(workspace.spec))


def test_lock_refuses_to_pin_a_download_uri_no_model_server_can_use(workspace, capsys):
    """A registry answering with credentials in the URI (a presigned link) or an unknown scheme: no lock is written."""
    workspace.sql("UPDATE model_versions SET storage_location = 'https://u:" + SECRET + "@models.example/m', "
                  "source = 'https://u:" + SECRET + "@models.example/m' WHERE name = 'fraud-xgb' AND version = 3")
    assert mlops("lock", workspace.spec) == 1
    err = capsys.readouterr().err
    assert "models.fraud-xgb: version 3 of registered model 'fraud-xgb' is stored at" in err, err
    assert "carries a user or password" in err and SECRET not in err
    assert not workspace.lock.exists()
