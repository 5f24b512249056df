"""Pushing the monitor jobs' metrics to the Pushgateway, under the names and labels the config gives.

No sample carries a timestamp: the Pushgateway refuses such a push with HTTP 400 ("pushed metrics
must not have timestamps", prometheus/pushgateway storage/diskmetricstore.go `errTimestamp`, checked
against Debian's 1.5.1 binary by tests/test_monitoring_e2e.py). Time reaches Prometheus as values:
`mlops_data_newest_timestamp_seconds` (the newest row's event time) and
`mlops_monitor_last_success_timestamp_seconds` (when the job finished), which alerts compare with
`time()`; the Pushgateway adds `push_time_seconds` to each group. Each job's group (job,
mlops_system, mlops_endpoint, mlops_job) is replaced as a whole (HTTP PUT) by a complete run, so a
feature dropped from the spec disappears with the next run instead of keeping its last score.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    metric: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)
    help: str = ""


def registry_of(samples: list[Sample], base_labels: dict[str, str]):
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    gauges: dict[str, Gauge] = {}
    for sample in samples:
        labels = {**base_labels, **sample.labels}
        gauge = gauges.get(sample.metric)
        if gauge is None:
            gauge = gauges[sample.metric] = Gauge(sample.metric, sample.help or sample.metric, sorted(labels),
                                                  registry=registry)
        gauge.labels(**labels).set(sample.value)
    return registry


def exposition(samples: list[Sample], base_labels: dict[str, str]) -> str:
    from prometheus_client import generate_latest

    return generate_latest(registry_of(samples, base_labels)).decode("utf-8")


def push(samples: list[Sample], config: dict, *, complete: bool) -> None:
    """A complete run PUTs its group (replacing the previous run's); a failed one POSTs what it measured.

    POST replaces only the metrics pushed, so after a failed run the previous last-success time
    stays (and ages, which is what shows the job failing) instead of vanishing with the group.
    """
    from prometheus_client import push_to_gateway, pushadd_to_gateway

    grouping = dict(config["push"]["grouping"])
    job = grouping.pop("job")
    send = push_to_gateway if complete else pushadd_to_gateway
    send(config["push"]["url"], job=job, grouping_key=grouping,
         registry=registry_of(samples, config["metrics"]["labels"]), timeout=30)
