"""Loader positions, overlays, references and the example spec, through the public front end."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler.checked_spec import check_all_environments, check_bytes
from compiler.commands.schema import schema_text
from compiler.diagnostics import SpecError, UsageError
from compiler.loader import load_bytes

REPO = Path(__file__).resolve().parent.parent
BASE = b"""apiVersion: mlops/v1
kind: System
metadata: {name: demo, namespace: demo-ml}
runtimes:
  serve: {image: "ghcr.io/acme/serve:1.0.0"}
models:
  m: {alias: champion, format: sklearn, size: 2Gi}
serving:
  api:
    model: m
    runtime: serve
    replicas: {min: 1, max: 3}
    resources: {cpu: 1, memory: 2Gi}
"""


def test_positions_of_keys_values_and_items():
    document = load_bytes(BASE + b"    rollout: {canary_percent: 10}\nlint:\n  disable: [MLO1, MLO2]\n", "s.yaml")
    m = document.source_map
    assert str(m.key(("serving", "api", "replicas"))) == "s.yaml:12:5"
    assert str(m.value(("serving", "api", "replicas", "max"))) == "s.yaml:12:29"
    assert str(m.value(("lint", "disable", 1))) == "s.yaml:16:19"
    # a path not written (a default) falls back to its nearest written ancestor's key
    assert str(m.value(("serving", "api", "autoscale", "metric"))) == "s.yaml:9:3"


def test_example_validates_in_every_environment_quickly():
    started = time.process_time()
    checked = check_all_environments(str(REPO / "mlops.yaml.example"))
    assert [c.env for c in checked] == [None, "dev", "prod"]
    assert time.process_time() - started < 1.0
    prod = checked[2].spec
    assert prod.serving["fraud-api"].replicas.min == 3 and prod.serving["fraud-api"].replicas.max == 20


def overlay(text: bytes) -> bytes:
    return BASE + b"environments:\n" + text


def test_overlay_merges_mappings_replaces_lists_and_null_removes():
    spec = check_bytes(overlay(b"""  prod:
    serving:
      api: {replicas: {min: 2}, resources: {memory: null}}
    runtimes:
      serve: {packages: [a==1]}
"""), "s.yaml", "prod").spec
    api = spec.serving["api"]
    assert (api.replicas.min, api.replicas.max) == (2, 3)   # merged, max kept from the base
    assert api.resources.memory is None and str(api.resources.cpu) == "1"   # null removed memory only
    assert spec.runtimes["serve"].packages == ["a==1"]


def test_overlay_lists_replace_rather_than_append():
    raw = BASE.replace(b'image: "ghcr.io/acme/serve:1.0.0"', b'image: "ghcr.io/acme/serve:1.0.0", packages: [x==1, y==2]')
    spec = check_bytes(raw + b"environments:\n  dev:\n    runtimes: {serve: {packages: [z==3]}}\n", "s.yaml", "dev").spec
    assert spec.runtimes["serve"].packages == ["z==3"]


def test_error_in_overlaid_value_points_at_the_overlay_line():
    with pytest.raises(SpecError) as error:
        check_bytes(overlay(b"  prod:\n    serving:\n      api: {startup_timeout: 10}\n"), "s.yaml", "prod")
    assert str(error.value.diagnostics[0].position) == "s.yaml:17:30"


def test_removing_what_the_base_lacks_is_an_error():
    with pytest.raises(SpecError, match="overlay removes serving.api.autoscale, which the base does not define"):
        check_bytes(overlay(b"  prod:\n    serving: {api: {autoscale: null}}\n"), "s.yaml", "prod")


def test_overlay_cannot_change_the_environments_or_api_version():
    with pytest.raises(SpecError, match="an overlay cannot change 'apiVersion'"):
        check_bytes(overlay(b"  prod: {apiVersion: mlops/v2}\n"), "s.yaml", "prod")


def test_unknown_environment_lists_the_defined_ones():
    with pytest.raises(UsageError, match="unknown environment 'stage'; environments in s.yaml: dev, prod"):
        check_bytes(overlay(b"  dev: {}\n  prod: {}\n"), "s.yaml", "stage")


def test_all_errors_are_reported_together_sorted_by_position():
    raw = BASE.replace(b"model: m", b"model: nope").replace(b"runtime: serve", b"runtime: nothing")
    with pytest.raises(SpecError) as error:
        check_bytes(raw, "s.yaml")
    lines = [d.position.line for d in error.value.diagnostics]
    assert lines == [10, 11]


def test_dag_without_cycle_passes_and_diamond_is_fine():
    raw = BASE + b"""pipelines:
  p:
    runtime: serve
    steps:
      a: {command: [a]}
      b: {command: [b], after: [a]}
      c: {command: [c], after: [a]}
      d: {command: [d], after: [b, c]}
"""
    assert list(check_bytes(raw, "s.yaml").spec.pipelines["p"].steps) == ["a", "b", "c", "d"]


def test_env_expansion_in_tracking_uri(monkeypatch):
    raw = BASE + b"platform:\n  mlflow: {tracking_uri: '${MLOPS_URI:-sqlite:///x.db}'}\n"
    spec = check_bytes(raw, "s.yaml").spec
    assert spec.platform.mlflow.resolved_tracking_uri() == "sqlite:///x.db"
    monkeypatch.setenv("MLOPS_URI", "http://127.0.0.1:5000")
    assert spec.platform.mlflow.resolved_tracking_uri() == "http://127.0.0.1:5000"
    # Only MLFLOW_TRACKING_URI and MLOPS_* expand (docs/lock.md): any other variable is refused where it is written.
    with pytest.raises(SpecError, match=r"s.yaml:15:26: error: .*\$\{MY_URI\} is not expanded"):
        check_bytes(BASE + b"platform:\n  mlflow: {tracking_uri: '${MY_URI:-sqlite:///x.db}'}\n", "s.yaml")


def test_committed_schema_is_current():
    committed = (REPO / "schemas" / "mlops.schema.json").read_text()
    assert committed == schema_text(), "schemas/mlops.schema.json is stale: run `mlops schema -o schemas/mlops.schema.json`"


def test_schema_accepts_the_example_and_rejects_an_unknown_key():
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    schema = json.loads((REPO / "schemas" / "mlops.schema.json").read_text())
    example = YAML(typ="safe").load((REPO / "mlops.yaml.example").read_text())
    jsonschema.Draft202012Validator(schema).validate(example)
    example["serving"]["fraud-api"]["replicaz"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(example)


def test_example_carries_the_schema_modeline():
    assert (REPO / "mlops.yaml.example").read_text().startswith(
        "# yaml-language-server: $schema=./schemas/mlops.schema.json\n")


@pytest.mark.parametrize("command", ["validate", "lint"])
def test_fast_paths_never_import_heavy_modules(command):
    """validate and lint run in pre-commit: pulumi, jinja2 and mlflow cost 0.2-3 s to import."""
    probe = (
        "import sys\n"
        "from compiler.cli import main\n"
        f"code = main([{command!r}, {str(REPO / 'mlops.yaml.example')!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'pulumi', 'pulumi_kubernetes', 'jinja2', 'mlflow'})\n"
        "print(code, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO)
    code, heavy = result.stdout.strip().split(" ", 1)
    assert heavy == "[]", result.stdout
    if command == "validate":
        assert code == "0", result.stderr


def test_committed_spec_reference_is_current():
    from compiler.spec.reference import render_reference

    committed = (REPO / "docs" / "spec-reference.md").read_text()
    assert committed == render_reference(), "docs/spec-reference.md is stale: run `mlops schema --reference -o docs/spec-reference.md`"
