"""The reference monitor jobs (`mlops monitor drift|estimate`): statistics against their formulas,
the data contract, the sources (paths refused, KServe logger events), and the command end to end
on generated configs (printing instead of pushing; pushing is in tests/test_monitoring_e2e.py)."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from compiler.cli import main
from compiler.monitor import quality, sources, statistics
from tests import monitor_data


# --- statistics -------------------------------------------------------------------------------

def test_psi_bins_at_the_reference_deciles_and_floors_empty_bins():
    reference = pd.Series(np.arange(1000, dtype=float))
    current = pd.Series(np.full(500, 995.0))  # everything in the top decile
    eps, r = statistics.EPSILON, 0.1
    expected = 9 * (eps - r) * math.log(eps / r) + (1 - r) * math.log(1 / r)
    assert statistics.drift_score(reference, current, "psi") == pytest.approx(expected, rel=1e-9)
    assert len(statistics.decile_edges(reference.to_numpy())) == statistics.BINS - 1


def test_psi_of_the_same_distribution_is_small():
    rng = np.random.default_rng(3)
    a, b = pd.Series(rng.normal(size=20000)), pd.Series(rng.normal(size=20000))
    assert statistics.drift_score(a, b, "psi") < 0.01


def test_ks_is_the_largest_cdf_gap():
    reference = pd.Series(np.arange(100, dtype=float))
    assert statistics.drift_score(reference, reference + 50, "ks") == pytest.approx(0.5)


def test_wasserstein_is_normed_by_the_reference_spread():
    reference = pd.Series(np.arange(100, dtype=float))
    shift = 10.0
    assert statistics.drift_score(reference, reference + shift, "wasserstein") == pytest.approx(
        shift / float(np.std(reference.to_numpy())))


def test_jensen_shannon_is_a_distance_in_0_1():
    same = pd.Series(["a", "b"] * 50)
    assert statistics.drift_score(same, same, "jensen_shannon") == pytest.approx(0.0, abs=1e-12)
    assert statistics.drift_score(pd.Series(["a"] * 10), pd.Series(["b"] * 10), "jensen_shannon") == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["ks", "wasserstein"])
def test_categorical_ks_and_wasserstein_are_the_total_variation_distance(method):
    reference = pd.Series(["a", "b"] * 50)
    current = pd.Series(["a"] * 100)
    assert statistics.drift_score(reference, current, method) == pytest.approx(0.5)


def test_empty_side_is_an_error_not_a_score():
    with pytest.raises(statistics.DriftError):
        statistics.drift_score(pd.Series([1.0, 2.0]), pd.Series([np.nan]), "psi")


# --- data contract --------------------------------------------------------------------------

CONTRACT = {"min_rows": 3, "columns": {
    "amount": {"type": "float", "nullable": False, "min": 0, "max": 10},
    "category": {"type": "string", "allowed": ["a", "b"], "max_null_fraction": 0.25},
    "ts": {"type": "timestamp"}}}


def test_a_window_that_meets_the_contract_passes():
    rows = pd.DataFrame({"amount": [1.0, 2.0, 3.0, 4.0], "category": ["a", "b", None, "a"],
                         "ts": ["2026-01-01T00:00:00Z"] * 4})
    assert quality.contract_problems(rows, CONTRACT) == []


def test_every_break_of_the_contract_is_reported():
    rows = pd.DataFrame({"amount": [1.0, None], "category": ["a", "z"]})
    problems = quality.contract_problems(rows, CONTRACT)
    assert any("2 rows" in p for p in problems)
    assert any(p.startswith("amount: 50.0% nulls") for p in problems)
    assert "category: unexpected values z" in problems
    assert "ts: missing" in problems
    over = quality.contract_problems(pd.DataFrame({"amount": [11.0] * 3, "category": ["a"] * 3, "ts": [0] * 3}),
                                     CONTRACT)
    assert over == ["amount: 11 is above the maximum 10"]


def test_freshness_compares_the_newest_row_with_now():
    assert quality.freshness_problem(1000.0, 1100.0, 200) is None
    assert "300 s old" in quality.freshness_problem(800.0, 1100.0, 200)
    assert quality.freshness_problem(None, 1100.0, 200) == "no row has an event time"


# --- sources --------------------------------------------------------------------------------

@pytest.mark.parametrize("uri", ["/proc/self/environ", "/var/run/secrets/kubernetes.io/serviceaccount/token",
                                 "file:///etc/passwd", "s3://bucket/../x", "http://example.com/data.csv",
                                 "/data/..", "file://host/data"])
def test_untrusted_paths_are_refused(uri):
    with pytest.raises(sources.SourceError, match="refusing data path"):
        sources.read_table(uri, "csv")


def test_a_symlink_into_a_system_directory_is_refused(tmp_path):
    link = tmp_path / "data.csv"
    link.symlink_to("/proc/self/status")
    with pytest.raises(sources.SourceError, match="under a system directory"):
        sources.read_table(str(link), "csv")


def test_directories_of_csv_and_jsonl_are_read_recursively(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    pd.DataFrame({"x": [1, 2], "timestamp": [10, 20]}).to_csv(tmp_path / "a" / "one.csv", index=False)
    pd.DataFrame({"x": [3], "timestamp": [30]}).to_csv(tmp_path / "a" / "b" / "two.csv", index=False)
    table = sources.read_table(f"file://{tmp_path}/a", "csv")
    assert sorted(table.rows["x"]) == [1, 2, 3]
    rows, newest = sources.window(table, "timestamp", 15, 30)
    assert list(rows["x"]) == [2] and newest == 30
    (tmp_path / "log.jsonl").write_text('{"x": 1, "timestamp": "2026-01-01T00:00:00Z"}\n')
    assert sources.read_table(str(tmp_path / "log.jsonl"), "jsonl").rows["x"].tolist() == [1]


def test_kserve_logger_events_become_one_row_per_instance(tmp_path):
    events = [
        {"specversion": "1.0", "id": "r1", "type": sources.CE_REQUEST, "time": "2026-03-01T10:00:00Z",
         "data": {"instances": [{"amount": 5.0, "merchant_category": "travel"},
                                {"amount": 7.0, "merchant_category": "fuel"}]}},
        {"specversion": "1.0", "id": "r1", "type": sources.CE_RESPONSE, "time": "2026-03-01T10:00:00Z",
         "data": {"predictions": [0.9, 0.1]}},
        {"specversion": "1.0", "id": "r2", "type": sources.CE_REQUEST, "time": "2026-03-01T10:05:00Z",
         "data": json.dumps({"inputs": [{"name": "amount", "shape": [1, 1], "datatype": "FP32", "data": [3.0]}]})},
    ]
    (tmp_path / "sink.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    rows = sources.read_table(str(tmp_path), "kserve-logger", prediction_column="score").rows
    assert rows["amount"].tolist() == [5.0, 7.0, 3.0]
    assert rows["score"].tolist()[:2] == [0.9, 0.1]
    assert sources.epoch_seconds(rows["timestamp"]).tolist()[0] == pd.Timestamp("2026-03-01T10:00:00Z").timestamp()


# --- the command on generated configs ---------------------------------------------------------

def _metrics(text: str) -> dict[tuple, float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_drift_job_scores_real_drift_and_reports_every_metric(tmp_path, capsys):
    data = monitor_data.write_example_data(tmp_path, drifted=True)
    config = monitor_data.example_config(tmp_path, "drift", data)
    assert main(["monitor", "drift", "--config", str(config), "--now", str(data.now), "--no-push"]) == 0
    out = _metrics(capsys.readouterr().out)
    labels = (("mlops_endpoint", "fraud-api"), ("mlops_system", "fraud"))
    scores = {dict(k[1])["feature"]: v for k, v in out.items() if k[0] == "mlops_drift_score"}
    assert set(scores) == {"amount", "merchant_category"} and min(scores.values()) > 0.2
    assert out[("mlops_data_quality_passed", labels)] == 1.0
    assert out[("mlops_data_newest_timestamp_seconds", labels)] == pytest.approx(data.newest)
    assert ("mlops_monitor_last_success_timestamp_seconds", (*labels[:1], ("mlops_job", "drift"), labels[1])) in out


def test_drift_job_without_drift_scores_low(tmp_path, capsys):
    data = monitor_data.write_example_data(tmp_path, drifted=False)
    config = monitor_data.example_config(tmp_path, "drift", data)
    assert main(["monitor", "drift", "--config", str(config), "--now", str(data.now), "--no-push"]) == 0
    scores = [v for k, v in _metrics(capsys.readouterr().out).items() if k[0] == "mlops_drift_score"]
    assert len(scores) == 2 and max(scores) < 0.1


def test_a_broken_contract_is_pushed_as_failed_and_the_job_does_not_succeed(tmp_path, capsys):
    data = monitor_data.write_example_data(tmp_path, drifted=True, broken=True)
    config = monitor_data.example_config(tmp_path, "drift", data)
    assert main(["monitor", "drift", "--config", str(config), "--now", str(data.now), "--no-push"]) == 0
    captured = capsys.readouterr()
    assert "data quality: amount: " in captured.err
    out = _metrics(captured.out)
    assert out[("mlops_data_quality_passed", (("mlops_endpoint", "fraud-api"), ("mlops_system", "fraud")))] == 0.0


def test_an_empty_window_fails_without_a_last_success(tmp_path, capsys):
    data = monitor_data.write_example_data(tmp_path, drifted=True)
    config = monitor_data.example_config(tmp_path, "drift", data)
    assert main(["monitor", "drift", "--config", str(config), "--now", str(data.now + 30 * 86400), "--no-push"]) == 1
    captured = capsys.readouterr()
    assert "has no rows" in captured.err
    assert "mlops_monitor_last_success_timestamp_seconds{" not in captured.out
    assert "mlops_data_quality_passed" in captured.out  # stale data fails the freshness bound, and says so


def test_estimate_job_pushes_cbpe_estimate_and_drop(tmp_path, capsys):
    data = monitor_data.write_example_data(tmp_path, drifted=True)
    config = monitor_data.example_config(tmp_path, "estimate", data)
    assert main(["monitor", "estimate", "--config", str(config), "--now", str(data.now), "--no-push"]) == 0
    out = _metrics(capsys.readouterr().out)
    (key, estimate), = [(k, v) for k, v in out.items() if k[0] == "mlops_estimated_performance"]
    assert dict(key[1])["estimator"] == "cbpe" and dict(key[1])["metric"] == "roc_auc" and 0.5 < estimate <= 1
    drops = [v for k, v in out.items() if k[0] == "mlops_estimated_performance_drop_ratio"]
    assert len(drops) == 1 and -1 < drops[0] < 1


def test_dle_estimates_a_regression_error(tmp_path):
    from compiler.monitor.estimation import estimate

    rng = np.random.default_rng(5)
    x = rng.normal(size=3000)
    reference = pd.DataFrame({"x": x, "prediction": 2 * x, "label": 2 * x + rng.normal(0, 0.1 + np.abs(x), 3000)})
    wide = rng.normal(0, 2.5, 1000)
    current = pd.DataFrame({"x": wide, "prediction": 2 * wide})
    config = {"estimator": "dle", "metric": "mae", "features": ["x"],
              "columns": {"prediction": "prediction", "score": "score", "target": "label"}}
    estimated, realized, drop = estimate(config, reference, current)
    assert estimated > realized and drop == pytest.approx((estimated - realized) / realized) and drop > 0.3


def test_the_command_refuses_a_config_it_cannot_read(tmp_path, capsys):
    assert main(["monitor", "drift", "--config", str(tmp_path / "nope.json")]) == 2
    (tmp_path / "bad.json").write_text("{}")
    assert main(["monitor", "drift", "--config", str(tmp_path / "bad.json")]) == 2
    assert "not a monitor job config" in capsys.readouterr().err
