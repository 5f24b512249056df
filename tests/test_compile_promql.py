"""Every PromQL expression the compiler writes (alerts, autoscaling queries, the retraining gate's
triggers) parses as PromQL, so Prometheus, KEDA and the gate can load it."""
from __future__ import annotations

import pytest

from backends.kubernetes import lower_files
from tests.compile_support import COMPILED, checked, queries

promql_parser = pytest.importorskip("promql_parser")


def _all_queries(path, env):
    for file, objects in lower_files(checked(path, env)).items():
        for obj in objects:
            yield from queries(obj, f"{file}:{obj['kind']}/{obj['metadata']['name']}")


@pytest.mark.parametrize(("path", "env"), [(p, e) for _, p, e in COMPILED], ids=[i for i, _, _ in COMPILED])
def test_every_generated_query_parses(path, env):
    found = list(_all_queries(path, env))
    problems = []
    for where, expression in found:
        try:
            promql_parser.parse(expression)
        except ValueError as error:
            problems.append(f"{where}: {error}: {expression}")
    assert problems == []


def test_the_example_has_queries_of_every_kind():
    wheres = " ".join(where for where, _ in _all_queries(COMPILED[2][1], "prod"))
    for kind in ("PrometheusRule", "ConfigMap"):
        assert kind in wheres, kind
    # An InferenceService carries a query when KServe's KEDA path scales it on GPU utilisation (mig-pool).
    mig_pool = next(path for name, path, _ in COMPILED if name == "mig-pool")
    assert "InferenceService" in " ".join(where for where, _ in _all_queries(mig_pool, None))


def test_gpu_alerts_match_pods_however_prometheus_labelled_them():
    """dcgm-exporter's `pod` label becomes `exported_pod` when scraped without honorLabels."""
    exprs = [e for _, e in _all_queries(COMPILED[2][1], "prod") if "DCGM_FI_DEV_FB_USED" in e]
    assert exprs
    for expression in exprs:
        assert ('pod=~"fraud-fraud-api-predictor-.*"' in expression or "fraud-merchant-embed" in expression
                or 'pod=~"fraud-train-fraud-[a-z0-9]+-train-[0-9]+"' in expression           # training GPU steps
                or 'pod=~"fraud-embed-merchants-[a-z0-9]+-finetune-[0-9]+"' in expression)
        assert "exported_pod=~" in expression and '"pod", "$1", "exported_pod"' in expression
