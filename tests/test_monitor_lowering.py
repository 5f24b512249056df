"""What the compiler generates for the monitor jobs: configs that name exactly the metrics the alerts
read, one CronWorkflow whose DAG runs drift and estimation before the gate, the Pushgateway
ServiceMonitor, the NetworkPolicy ports, and the data contract read at compile time (and refused
when it is outside the spec's directory, too large or invalid)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends.kubernetes import lower, metrics as m
from compiler.checked_spec import check_bytes
from compiler.cli import main
from compiler.data_contract import MAX_BYTES, read_contracts
from tests.compile_support import EXAMPLE, checked
from tests.monitor_data import compiled_example_configs

CASE = Path(__file__).parent / "cases" / "monitoring-all-alerts.yaml"


def _objects(path=EXAMPLE, env="prod"):
    return {(o["kind"], o["metadata"]["name"]): o for o in lower(checked(path, env))}


def test_configs_name_exactly_the_metrics_and_labels_of_metrics_py():
    configs = compiled_example_configs()
    drift, estimate = configs["fraud-fraud-api-drift"], configs["fraud-fraud-api-estimate"]
    assert drift["metrics"] == {"drift_score": m.DRIFT_SCORE, "data_quality_passed": m.DATA_QUALITY_PASSED,
                                "data_newest_timestamp_seconds": m.DATA_NEWEST_TIMESTAMP,
                                "last_success": m.LAST_SUCCESS,
                                "labels": {m.SYSTEM_LABEL: "fraud", m.ENDPOINT_LABEL: "fraud-api"}}
    assert estimate["metrics"]["estimated_performance"] == m.ESTIMATED_PERFORMANCE
    assert estimate["metrics"]["performance_drop"] == m.PERFORMANCE_DROP
    assert drift["push"]["grouping"][m.JOB_LABEL] == "drift" and estimate["push"]["grouping"][m.JOB_LABEL] == "estimate"
    assert drift["reference"] == {"kind": "training", "format": "parquet", "data_version": "s3://acme-data/fraud/2026-11-01",
                                  "uri": "s3://acme-data/fraud/2026-11-01"}  # the locked version's lineage
    assert drift["data_quality"]["contract"]["columns"]["amount"] == {"type": "float", "nullable": False,
                                                                      "min": 0.0, "max": 100000.0}
    assert estimate["estimator"] == "cbpe" and estimate["metric"] == "roc_auc"


def test_one_workflow_runs_drift_and_estimation_then_the_gate():
    cron = _objects()[("CronWorkflow", "fraud-fraud-api-monitor")]
    templates = {t["name"]: t for t in cron["spec"]["workflowSpec"]["templates"]}
    tasks = {t["name"]: t for t in templates["monitor"]["dag"]["tasks"]}
    assert tasks["check"]["dependencies"] == ["drift", "estimate"]
    assert tasks["submit"]["dependencies"] == ["check"]
    assert templates["drift"]["container"]["command"] == ["mlops", "monitor", "drift", "--config",
                                                          "/etc/mlops/drift/config.json"]
    assert templates["estimate"]["container"]["command"][:3] == ["mlops", "monitor", "estimate"]
    assert templates["check"]["container"]["args"] == ["--since", "{{workflow.creationTimestamp}}"]


def test_a_spec_command_replaces_the_reference_drift_job_and_approval_submits_suspended():
    objects = _objects(CASE, None)
    cron = objects[("CronWorkflow", "ads-ctr-api-monitor")]
    templates = {t["name"]: t for t in cron["spec"]["workflowSpec"]["templates"]}
    assert templates["drift"]["container"]["command"] == ["python", "-m", "ads.drift"]
    assert "suspend: true" in templates["submit"]["resource"]["manifest"]
    volumes = {v["name"]: v for v in cron["spec"]["workflowSpec"]["volumes"]}
    assert volumes["monitor-data"]["persistentVolumeClaim"] == {"claimName": "inference-logs", "readOnly": True}
    config = json.loads(objects[("ConfigMap", "ads-ctr-api-drift")]["data"]["config.json"])
    assert config["source"]["uri"] == "/var/lib/mlops/data/logs/ctr-api"


def test_the_pushgateway_is_scraped_with_honor_labels_for_this_endpoint_only(tmp_path):
    spec = EXAMPLE.read_text(encoding="utf-8").replace(
        "  prices: {l4: 0.98}", "  prices: {l4: 0.98}\n  prometheus:\n    pushgateway: http://pgw.observability.svc:9191\n"
                                "    url: https://prom.observability.svc\n    selector_labels: {release: kps}")
    path = tmp_path / "mlops.yaml"
    path.write_text(spec, encoding="utf-8")
    objects = {(o["kind"], o["metadata"]["name"]): o for o in lower(checked(path, None))}
    monitor = objects[("ServiceMonitor", "fraud-fraud-api-pushgateway")]
    assert monitor["metadata"]["labels"]["release"] == "kps"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["observability"]}
    assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus-pushgateway"}}
    endpoint, = monitor["spec"]["endpoints"]
    assert endpoint["honorLabels"] is True and endpoint["targetPort"] == 9191
    assert endpoint["metricRelabelings"] == [{"sourceLabels": ["mlops_system", "mlops_endpoint"],
                                              "regex": "fraud;fraud-api", "action": "keep"}]
    policy = objects[("NetworkPolicy", "fraud-netpol-monitoring")]
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert ports == {443, 6443, 9191}  # https Prometheus on 443, the Pushgateway's own port


def test_the_default_network_policy_opens_prometheus_and_the_pushgateway():
    policy = _objects()[("NetworkPolicy", "fraud-netpol-monitoring")]
    assert {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]} == {443, 6443, 9090, 9091}


# --- the contract at compile time --------------------------------------------------------------

BASE = EXAMPLE.read_text(encoding="utf-8")


def _spec_with_contract(tmp_path: Path, contract: str) -> Path:
    path = tmp_path / "spec" / "mlops.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(BASE.replace("contract: contracts/transactions.yaml", f"contract: {contract}"), encoding="utf-8")
    return path


@pytest.mark.parametrize("contract, message", [
    ("../outside.yaml", "must be a path inside the spec's directory"),
    ("/etc/passwd", "must be a path inside the spec's directory"),
    ("link.yaml", "leads outside the spec's directory"),
    ("big.yaml", f"is larger than {MAX_BYTES // 1024} KiB"),
    ("dir", "is not a regular file"),
])
def test_contract_paths_that_leave_the_directory_or_are_no_contract_are_errors(tmp_path, capsys, contract, message):
    path = _spec_with_contract(tmp_path, contract)
    (tmp_path / "outside.yaml").write_text("apiVersion: mlops/v1\nkind: DataContract\n")
    (path.parent / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    (path.parent / "big.yaml").write_text("# x\n" * (MAX_BYTES // 4 + 1))
    (path.parent / "dir").mkdir()
    assert main(["compile", str(path), "-o", str(tmp_path / "build"), "--backend", "kubernetes", "--allow-placeholder-models"]) == 1
    err = capsys.readouterr().err
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "contract:" in text)
    assert f"{path}:{line}:" in err and message in err and "Traceback" not in err


def test_an_invalid_contract_is_an_error_at_its_position_in_the_contract_file(tmp_path, capsys):
    path = _spec_with_contract(tmp_path, "contracts/bad.yaml")
    (path.parent / "contracts").mkdir()
    (path.parent / "contracts" / "bad.yaml").write_text(
        "apiVersion: mlops/v1\nkind: DataContract\ncolumns:\n  amount: {type: decimal}\n")
    assert main(["compile", str(path), "-o", str(tmp_path / "build"), "--backend", "kubernetes", "--allow-placeholder-models"]) == 1
    err = capsys.readouterr().err
    assert f"{path.parent / 'contracts' / 'bad.yaml'}:4:18: error: columns.amount.type" in err


def test_a_missing_contract_warns_and_fails_only_when_frozen(tmp_path, capsys):
    path = _spec_with_contract(tmp_path, "contracts/later.yaml")
    checked_spec = check_bytes(path.read_bytes(), str(path), "prod")
    contracts, warnings = read_contracts(checked_spec)
    assert contracts == {"fraud-api": None} and "does not exist" in warnings[0]
    with pytest.raises(Exception, match="does not exist"):
        read_contracts(checked_spec, frozen=True)


MONITOR_EXTRA = {"numpy", "pandas", "scipy", "pyarrow", "nannyml", "prometheus_client", "sklearn", "lightgbm"}


@pytest.mark.parametrize("command", ["validate", "lint", "compile"])
def test_only_running_a_monitor_job_imports_the_monitor_extra(command, tmp_path):
    from tests.test_import_guard import run_probe

    argv = [command, str(EXAMPLE)] + (["-o", str(tmp_path), "--backend", "kubernetes"] if command == "compile" else [])
    code, modules, err = run_probe(argv)
    assert code in (0, 1), err
    assert not modules & MONITOR_EXTRA, sorted(modules & MONITOR_EXTRA)
