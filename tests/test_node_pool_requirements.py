"""The NodePool of each pool keeps exactly the instance types meant for it (Karpenter's requirement matching,
re-implemented in tests/admission/karpenter.py, on the facts of compiler/instance_types.py)."""
from __future__ import annotations

import pytest

from backends.kubernetes import lower
from compiler import gpu_catalogue, instance_types
from compiler.checked_spec import check_bytes
from tests.admission.karpenter import pool_of

ON_EC2 = [acc for acc in gpu_catalogue.ACCELERATORS.values() if acc.aws_instance_types]


def node_pool(pool: str) -> dict:
    spec = ("apiVersion: mlops/v1\nkind: System\nmetadata: {name: t, namespace: t}\nplatform: {cloud: aws}\n"
            f"node_pools:\n  p: {pool}\n")
    return next(o for o in lower(check_bytes(spec.encode(), "mlops.yaml")) if o["kind"] == "NodePool")


@pytest.mark.parametrize("acc", ON_EC2, ids=lambda a: a.key)
def test_a_gpu_pool_launches_only_its_accelerator(acc) -> None:
    count = instance_types.get(acc.aws_instance_types[0]).gpu_count
    kept = pool_of(node_pool(f"{{accelerator: {acc.key}, gpus_per_node: {count}, nodes: {{max: 1}}}}")).instance_types
    memory = instance_types.gpu_memory_mib(acc.aws_instance_types)
    assert kept, f"{acc.key}: the NodePool keeps no instance type"
    assert all((row.gpu_name, row.gpu_memory_mib, row.gpu_count) == (acc.aws_gpu_name, memory, count) for row in kept), \
        [row.name for row in kept]


def test_an_a100_80gb_pool_cannot_launch_a100_40gb_instances() -> None:
    kept = {row.name for row in pool_of(node_pool("{accelerator: a100-80gb, gpus_per_node: 8, nodes: {max: 1}}"))
            .instance_types}
    assert kept == {"p4de.24xlarge"}


def test_a_cpu_pool_launches_no_gpu_instance_type() -> None:
    kept = pool_of(node_pool("{nodes: {max: 1}}")).instance_types
    assert kept and not any(row.gpu_name for row in kept)
    assert {row.category for row in kept} <= {"c", "m", "r"}
