"""Human units of the spec turned into Kubernetes fields: small pure functions, one per conversion."""
from __future__ import annotations

import math

from compiler.spec.units import Duration, Quantity


def quantity(value: Quantity) -> str:
    """A quantity as the user wrote it (Kubernetes accepts the same grammar)."""
    return value.text


def seconds(value: Duration) -> int:
    """Whole seconds, rounded up (activeDeadlineSeconds, probe budgets)."""
    return value.whole_seconds


def go_duration(value: Duration) -> str:
    """A Go duration string (Karpenter, Prometheus `for:`): `6h`, `90s`; days become hours."""
    total = value.whole_seconds
    if total % 3600 == 0:
        return f"{total // 3600}h"
    if total % 60 == 0:
        return f"{total // 60}m"
    return f"{total}s"


def prometheus_duration(value: Duration) -> str:
    """A Prometheus duration (`15m`, `1h`, `7d`)."""
    total = value.whole_seconds
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if total % size == 0:
            return f"{total // size}{unit}"
    return f"{total}s"


def number(value: float) -> str:
    """A threshold inside PromQL: no exponent, no trailing zeros."""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text or "0"


def probe_failure_threshold(budget: Duration, period_seconds: int) -> int:
    """How many failed probes fit in a startup budget."""
    return max(1, math.ceil(budget.whole_seconds / period_seconds))
