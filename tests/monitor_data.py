"""Small synthetic data for the monitor jobs, and the jobs' configs as the example compiles them.

The reference is fraud-api's "training data" (amount, merchant_category, the model's score and
prediction, the label); the current window is the last hour of inference log, with real drift
(larger amounts, more online purchases) or without. The configs are the ones `mlops compile`
writes into the example's ConfigMaps, with only the data URIs (and the Pushgateway) pointed here.
"""
from __future__ import annotations

import copy
import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tests.compile_support import EXAMPLE, checked, example_lock

CATEGORIES = ["grocery", "travel", "online", "fuel", "other"]


@dataclass(frozen=True)
class ExampleData:
    reference: Path
    current: Path
    now: float
    newest: float


def _frame(rng, n: int, drifted: bool, start: float, end: float) -> pd.DataFrame:
    amount = rng.lognormal(3.8 if drifted else 3.0, 1.0, n)
    weights = [0.1, 0.1, 0.6, 0.1, 0.1] if drifted else [0.4, 0.2, 0.2, 0.1, 0.1]
    category = rng.choice(CATEGORIES, n, p=weights)
    score = 1 / (1 + np.exp(-(np.log(amount) - 3.5)))
    label = (rng.random(n) < score).astype(int)
    return pd.DataFrame({"amount": amount, "merchant_category": category, "event_ts": rng.uniform(start, end, n),
                         "fraud_score": score, "is_fraud": (score > 0.5).astype(int), "label": label})


def write_example_data(directory: Path, *, drifted: bool, broken: bool = False, now: float | None = None,
                       seed: int = 7) -> ExampleData:
    rng = np.random.default_rng(seed)
    now = time.time() if now is None else now
    reference = directory / "reference" / "train.parquet"
    current = directory / "inference-log"
    reference.parent.mkdir(parents=True, exist_ok=True)
    current.mkdir(parents=True, exist_ok=True)
    _frame(rng, 4000, False, now - 40 * 86400, now - 30 * 86400).to_parquet(reference)
    window = _frame(rng, 1500, drifted, now - 3500, now - 5).drop(columns="label")
    if broken:  # an upstream change: amounts arrive negative (cents and sign flipped)
        window["amount"] = -window["amount"] * 100
    window.iloc[:750].to_parquet(current / "part-0000.parquet")
    window.iloc[750:].to_parquet(current / "part-0001.parquet")
    return ExampleData(reference, current, now, float(window["event_ts"].max()))


def compiled_example_configs() -> dict[str, dict]:
    """ConfigMap name -> parsed config.json of the example (prod, with the test lock)."""
    return copy.deepcopy(_compiled_example_configs())


@functools.cache
def _compiled_example_configs() -> dict[str, dict]:
    from backends.kubernetes import lower_files

    files = lower_files(checked(EXAMPLE, "prod"), example_lock())
    return {o["metadata"]["name"]: json.loads(o["data"]["config.json"])
            for objects in files.values() for o in objects
            if o["kind"] == "ConfigMap" and "config.json" in o.get("data", {})}


def example_config(directory: Path, job: str, data: ExampleData, pushgateway: str | None = None) -> Path:
    """fraud-api's generated config for `job` (drift | estimate), reading `data`; written to a file."""
    config = compiled_example_configs()[f"fraud-fraud-api-{job}"]
    config["source"]["uri"] = f"file://{data.current}"
    config["reference"]["uri"] = str(data.reference)
    if pushgateway:
        config["push"]["url"] = pushgateway
    path = directory / f"{job}.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path
