"""The monitoring loop end to end, on loopback, with the real Debian binaries (Pushgateway 1.5.1,
Prometheus 2.42, Alertmanager 0.25):

    drift job --push--> Pushgateway <--scrape-- Prometheus (generated rules) --alerts--> Alertmanager --> webhook sink
    exporter of synthetic runtime metrics <--scrape--/        ^
                                       retraining gate --query-/   (its API-server calls: a local fake)

The reference drift job runs on a small dataset with real drift and pushes; the drift alert fires
and reaches the sink; the gate decides `retrain`, then `hold` within the cooldown and while data
quality fails. The rules are the compiled PrometheusRule's groups as they are; only this test's own
Prometheus config is fast (1 s scrape and evaluation). Every process runs in its own process group
on 127.0.0.1 and is killed at teardown; every wait is bounded.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from backends.kubernetes import lower, metrics as m
from backends.kubernetes.monitoring import GATE_SCRIPT
from tests import monitor_data
from tests.compile_support import EXAMPLE, checked, example_lock

REPO = Path(__file__).resolve().parent.parent
BINARIES = {"pushgateway": "prometheus-pushgateway", "prometheus": "prometheus", "alertmanager": "prometheus-alertmanager"}
ENDPOINT, SYSTEM, NAMESPACE = "fraud-api", "fraud", "fraud-ml"
WAIT_SECONDS = 45
PREDICTOR_JOB = f"{NAMESPACE}/{SYSTEM}-{ENDPOINT}"


# --- delivery: the generated routes, with every integration pointed at the local sink -----------------

def alertmanager_config(objects: dict, webhook_url: str) -> dict:
    """The Alertmanager configuration the Prometheus Operator builds from the generated AlertmanagerConfig
    (tests/admission/alertmanager_configuration.py), its routes and matchers as generated; only what each
    receiver sends to (Slack, PagerDuty, ...) becomes the test's webhook sink, and the grouping waits are
    shortened so the test stays bounded. The sink sees which receiver a notification went through."""
    from tests.admission.alertmanager_configuration import alertmanager_configuration

    generated = [o for (kind, _), o in objects.items() if kind == "AlertmanagerConfig"]
    assert generated, "the example's receivers compile to an AlertmanagerConfig"
    config = alertmanager_configuration(generated)
    for receiver in config["receivers"]:
        integrations = [key for key in receiver if key.endswith("_configs")]
        for key in integrations:
            del receiver[key]
        if integrations:
            receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": False}]

    def quick(route: dict) -> None:
        route.update(group_wait="1s", group_interval="1s")
        for child in route.get("routes", []):
            quick(child)

    quick(config["route"])
    return config


def alert_endpoint(labels: dict) -> str | None:
    """The endpoint an alert is about (`mlops_endpoint`: `endpoint` is a target label of the operator)."""
    return labels.get(m.ENDPOINT_LABEL)


# --- helpers ---------------------------------------------------------------------------------

def _binary(name: str) -> str:
    path = shutil.which(BINARIES[name]) or (f"/usr/bin/{BINARIES[name]}" if os.path.exists(f"/usr/bin/{BINARIES[name]}")
                                            else None)
    if path is None:
        message = f"{BINARIES[name]} is not installed (Debian: apt-get install {BINARIES[name]})"
        if os.environ.get("CI_REQUIRE_UPSTREAM"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, what: str, timeout: float = WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (OSError, ValueError, KeyError) as error:
            last_error = error
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


class _Servers:
    """Processes in their own process groups and HTTP servers in threads, all stopped by `close`."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.processes: list[subprocess.Popen] = []
        self.http: list[ThreadingHTTPServer] = []

    def start(self, name: str, args: list[str], ready_url: str) -> None:
        log = open(self.directory / f"{name}.log", "wb")
        process = subprocess.Popen([_binary(name), *args], stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=self.directory)
        self.processes.append(process)

        def ready():
            if process.poll() is not None:
                pytest.fail(f"{name} exited: {(self.directory / f'{name}.log').read_text(errors='replace')[-2000:]}")
            with urllib.request.urlopen(ready_url, timeout=2) as response:
                return response.status == 200

        wait_until(ready, f"{name} to be ready")

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.http.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for server in self.http:
            server.shutdown()
            server.server_close()


def _handler(respond):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._answer(*respond("GET", self.path, b""))

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(*respond("POST", self.path, body))

        def _answer(self, status: int, content_type: str, body: bytes):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


def _runtime_metrics() -> bytes:
    """A healthy predictor, as KServe's model server exports it: fast, no 5xx."""
    histogram = m.LATENCY_BUCKETS.removesuffix("_bucket")
    lines = [f"# TYPE {histogram} histogram"]
    for bound, count in (("0.005", 900), ("0.01", 990), ("0.05", 1000), ("+Inf", 1000)):
        lines.append(f'{m.LATENCY_BUCKETS}{{le="{bound}"}} {count}')
    lines += [f"{histogram}_sum 4.2", f"{histogram}_count 1000"]
    return ("\n".join(lines) + "\n").encode()


# --- the test --------------------------------------------------------------------------------

@pytest.fixture
def loop(tmp_path):
    servers = _Servers(tmp_path)
    try:
        yield servers
    finally:
        servers.close()


def _run(argv: list[str], env: dict | None = None, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    return result, time.monotonic() - started


def test_drift_alert_reaches_the_sink_and_the_gate_decides(loop, tmp_path):
    started = time.monotonic()
    objects = {(o["kind"], o["metadata"]["name"]): o for o in lower(checked(EXAMPLE, "prod"), example_lock())}
    rules = {"groups": objects[("PrometheusRule", f"{SYSTEM}-{ENDPOINT}")]["spec"]["groups"]}
    drift_rule = next(r for g in rules["groups"] for r in g["rules"] if r["alert"] == "DriftScoreHigh")
    assert "for" not in drift_rule and m.DRIFT_SCORE in drift_rule["expr"]

    # The webhook sink, the exporter and the fake API server (workflow lists).
    received: list[dict] = []
    workflows = {"items": []}
    listed: list[str] = []

    def sink(method, path, body):
        if method == "POST":
            received.append(json.loads(body))
        return 200, "text/plain", b"ok"

    def api(method, path, body):
        if method == "GET" and path.startswith(f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/workflows?"):
            listed.append(urllib.parse.unquote_plus(path.split("labelSelector=", 1)[1]))
            return 200, "application/json", json.dumps(workflows).encode()
        return 404, "application/json", b'{"kind": "Status", "code": 404}'

    sink_url = loop.serve(_handler(sink))
    exporter_url = loop.serve(_handler(lambda method, path, body: (200, "text/plain; version=0.0.4", _runtime_metrics())))
    api_url = loop.serve(_handler(api))

    pushgateway = f"127.0.0.1:{_free_port()}"
    loop.start("pushgateway", [f"--web.listen-address={pushgateway}"], f"http://{pushgateway}/-/ready")

    # A fact the push design rests on: the Pushgateway refuses samples that carry a timestamp.
    request = urllib.request.Request(f"http://{pushgateway}/metrics/job/probe", data=b"probe 1 1700000000000\n",
                                     method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400 and b"must not have timestamps" in refused.value.read()

    alertmanager = f"127.0.0.1:{_free_port()}"
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager_config(objects, sink_url)), encoding="utf-8")
    loop.start("alertmanager", ["--config.file=alertmanager.yml", "--storage.path=am-data",
                                f"--web.listen-address={alertmanager}", "--cluster.listen-address="],
               f"http://{alertmanager}/-/ready")

    prometheus = f"127.0.0.1:{_free_port()}"
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    exporter = urllib.parse.urlsplit(exporter_url).netloc
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["rules.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [
            # What the generated ServiceMonitor asks of the Prometheus Operator: honor the pushed labels.
            {"job_name": "pushgateway", "honor_labels": True, "static_configs": [{"targets": [pushgateway]}]},
            # The job label the operator gives PodMonitor targets (`<namespace>/<name>`), which alerts select.
            {"job_name": PREDICTOR_JOB, "static_configs": [{"targets": [exporter], "labels": {
                "namespace": NAMESPACE, "pod": f"{SYSTEM}-{ENDPOINT}-predictor-7d9f-abcde"}}]},
        ]}), encoding="utf-8")
    loop.start("prometheus", ["--config.file=prometheus.yml", "--storage.tsdb.path=prom-data",
                              f"--web.listen-address={prometheus}"], f"http://{prometheus}/-/ready")
    prometheus_url = f"http://{prometheus}"

    def query(expr: str) -> list:
        return _get_json(f"{prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))["data"]["result"]

    wait_until(lambda: query(f'up{{job="{PREDICTOR_JOB}"}} == 1'), "Prometheus to scrape the exporter")

    # The reference jobs on data with real drift, pushing to the Pushgateway.
    run_started = datetime.now(timezone.utc).replace(microsecond=0)
    data = monitor_data.write_example_data(tmp_path / "data", drifted=True)
    timings = {}
    for job in ("drift", "estimate"):
        config = monitor_data.example_config(tmp_path, job, data, pushgateway=f"http://{pushgateway}")
        result, timings[job] = _run([sys.executable, "-m", "compiler.cli", "monitor", job, "--config", str(config)])
        assert result.returncode == 0, result.stderr
    labels = f'{m.SYSTEM_LABEL}="{SYSTEM}", {m.ENDPOINT_LABEL}="{ENDPOINT}"'
    scores = wait_until(lambda: query(f"{m.DRIFT_SCORE}{{{labels}}}"), "the drift scores in Prometheus")
    assert {s["metric"]["feature"] for s in scores} == {"amount", "merchant_category"}
    assert all(float(s["value"][1]) > 0.2 for s in scores)

    # The drift alert fires, and reaches the sink; the healthy runtime raises no SLO alert.
    def firing():
        alerts = _get_json(f"{prometheus_url}/api/v1/alerts")["data"]["alerts"]
        return [a for a in alerts if a["state"] == "firing" and a["labels"]["alertname"] == "DriftScoreHigh"
                and alert_endpoint(a["labels"]) == ENDPOINT]

    wait_until(firing, "DriftScoreHigh to fire")
    delivered = wait_until(lambda: [a for n in received for a in n["alerts"]
                                    if a["labels"]["alertname"] == "DriftScoreHigh"], "the alert at the webhook sink")
    assert alert_endpoint(delivered[0]["labels"]) == ENDPOINT and delivered[0]["status"] == "firing"
    # It went through the receiver the spec names for this endpoint (monitoring.fraud-api.alerts.receiver).
    assert {n["receiver"] for n in received if any(a["labels"]["alertname"] == "DriftScoreHigh"
                                                  for a in n["alerts"])} == {f"{NAMESPACE}/fraud-alerts/pagerduty-risk"}
    alive = {a["labels"]["alertname"] for a in _get_json(f"{prometheus_url}/api/v1/alerts")["data"]["alerts"]}
    assert not alive & {"LatencyP99High", "ErrorRateHigh", "AvailabilityLow"}, alive

    # The retraining gate against this Prometheus and the fake API server.
    gate_config = monitor_data.compiled_example_configs()[f"{SYSTEM}-{ENDPOINT}-retrain-gate"]
    gate_config.update(prometheus_url=prometheus_url, kubernetes_url=api_url)
    (tmp_path / "gate.json").write_text(json.dumps(gate_config), encoding="utf-8")

    def gate() -> tuple[str, str]:
        decision_file = tmp_path / "decision"
        decision_file.unlink(missing_ok=True)
        result, timings["gate"] = _run([sys.executable, str(GATE_SCRIPT), "--since", run_started.isoformat()],
                                       env={"MLOPS_GATE_CONFIG": str(tmp_path / "gate.json"),
                                            "MLOPS_GATE_DECISION": str(decision_file)})
        assert result.returncode == 0, result.stderr
        return decision_file.read_text(), result.stdout

    decision, said = gate()
    assert decision == "retrain", said
    assert set(listed) == set(gate_config["run_selectors"])  # scheduled and gate-submitted runs were counted

    recent = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    workflows["items"] = [{"metadata": {"name": "fraud-train-fraud-retrain-x", "creationTimestamp": recent},
                           "status": {"nodes": {}}}]
    decision, said = gate()
    assert decision == "hold" and "cooldown" in said, said
    workflows["items"] = []

    # Upstream breaks the data: the drift job fails the contract; the gate holds, the drift alert stops.
    broken = monitor_data.write_example_data(tmp_path / "broken", drifted=True, broken=True)
    config = monitor_data.example_config(tmp_path, "drift", broken, pushgateway=f"http://{pushgateway}")
    result, _ = _run([sys.executable, "-m", "compiler.cli", "monitor", "drift", "--config", str(config)])
    assert result.returncode == 0 and "data quality: amount:" in result.stderr, result.stderr
    wait_until(lambda: query(f"{m.DATA_QUALITY_PASSED}{{{labels}}} == 0"), "data quality 0 in Prometheus")
    decision, said = gate()
    assert decision == "hold" and "data quality is failing" in said, said
    wait_until(lambda: not firing(), "DriftScoreHigh to stop while data quality fails")

    elapsed = time.monotonic() - started
    print(f"\ne2e: {elapsed:.1f} s; drift job {timings['drift']:.2f} s, estimate job {timings['estimate']:.2f} s, "
          f"gate {timings['gate']:.2f} s")
    assert elapsed < 150
