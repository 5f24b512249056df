"""Synthetic mlops.yaml specs of any size, for the compile-scaling benchmark and for tests.

`synthetic_spec(n)` returns the spec as plain data: N endpoints (each with its own model and a
monitor; even-numbered ones serve on a GPU pool), N/4 pipelines (at least one) of 6 steps each, a
few shared runtimes, feature views and node pools, and two environments. Everything is pinned by
`version:` (no lock needed) and derived from N alone, so the same N always gives the same bytes.

With `overridden=True` the prod overlay overrides every endpoint's replicas (the case where
overlays used to cost spec size x overridden fields).

`synthetic_yaml(n)` renders it as block-style YAML like a person writes it;
`write_synthetic_spec(path, n)` writes that file. `change_one_thing(text)` returns the text with
one endpoint's replica maximum changed (what the plan benchmark reviews).

    python -m bench.synthetic_spec 1000 > /tmp/mlops-1000.yaml
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from compiler.yaml_emitter import scalar

STEPS = ("validate-data", "featurize", "train", "evaluate", "register", "report")
GPU_POOL = "gpu-serve"
MIG_POOL = "gpu-mig"
TRAIN_POOL = "gpu-train"
CPU_POOL = "cpu-general"
MAX_NODES = 1000  # the spec's bound on nodes.max


def counts(n: int) -> dict[str, int]:
    """How many of each section a spec of N endpoints has."""
    return {"endpoints": n, "monitors": n, "models": n, "gpu_endpoints": (n + 1) // 2,
            "pipelines": max(1, n // 4), "steps": 6 * max(1, n // 4)}


def synthetic_spec(n: int, overridden: bool = False) -> dict[str, Any]:
    if n < 1:
        raise ValueError("n is at least 1")
    pipelines = max(1, n // 4)
    views = {f"view-{v}": {"entities": [f"entity_{v}"], "timestamp_field": "event_ts", "ttl": "7d"}
             for v in range(min(8, n))}
    view_names = list(views)
    spec: dict[str, Any] = {
        "apiVersion": "mlops/v1",
        "kind": "System",
        "metadata": {"name": "synth", "namespace": "synth-ml", "owner": "team-synth",
                     "labels": {"cost-center": "bench"}},
        "platform": {
            "cloud": "aws",
            "kubernetes": "1.31",
            "serving_mode": "standard",
            "alerts": {"receivers": {"team-synth": {"slack": {"channel": "#synth-alerts",
                                                                     "secret": "alerting/slack-webhook-url"}},
                                     "pagerduty-synth": {"pagerduty": {"secret": "alerting/pd-key"}}}},
        },
        "runtimes": {
            "train": {"image": "ghcr.io/acme/synth-train@sha256:" + "4f1c2b7e" * 8,
                      "packages": ["xgboost==2.1.1", "acme-features==1.0.0"]},
            "serve": {"image": "ghcr.io/acme/synth-serve:1.0.0",
                      "packages": ["xgboost==2.1.1", "acme-features==1.0.0"]},
            "monitor": {"image": "ghcr.io/acme/synth-monitor@sha256:" + "9b0e4c1d" * 8,
                        "packages": ["evidently==0.7.23"]},
        },
        "preprocessing": {"features": {"package": "acme-features", "version": "1.0.0",
                                       "entrypoint": "acme_features:transform"}},
        "features": {"store": "feast", "views": views},
        "models": {},
        "node_pools": {
            TRAIN_POOL: {"accelerator": "a100-80gb", "gpus_per_node": 8, "capacity": "spot",
                         "nodes": {"min": 0, "max": max(2, pipelines // 8)}, "instance_types": ["p4de.24xlarge"]},
            GPU_POOL: {"accelerator": "l4", "gpus_per_node": 1, "sharing": {"time_slicing": {"replicas": 4}},
                       "nodes": {"min": 1, "max": min(MAX_NODES, max(4, n))}, "instance_types": ["g6.xlarge", "g6.2xlarge"]},
            MIG_POOL: {"accelerator": "h100-80gb", "gpus_per_node": 8,
                       "sharing": {"mig": {"layout": {"1g.10gb": 4, "3g.40gb": 1}}},
                       "nodes": {"min": 0, "max": max(1, n // 50)}, "instance_types": ["p5.48xlarge"]},
            CPU_POOL: {"nodes": {"min": 1, "max": min(MAX_NODES, max(10, n))}, "instance_types": ["m7i.2xlarge"], "taint": False},
        },
        "pipelines": {},
        "serving": {},
        "monitoring": {},
        "environments": {
            "dev": {"node_pools": {GPU_POOL: {"nodes": {"min": 0, "max": 2}}},
                    "serving": {"ep-0": {"replicas": {"min": 1, "max": 2}}}},
            "prod": {"node_pools": {GPU_POOL: {"nodes": {"min": 2}}},
                     "serving": {"ep-0": {"replicas": {"min": 3}}}},
        },
    }
    for p in range(pipelines):
        name = f"train-{p}"
        view = view_names[p % len(view_names)]
        registers = f"model-{p}" if p < n else None
        steps = {
            "validate-data": {"command": ["python", "-m", "synth.validate"],
                              "resources": {"cpu": 1, "memory": "2Gi", "pool": CPU_POOL}},
            "featurize": {"after": ["validate-data"], "command": ["python", "-m", "synth.featurize"],
                          "preprocessing": "features", "features": {"views": [view], "point_in_time": True},
                          "resources": {"cpu": 4, "memory": "16Gi", "pool": CPU_POOL}},
            "train": {"after": ["featurize"], "command": ["python", "-m", "synth.train", "--pipeline", name],
                      "resources": {"cpu": 8, "memory": "64Gi", "gpu": 1, "pool": TRAIN_POOL},
                      "timeout": "6h", "retries": 2},
            "evaluate": {"after": ["train"], "command": ["python", "-m", "synth.evaluate"],
                         "resources": {"cpu": 2, "memory": "8Gi", "pool": CPU_POOL}, "timeout": "1h"},
            "register": {"after": ["evaluate"], "command": ["python", "-m", "synth.register"],
                         "resources": {"cpu": "500m", "memory": "1Gi", "pool": CPU_POOL}},
            "report": {"after": ["evaluate"], "command": ["python", "-m", "synth.report"],
                       "resources": {"cpu": "500m", "memory": "1Gi", "pool": CPU_POOL},
                       "env": {"REPORT_BUCKET": "s3://acme-reports/synth"}},
        }
        if registers:
            steps["register"]["registers"] = registers
        spec["pipelines"][name] = {"runtime": "train", "schedule": f"{p % 60} {p % 24} * * *",
                                   "timezone": "UTC", "steps": steps}
    for i in range(n):
        model, endpoint = f"model-{i}", f"ep-{i}"
        gpu = i % 2 == 0
        spec["models"][model] = {
            "registry_name": f"synth-{model}", "version": 1 + i % 7,
            "format": "pytorch" if gpu else "xgboost",
            "size": "2Gi" if gpu else "200Mi",
            "preprocessing": "features", "features": [view_names[i % len(view_names)]],
            "lineage": {"data_version": f"s3://acme-data/synth/{i}", "preprocessing_version": "1.0.0",
                        "code_version": f"{i:07x}"},
        }
        if gpu:
            spec["models"][model]["gpu_memory"] = "6Gi"
        resources: dict[str, Any] = {"cpu": 2, "memory": "8Gi" if gpu else "2Gi"}
        if gpu:
            resources.update({"gpu": 1, "pool": GPU_POOL})
        else:
            resources["pool"] = CPU_POOL
        spec["serving"][endpoint] = {
            "model": model, "runtime": "serve",
            "replicas": {"min": 2, "max": 10},
            "autoscale": {"metric": "concurrency", "target": 8},
            "resources": resources,
            "startup_timeout": "10m" if gpu else "5m",
            "model_cache": gpu,
            "rollout": {"canary_percent": 10 if i % 3 == 0 else 0, "keep_previous": 1 + i % 2},
        }
        monitor: dict[str, Any] = {
            "slo": {"latency_p99": "250ms", "error_rate": "1%", "availability": "99.9%"},
            "business": [{"name": "approval-rate",
                          "query": f'sum(rate(decisions_total{{endpoint="{endpoint}",decision="approve"}}[1h])) '
                                   f'/ sum(rate(decisions_total{{endpoint="{endpoint}"}}[1h]))',
                          "min": 0.8}],
            "drift": {"runtime": "monitor", "command": ["python", "-m", "synth.drift", endpoint],
                      "features": ["amount", "category"], "method": "psi", "threshold": 0.2,
                      "schedule": f"{i % 60} * * * *", "reference": "training",
                      "source": {"path": f"s3://synth-logs/{endpoint}", "format": "parquet"}},
            "ground_truth": {"delay": "30d", "estimation": "cbpe"},
            "data_quality": {"freshness": "2h"},
            "alerts": {"receiver": "pagerduty-synth" if i % 2 else "team-synth"},
        }
        if i < pipelines:
            monitor["retraining"] = {"pipeline": f"train-{i}", "when": {"drift_above": 0.3, "performance_drop": "5%"},
                                     "cooldown": "7d", "max_monthly_cost": 500, "requires_approval": False}
        spec["monitoring"][endpoint] = monitor
    if overridden:  # short entries: at N = 5,000 the spec must stay under the loader's 8 MiB bound
        spec["environments"]["prod"]["serving"] = {f"ep-{i}": {"replicas": {"min": 3, "max": 12}} for i in range(n)}
    return spec


# ---- rendering: block-style YAML, strings quoted only when YAML would read them as something else ----

def _scalar(value: Any) -> str:
    # The project's emitter quotes exactly what a YAML reader would take for something else; its
    # plain scalars carry no flow indicators (`,[]{}`), so they are safe inside flow collections too.
    return scalar(value)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _small(value: Any) -> bool:
    """Short leaf mappings and lists read best in flow style, as the example writes them."""
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    if isinstance(value, dict):
        return len(value) <= 4 and all(not isinstance(v, (dict, list)) for v in value.values())
    return True


def _block(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item and not _small(item):
                out.append(f"{pad}{_scalar(key)}:")
                _block(item, indent + 2, out)
            else:
                out.append(f"{pad}{_scalar(key)}: {_flow(item)}")
    else:
        for item in value:
            if isinstance(item, dict) and item:
                lines: list[str] = []
                _block(item, indent + 2, lines)
                out.append(f"{pad}- {lines[0].lstrip()}")
                out.extend(lines[1:])
            else:
                out.append(f"{pad}- {_flow(item)}")


def to_yaml(data: dict) -> str:
    out: list[str] = []
    _block(data, 0, out)
    return "\n".join(out) + "\n"


def synthetic_yaml(n: int, overridden: bool = False) -> str:
    return (f"# A synthetic spec: {n} endpoints, {max(1, n // 4)} pipelines of 6 steps"
            f"{', every one overridden in prod' if overridden else ''} (bench/synthetic_spec.py).\n") + \
        to_yaml(synthetic_spec(n, overridden))


def write_synthetic_spec(path: str | Path, n: int, overridden: bool = False) -> Path:
    path = Path(path)
    path.write_text(synthetic_yaml(n, overridden), encoding="utf-8")
    return path


def change_one_thing(text: str) -> str:
    """The same spec with one change a reviewer would see: ep-0's replica maximum 10 -> 12."""
    marker = "  ep-0:\n"
    start = text.index(marker, text.index("\nserving:\n"))
    old = "    replicas: {min: 2, max: 10}\n"
    at = text.index(old, start)
    return text[:at] + "    replicas: {min: 2, max: 12}\n" + text[at + len(old):]


if __name__ == "__main__":  # python -m bench.synthetic_spec N [--overridden]
    sys.stdout.write(synthetic_yaml(int(sys.argv[1]) if len(sys.argv) > 1 else 10, "--overridden" in sys.argv))
