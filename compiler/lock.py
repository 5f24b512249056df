"""mlops.lock: the model versions a spec serves, pinned, with their lineage. Reading it needs no network.

`mlops lock` (compiler/registry.py, MLflow) writes it; compile, lint and plan only read it, with
the standard library and ruamel.yaml: nothing here imports mlflow.

One lock belongs to one spec file. Its entries pin the base spec's model choices (registry name,
alias or version); the number of previous versions kept for rollback is the largest
`rollout.keep_previous` of the endpoints serving the model in the base or any environment, so
every environment can roll back from the same lock.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TYPE_CHECKING

from .diagnostics import Diagnostic, Position, SpecError, UsageError

if TYPE_CHECKING:
    from .checked_spec import CheckedSpec
    from .spec.models import Model

LINEAGE_KEYS = ("data_version", "preprocessing_version", "code_version")


class LockedVersion(NamedTuple):
    """One registry version: what serving downloads and where it came from.

    `images` and `lineage` record what the version was served with, so that a rollback serves it the
    same way: endpoint -> the serving image (the runtime's image when the lock was made while the version
    was the current one), and its lineage (LINEAGE_KEYS, incl. the preprocessing version). Empty: not
    recorded (a lock_version 1 file, or a version that was never current under `mlops lock`).
    """

    version: int
    artifact_uri: str
    run_id: str | None = None
    status: str = "READY"
    images: tuple[tuple[str, str], ...] = ()
    lineage: tuple[tuple[str, str | None], ...] = ()

    def image_for(self, endpoint: str) -> str | None:
        return dict(self.images).get(endpoint)

    def lineage_value(self, key: str) -> str | None:
        return dict(self.lineage).get(key)


class LockedModel(NamedTuple):
    """A model of the spec as the registry resolved it."""

    key: str                                  # the key under `models:` in the spec
    registry_name: str
    alias: str | None                         # what the spec asked for (one of alias / version)
    requested_version: int | None
    resolved: LockedVersion                   # the version alias/version resolved to
    lineage: dict[str, str | None]            # LINEAGE_KEYS -> value (None when nobody recorded it)
    lineage_source: dict[str, str]            # LINEAGE_KEYS -> "version-tag" | "run-tag" | "spec" | "missing"
    previous: tuple[LockedVersion, ...]       # earlier deployable versions, newest first
    spec_hash: str                            # model_spec_hash() of the spec entry it was resolved for

    @property
    def version(self) -> int:
        return self.resolved.version


@dataclass
class Lock:
    path: str
    models: dict[str, LockedModel] = field(default_factory=dict)

    def entry(self, model_key: str) -> LockedModel | None:
        return self.models.get(model_key)


def lock_path_for(spec_path: str | Path) -> Path:
    """mlops.yaml -> mlops.lock; mlops.yaml.example -> mlops.lock.example; other.yaml -> other.lock."""
    spec = Path(spec_path)
    name = spec.name
    if "mlops.yaml" in name:
        return spec.with_name(name.replace("mlops.yaml", "mlops.lock", 1))
    if "mlops.yml" in name:
        return spec.with_name(name.replace("mlops.yml", "mlops.lock", 1))
    return spec.with_name(spec.stem + ".lock")


def model_spec_hash(registry_name: str, alias: str | None, version: int | None, keep_previous: int) -> str:
    """Hash of what a lock entry depends on: a change to any of these makes the entry stale."""
    payload = json.dumps({"registry_name": registry_name, "alias": alias, "version": version,
                          "keep_previous": keep_previous}, sort_keys=True)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:16]


# --- what the spec asks of the lock ------------------------------------------------------------

#: 2 records, per version, the images and lineage it was served with (LockedVersion); 1 is still read,
#: its versions without that record (lint REPRO004 says which kept versions cannot be served the same way).
LOCK_FORMAT_VERSION = 2
READABLE_LOCK_VERSIONS = (1, 2)
LINEAGE_SOURCES = ("version-tag", "run-tag", "spec", "missing")
LINEAGE_TAG_PREFIX = "mlops."               # registry tags: mlops.data_version, mlops.preprocessing_version, ...


class ModelRequirement(NamedTuple):
    """What one `models:` entry asks the registry for, and where the spec says it."""

    key: str
    registry_name: str
    alias: str | None
    version: int | None
    keep_previous: int                        # largest rollout.keep_previous serving it, base or any environment
    lineage: dict[str, str | None]            # the spec's `lineage:` (None where it says nothing)
    position: Position                        # where alias / version is written
    name_position: Position                   # where registry_name is written (else the model's key)

    @property
    def spec_hash(self) -> str:
        return model_spec_hash(self.registry_name, self.alias, self.version, self.keep_previous)

    def describe(self) -> str:
        return f"alias '{self.alias}'" if self.alias is not None else f"version {self.version}"


def model_requirement(key: str, model: "Model", keep_previous: int,
                      position: Position | None = None, name_position: Position | None = None) -> ModelRequirement:
    lineage = model.lineage
    here = position or Position("<spec>", 1, 1)
    return ModelRequirement(
        key=key, registry_name=model.registry_name or key, alias=model.alias, version=model.version,
        keep_previous=keep_previous,
        lineage={k: (getattr(lineage, k) if lineage is not None else None) for k in LINEAGE_KEYS},
        position=here, name_position=name_position or here)


def lock_requirements(checked: "CheckedSpec") -> dict[str, ModelRequirement]:
    """Per model key of `checked`, what its lock entry must have been made for (sorted by key)."""
    keep = _keep_previous_everywhere(checked)
    source_map = checked.source_map
    result = {}
    for key in sorted(checked.spec.models):
        model = checked.spec.models[key]
        if not model.from_registry:
            continue  # a Hugging Face repository pinned to a commit: nothing for the registry to resolve
        chosen = "alias" if model.alias is not None else "version"
        name_path = ("models", key, "registry_name")
        name_position = source_map.value(name_path) if source_map.has(name_path) else source_map.key(("models", key))
        result[key] = model_requirement(key, model, keep.get(key, 0), source_map.value(("models", key, chosen)),
                                        name_position)
    return result


_KEEP_CACHE: dict[tuple[str, str, str | None], dict[str, int]] = {}


def _keep_previous_everywhere(checked: "CheckedSpec") -> dict[str, int]:
    """Largest rollout.keep_previous per served model over the base and every environment of the file.

    The lock is one per file, so it keeps enough previous versions for whichever environment keeps most.
    An environment that does not validate is skipped here: it fails on its own when it is used.
    """
    document = checked.document
    cache_key = (document.path, document.text, checked.env)
    cached = _KEEP_CACHE.get(cache_key)
    if cached is not None:
        return cached
    from .overlays import environment_names, merged_section
    from .spec.serving import Rollout

    # Read the other environments' raw serving sections: validating each of them again would cost a
    # full pydantic pass per environment on every lint run. Ill-typed values are skipped here; they
    # fail validation when that environment is used.
    default = Rollout.model_fields["keep_previous"].default
    keep: dict[str, int] = {}
    for endpoint in checked.spec.serving.values():
        keep[endpoint.model] = max(keep.get(endpoint.model, 0), endpoint.rollout.keep_previous)
    for env in [None, *environment_names(document.data)]:
        if env == checked.env:
            continue
        serving = merged_section(document.data, env, "serving")
        for body in serving.values() if isinstance(serving, dict) else ():
            rollout = body.get("rollout") if isinstance(body, dict) else None
            count = rollout.get("keep_previous", default) if isinstance(rollout, dict) else default
            model = body.get("model") if isinstance(body, dict) else None
            if isinstance(model, str) and isinstance(count, int) and not isinstance(count, bool):
                keep[model] = max(keep.get(model, 0), count)
    if len(_KEEP_CACHE) > 16:
        _KEEP_CACHE.clear()
    _KEEP_CACHE[cache_key] = keep
    return keep


# --- staleness -----------------------------------------------------------------------------------

def stale_reasons(entry: LockedModel, requirement: ModelRequirement) -> list[str]:
    """Why `entry` no longer fits what the spec asks (empty: it fits). Needs no network."""
    reasons = []
    if entry.registry_name != requirement.registry_name:
        reasons.append(f"registry_name is '{requirement.registry_name}' in the spec but '{entry.registry_name}' "
                       "in the lock")
    locked_for = f"alias '{entry.alias}'" if entry.alias is not None else f"version {entry.requested_version}"
    if (entry.alias, entry.requested_version) != (requirement.alias, requirement.version):
        reasons.append(f"the spec asks for {requirement.describe()} but the lock was made for {locked_for}")
    if not reasons and entry.spec_hash != requirement.spec_hash:
        reasons.append(f"the versions to keep for rollback changed (largest rollout.keep_previous serving it is "
                       f"now {requirement.keep_previous}) since the lock was made")
    for key in LINEAGE_KEYS:
        wanted, source = requirement.lineage.get(key), entry.lineage_source.get(key)
        if source == "spec" and entry.lineage.get(key) != wanted:
            reasons.append(f"lineage.{key} in the spec is {wanted!r} but the lock recorded {entry.lineage.get(key)!r}")
        elif source == "missing" and wanted is not None:
            reasons.append(f"lineage.{key} is now set in the spec ({wanted!r}) but the lock has none")
    return reasons


def is_stale(lock_entry: LockedModel, model: "Model", keep_previous: int) -> bool:
    """True when `lock_entry` was not made for this spec model (and that many previous versions)."""
    return bool(stale_reasons(lock_entry, model_requirement(lock_entry.key, model, keep_previous)))


def _lock_command(checked: "CheckedSpec") -> str:
    return f"mlops lock {checked.path}"


def check_frozen(checked: "CheckedSpec", lock: Lock | None) -> list[Diagnostic]:
    """`compile --frozen`: an error for every model whose lock entry is missing or stale (as `npm ci` does).

    Models pinned by version need their entry too: without it the artifact URI serving downloads is unknown.
    """
    problems = []
    lock_file = str(lock_path_for(checked.path)) if lock is None else lock.path
    for key, requirement in lock_requirements(checked).items():
        why = _why_unusable(lock, requirement, lock_file)
        if why is not None:
            problems.append(Diagnostic(requirement.position, f"models.{key}: {why}", ("models", key),
                                       hint=f"run `{_lock_command(checked)}` and commit {Path(lock_file).name}"))
    return problems


def _local_artifacts(entry: LockedModel) -> list[str]:
    """The entry's artifact URIs that name a file on the machine that ran `mlops lock` (a demo registry)."""
    return [v.artifact_uri for v in (entry.resolved, *entry.previous) if v.artifact_uri.lower().startswith("file:")]


def check_deployable(checked: "CheckedSpec", lock: Lock | None) -> list[Diagnostic]:
    """`compile --frozen`, after check_frozen: an error for every entry whose artifacts are local files.

    A demo registry (`mlops registry seed`) records file: URIs on the machine that ran `mlops lock`;
    KServe's storage initializer would copy that path from inside the pod, where it names nothing the
    registry meant (or something it should not serve). A deploy pinned by the lock refuses them.
    """
    problems = []
    lock_file = str(lock_path_for(checked.path)) if lock is None else lock.path
    for key, requirement in lock_requirements(checked).items():
        entry = lock.entry(key) if lock is not None else None
        local = _local_artifacts(entry) if entry is not None else []
        if local:
            problems.append(Diagnostic(requirement.position, f"models.{key}: {lock_file} pins it to {local[0]}, a "
                                       "file on the machine that ran `mlops lock`; no model server in a cluster can "
                                       "download it", ("models", key),
                                       hint="lock against a registry whose artifacts live in object storage "
                                            "(s3://, gs://, https://, ...)"))
    return problems


def _why_unusable(lock: Lock | None, requirement: ModelRequirement, lock_file: str) -> str | None:
    if lock is None:
        return f"{requirement.describe()} is not pinned: there is no lock file ({lock_file})"
    entry = lock.entry(requirement.key)
    if entry is None:
        return f"{requirement.describe()} is not pinned: {lock_file} has no entry for it"
    reasons = stale_reasons(entry, requirement)
    if reasons:
        return f"the entry in {lock_file} is stale: " + "; ".join(reasons)
    return None


def resolve_model(checked: "CheckedSpec", lock: Lock | None, model_key: str,
                  requirements: dict[str, ModelRequirement] | None = None) -> tuple[LockedModel | None, str | None]:
    """The lock entry serving should use for `model_key`, or (None, a rendered warning) when there is none.

    Without a fresh entry, serving falls back to a placeholder storage URI; `compile --frozen` refuses
    instead (check_frozen). `requirements`: lock_requirements(checked), when the caller has it already
    (it costs a pass over every model: computing it per model is quadratic).
    """
    requirement = (requirements or lock_requirements(checked))[model_key]
    lock_file = str(lock_path_for(checked.path)) if lock is None else lock.path
    why = _why_unusable(lock, requirement, lock_file)
    if why is None:
        return lock.entry(model_key), None  # type: ignore[union-attr]
    warning = Diagnostic(requirement.position, f"models.{model_key}: {why}; its manifests get a placeholder "
                                               "storage URI that no model server can download",
                         ("models", model_key), hint=f"run `{_lock_command(checked)}`", severity="warning")
    return None, warning.render()


def placeholder_models(checked: "CheckedSpec", lock: Lock | None) -> list[Diagnostic]:
    """An error for every served model without a fresh lock entry: its endpoints would get a placeholder URI.

    `mlops compile` refuses them unless `--allow-placeholder-models` says the placeholder is meant
    (a first compile before any registry exists); lint reports the same models (REPRO001, REPRO006).
    """
    served = sorted({endpoint.model for endpoint in checked.spec.serving.values()})
    requirements = lock_requirements(checked)
    lock_file = str(lock_path_for(checked.path)) if lock is None else lock.path
    problems = []
    for key in served:
        if key not in requirements:
            continue
        why = _why_unusable(lock, requirements[key], lock_file)
        if why is not None:
            endpoints = ", ".join(sorted(n for n, e in checked.spec.serving.items() if e.model == key))
            problems.append(Diagnostic(requirements[key].position, f"models.{key}: {why}; endpoint {endpoints} "
                                       f"would serve the placeholder storage URI {PLACEHOLDER_PREFIX}/..., which no "
                                       "model server can download", ("models", key),
                                       hint=f"run `{_lock_command(checked)}`, or compile with "
                                            "--allow-placeholder-models to write manifests that cannot serve yet"))
    return problems


#: backends/kubernetes/context.py PLACEHOLDER_BUCKET (the lock module does not import the backends).
PLACEHOLDER_PREFIX = "s3://mlops-placeholder"


def usable_lock(checked: "CheckedSpec", lock: Lock | None) -> tuple[Lock | None, list[str]]:
    """The lock with only the entries that are fresh for `checked`, and a rendered warning per other model.

    What compile lowers with: a stale entry must not put an old version into the manifests.
    """
    fresh, warnings = {}, []
    requirements = lock_requirements(checked)
    for key in requirements:
        entry, warning = resolve_model(checked, lock, key, requirements)
        if entry is not None:
            fresh[key] = entry
        if warning is not None:
            warnings.append(warning)
    if lock is None and not fresh:
        return None, warnings
    return Lock(lock.path if lock is not None else str(lock_path_for(checked.path)), fresh), warnings


def describe_changes(old: LockedModel | None, new: LockedModel | None) -> list[str]:
    """What moved between two lock entries of one model, in words (for `mlops lock --check`)."""
    if old is None and new is None:
        return []
    if old is None:
        return ["it has no entry in the lock"]
    if new is None:
        return ["the lock has an entry for it, but the spec no longer declares it"]
    changes = []
    if old.version != new.version:  # the URI, run and lineage follow the version: the diff shows them
        asked = f"alias '{new.alias}'" if new.alias is not None else "the spec"
        changes.append(f"{asked} now points to version {new.version} (the lock has {old.version})")
        if old.previous != new.previous:
            changes.append(f"the previous versions are now {_versions(new.previous)} "
                           f"(the lock has {_versions(old.previous)})")
        return changes
    if old.resolved.artifact_uri != new.resolved.artifact_uri:
        changes.append(f"the artifact URI is now {new.resolved.artifact_uri} (the lock has {old.resolved.artifact_uri})")
    if old.resolved.run_id != new.resolved.run_id:
        changes.append(f"the run id is now {new.resolved.run_id} (the lock has {old.resolved.run_id})")
    if old.resolved.status != new.resolved.status:
        changes.append(f"the status is now {new.resolved.status} (the lock has {old.resolved.status})")
    for key in LINEAGE_KEYS:
        if (old.lineage.get(key), old.lineage_source.get(key)) != (new.lineage.get(key), new.lineage_source.get(key)):
            changes.append(f"lineage.{key} is now {new.lineage.get(key)!r} from {new.lineage_source.get(key)} "
                           f"(the lock has {old.lineage.get(key)!r} from {old.lineage_source.get(key)})")
    if old.resolved.images != new.resolved.images:
        changes.append(f"it is now served with {_images(new.resolved)} (the lock has {_images(old.resolved)})")
    if old.previous != new.previous:
        changes.append(f"the previous versions are now {_versions(new.previous)} (the lock has {_versions(old.previous)})")
    if not changes and old != new:
        changes.append("the entry differs")
    return changes


def _versions(versions: tuple[LockedVersion, ...]) -> str:
    return "[" + ", ".join(str(v.version) for v in versions) + "]"


def _images(version: LockedVersion) -> str:
    return ", ".join(f"{endpoint}: {image}" for endpoint, image in version.images) or "no recorded image"


def served_images(checked: "CheckedSpec", model_key: str) -> tuple[tuple[str, str], ...]:
    """Endpoint -> the image its runtime serves `model_key` with in `checked` (what the lock records)."""
    spec = checked.spec
    return tuple(sorted((name, spec.runtimes[endpoint.runtime].image) for name, endpoint in spec.serving.items()
                        if endpoint.model == model_key and endpoint.runtime in spec.runtimes))


def carried_forward(old: "LockedModel | None", number: int) -> LockedVersion | None:
    """What an earlier lock recorded for version `number` of the model: as its current or as a previous version."""
    if old is None:
        return None
    for version in (old.resolved, *old.previous):
        if version.version == number and (version.images or version.lineage):
            return version
    if old.resolved.version == number:   # a lock_version 1 entry: its lineage is at the top level
        return old.resolved._replace(lineage=tuple((k, old.lineage.get(k)) for k in LINEAGE_KEYS))
    return None


# --- the file ------------------------------------------------------------------------------------

LOCK_HEADER = (
    "# mlops.lock: generated by `mlops lock`; do not edit by hand.\n"
    "# The model versions the spec serves, pinned from the MLflow registry, with their lineage and the\n"
    "# previous versions kept for rollback. Refresh: `mlops lock SPEC`; in CI: `mlops lock --check SPEC`.\n"
)


def lock_to_data(lock: Lock) -> dict:
    base = Path(lock.path).parent
    return {"lock_version": LOCK_FORMAT_VERSION,
            "models": {key: _entry_to_data(lock.models[key], base) for key in sorted(lock.models)}}


def portable_artifact_uri(uri: str, base: Path) -> str:
    """A `file://` URI inside the lock's directory as `file:<relative path>`: a lock of a local (demo)
    registry then reads the same on every machine and in every clone. Anything else is kept as is."""
    from urllib.parse import quote, unquote, urlsplit

    if not uri.lower().startswith("file://"):
        return uri
    parts = urlsplit(uri)
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        return uri
    path, root = Path(unquote(parts.path)), base.resolve()
    if not path.is_absolute() or not path.is_relative_to(root) or path == root:
        return uri
    return "file:" + quote(path.relative_to(root).as_posix(), safe="/")


def resolved_artifact_uri(uri: str, base: Path) -> tuple[str, str | None]:
    """(the absolute `file://` URI, None) of a relative `file:<path>` written by portable_artifact_uri, or
    (uri, why not) when it leaves the lock's directory. Other URIs come back unchanged."""
    from urllib.parse import unquote

    if not uri.lower().startswith("file:") or uri[len("file:"):].startswith("/"):
        return uri, None
    relative = unquote(uri[len("file:"):])
    root = base.resolve()
    # Lexically first (a lock names no symlink), so `..` can never climb out of the project.
    normal = os.path.normpath(relative)
    if os.path.isabs(normal) or normal == ".." or normal.startswith("../") or normal == ".":
        return uri, (f"{_shown(uri)} leaves the lock's directory; a relative artifact path names a file inside "
                     "the project")
    return (root / normal).as_uri(), None


def _entry_to_data(entry: LockedModel, base: Path) -> dict:
    requested = {"alias": entry.alias} if entry.alias is not None else {"version": entry.requested_version}
    return {
        "artifact_uri": portable_artifact_uri(entry.resolved.artifact_uri, base),
        "images": dict(entry.resolved.images),
        "lineage": {k: entry.lineage.get(k) for k in LINEAGE_KEYS},
        "lineage_source": {k: entry.lineage_source.get(k, "missing") for k in LINEAGE_KEYS},
        "previous": [{"artifact_uri": portable_artifact_uri(v.artifact_uri, base), "images": dict(v.images),
                      "lineage": {k: v.lineage_value(k) for k in LINEAGE_KEYS}, "run_id": v.run_id,
                      "version": v.version} for v in entry.previous],
        "registry_name": entry.registry_name,
        "requested": requested,
        "run_id": entry.resolved.run_id,
        "spec_hash": entry.spec_hash,
        "status": entry.resolved.status,
        "version": entry.resolved.version,
    }


def write_lock_text(lock: Lock) -> str:
    """The lock file's text: a header, then keys sorted at every level; the same lock gives the same bytes.

    The project's own emitter rather than a YAML library's: its output cannot change with a library
    release, and it quotes every string another YAML reader could take for a number, date or boolean.
    """
    from .yaml_emitter import dump_document

    return LOCK_HEADER + dump_document(_sorted_keys(lock_to_data(lock)))


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def write_lock(lock: Lock, path: str | Path) -> bool:
    """Write the lock atomically (temporary file + rename). Returns False when the file already had these bytes."""
    target = Path(path)
    text = write_lock_text(lock)
    try:
        if read_lock_bytes(target) == text.encode("utf-8"):
            return False
    except (UsageError, SpecError):  # unreadable, not a regular file, too big: replaced below
        pass
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(temporary, target)
    except OSError as error:
        raise UsageError(f"{target}: cannot write the lock: {error.strerror or error}") from None
    return True


# --- what a lock may say about an artifact ------------------------------------------------------

MAX_VERSION = 2**31 - 1  # MLflow's version column is an SQL INTEGER
# The URI prefixes KServe's storage initializer downloads from (kserve v0.20.0
# pkg/controller/v1beta1/inferenceservice/utils/utils.go SupportedStorageURIPrefixList), plus file:
# for the local demo registry, which `compile --frozen` refuses (check_frozen).
ARTIFACT_SCHEMES = ("gs", "s3", "pvc", "https", "http", "hdfs", "webhdfs", "oci", "oci+native", "hf", "file")
_ENDPOINT = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,511}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_SECRET_PARAMETER = re.compile(r"(?i)(token|sig|signature|secret|passw|pwd|credential|auth|apikey|api_key|"
                               r"access_key|x-amz-|^sv$|^se$|^sp$|^key$)")


def artifact_uri_problem(uri: str) -> str | None:
    """Why a lock's artifact URI must not reach the manifests, or None when it may.

    The lock comes from a pull request like the spec: a hand-edited URI must not point a model server
    at a local path, an unknown scheme, or carry a credential into manifests and the plan.
    """
    from urllib.parse import parse_qsl, urlsplit

    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in uri):
        return "the artifact URI holds whitespace or control characters"
    scheme = _SCHEME.match(uri)
    if scheme is None or not uri[scheme.end():].startswith("//") and scheme[1].lower() != "file":
        return (f"{_shown(uri)} is not a URI a model server downloads from (a local path?); expected one of the "
                f"schemes {', '.join(s + '://' for s in ARTIFACT_SCHEMES)}")
    if scheme[1].lower() not in ARTIFACT_SCHEMES:
        return (f"the scheme {scheme[1]}: is not one KServe's storage initializer downloads from "
                f"({', '.join(s + '://' for s in ARTIFACT_SCHEMES if s != 'file')})")
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"{_shown(uri)} is not a valid URI"
    if "@" in parts.netloc:
        return "the artifact URI carries a user or password; give the model server credentials through its " \
               "service account or a storage secret instead"
    if any(_SECRET_PARAMETER.search(name) for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return "the artifact URI carries a credential in its query (a token or signature); a lock is committed " \
               "and shown in plans: use the object store's own URI"
    return None


def _shown(text: str) -> str:
    from .redaction import redact

    return repr(redact(text)[:200])


def read_lock_bytes(path: str | Path) -> bytes | None:
    """The raw bytes of the lock file `path`, or None when there is none.

    Bounded like the spec (a lock that is /dev/zero or a FIFO is refused, not read forever).
    """
    from .input_files import TooLarge, read_regular_file, too_large_message
    from .loader import MAX_BYTES

    try:
        return read_regular_file(path, MAX_BYTES, expected="a lock file written by `mlops lock`")
    except TooLarge as error:
        raise SpecError(Diagnostic(Position(str(path), 1, 1), too_large_message(error, MAX_BYTES, "the lock file") +
                                   "; regenerate it with `mlops lock`")) from None


def read_lock(spec_path: str | Path) -> Lock | None:
    """The lock next to `spec_path` (lock_path_for), or None when there is none. Malformed: SpecError with positions."""
    path = lock_path_for(spec_path)
    raw = read_lock_bytes(path)
    return None if raw is None else parse_lock(raw, str(path))


def parse_lock(raw: bytes, path: str) -> Lock:
    from .loader import load_bytes

    if not any(line.strip() and not line.lstrip().startswith(b"#") for line in raw.splitlines()):
        raise SpecError(Diagnostic(Position(path, 1, 1), "the lock file is empty; regenerate it with `mlops lock`"))
    try:
        document = load_bytes(raw, path)
    except SpecError as error:
        raise SpecError([_lock_wording(d) for d in error.diagnostics]) from None
    return _LockReader(path, document.source_map).read(document.data)


def _lock_wording(diagnostic: Diagnostic) -> Diagnostic:
    if "apiVersion" not in diagnostic.message:
        return diagnostic
    return Diagnostic(diagnostic.position, diagnostic.message.split(";")[0] + "; expected the mapping `mlops lock` "
                      "writes, with `lock_version: 1` and `models:`")


class _LockReader:
    """Checks the lock's shape strictly, with the line and column of each problem."""

    def __init__(self, path: str, source_map):
        self.path = path
        self.source_map = source_map
        self.problems: list[Diagnostic] = []

    def fail(self, where: tuple, message: str, key: bool = False) -> None:
        position = self.source_map.key(where) if key else self.source_map.value(where)
        dotted = ".".join(str(p) for p in where)
        self.problems.append(Diagnostic(position, f"{dotted}: {message}" if where else message, where,
                                        hint="regenerate the lock with `mlops lock` rather than editing it"))

    def read(self, data: dict) -> Lock:
        self.mapping(data, (), required=("lock_version", "models"), optional=())
        version = data.get("lock_version")
        if "lock_version" in data and (isinstance(version, bool) or version not in READABLE_LOCK_VERSIONS):
            self.fail(("lock_version",), f"this mlops reads lock_version "
                                         f"{' or '.join(str(v) for v in READABLE_LOCK_VERSIONS)}, the file has "
                                         f"{version!r} (written by another mlops version?)")
        models: dict[str, LockedModel] = {}
        raw_models = data.get("models")
        if raw_models is not None and not isinstance(raw_models, dict):
            self.fail(("models",), "expected a mapping of model keys to entries")
        elif isinstance(raw_models, dict):
            for key, value in raw_models.items():
                entry = self.entry(str(key), value, ("models", key))
                if entry is not None:
                    models[str(key)] = entry
        if self.problems:
            raise SpecError(self.problems)
        return Lock(self.path, models)

    def mapping(self, value: Any, where: tuple, required: tuple, optional: tuple) -> bool:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping with {', '.join(required + optional)}")
            return False
        for name in value:
            if name not in required and name not in optional:
                self.fail(where + (name,), f"unknown key; a lock entry here has {', '.join(required + optional)}",
                          key=True)
        for name in required:
            if name not in value:
                self.fail(where, f"missing key {name!r}", key=bool(where))
        return True

    def text(self, value: Any, where: tuple, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value:
            self.fail(where, "expected a non-empty string" + (" or null" if nullable else ""))
            return None
        return value

    def number(self, value: Any, where: tuple) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
            self.fail(where, f"expected a version number (an integer from 1 to {MAX_VERSION})")
            return 0
        return value

    def artifact(self, value: Any, where: tuple) -> str:
        uri = self.text(value, where) or ""
        problem = artifact_uri_problem(uri) if uri else None
        if problem is None and uri:
            uri, problem = resolved_artifact_uri(uri, Path(self.path).parent)
        if problem is not None:
            self.fail(where, problem)
        return uri

    def images(self, value: Any, where: tuple) -> tuple[tuple[str, str], ...]:
        """endpoint -> image, both checked: they reach the rollback manifests."""
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail(where, "expected a mapping of endpoint names to images")
            return ()
        result = []
        for endpoint, image in value.items():
            if not isinstance(endpoint, str) or not _ENDPOINT.fullmatch(endpoint):
                self.fail(where + (endpoint,), "expected an endpoint name (lowercase letters, digits, '-')", key=True)
            elif not isinstance(image, str) or not _IMAGE.fullmatch(image):
                self.fail(where + (endpoint,), "expected a container image reference (registry/name:tag or "
                                               "@sha256:digest, no spaces or control characters)")
            else:
                result.append((endpoint, image))
        return tuple(sorted(result))

    def version_lineage(self, value: Any, where: tuple) -> tuple[tuple[str, str | None], ...]:
        if value is None:
            return ()
        if not self.mapping(value, where, required=(), optional=LINEAGE_KEYS):
            return ()
        lineage = tuple((k, self.text(value.get(k), where + (k,), nullable=True)) for k in LINEAGE_KEYS)
        return lineage if any(v is not None for _, v in lineage) else ()   # all null: nothing recorded

    def version(self, value: Any, where: tuple) -> LockedVersion | None:
        fields = ("artifact_uri", "run_id", "version")
        if not self.mapping(value, where, required=fields, optional=("images", "lineage")):
            return None
        return LockedVersion(version=self.number(value.get("version"), where + ("version",)),
                             artifact_uri=self.artifact(value.get("artifact_uri"), where + ("artifact_uri",)),
                             run_id=self.text(value.get("run_id"), where + ("run_id",), nullable=True),
                             images=self.images(value.get("images"), where + ("images",)),
                             lineage=self.version_lineage(value.get("lineage"), where + ("lineage",)))

    def entry(self, key: str, value: Any, where: tuple) -> LockedModel | None:
        fields = ("artifact_uri", "lineage", "lineage_source", "previous", "registry_name", "requested", "run_id",
                  "spec_hash", "status", "version")
        before = len(self.problems)
        if not self.mapping(value, where, required=fields, optional=("images",)):
            return None
        requested = value.get("requested")
        alias = requested_version = None
        if self.mapping(requested, where + ("requested",), required=(), optional=("alias", "version")):
            if len(requested) != 1:
                self.fail(where + ("requested",), "expected exactly one of alias or version")
            if "alias" in requested:
                alias = self.text(requested["alias"], where + ("requested", "alias"))
            if "version" in requested:
                requested_version = self.number(requested["version"], where + ("requested", "version"))
        lineage, lineage_source = {}, {}
        if self.mapping(value.get("lineage"), where + ("lineage",), required=LINEAGE_KEYS, optional=()):
            for name in LINEAGE_KEYS:
                lineage[name] = self.text(value["lineage"].get(name), where + ("lineage", name), nullable=True)
        if self.mapping(value.get("lineage_source"), where + ("lineage_source",), required=LINEAGE_KEYS, optional=()):
            for name in LINEAGE_KEYS:
                source = value["lineage_source"].get(name)
                if source not in LINEAGE_SOURCES:
                    self.fail(where + ("lineage_source", name), f"expected one of {', '.join(LINEAGE_SOURCES)}")
                lineage_source[name] = source
        previous = []
        raw_previous = value.get("previous")
        if not isinstance(raw_previous, list):
            self.fail(where + ("previous",), "expected a list of {version, artifact_uri, run_id}")
        else:
            for index, item in enumerate(raw_previous):
                locked = self.version(item, where + ("previous", index))
                if locked is not None:
                    previous.append(locked)
        resolved = LockedVersion(version=self.number(value.get("version"), where + ("version",)),
                                 artifact_uri=self.artifact(value.get("artifact_uri"), where + ("artifact_uri",)),
                                 run_id=self.text(value.get("run_id"), where + ("run_id",), nullable=True),
                                 status=self.text(value.get("status"), where + ("status",)) or "",
                                 images=self.images(value.get("images"), where + ("images",)))
        if resolved.status and resolved.status != "READY":  # `mlops lock` never pins a version still registering
            self.fail(where + ("status",), f"the version is {_shown(resolved.status)}, not READY: a model server "
                                           "cannot download a version whose registration has not finished")
        registry_name = self.text(value.get("registry_name"), where + ("registry_name",))
        spec_hash = self.text(value.get("spec_hash"), where + ("spec_hash",))
        if len(self.problems) != before:
            return None
        resolved = resolved._replace(lineage=tuple((k, lineage.get(k)) for k in LINEAGE_KEYS))
        return LockedModel(key=key, registry_name=registry_name or "", alias=alias,
                           requested_version=requested_version, resolved=resolved, lineage=lineage,
                           lineage_source=lineage_source, previous=tuple(previous), spec_hash=spec_hash or "")
