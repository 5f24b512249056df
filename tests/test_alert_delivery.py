"""Delivery: the AlertmanagerConfig the compiler writes, as the Prometheus Operator merges it into Alertmanager's
configuration, passes the real `amtool check-config`, and `amtool config routes test` sends every alert of the
example to the receiver its spec names (fraud-api -> pagerduty-risk, merchant-embed -> team-risk)."""
from __future__ import annotations

import yaml

from backends.kubernetes import lower_files
from compiler.checked_spec import check_bytes, check_file
from tests.admission.alertmanager_configuration import alertmanager_configuration
from tests.compile_support import EXAMPLE, REPO_ROOT
from tests.upstream_tools import run

KNATIVE = REPO_ROOT / "tests" / "cases" / "knative-monitoring.yaml"


def _objects(checked) -> list[dict]:
    return [o for objects in lower_files(checked).values() for o in objects]


def _config_file(objects: list[dict], tmp_path) -> str:
    amcs = [o for o in objects if o["kind"] == "AlertmanagerConfig"]
    assert amcs, "no AlertmanagerConfig: platform.alerts.receivers would deliver nothing"
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(alertmanager_configuration(amcs), sort_keys=False), encoding="utf-8")
    return str(path)


def _alerts(objects: list[dict]) -> list[dict]:
    return [{**r["labels"], "alertname": r["alert"]} for o in objects if o["kind"] == "PrometheusRule"
            for g in o["spec"]["groups"] for r in g["rules"] if "alert" in r]


def _route(config: str, labels: dict) -> str:
    result = run("amtool", ["config", "routes", "test", f"--config.file={config}",
                            *(f"{k}={v}" for k, v in sorted(labels.items()))])
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_every_alert_of_the_example_pages_the_receiver_its_spec_names(tmp_path):
    objects = _objects(check_file(str(EXAMPLE), "prod"))
    config = _config_file(objects, tmp_path)
    expected = {"fraud-api": "fraud-ml/fraud-alerts/pagerduty-risk", "merchant-embed": "fraud-ml/fraud-alerts/team-risk"}
    expected["pipelines"] = "fraud-ml/fraud-alerts/team-risk"   # GPU steps' alerts: the owner's receiver
    alerts = _alerts(objects)
    assert {a.get("mlops_endpoint", "pipelines") for a in alerts} == set(expected)
    assert {a["mlops_pipeline"] for a in alerts if "mlops_pipeline" in a} == {"train-fraud", "embed-merchants"}
    for labels in alerts:
        assert _route(config, labels) == expected[labels.get("mlops_endpoint", "pipelines")], labels


def test_amtool_accepts_the_generated_configuration(tmp_path):
    for spec in (EXAMPLE, KNATIVE):
        result = run("amtool", ["check-config", _config_file(_objects(check_file(str(spec), None)), tmp_path)])
        assert result.returncode == 0, result.stdout + result.stderr
        assert "3 receivers" in result.stdout, result.stdout   # the base's `null` and the spec's two


def test_email_and_webhook_receivers(tmp_path):
    objects = _objects(check_file(str(KNATIVE), None))
    path = _config_file(objects, tmp_path)
    with open(path, encoding="utf-8") as file:
        config = yaml.safe_load(file)
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["vision-ml/vision-alerts/incident-bot"]["webhook_configs"][0]["url"].startswith("https://")
    email = receivers["vision-ml/vision-alerts/team-vision"]["email_configs"][0]
    assert email["to"] == "vision-oncall@acme.com" and email["smarthost"] == "smtp.acme.com:587"
    assert email["auth_username"] == "alerts" and email["auth_password"]
    for labels in _alerts(objects):
        assert _route(path, labels) == "vision-ml/vision-alerts/incident-bot", labels


UNROUTED = b"""apiVersion: mlops/v1
kind: System
metadata: {name: t, namespace: t-ml, owner: team-t}
platform:
  alerts: {receivers: {pager: {pagerduty: {secret: alerting/pd-key}}}}
  prometheus: {alertmanager_selector_labels: {release: prometheus}}
models: {m: {version: 1, format: xgboost}}
runtimes: {s: {image: a/b:1}}
serving: {api: {model: m, runtime: s, replicas: {min: 2, max: 4}}}
monitoring:
  api: {slo: {availability: 99%}}
"""


def test_an_alert_naming_no_receiver_falls_through_to_the_cluster_routes(tmp_path):
    """The owner is no receiver: the alert reaches the AlertmanagerConfig's empty `unrouted` receiver only."""
    objects = _objects(check_bytes(UNROUTED, "mlops.yaml"))
    amc = next(o for o in objects if o["kind"] == "AlertmanagerConfig")
    assert amc["metadata"]["labels"]["release"] == "prometheus"
    assert amc["spec"]["route"]["receiver"] == "unrouted"
    assert {"name": "unrouted"} in amc["spec"]["receivers"]
    config = _config_file(objects, tmp_path)
    alerts = _alerts(objects)
    assert {a["alertname"] for a in alerts} == {"AvailabilityLow", "ContainerOOMKilled", "ContainerRestarting"}
    for alert in alerts:
        assert alert["receiver"] == "team-t"
        assert _route(config, alert) == "t-ml/t-alerts/unrouted"
