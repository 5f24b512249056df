"""The retraining gate's decision logic, called directly with Prometheus and the API server stubbed,
and what the compiler tells it: whole-node prices shared with the plan's cost table, which runs it
counts, what it waits for. (tests/test_monitoring_e2e.py runs it against a real Prometheus.)"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from backends.kubernetes import retraining_gate_job as gate
from backends.kubernetes.context import Context
from backends.kubernetes.monitoring import gate_config
from compiler.plan.costs import run_cost, step_node_prices
from compiler.plan.costs import node_price
from tests.compile_support import EXAMPLE, checked

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def _config(**changes) -> dict:
    config = {
        "namespace": "fraud-ml", "prometheus_url": "http://prometheus", "kubernetes_url": "http://api",
        "triggers": {"drift": {"query": "DRIFT", "above": 0.3}, "performance": {"query": "DROP", "above": 0.05}},
        "holds": {"data_quality": {"query": "QUALITY", "equals": 0}},
        "wait_for": {"queries": {"drift": "LAST_DRIFT"}, "timeout_seconds": 60},
        "cooldown_seconds": 7 * 86400, "max_monthly_cost_usd": 500.0, "estimated_run_cost_usd": 100.0,
        "step_prices_usd_per_hour": {"train": 40.0, "featurize": 0.4},
        "run_selectors": ["workflows.argoproj.io/cron-workflow=fraud-train-fraud", "mlops.dev/retrain-gate=g"],
    }
    config.update(changes)
    return config


def _run(name: str, created: datetime, *pods: tuple[str, datetime, datetime | None]) -> dict:
    def stamp(when):
        return when.isoformat().replace("+00:00", "Z")

    nodes = {f"{name}-{i}": {"type": "Pod", "templateName": step, "startedAt": stamp(start),
                             **({"finishedAt": stamp(end)} if end else {})}
             for i, (step, start, end) in enumerate(pods)}
    nodes[name] = {"type": "DAG", "templateName": "dag", "startedAt": stamp(created)}
    return {"metadata": {"name": name, "creationTimestamp": stamp(created)}, "status": {"nodes": nodes}}


@pytest.fixture
def world(monkeypatch):
    """Prometheus answers from `values`; the API server lists `runs` per label selector."""
    state = {"values": {"QUALITY": 1.0, "DRIFT": 0.5, "DROP": 0.0}, "runs": {}, "asked": []}

    def prometheus(config, query):
        return state["values"].get(query)

    def kubernetes_get(config, path):
        state["asked"].append(path)
        selector = path.split("labelSelector=", 1)[1]
        from urllib.parse import unquote_plus

        return {"items": state["runs"].get(unquote_plus(selector), [])}

    monkeypatch.setattr(gate, "prometheus", prometheus)
    monkeypatch.setattr(gate, "kubernetes_get", kubernetes_get)
    return state


def test_retrains_when_a_trigger_fires_and_nothing_holds(world):
    decision, reason = gate.decide(_config(), NOW)
    assert decision == "retrain" and reason.startswith("drift 0.5 > 0.3")
    assert len(world["asked"]) == 2  # scheduled runs and gate-submitted runs are both listed


def test_holds_while_data_quality_fails_even_when_drift_is_high(world):
    world["values"]["QUALITY"] = 0.0
    decision, reason = gate.decide(_config(), NOW)
    assert decision == "hold" and "data quality is failing" in reason
    assert not world["asked"]


def test_holds_when_no_trigger_fires(world):
    world["values"].update({"DRIFT": 0.1, "DROP": None})
    assert gate.decide(_config(), NOW) == ("hold", "no trigger fired")


def test_a_performance_drop_alone_triggers(world):
    world["values"].update({"DRIFT": 0.0, "DROP": 0.08})
    assert gate.decide(_config(), NOW)[0] == "retrain"


def test_holds_within_the_cooldown_of_a_scheduled_run_too(world):
    world["runs"]["workflows.argoproj.io/cron-workflow=fraud-train-fraud"] = [_run("nightly", NOW - timedelta(days=2))]
    decision, reason = gate.decide(_config(), NOW)
    assert decision == "hold" and reason.startswith("cooldown")
    assert gate.decide(_config(cooldown_seconds=86400), NOW)[0] == "retrain"


def test_spend_counts_every_attempt_at_its_node_price_within_this_month(world):
    start = NOW - timedelta(days=10)
    hour = timedelta(hours=1)
    retried = _run("gate-run", start, ("featurize", start, start + hour),
                   ("train", start + hour, start + 3 * hour),          # failed attempt: 2 h
                   ("train", start + 3 * hour, start + 6 * hour))      # retry: 3 h
    last_month = NOW.replace(day=1, hour=0) - 2 * hour
    spanning = _run("nightly", last_month, ("train", last_month, last_month + 4 * hour))  # 2 h fall in this month
    world["runs"]["mlops.dev/retrain-gate=g"] = [retried]
    world["runs"]["workflows.argoproj.io/cron-workflow=fraud-train-fraud"] = [spanning]
    month_start = NOW.replace(day=1, hour=0)
    assert gate.run_spend(_config(), retried, month_start, NOW) == pytest.approx(0.4 + 40 * 5)
    assert gate.run_spend(_config(), spanning, month_start, NOW) == pytest.approx(40 * 2)
    decision, reason = gate.decide(_config(cooldown_seconds=None), NOW)  # 280.4 + 100 <= 500
    assert decision == "retrain"
    decision, reason = gate.decide(_config(cooldown_seconds=None, estimated_run_cost_usd=250.0), NOW)
    assert decision == "hold" and "280.40 USD spent this month by 2 runs" in reason


def test_a_running_attempt_costs_until_now(world):
    running = _run("r", NOW - timedelta(hours=2), ("train", NOW - timedelta(hours=2), None))
    assert gate.run_spend(_config(), running, NOW.replace(day=1), NOW) == pytest.approx(80.0)


def test_waits_until_prometheus_has_this_runs_push(world):
    clock = {"t": 1000.0}
    world["values"]["LAST_DRIFT"] = 900.0  # the previous run's success

    def sleep(seconds):
        clock["t"] += seconds
        if clock["t"] >= 1010:
            world["values"]["LAST_DRIFT"] = 1008.0  # scraped after this run pushed

    gate.wait_for_pushes(_config(), since=1000.0, clock=lambda: clock["t"], sleep=sleep)
    assert clock["t"] == 1010


def test_fails_closed_when_the_push_never_shows(world):
    clock = {"t": 0.0}
    world["values"]["LAST_DRIFT"] = None
    with pytest.raises(gate.GateError, match="no success of drift"):
        gate.wait_for_pushes(_config(), since=1.0, clock=lambda: clock["t"],
                             sleep=lambda s: clock.__setitem__("t", clock["t"] + s))


def test_main_fails_closed_and_decides_nothing_when_prometheus_is_unreachable(tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(_config(prometheus_url="http://127.0.0.1:9")), encoding="utf-8")
    decision = tmp_path / "decision"
    monkeypatch.setenv("MLOPS_GATE_CONFIG", str(config))
    monkeypatch.setenv("MLOPS_GATE_DECISION", str(decision))
    assert gate.main([]) == 1
    assert "cannot decide" in capsys.readouterr().err and not decision.exists()


# --- what the compiler tells the gate ----------------------------------------------------------

def _ctx(env: str | None = "prod") -> Context:
    from backends.kubernetes import context_for

    return context_for(checked(EXAMPLE, env))


def test_steps_are_priced_at_the_whole_node_by_the_plans_pricing():
    ctx = _ctx()
    overrides = {k: float(v) for k, v in ctx.spec.platform.prices.items()}
    pools = ctx.spec.node_pools
    prices = step_node_prices(ctx.spec, "train-fraud")
    assert prices["train"] == node_price(pools["gpu-train"], overrides).per_node_hour  # 8 GPUs, though it asks 1
    assert prices["train"] > 20
    assert prices["featurize"] == node_price(pools["cpu-general"], overrides).per_node_hour
    expected = prices["train"] * 6 + 3 * prices["featurize"] * 1  # train's 6h timeout; 1h for the others
    assert run_cost(ctx.spec, "train-fraud") == pytest.approx(round(expected, 2))
    assert run_cost(ctx.spec, "train-fraud", with_retries=True) == pytest.approx(round(expected + 2 * 6 * prices["train"], 2))


def test_the_gate_counts_scheduled_and_gate_runs_and_waits_for_the_jobs_it_reads():
    ctx = _ctx()
    config = gate_config(ctx, "fraud-api", ctx.spec.monitoring["fraud-api"])
    assert config["run_selectors"] == ["workflows.argoproj.io/cron-workflow=fraud-train-fraud",
                                       "mlops.dev/retrain-gate=fraud-fraud-api-retrain-gate"]
    assert set(config["wait_for"]["queries"]) == {"drift", "estimate"}
    assert 'mlops_job="drift"' in config["wait_for"]["queries"]["drift"]
    assert config["holds"]["data_quality"]["query"].startswith("min(mlops_data_quality_passed{")
    dev = _ctx("dev")  # train-fraud has no schedule in dev: only the gate's own runs exist
    assert gate_config(dev, "fraud-api", dev.spec.monitoring["fraud-api"])["run_selectors"] == [
        "mlops.dev/retrain-gate=fraud-fraud-api-retrain-gate"]
