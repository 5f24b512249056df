"""Drift of one feature between the reference and the current window: psi, ks, jensen_shannon, wasserstein.

Numeric features (numbers, not booleans):
- psi: Population Stability Index, PSI = sum_i (c_i - r_i) * ln(c_i / r_i), over BINS bins whose
  edges are the reference's deciles (quantile binning, so each bin holds ~10 % of the reference;
  the outer bins are open to -inf/+inf so every current value lands in one). Empty bins are floored
  at EPSILON before the logarithm. Siddiqi, *Credit Risk Scorecards* (Wiley 2006), ch. 8; Yurdakul,
  "Statistical Properties of the Population Stability Index" (Western Michigan University, 2018),
  who also gives the usual reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 significant shift.
- ks: the two-sample Kolmogorov-Smirnov statistic D = sup_x |F_ref(x) - F_cur(x)| in [0, 1]
  (`scipy.stats.ks_2samp`).
- jensen_shannon: the Jensen-Shannon distance (square root of the divergence, base 2, so in [0, 1])
  of the two histograms over the same decile bins (`scipy.spatial.distance.jensenshannon`).
- wasserstein: the first Wasserstein (earth mover's) distance of the two samples
  (`scipy.stats.wasserstein_distance`) divided by the reference's standard deviation, so one
  threshold means the same for every feature (as Evidently's normed Wasserstein distance does).

Categorical features (anything else) compare the category frequencies p (reference) and q (current)
over the union of categories (nulls are a category of their own):
- psi and jensen_shannon: the same formulas over categories instead of bins;
- ks and wasserstein: the total variation distance 1/2 sum |p - q|, which is the KS statistic under the
  least favourable ordering of the categories and the Wasserstein distance under the 0/1 metric
  between categories; both are in [0, 1].
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance

BINS = 10
EPSILON = 1e-4
METHODS = ("psi", "ks", "jensen_shannon", "wasserstein")


class DriftError(Exception):
    """A feature whose drift cannot be computed (missing, or no values on one side)."""


def is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _psi(reference: np.ndarray, current: np.ndarray) -> float:
    r = np.maximum(reference, EPSILON)
    c = np.maximum(current, EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


def decile_edges(reference: np.ndarray) -> np.ndarray:
    """Inner bin edges: the reference's deciles, duplicates merged (a feature with few values has fewer bins)."""
    return np.unique(np.quantile(reference, np.linspace(0, 1, BINS + 1)[1:-1]))


def _histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return counts / counts.sum()


def _frequencies(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ref = reference.astype("object").where(reference.notna(), "<null>").value_counts(normalize=True)
    cur = current.astype("object").where(current.notna(), "<null>").value_counts(normalize=True)
    categories = sorted(set(ref.index) | set(cur.index), key=str)
    return (np.array([ref.get(c, 0.0) for c in categories]), np.array([cur.get(c, 0.0) for c in categories]))


def drift_score(reference: pd.Series, current: pd.Series, method: str) -> float:
    """The drift of one feature by `method` (module docstring)."""
    if method not in METHODS:
        raise DriftError(f"unknown drift method {method!r}; expected one of {', '.join(METHODS)}")
    if is_numeric(reference) and is_numeric(current):
        ref = reference.dropna().to_numpy(dtype="float64")
        cur = current.dropna().to_numpy(dtype="float64")
        if not len(ref) or not len(cur):
            raise DriftError("no numeric values in the " + ("reference" if not len(ref) else "current window"))
        if method == "ks":
            return float(ks_2samp(ref, cur).statistic)
        if method == "wasserstein":
            spread = float(np.std(ref))
            return float(wasserstein_distance(ref, cur)) / (spread if spread > 0 else 1.0)
        edges = decile_edges(ref)
        p, q = _histogram(ref, edges), _histogram(cur, edges)
    else:
        if not len(reference) or not len(current):
            raise DriftError("no values in the " + ("reference" if not len(reference) else "current window"))
        p, q = _frequencies(reference, current)
        if method in ("ks", "wasserstein"):
            return float(0.5 * np.abs(p - q).sum())
    if method == "psi":
        return _psi(p, q)
    return float(jensenshannon(p, q, base=2))
