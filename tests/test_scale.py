"""Stages that must stay linear in spec size, checked by counting the work they do (not timing it).

Each test runs one stage on synthetic specs of N and 10 N endpoints (bench/synthetic_spec.py)
and counts the Python bytecode instructions executed in the stage's own modules (every loop
iteration, comprehensions included). A linear stage does ~10x the work at 10 N; the quadratic
versions these tests were written against did 40-100x.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from bench.synthetic_spec import synthetic_yaml
from compiler.checked_spec import check_bytes
from compiler.loader import load_bytes

SMALL, LARGE = 12, 120
#: time(10 N) / time(N) of a linear stage: 10, plus what does not grow with N (imports, set-up).
LINEAR_BOUND = 13


def opcodes(call: Callable[[], object], files: tuple[str, ...]) -> int:
    """Bytecode instructions `call` executes in frames whose code lives in `files` (path suffixes)."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "opcode":
            count += 1
        return local

    def trace(frame, event, arg):
        if frame.f_code.co_filename.endswith(files):
            frame.f_trace_opcodes = True
            return local
        return None

    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def growth(work: Callable[[int], int]) -> float:
    return work(LARGE) / work(SMALL)


def test_an_overlay_that_overrides_every_endpoint_does_linear_work() -> None:
    from compiler.overlays import apply_overlay

    def work(n: int) -> int:
        document = load_bytes(synthetic_yaml(n, overridden=True).encode(), "mlops.yaml")
        return opcodes(lambda: apply_overlay(document.data, document.source_map, "prod"),
                       ("compiler/overlays.py", "compiler/source_map.py"))

    assert growth(work) <= LINEAR_BOUND


def test_an_overlay_keeps_positions_of_what_it_overrides_and_of_the_rest() -> None:
    from compiler.overlays import apply_overlay

    document = load_bytes(synthetic_yaml(3, overridden=True).encode(), "mlops.yaml")
    data, source_map = apply_overlay(document.data, document.source_map, "prod")
    original = document.source_map
    overridden = ("serving", "ep-1", "replicas", "max")
    assert data["serving"]["ep-1"]["replicas"] == {"min": 3, "max": 12}
    assert source_map.key(("serving", "ep-1", "replicas")) == original.key(("environments", "prod", "serving", "ep-1",
                                                                            "replicas"))
    assert source_map.value(overridden) == original.value(("environments", "prod") + overridden)
    kept = ("serving", "ep-1", "resources", "memory")  # a sibling of an overridden field, from the base
    assert source_map.value(kept) == original.value(kept)
    assert document.data["serving"]["ep-1"]["replicas"] == {"min": 2, "max": 10}  # the base is left as loaded


@pytest.mark.parametrize("code", ["SKEW001", "SKEW005"])
def test_skew_rules_do_linear_work(code) -> None:
    from compiler.lint.engine import lint

    def work(n: int) -> int:
        checked = check_bytes(synthetic_yaml(n).encode(), "mlops.yaml", "prod")
        return opcodes(lambda: lint(checked, select={code}),
                       ("compiler/lint/rules/skew.py", "compiler/lint/relations.py"))

    assert growth(work) <= LINEAR_BOUND


def test_the_synthetic_overlay_really_overrides_every_endpoint() -> None:
    document = load_bytes(synthetic_yaml(SMALL, overridden=True).encode(), "mlops.yaml")
    prod = document.data["environments"]["prod"]
    assert set(prod["serving"]) == set(document.data["serving"])


def test_plan_pairing_canonicalises_only_what_differs(monkeypatch) -> None:
    from compiler.plan import object_diff

    def objects(replicas: int) -> list[dict]:
        return [{"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                 "metadata": {"name": f"ep-{i}", "namespace": "ml", "annotations": {"mlops.dev/spec-file": "a.yaml"}},
                 "spec": {"predictor": {"minReplicas": replicas if i == 7 else 2,
                                        "containers": [{"name": "c", "env": [{"name": "A", "value": "1"}]}]}}}
                for i in range(500)]

    calls = []
    real = object_diff._canonical
    monkeypatch.setattr(object_diff, "_canonical", lambda value, path: calls.append(path) or real(value, path))
    pairs = object_diff.pair_objects(objects(2), objects(3))
    changed = [p for p in pairs if p.action == "changed"]
    assert [(p.key[3], [c.dotted for c in p.changes]) for p in changed] == [("ep-7", ["spec.predictor.minReplicas"])]
    # The changed scalar on each side; the 499 equal objects were compared, not copied or dumped.
    assert calls == [("spec", "predictor", "minReplicas")] * 2
