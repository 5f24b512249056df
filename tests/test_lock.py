"""The lock file without a registry: its format, reading errors with positions, staleness, --frozen checks."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.checked_spec import check_file
from compiler.diagnostics import SpecError
from compiler.lock import (Lock, LockedModel, LockedVersion, check_frozen, is_stale, lock_path_for,
                           lock_requirements, parse_lock, read_lock, resolve_model, usable_lock, write_lock_text)

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "mlops.yaml.example"
EXAMPLE_LOCK = REPO_ROOT / "mlops.lock.example"


@pytest.fixture
def spec(tmp_path) -> Path:
    """A copy of the example and its committed lock, to edit."""
    shutil.copy(EXAMPLE, tmp_path / "mlops.yaml")
    shutil.copy(EXAMPLE_LOCK, tmp_path / "mlops.lock")
    return tmp_path / "mlops.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_lock_path_for():
    assert lock_path_for("a/mlops.yaml") == Path("a/mlops.lock")
    assert lock_path_for("mlops.yaml.example") == Path("mlops.lock.example")
    assert lock_path_for("x/other.yaml") == Path("x/other.lock")


def test_the_example_lock_is_fresh_for_the_example_in_every_environment():
    lock = read_lock(EXAMPLE)
    assert lock is not None and sorted(lock.models) == ["fraud-xgb", "merchant-embed"]
    for env in (None, "dev", "prod"):
        assert check_frozen(check_file(str(EXAMPLE), env), lock) == []
    fraud = lock.entry("fraud-xgb")
    assert (fraud.alias, fraud.version, [v.version for v in fraud.previous]) == ("champion", 3, [2, 1])
    assert fraud.lineage["preprocessing_version"] == "2.3.1"          # matches preprocessing.fraud-features
    assert lock.entry("merchant-embed").lineage_source["code_version"] == "spec"


def test_written_text_is_what_was_read():
    raw = EXAMPLE_LOCK.read_bytes()
    assert write_lock_text(parse_lock(raw, str(EXAMPLE_LOCK))) == raw.decode()


def _entry(**lineage) -> LockedModel:
    return LockedModel(key="m", registry_name="m", alias="champion", requested_version=None,
                       resolved=LockedVersion(3, "s3://bucket/m/3", "0123e456"), lineage=lineage,
                       lineage_source={k: "version-tag" for k in lineage}, previous=(), spec_hash="sha256:0")


@pytest.mark.parametrize("value", ["2.10", "1e10", "0123e456", "yes", "No", "null", "~", "0x1F", "2026-11-01",
                                   "12:30:00", "a: b", "#x", "-", "- a", "[x]", "{x}", "ü-version", "ends:",
                                   "'q'", '"dq"', "line\nbreak", " padded ", "*ref", "&anchor", "!tag", "%dir",
                                   "@at", "`tick`", "s3://acme-data/fraud/2026-11-01", "sha256:ab12"])
def test_strings_read_back_as_the_same_strings(value):
    lineage = {"data_version": value, "preprocessing_version": "2.3.1", "code_version": None}
    text = write_lock_text(Lock("mlops.lock", {"m": _entry(**lineage)}))
    entry = parse_lock(text.encode(), "mlops.lock").entry("m")
    assert entry.lineage == lineage
    assert entry.resolved.run_id == "0123e456"                       # would be a float if it were plain
    import yaml  # PyYAML reads YAML 1.1: no value may change type for it either

    assert yaml.safe_load(text)["models"]["m"]["lineage"]["data_version"] == value


BAD_LOCKS = [
    ("", "mlops.lock:1:1: error: the lock file is empty"),
    ("lock_version: 1\nmodels: [\n", "mlops.lock:3:1: error: YAML syntax error"),
    ("- a\n", "mlops.lock:1:1: error: the document is a list; expected the mapping `mlops lock` writes"),
    ("lock_version: 3\nmodels: {}\n", "mlops.lock:1:15: error: lock_version: this mlops reads lock_version 1 or 2"),
    ("models: {}\n", "mlops.lock:1:1: error: missing key 'lock_version'"),
    ("lock_version: 1\nmodels: {}\nextra: 1\n", "mlops.lock:3:1: error: extra: unknown key"),
    ("lock_version: 1\nmodels: 3\n", "mlops.lock:2:9: error: models: expected a mapping"),
]


@pytest.mark.parametrize("text, expected", BAD_LOCKS)
def test_malformed_lock_is_a_positioned_error(text, expected):
    with pytest.raises(SpecError) as error:
        parse_lock(text.encode(), "mlops.lock")
    assert expected in str(error.value)


@pytest.mark.parametrize("old, new, expected", [
    ("    version: 3\n", "    version: three\n", ":43:14: error: models.fraud-xgb.version: expected a version number"),
    ("      code_version: run-tag", "      code_version: guessed",
     ":15:21: error: models.fraud-xgb.lineage_source.code_version: expected one of version-tag, run-tag, spec, missing"),
    ("    status: READY\n", "    status: READY\n    stage: Production\n", ":43:5: error: models.fraud-xgb.stage: unknown key"),
    ("    spec_hash: sha256:55ed2915c522782a\n", "", ":6:3: error: models.fraud-xgb: missing key 'spec_hash'"),
    ("      alias: champion\n", "      alias: champion\n      version: 3\n",
     ":39:7: error: models.fraud-xgb.requested: expected exactly one of alias or version"),
])
def test_malformed_entry_points_at_the_line(spec, old, new, expected):
    edit(spec.with_name("mlops.lock"), old, new)
    with pytest.raises(SpecError) as error:
        read_lock(spec)
    assert f"{spec.with_name('mlops.lock')}{expected}" in str(error.value)


def test_no_lock_file_reads_as_none(tmp_path):
    assert read_lock(tmp_path / "mlops.yaml") is None


# --- staleness and --frozen -------------------------------------------------------------------------

def test_frozen_without_a_lock_names_every_model_at_its_line(spec):
    spec.with_name("mlops.lock").unlink()
    problems = check_frozen(check_file(str(spec)), None)
    rendered = [p.render() for p in problems]
    assert rendered[0].startswith(f"{spec}:64:12: error: models.fraud-xgb: alias 'champion' is not pinned: "
                                  f"there is no lock file ({spec.with_name('mlops.lock')})")
    assert "help: run `mlops lock" in rendered[0]
    assert "models.merchant-embed: version 2 is not pinned" in rendered[1]


def test_frozen_fails_when_the_alias_changed_in_the_spec(spec):
    edit(spec, "alias: champion ", "alias: challenger")
    problems = check_frozen(check_file(str(spec)), read_lock(spec))
    assert len(problems) == 1
    assert ("models.fraud-xgb: the entry in " in problems[0].message and
            "is stale: the spec asks for alias 'challenger' but the lock was made for alias 'champion'"
            in problems[0].message)


def test_frozen_fails_when_keep_previous_grew(spec):
    edit(spec, "rollout: {canary_percent: 0, keep_previous: 1}", "rollout: {canary_percent: 0, keep_previous: 3}")
    [problem] = check_frozen(check_file(str(spec)), read_lock(spec))
    assert "models.merchant-embed" in problem.message and "rollout.keep_previous serving it is now 3" in problem.message


def test_frozen_fails_when_the_spec_lineage_changed(spec):
    edit(spec, "code_version: 3b7d9a1", "code_version: 4c8e0b2")
    [problem] = check_frozen(check_file(str(spec)), read_lock(spec))
    assert "lineage.code_version in the spec is '4c8e0b2' but the lock recorded '3b7d9a1'" in problem.message


def test_frozen_fails_when_an_entry_is_missing(spec):
    lock = read_lock(spec)
    del lock.models["fraud-xgb"]
    [problem] = check_frozen(check_file(str(spec)), lock)
    assert "has no entry for it" in problem.message


def test_resolve_model_gives_the_entry_or_a_placeholder_warning(spec):
    checked = check_file(str(spec))
    lock = read_lock(spec)
    entry, warning = resolve_model(checked, lock, "fraud-xgb")
    assert warning is None and entry is lock.entry("fraud-xgb")
    entry, warning = resolve_model(checked, None, "fraud-xgb")
    assert entry is None
    assert warning.startswith(f"{spec}:64:12: warning: models.fraud-xgb: alias 'champion' is not pinned")
    assert "placeholder storage URI" in warning


def test_usable_lock_drops_stale_entries_with_a_warning(spec):
    edit(spec, "code_version: 3b7d9a1", "code_version: 4c8e0b2")
    lock, warnings = usable_lock(check_file(str(spec)), read_lock(spec))
    assert sorted(lock.models) == ["fraud-xgb"]
    [warning] = warnings
    assert "warning: models.merchant-embed: the entry in" in warning and "is stale" in warning
    assert usable_lock(check_file(str(EXAMPLE)), read_lock(EXAMPLE))[1] == []


def test_is_stale_follows_the_spec_model():
    checked = check_file(str(EXAMPLE))
    lock = read_lock(EXAMPLE)
    model = checked.spec.models["fraud-xgb"]
    assert not is_stale(lock.entry("fraud-xgb"), model, 2)
    assert is_stale(lock.entry("fraud-xgb"), model, 3)
    assert is_stale(lock.entry("fraud-xgb"), model.model_copy(update={"registry_name": "other"}), 2)


def test_environment_overlays_need_the_same_lock_entry():
    base = lock_requirements(check_file(str(EXAMPLE)))
    for env in ("dev", "prod"):
        assert lock_requirements(check_file(str(EXAMPLE), env)) == base


def test_lock_entry_fields_are_the_committed_data_model():
    """Lint and the Kubernetes backend code against these fields: changing them breaks them."""
    assert list(LockedModel._fields) == [
        "key", "registry_name", "alias", "requested_version", "resolved", "lineage", "lineage_source", "previous",
        "spec_hash"]
    assert list(LockedVersion._fields) == ["version", "artifact_uri", "run_id", "status", "images", "lineage"]


def test_lock_of_a_spec_without_models_asks_no_registry(tmp_path, capsys):
    """Nothing to pin: the lock is written (and checked) without a registry, even an unreachable one."""
    from compiler.cli import main

    spec = tmp_path / "mlops.yaml"
    spec.write_text("apiVersion: mlops/v1\nkind: System\nmetadata: {name: tiny, namespace: tiny}\n"
                    "platform: {mlflow: {tracking_uri: 'http://127.0.0.1:9'}}\n")
    assert main(["lock", str(spec)]) == 0
    assert "models: {}" in (tmp_path / "mlops.lock").read_text()
    assert main(["lock", "--check", str(spec)]) == 0
    assert "up to date (0 models)" in capsys.readouterr().err


# --- lock_version 2: what each version was served with ----------------------------------------------

V1_ENTRY = """lock_version: 1
models:
  m:
    artifact_uri: s3://b/m/3
    lineage: {code_version: c3, data_version: d3, preprocessing_version: "2.3.1"}
    lineage_source: {code_version: run-tag, data_version: version-tag, preprocessing_version: version-tag}
    previous:
      - {artifact_uri: s3://b/m/2, run_id: r2, version: 2}
    registry_name: m
    requested: {alias: champion}
    run_id: r3
    spec_hash: sha256:55ed2915c522782a
    status: READY
    version: 3
"""


def test_a_lock_version_1_file_is_read_with_nothing_recorded_for_its_versions():
    entry = parse_lock(V1_ENTRY.encode(), "mlops.lock").entry("m")
    assert entry.resolved.images == () and entry.previous[0].images == () and entry.previous[0].lineage == ()
    assert dict(entry.resolved.lineage)["preprocessing_version"] == "2.3.1"   # the entry's lineage is its own
    rewritten = write_lock_text(parse_lock(V1_ENTRY.encode(), "mlops.lock"))
    assert rewritten.splitlines()[3] == "lock_version: 2"
    assert parse_lock(rewritten.encode(), "mlops.lock").entry("m") == entry   # migrated without loss


def test_a_version_record_carries_forward_from_the_current_entry():
    from compiler.lock import carried_forward

    entry = parse_lock(V1_ENTRY.encode(), "mlops.lock").entry("m")
    assert carried_forward(entry, 3).lineage == (("data_version", "d3"), ("preprocessing_version", "2.3.1"),
                                                 ("code_version", "c3"))
    assert carried_forward(entry, 2) is None      # lock_version 1 recorded nothing for it
    assert carried_forward(None, 3) is None


@pytest.mark.parametrize("image, expected", [
    ('"ghcr.io/a/b:1 --privileged"', "expected a container image reference"),
    ('"ghcr.io/a/b:1\\nkind: Pod"', "expected a container image reference"),
    ("[a, b]", "expected a container image reference"),
])
def test_a_recorded_image_is_checked_like_every_lock_value(image, expected):
    text = V1_ENTRY.replace("lock_version: 1", "lock_version: 2").replace(
        "{artifact_uri: s3://b/m/2, run_id: r2, version: 2}",
        f"{{artifact_uri: s3://b/m/2, run_id: r2, version: 2, images: {{api: {image}}}}}")
    with pytest.raises(SpecError) as error:
        parse_lock(text.encode(), "mlops.lock")
    assert "models.m.previous.0.images.api: " + expected in str(error.value)


def test_a_recorded_image_names_an_endpoint():
    text = V1_ENTRY.replace("{artifact_uri: s3://b/m/2, run_id: r2, version: 2}",
                            '{artifact_uri: s3://b/m/2, run_id: r2, version: 2, images: {"../x": a/b:1}}')
    with pytest.raises(SpecError) as error:
        parse_lock(text.encode(), "mlops.lock")
    assert "expected an endpoint name" in str(error.value)
