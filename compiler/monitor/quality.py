"""The data contract (compiler/data_contract.py gives the format) and freshness, checked on a window."""
from __future__ import annotations

import pandas as pd

from .sources import epoch_seconds
from .statistics import is_numeric


def _type_problem(name: str, values: pd.Series, expected: str) -> str | None:
    present = values.dropna()
    if present.empty:
        return None
    if expected == "bool":
        ok = pd.api.types.is_bool_dtype(values) or present.map(lambda v: isinstance(v, bool)).all()
    elif expected == "int":
        ok = is_numeric(present) and bool((present.astype("float64") % 1 == 0).all())
    elif expected == "float":
        ok = is_numeric(present)
    elif expected == "string":
        ok = present.map(lambda v: isinstance(v, str)).all()
    else:  # timestamp
        ok = bool(epoch_seconds(present).notna().all())
    return None if ok else f"{name}: values are not {expected}"


def contract_problems(rows: pd.DataFrame, contract: dict) -> list[str]:
    """Every way the window breaks the contract; empty when it holds."""
    problems = []
    minimum = contract.get("min_rows")
    if minimum is not None and len(rows) < minimum:
        problems.append(f"{len(rows)} rows in the window, the contract asks for at least {minimum}")
    for name, column in contract.get("columns", {}).items():
        if name not in rows.columns:
            problems.append(f"{name}: missing")
            continue
        values = rows[name]
        nulls = float(values.isna().mean()) if len(values) else 0.0
        if not column.get("nullable", True) and nulls > 0:
            problems.append(f"{name}: {nulls:.1%} nulls, none allowed")
        elif column.get("max_null_fraction") is not None and nulls > column["max_null_fraction"]:
            problems.append(f"{name}: {nulls:.1%} nulls, at most {column['max_null_fraction']:.1%} allowed")
        problem = _type_problem(name, values, column["type"])
        if problem:
            problems.append(problem)
            continue
        present = values.dropna()
        if column.get("min") is not None and len(present) and float(present.min()) < column["min"]:
            problems.append(f"{name}: {float(present.min()):g} is below the minimum {column['min']:g}")
        if column.get("max") is not None and len(present) and float(present.max()) > column["max"]:
            problems.append(f"{name}: {float(present.max()):g} is above the maximum {column['max']:g}")
        if column.get("allowed") is not None:
            unexpected = sorted(set(map(str, present.unique())) - set(map(str, column["allowed"])))
            if unexpected:
                problems.append(f"{name}: unexpected values {', '.join(unexpected[:5])}")
    return problems


def freshness_problem(newest: float | None, now: float, freshness_seconds: int | None) -> str | None:
    if freshness_seconds is None:
        return None
    if newest is None:
        return "no row has an event time"
    if now - newest > freshness_seconds:
        return f"the newest row is {now - newest:.0f} s old, the bound is {freshness_seconds} s"
    return None
