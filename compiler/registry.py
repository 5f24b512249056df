"""Everything that talks to the MLflow model registry: `mlops lock` and `mlops registry seed`.

mlflow is imported inside functions only: `validate`, `lint`, `compile` and `plan` import this
package without paying for it (2-3 s) and never touch the network.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .diagnostics import Diagnostic, Position, SpecError, UsageError
from .lock import (LINEAGE_KEYS, LINEAGE_TAG_PREFIX, Lock, LockedModel, LockedVersion, ModelRequirement,
                   carried_forward, lock_requirements, served_images)

if TYPE_CHECKING:
    from .checked_spec import CheckedSpec

SEED_TAG = "mlops.seeded"                  # on registered models `mlops registry seed` created
SEED_EXPERIMENT = "mlops-registry-seed"
ARTIFACTS_DIR = "mlartifacts"              # next to a SQLite registry (git-ignored, like *.db)


# --- where the registry is ------------------------------------------------------------------------

@dataclass(frozen=True)
class Registry:
    """A tracking/registry URI as used, and how to name it in messages."""

    uri: str
    shown: str                             # as the user wrote it, credentials masked (compiler/redaction.py)
    position: Position                     # where the spec sets it, or the spec's first line
    sqlite_path: Path | None               # the database file of a sqlite:/// URI
    user_named: bool = True                # the host comes from --tracking-uri or the environment, not the spec


# Schemes `mlops lock` reads a registry through: MLflow's REST API (a server, Databricks) or a SQLite file,
# which `lock` checks and opens read-only. Other databases (PostgreSQL, MySQL) would be created or migrated
# by MLflow on first contact: put an MLflow server in front of them.
SUPPORTED_SCHEMES = ("sqlite", "http", "https", "databricks")
# What MLflow sends to a tracking server from the environment (mlflow/environment_variables.py).
CREDENTIAL_VARIABLES = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                        "MLFLOW_TRACKING_CLIENT_CERT_PATH", "MLFLOW_TRACKING_AWS_SIGV4", "MLFLOW_TRACKING_AUTH")
# Tables every MLflow database has (mlflow/store/db/utils.py _all_tables_exist, the registry's tables).
MLFLOW_TABLES = ("alembic_version", "experiments", "runs", "registered_models", "model_versions")


def registry_for(checked: "CheckedSpec", override: str | None = None) -> Registry:
    """`--tracking-uri`, else platform.mlflow.tracking_uri (with ${MLFLOW_TRACKING_URI:-...} expanded).

    A relative SQLite path in the spec is relative to the spec file; on the command line, to the
    working directory (as any path argument is).
    """
    from .redaction import redact

    source_map = checked.source_map
    written = ("platform", "mlflow", "tracking_uri")
    position = source_map.value(written) if source_map.has(written) else Position(checked.path, 1, 1)
    mlflow_settings = checked.spec.platform.mlflow
    if override is not None:
        uri, base, user_named = override, Path.cwd(), True
    else:
        uri, base = mlflow_settings.resolved_tracking_uri(), Path(checked.path).resolve().parent
        user_named = mlflow_settings.variable() is not None or _same_server(uri, os.environ.get("MLFLOW_TRACKING_URI"))
    if not uri.strip():
        raise SpecError(Diagnostic(position, "platform.mlflow.tracking_uri is empty (an unset ${VAR} without a "
                                   "default?); set it, MLFLOW_TRACKING_URI or --tracking-uri"))
    scheme = uri.split(":", 1)[0].split("+", 1)[0].lower() if ":" in uri else ""
    if scheme not in SUPPORTED_SCHEMES or any(c.isspace() or ord(c) < 32 for c in uri):
        raise SpecError(Diagnostic(position, f"platform.mlflow.tracking_uri: {redact(uri)!r} is not a registry URI "
                                   f"mlops reads; use one of the schemes {', '.join(SUPPORTED_SCHEMES)}, e.g. "
                                   "sqlite:///mlruns.db or https://mlflow.example.com",
                                   ("platform", "mlflow", "tracking_uri")))
    absolute, sqlite_path = _absolute_sqlite(uri, base)
    return Registry(absolute, redact(uri), position, sqlite_path, user_named)


def _same_server(uri: str, other: str | None) -> bool:
    """True when both URIs name one server (scheme, host and port): the user named it in MLFLOW_TRACKING_URI."""
    from urllib.parse import urlsplit

    if not other:
        return False
    try:
        one, two = urlsplit(uri), urlsplit(other)
        return (one.scheme, one.hostname, one.port) == (two.scheme, two.hostname, two.port) and bool(one.hostname)
    except ValueError:
        return False


def _absolute_sqlite(uri: str, base: Path) -> tuple[str, Path | None]:
    if not uri.startswith("sqlite:"):
        return uri, None
    rest = uri[len("sqlite:"):]
    if not rest.startswith("///") or rest in ("///", "///:memory:"):
        return uri, None  # sqlite:// and :memory: are in-memory: nothing to make absolute
    path_part, _, query = rest[3:].partition("?")
    path = Path(unquote(path_part))
    if not path.is_absolute():
        path = (base / path).resolve()
    return "sqlite:///" + str(path) + (f"?{query}" if query else ""), path


def _read_only_uri(path: Path) -> str:
    """SQLAlchemy's URI for SQLite's read-only mode: MLflow can then create and migrate nothing.

    `sqlite+pysqlite:` (the same driver): MLflow makes the parent directories of every `sqlite:///PATH`
    (mlflow/store/db/utils.py _make_parent_dirs_if_sqlite), and would read `file:/abs/...` as a relative
    path, leaving an empty `file:/...` directory tree wherever `mlops lock` runs."""
    return f"sqlite+pysqlite:///file:{_quoted(path)}?mode=ro&uri=true"


def _client(registry: Registry, *, read_only: bool = True):
    _quiet_mlflow()
    withheld = _withhold_credentials(registry)
    from mlflow import MlflowClient

    for name in ("mlflow", "alembic"):  # after the import: mlflow sets its own level when imported
        logging.getLogger(name).setLevel(logging.WARNING)
    uri = _read_only_uri(registry.sqlite_path) if read_only and registry.sqlite_path is not None else registry.uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client._mlops_withheld = withheld  # for the message of a refused request
    return client


def _withhold_credentials(registry: Registry) -> list[str]:
    """Remove MLflow's credential variables when the spec, not the user, chose the server; returns their names.

    A pull request can set platform.mlflow.tracking_uri: with MLFLOW_TRACKING_TOKEN in CI's environment,
    MLflow would send the token to whatever host it names.
    """
    if registry.user_named:
        return []
    withheld = [name for name in CREDENTIAL_VARIABLES if name in os.environ]
    for name in withheld:
        del os.environ[name]
    return withheld


def _quiet_mlflow() -> None:
    # Fail fast on an unreachable server (MLflow's defaults retry for minutes) unless the user chose.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")


def _first_line(error: BaseException, registry: Registry | None = None, client=None) -> str:
    """What went wrong, in words: DNS, refused connection, TLS, HTTP 401/403, not an MLflow server, ...

    Credentials are masked, whatever the libraries put in their messages.
    """
    from .redaction import redact

    return redact(_failure(error, registry, client))


def _failure(error: BaseException, registry: Registry | None, client) -> str:
    import socket
    import ssl

    chain, seen = [], set()
    pending: list[object] = [error]
    while pending:  # the exception, its causes and contexts, and the `reason` requests/urllib3 wrap
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        chain.append(item)
        pending += [item.__cause__, item.__context__, getattr(item, "reason", None)]
        pending += [arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException)]
    text = " ".join(str(getattr(e, "message", None) or e) for e in chain)
    host = _host(registry)
    if any(isinstance(e, socket.gaierror) for e in chain) or "NameResolutionError" in text or \
            "Name or service not known" in text or "nodename nor servname" in text:
        return f"cannot resolve the host name {host} (DNS)"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSLError" in text or "CERTIFICATE_VERIFY_FAILED" in text:
        detail = re.search(r"\[SSL: [A-Z_]+\][^'\")]*|certificate verify failed[^'\")]*|wrong version number", text)
        reason = detail[0].strip() if detail else "TLS error"
        return f"TLS handshake with {host} failed ({reason}): is it an https server?"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return f"cannot connect to {host}: connection refused (nothing listens there)"
    if any(isinstance(e, (TimeoutError, socket.timeout)) for e in chain) or "timed out" in text.lower():
        return f"cannot connect to {host}: timed out"
    status = re.search(r"error code (\d{3})|status code (\d{3})|HTTP (\d{3})", text)
    code = next((g for g in status.groups() if g), None) if status else None
    # A JSON error body becomes MLflow's RestException, which keeps its error_code but not the HTTP status.
    code = code or next((_AUTH_ERRORS[c] for c in map(_error_code, chain) if c in _AUTH_ERRORS), None)
    if code in ("401", "403"):
        withheld = getattr(client, "_mlops_withheld", None) or []
        why = (f"; {', '.join(withheld)} were not sent, because platform.mlflow.tracking_uri in the spec chose this "
               "server: pass --tracking-uri or set MLFLOW_TRACKING_URI to send them") if withheld else ""
        word = "unauthorized" if code == "401" else "forbidden"
        return f"the server at {host} refused the request (HTTP {code}: {word}){why}"
    if code is not None or "JSONDecodeError" in text or "Expecting value" in text or "<html" in text.lower():
        answer = f"HTTP {code}" if code else "a response that is not MLflow's JSON"
        return f"the server at {host} does not answer as an MLflow tracking server ({answer} to its REST API)"
    if "Detected out-of-date database schema" in text:
        return "the database was written by another MLflow version; upgrade a copy with `mlflow db upgrade` (a check " \
               "does not migrate it)"
    if "readonly database" in text or "attempt to write" in text:
        return "MLflow tried to change the database, which `mlops lock` opens read-only (is it an MLflow database?)"
    if "Max retries exceeded" in text or re.search(r"\[Errno -?\d+\]", text):
        refused = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
        return f"cannot connect ({refused[1].strip() if refused else 'connection failed'})"
    first = str(getattr(error, "message", None) or error or type(error).__name__).strip().splitlines() or [""]
    line = first[0] or type(error).__name__
    return line if len(line) <= 300 else line[:297] + "..."


_AUTH_ERRORS = {"UNAUTHENTICATED": "401", "PERMISSION_DENIED": "403"}  # mlflow/protos/databricks.proto


def _host(registry: Registry | None) -> str:
    from urllib.parse import urlsplit

    if registry is None:
        return "the registry"
    try:
        parts = urlsplit(registry.uri)
        return f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or registry.shown)
    except ValueError:
        return registry.shown


def _error_code(error: BaseException) -> str | None:
    return getattr(error, "error_code", None)


def _unreachable(registry: Registry, models: list[str], why: str) -> SpecError:
    names = ", ".join(models) if models else "(no models)"
    return SpecError(Diagnostic(
        registry.position, f"platform.mlflow.tracking_uri: cannot read the model registry at {registry.shown}: {why} "
                           f"(models to resolve: {names})",
        ("platform", "mlflow", "tracking_uri"),
        hint="start the registry or point at one with --tracking-uri / MLFLOW_TRACKING_URI; for a local demo "
             "registry run `mlops registry seed SPEC`"))


def _check_database(registry: Registry, models: list[str]) -> None:
    """Before MLflow opens a SQLite file: it exists and holds MLflow's tables (else MLflow would create them)."""
    import sqlite3

    from .input_files import kind_of

    path = registry.sqlite_path
    if path is None:
        return
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise _unreachable(registry, models, f"the database file {path} does not exist (MLflow would create an "
                                             "empty registry there)") from None
    except OSError as error:
        raise _unreachable(registry, models, f"cannot read {path}: {error.strerror or error}") from None
    import stat

    if not stat.S_ISREG(mode):
        raise _unreachable(registry, models, f"{path} is {kind_of(mode)}, not a SQLite database file")
    try:
        connection = sqlite3.connect(f"file:{_quoted(path)}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise _unreachable(registry, models, f"{path} is not a SQLite database ({error})") from None
    missing = [table for table in MLFLOW_TABLES if table not in tables]
    if missing:
        raise _unreachable(registry, models, f"{path} is a SQLite database but not an MLflow registry (it has no "
                                             f"{', '.join(missing)} table{'s' if len(missing) > 1 else ''}); "
                                             "`mlops lock` reads a registry and never creates one")


def _quoted(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path))


def _connect(registry: Registry, models: list[str]):
    """A read-only client that has answered once: a missing or foreign database, a dead server is one clear error."""
    _check_database(registry, models)
    client = None
    try:
        client = _client(registry)
        client.search_registered_models(max_results=1)
    except Exception as error:  # any failure to answer: connection refused, DNS, bad schema, not a registry
        raise _unreachable(registry, models, _first_line(error, registry, client)) from None
    return client


# --- mlops lock -----------------------------------------------------------------------------------

def resolve_lock(checked: "CheckedSpec", registry: Registry, lock_path: str) -> Lock:
    """Ask the registry for every model of the spec. All problems are reported together (SpecError)."""
    requirements = lock_requirements(checked)
    client = _connect(registry, list(requirements))
    earlier = _earlier_lock(lock_path)
    problems: list[Diagnostic] = []
    models = {}
    for key, requirement in requirements.items():
        try:
            models[key] = _resolve_model(client, registry, requirement, earlier.entry(key) if earlier else None,
                                         served_images(checked, key))
        except _ModelProblem as problem:
            problems.append(Diagnostic(problem.position, f"models.{key}: {problem.message}", ("models", key),
                                       hint=problem.hint))
        except Exception as error:  # the registry failed mid-way: say which model and why
            problems.append(Diagnostic(requirement.position, f"models.{key}: the registry at {registry.shown} "
                                       f"failed while resolving {requirement.describe()} of "
                                       f"'{requirement.registry_name}': {_first_line(error, registry, client)}",
                                       ("models", key)))
    if problems:
        raise SpecError(problems)
    return Lock(lock_path, models)


def _earlier_lock(lock_path: str) -> Lock | None:
    """The lock being replaced, for what it recorded about the versions it served; None when unreadable."""
    from .lock import parse_lock, read_lock_bytes

    try:
        raw = read_lock_bytes(lock_path)
        return parse_lock(raw, lock_path) if raw is not None else None
    except (SpecError, UsageError):  # a broken lock is replaced: nothing of it is carried forward
        return None


class _ModelProblem(Exception):
    def __init__(self, position: Position, message: str, hint: str | None = None):
        super().__init__(message)
        self.position, self.message, self.hint = position, message, hint


def _resolve_model(client, registry: Registry, requirement: ModelRequirement, earlier: LockedModel | None = None,
                   images: tuple[tuple[str, str], ...] = ()) -> LockedModel:
    from mlflow.exceptions import MlflowException

    name = requirement.registry_name
    try:
        registered = client.get_registered_model(name)
    except MlflowException as error:
        if _error_code(error) != "RESOURCE_DOES_NOT_EXIST":
            raise
        known = sorted(m.name for m in client.search_registered_models(max_results=50))
        raise _ModelProblem(requirement.name_position, f"registered model '{name}' does not exist in "
                            f"{registry.shown}; it has {_listing(known, 'registered models')}",
                            "fix `registry_name:` (default: the model's key), register a version of the model "
                            "first, or seed a demo registry with `mlops registry seed`") from None
    aliases = {str(alias): int(version) for alias, version in (registered.aliases or {}).items()}
    if requirement.alias is not None:
        if requirement.alias not in aliases:
            shown = ", ".join(f"{a} -> {v}" for a, v in sorted(aliases.items())) or "none"
            raise _ModelProblem(requirement.position, f"alias '{requirement.alias}' is not set on registered model "
                                f"'{name}' in {registry.shown} (its aliases: {shown})",
                                f"set it with `MlflowClient().set_registered_model_alias('{name}', "
                                f"'{requirement.alias}', VERSION)`, or pin `version:` instead of `alias:`")
        number = aliases[requirement.alias]
    else:
        number = requirement.version
    version = _model_version(client, registry, requirement, number)
    if version.status != "READY":
        detail = f": {version.status_message}" if getattr(version, "status_message", None) else ""
        raise _ModelProblem(requirement.position, f"version {number} of registered model '{name}' is "
                            f"{version.status}, not READY{detail}",
                            "wait until its registration finishes, or choose a READY version")
    lineage, sources = _lineage(client, version, requirement)
    resolved = LockedVersion(version=number, artifact_uri=_download_uri(client, requirement, number),
                             run_id=version.run_id or None, status=version.status, images=images,
                             lineage=tuple((k, lineage[k]) for k in LINEAGE_KEYS))
    return LockedModel(key=requirement.key, registry_name=name, alias=requirement.alias,
                       requested_version=requirement.version, resolved=resolved, lineage=lineage,
                       lineage_source=sources,
                       previous=_previous(client, requirement, number, requirement.keep_previous, earlier),
                       spec_hash=requirement.spec_hash)


def _model_version(client, registry: Registry, requirement: ModelRequirement, number: int):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(requirement.registry_name, str(number))
    except MlflowException as error:
        if _error_code(error) != "RESOURCE_DOES_NOT_EXIST":
            raise
    known = sorted(int(v.version) for v in _versions(client, requirement.registry_name))
    via = f" (alias '{requirement.alias}' points to it)" if requirement.alias is not None else ""
    raise _ModelProblem(requirement.position, f"version {number} of registered model '{requirement.registry_name}' "
                        f"does not exist in {registry.shown}{via}; it has "
                        f"{_listing([str(v) for v in known], 'versions')}",
                        "pin one of its versions, or register the version first")


def _listing(items: list[str], what: str) -> str:
    if not items:
        return f"no {what}"
    shown = ", ".join(items[:20]) + (", ..." if len(items) > 20 else "")
    return f"{what}: {shown}"


def _versions(client, name: str):
    """Every live version of `name`, newest first, page by page."""
    quoted = "'" + name + "'" if "'" not in name else '"' + name + '"'
    token = None
    while True:
        page = client.search_model_versions(f"name = {quoted}", max_results=200,
                                            order_by=["version_number DESC"], page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def _download_uri(client, requirement: ModelRequirement, number: int) -> str:
    """Where serving downloads a version from, refused as the lock reader would refuse it (no lock it cannot read)."""
    from .lock import artifact_uri_problem
    from .redaction import redact

    uri = client.get_model_version_download_uri(requirement.registry_name, str(number))
    problem = artifact_uri_problem(uri)
    if problem is not None:
        raise _ModelProblem(requirement.position, f"version {number} of registered model "
                            f"'{requirement.registry_name}' is stored at {redact(uri)!r}: {problem}",
                            "register the model with its artifacts in object storage (s3://, gs://, ...) or serve "
                            "the artifact store directly (MLflow's proxied mlflow-artifacts: URIs are not downloadable "
                            "by KServe)")
    return uri


def _previous(client, requirement: ModelRequirement, number: int, keep: int,
              earlier: LockedModel | None = None) -> tuple[LockedVersion, ...]:
    """Up to `keep` READY versions older than `number`, newest first: what a rollback can deploy.

    Each carries what it was served with: the earlier lock's record of it (its images and lineage when
    it was the current version), else the lineage its registry tags give and no image (lint REPRO004).
    """
    previous: list[LockedVersion] = []
    if keep <= 0:
        return ()
    for version in _versions(client, requirement.registry_name):
        if int(version.version) >= number or version.status != "READY":
            continue
        recorded = carried_forward(earlier, int(version.version))
        if recorded is not None:
            images, lineage = recorded.images, recorded.lineage
        else:
            tagged, _ = _lineage(client, version, requirement._replace(lineage={k: None for k in LINEAGE_KEYS}))
            images = ()
            lineage = tuple((k, tagged[k]) for k in LINEAGE_KEYS) if any(tagged.values()) else ()   # as read back
        previous.append(LockedVersion(version=int(version.version),
                                      artifact_uri=_download_uri(client, requirement, int(version.version)),
                                      run_id=version.run_id or None, status=version.status, images=images,
                                      lineage=lineage))
        if len(previous) == keep:
            break
    return tuple(previous)


def _lineage(client, version, requirement: ModelRequirement) -> tuple[dict, dict]:
    """Each lineage key from the version's tags, else its run's tags, else the spec's `lineage:`."""
    from mlflow.exceptions import MlflowException

    version_tags = dict(version.tags or {})
    run_tags: dict[str, str] = {}
    if version.run_id:
        try:
            run_tags = dict(client.get_run(version.run_id).data.tags)
        except MlflowException as error:  # the run was deleted or lives in another tracking server
            if _error_code(error) != "RESOURCE_DOES_NOT_EXIST":
                raise
    lineage, sources = {}, {}
    for key in LINEAGE_KEYS:
        tag = LINEAGE_TAG_PREFIX + key
        for source, value in (("version-tag", version_tags.get(tag)), ("run-tag", run_tags.get(tag)),
                              ("spec", requirement.lineage.get(key))):
            if value not in (None, ""):
                lineage[key], sources[key] = str(value), source
                break
        else:
            lineage[key], sources[key] = None, "missing"
    return lineage, sources


# --- mlops registry seed --------------------------------------------------------------------------

SEED_CODE_VERSION = "mlops-registry-seed/1"   # what "trained" the demo models: this module's seeding code


def seed_registry(checked: "CheckedSpec", registry: Registry) -> list[str]:
    """Create, in `registry`, a small real model for every model of the spec; returns what it did, line by line.

    Each model gets enough versions for its alias/version and its rollback history: a scikit-learn
    logistic regression trained on synthetic data, logged as a run artifact (`model/model.joblib`,
    the layout KServe's sklearn server loads), registered with lineage tags (data version = hash
    of the training data; preprocessing version from the spec; code version as a run tag) unless
    the spec's `lineage:` carries it. Aliases point at the newest version.

    Idempotent per model: a model seeded before is left alone; a model that exists but was not
    seeded here is refused (seeding never adds versions to a real model).
    """
    requirements = lock_requirements(checked)
    if registry.sqlite_path is not None:
        registry.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    client = None
    try:
        client = _client(registry, read_only=False)  # seeding writes: the one command that may
        client.search_registered_models(max_results=1)
    except Exception as error:
        raise _unreachable(registry, list(requirements), _first_line(error, registry, client)) from None
    from mlflow.exceptions import MlflowException

    problems, report, todo = [], [], []
    for key, requirement in requirements.items():
        try:
            existing = client.get_registered_model(requirement.registry_name)
        except MlflowException as error:
            if _error_code(error) != "RESOURCE_DOES_NOT_EXIST":
                raise
            todo.append(requirement)
            continue
        if (existing.tags or {}).get(SEED_TAG) == "true":
            report.append(f"{requirement.registry_name}: already seeded in {registry.shown}, left as it is")
        else:
            hint = (f"remove {registry.sqlite_path} to start a fresh demo registry" if registry.sqlite_path
                    else "seed an empty registry instead")
            problems.append(Diagnostic(requirement.name_position, f"models.{key}: registered model "
                                       f"'{requirement.registry_name}' already exists in {registry.shown} and was not "
                                       "created by `mlops registry seed`; seeding never adds versions to a real model",
                                       ("models", key), hint=hint))
    if problems:
        raise SpecError(problems)
    if todo:
        experiment_id = _seed_experiment(client, registry)
        for requirement in todo:
            report.append(_seed_model(client, checked, requirement, experiment_id, registry))
    return report


def _seed_experiment(client, registry: Registry) -> str:
    experiment = client.get_experiment_by_name(SEED_EXPERIMENT)
    if experiment is not None:
        return experiment.experiment_id
    location = None
    if registry.sqlite_path is not None:
        artifacts = registry.sqlite_path.parent / ARTIFACTS_DIR
        artifacts.mkdir(parents=True, exist_ok=True)
        location = artifacts.as_uri()
    return client.create_experiment(SEED_EXPERIMENT, artifact_location=location,
                                    tags={"mlops.purpose": "demo models created by `mlops registry seed`"})


def _seed_model(client, checked: "CheckedSpec", requirement: ModelRequirement, experiment_id: str,
                registry: Registry) -> str:
    name = requirement.registry_name
    count = max(3 if requirement.alias is not None else 2, requirement.version or 0, requirement.keep_previous + 1)
    model = checked.spec.models[requirement.key]
    preprocessing = checked.spec.preprocessing.get(model.preprocessing) if model.preprocessing else None
    spec_has_lineage = any(requirement.lineage.values())
    client.create_registered_model(name, description=f"Demo model for `{requirement.key}` seeded by mlops "
                                                     "registry seed (a logistic regression on synthetic data).")
    for number in range(1, count + 1):
        data_hash, accuracy, directory = _train(name, number)
        run_tags = {"mlops.seeded": "true"}
        version_tags = {}
        if not spec_has_lineage:
            run_tags[LINEAGE_TAG_PREFIX + "code_version"] = SEED_CODE_VERSION
            version_tags[LINEAGE_TAG_PREFIX + "data_version"] = data_hash
            if preprocessing is not None:
                version_tags[LINEAGE_TAG_PREFIX + "preprocessing_version"] = preprocessing.version
        run = client.create_run(experiment_id, run_name=f"{name}-v{number}", tags=run_tags)
        try:
            client.log_param(run.info.run_id, "model", "sklearn.linear_model.LogisticRegression")
            client.log_metric(run.info.run_id, "train_accuracy", accuracy)
            client.log_artifacts(run.info.run_id, str(directory), "model")
        finally:
            for file in directory.iterdir():
                file.unlink()
            directory.rmdir()
        client.set_terminated(run.info.run_id)
        client.create_model_version(name, source=f"{run.info.artifact_uri}/model", run_id=run.info.run_id,
                                    tags=version_tags)
    if requirement.alias is not None:
        client.set_registered_model_alias(name, requirement.alias, str(count))
    client.set_registered_model_tag(name, SEED_TAG, "true")  # last: an interrupted seed is not mistaken for done
    chosen = f"alias {requirement.alias} -> version {count}" if requirement.alias else f"version {requirement.version}"
    return f"{name}: seeded versions 1-{count} ({chosen}) in {registry.shown}"


def _train(name: str, number: int) -> tuple[str, float, Path]:
    """A small real model: logistic regression on synthetic data that differs per version."""
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(zlib.crc32(f"{name}/{number}".encode()))
    features = rng.normal(size=(256, 4))
    labels = (features @ np.array([1.5, -2.0, 0.5, number / 3]) + rng.normal(scale=0.5, size=256) > 0).astype(int)
    data_hash = "sha256:" + hashlib.sha256(features.tobytes() + labels.tobytes()).hexdigest()[:16]
    classifier = LogisticRegression().fit(features, labels)
    directory = Path(tempfile.mkdtemp(prefix="mlops-seed-"))
    joblib.dump(classifier, directory / "model.joblib")
    return data_hash, float(classifier.score(features, labels)), directory


def require_mlflow() -> None:
    """A clear usage error when the [mlflow] extra is not installed."""
    import importlib.util

    if importlib.util.find_spec("mlflow") is None:
        from .distribution import install_command

        raise UsageError("this command talks to the MLflow registry and needs the mlflow extra: "
                         + install_command("mlflow"))
