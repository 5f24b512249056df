"""Unit tests of the plan's parts on hand-written objects: pairing, field diffs, YAML diffs, costs, graphs."""
from __future__ import annotations

import copy

import pytest

from compiler.plan.costs import CPU_INSTANCE_PRICES, HOURS_PER_MONTH, cost_lines, node_price, pool_costs, totals
from compiler.plan.object_diff import MISSING, canonical_dump, dotted_path, field_changes, pair_objects
from compiler.plan.yaml_diff import diff_lines, scalar, to_yaml


def _isvc(name: str, replicas: int = 2, **annotations: str) -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": name, "namespace": "ml", "annotations": {"mlops.dev/spec-path": f"serving.{name}",
                                                                     **annotations}},
        "spec": {"predictor": {"minReplicas": replicas,
                               "containers": [{"name": "main", "image": "i:1", "args": ["--port", "8080"]},
                                              {"name": "sidecar", "image": "s:1"}]}},
    }


def test_pairing_classifies_every_object_by_identity():
    old = [_isvc("a"), _isvc("b"), _isvc("c")]
    new = [_isvc("c", replicas=3), _isvc("b"), _isvc("d")]
    actions = {change.key[3]: change.action for change in pair_objects(old, new)}
    assert actions == {"a": "removed", "b": "unchanged", "c": "changed", "d": "added"}


def test_same_name_in_another_namespace_or_kind_is_another_object():
    moved = copy.deepcopy(_isvc("a"))
    moved["metadata"]["namespace"] = "other"
    actions = sorted(change.action for change in pair_objects([_isvc("a")], [moved]))
    assert actions == ["added", "removed"]


def test_key_order_and_named_list_order_are_not_changes():
    new = _isvc("a")
    new["spec"]["predictor"]["containers"].reverse()
    new["spec"] = dict(reversed(list(new["spec"].items())))
    new["metadata"] = dict(reversed(list(new["metadata"].items())))
    assert canonical_dump(_isvc("a")) == canonical_dump(new)
    assert [c.action for c in pair_objects([_isvc("a")], [new])] == ["unchanged"]


def test_ordered_lists_keep_their_order():
    new = _isvc("a")
    new["spec"]["predictor"]["containers"][0]["args"].reverse()
    (change,) = pair_objects([_isvc("a")], [new])
    assert change.action == "changed"
    assert [c.dotted for c in change.changes] == ["spec.predictor.containers[name=main].args"]


def test_the_spec_file_annotation_is_not_a_change():
    old = _isvc("a", **{"mlops.dev/spec-file": "mlops.yaml"})
    new = _isvc("a", **{"mlops.dev/spec-file": "base.yaml"})
    assert [c.action for c in pair_objects([old], [new])] == ["unchanged"]


def test_field_changes_name_the_changed_leaves_only():
    new = _isvc("a", replicas=3, **{"mlops.dev/model-version": "8"})
    new["spec"]["predictor"]["containers"][1]["image"] = "s:2"
    new["spec"]["predictor"]["containers"].append({"name": "extra", "image": "e:1"})
    changes = field_changes(_isvc("a", **{"mlops.dev/model-version": "7"}), new)
    assert [(c.dotted, c.old, c.new) for c in changes] == [
        ('metadata.annotations["mlops.dev/model-version"]', "7", "8"),
        ("spec.predictor.containers[name=extra]", MISSING, {"name": "extra", "image": "e:1"}),
        ("spec.predictor.containers[name=sidecar].image", "s:1", "s:2"),
        ("spec.predictor.minReplicas", 2, 3),
    ]


def test_minimal_yaml_diff_shows_changed_keys_with_their_ancestors():
    new = _isvc("a", replicas=3)
    new["spec"]["predictor"]["containers"][1]["image"] = "s:2"
    lines = diff_lines(field_changes(_isvc("a"), new))
    assert lines == [
        " spec:",
        "   predictor:",
        "     containers:",
        "       - name: sidecar",
        "-        image: s:1",
        "+        image: s:2",
        "-    minReplicas: 2",
        "+    minReplicas: 3",
    ]


def test_changed_embedded_text_shows_changed_lines_not_the_whole_text():
    old = {"data": {"config.json": "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3,\n  \"d\": 4,\n  \"e\": 5\n}\n"}}
    new = copy.deepcopy(old)
    new["data"]["config.json"] = new["data"]["config.json"].replace('"e": 5', '"e": 6')
    lines = diff_lines(field_changes(old, new))
    assert lines[:2] == [" data:", "   config.json: |"]
    assert '-      "e": 5' in lines and '+      "e": 6' in lines
    assert not any('"a"' in line for line in lines)


@pytest.mark.parametrize("value, text", [
    ("plain", "plain"), ("8080", '"8080"'), ("yes", '"yes"'), ("n", '"n"'), ("a: b", '"a: b"'), ("", '""'),
    ("1.5", '"1.5"'), ("10m", "10m"), ("sha256:abc", "sha256:abc"), (None, "null"), (True, "true"), (3, "3"),
])
def test_scalars_read_back_as_what_they_are(value, text):
    assert scalar(value) == text


def test_to_yaml_reads_back_with_a_yaml_parser():
    yaml = pytest.importorskip("yaml")
    obj = _isvc("a", **{"note": "x: y", "multi": "line one\nline two\n", "num": "007"})
    assert yaml.safe_load(to_yaml(obj)) == obj


def test_dotted_paths():
    assert dotted_path(("spec", ("name", "main"), "env", 0)) == "spec[name=main].env[0]"


# --- costs ------------------------------------------------------------------------------------

def _spec(text: str):
    from compiler.checked_spec import check_bytes

    base = ("apiVersion: mlops/v1\nkind: System\nmetadata: {name: s, namespace: n}\n")
    return check_bytes((base + text).encode(), "mlops.yaml").spec


def test_gpu_pool_cost_is_nodes_times_gpus_times_catalogue_price():
    spec = _spec("node_pools:\n  p: {accelerator: a10g, gpus_per_node: 4, nodes: {min: 1, max: 3}}\n")
    (cost,) = pool_costs(spec).values()
    assert cost.price.source == "catalogue"
    assert cost.monthly_min == round(1 * 4 * 1.006 * HOURS_PER_MONTH, 2)
    assert cost.monthly_max == round(3 * 4 * 1.006 * HOURS_PER_MONTH, 2)
    assert (cost.gpus_min, cost.gpus_max) == (4, 12)


def test_platform_prices_override_per_gpu_and_per_instance_type():
    spec = _spec("platform: {prices: {a10g: 0.5, g5.12xlarge: 4.0}}\n"
                 "node_pools:\n"
                 "  p: {accelerator: a10g, gpus_per_node: 4, nodes: {max: 1}}\n"
                 "  q: {accelerator: a10g, gpus_per_node: 4, nodes: {max: 1}, instance_types: [g5.12xlarge]}\n")
    costs = pool_costs(spec)
    assert (costs["p"].price.per_node_hour, costs["p"].price.source) == (2.0, "platform.prices.a10g")
    assert (costs["q"].price.per_node_hour, costs["q"].price.source) == (4.0, "platform.prices.g5.12xlarge")


def test_cpu_pools_are_priced_by_instance_type_or_unknown():
    spec = _spec("node_pools:\n"
                 "  known: {nodes: {min: 2, max: 2}, instance_types: [m7i.2xlarge]}\n"
                 "  mystery: {nodes: {min: 1, max: 1}, instance_types: [x9.huge]}\n")
    costs = pool_costs(spec)
    assert costs["known"].monthly_min == round(2 * CPU_INSTANCE_PRICES["m7i.2xlarge"] * HOURS_PER_MONTH, 2)
    assert costs["mystery"].monthly_min is None
    assert totals(cost_lines(None, spec), "after") == (costs["known"].monthly_min, costs["known"].monthly_max, 1)


def test_a_removed_pool_has_a_negative_delta():
    before = _spec("node_pools:\n  p: {accelerator: l4, nodes: {min: 1, max: 2}}\n")
    after = _spec("node_pools: {}\n")
    (line,) = cost_lines(before, after)
    low, high = line.delta()
    assert line.after is None and low < 0 and high < 0


def test_node_price_basis_says_how_it_was_computed():
    spec = _spec("node_pools:\n  p: {accelerator: l4, gpus_per_node: 2, nodes: {max: 1}}\n")
    price = node_price(spec.node_pools["p"], {})
    assert price.basis == "2 × l4 at $0.8048/GPU-h"


def test_the_plan_says_where_each_lineage_fact_comes_from():
    """docs/traps.md, "Lineage that is only declared": a hand-declared fact is marked as such in the review."""
    from compiler.plan.markdown import _models
    from compiler.plan.report import ModelChange, ModelSide

    keys = ("data_version", "preprocessing_version", "code_version")
    before = ModelSide("m", 1, None, "lock", "s3://b/m/1", dict.fromkeys(keys, "x"), dict.fromkeys(keys, "version-tag"))
    after = ModelSide("m", 2, None, "lock", "s3://b/m/2", {**dict.fromkeys(keys, "x"), "data_version": "s3://d/2"},
                      {"data_version": "spec", "preprocessing_version": "version-tag", "code_version": "run-tag"})
    text = "\n".join(_models([ModelChange("m", ("api",), before, after, [])], "###"))
    assert "data_version: `x` → `s3://d/2` (declared in the spec, not in the registry)" in text
    assert "preprocessing_version: `x` (registry version tag)" in text
    assert "code_version: `x` (registry run tag)" in text


# --- the cost floor follows the workloads ------------------------------------------------------

_COST_SPEC = """apiVersion: mlops/v1
kind: System
metadata: {name: t, namespace: t}
runtimes: {serve: {image: "ghcr.io/acme/serve:1.0.0"}}
models: {m: {version: 1, format: pytorch}}
node_pools:
  big: {accelerator: a100-80gb, gpus_per_node: 8, nodes: {min: 0, max: 4}, instance_types: [p4de.24xlarge]}
  idle: {accelerator: h100-80gb, gpus_per_node: 8, nodes: {min: 1, max: 2}, instance_types: [p5.48xlarge]}
serving:
  api:
    model: m
    runtime: serve
    replicas: {min: MIN, max: 8}
    autoscale: {metric: concurrency, target: 4}
    resources: {cpu: 8, memory: 64Gi, gpu: 4, pool: big}
"""


def _pool_costs(min_replicas: int):
    from compiler.checked_spec import check_bytes
    from compiler.plan.costs import pool_costs

    return pool_costs(check_bytes(_COST_SPEC.replace("MIN", str(min_replicas)).encode(), "mlops.yaml").spec)


def test_an_endpoints_minimum_replicas_set_the_pools_monthly_floor():
    """Raising min replicas of 4-GPU replicas on 8-GPU nodes keeps more nodes up, with no pool limit changed."""
    from compiler.plan.costs import HOURS_PER_MONTH, cost_lines
    from compiler.checked_spec import check_bytes

    two, four = _pool_costs(2)["big"], _pool_costs(4)["big"]
    assert (two.nodes_min, two.floor_nodes, four.floor_nodes) == (0, 1, 2)
    per_node = two.price.per_node_hour
    assert two.monthly_min == round(per_node * HOURS_PER_MONTH, 2) and four.monthly_min == round(2 * per_node * HOURS_PER_MONTH, 2)
    assert four.monthly_max == two.monthly_max == round(4 * per_node * HOURS_PER_MONTH, 2)
    assert "api: 4 replicas × 4 nvidia.com/gpu" in four.drivers and "ceiling: nodes.max 4" in four.drivers
    lines = cost_lines(*(check_bytes(_COST_SPEC.replace("MIN", n).encode(), "mlops.yaml").spec for n in ("2", "4")))
    (big,) = [line for line in lines if line.pool == "big"]
    assert big.changed and abs(big.delta()[0] - per_node * HOURS_PER_MONTH) < 0.02 and big.delta()[1] == 0


def test_a_pool_minimum_keeps_a_whole_node_up_and_says_so():
    idle = _pool_costs(2)["idle"]
    assert idle.floor_nodes == 1 and idle.gpus_min == 8
    assert idle.monthly_min is not None and idle.monthly_min > 0
    assert idle.drivers[0] == "nodes.min 1 keeps 1 node up"


def test_scale_to_zero_keeps_no_node_up():
    big = _pool_costs(0)["big"]
    assert big.floor_nodes == 0 and big.monthly_min == 0
