"""Performance estimation before labels arrive, with NannyML (nannyml.ai, `pip install nannyml`).

- cbpe, Confidence-Based Performance Estimation (binary classification): with calibrated scores,
  the expected confusion matrix of a window follows from the predicted probabilities alone; NannyML
  calibrates the scores on the labelled reference and estimates the metric from the window's scores
  (NannyML docs, "How it works: CBPE"; `nannyml.CBPE`).
- dle, Direct Loss Estimation (regression): a LightGBM model is fitted on the reference to predict
  each row's loss (|y - y_hat| for mae, ...) from the features and the prediction, then averaged over
  the window (NannyML docs, "How it works: DLE"; `nannyml.DLE`).

The reference must carry the target and the model's outputs (e.g. the scored validation set); the
window, the features and the outputs. One chunk each: the estimate is for the whole window. The
drop is relative to the realized metric on the reference: (reference - estimate) / reference for
metrics where higher is better, (estimate - reference) / reference for error metrics (mae, mse, ...);
negative when the model is estimated to do better than on its reference.
"""
from __future__ import annotations

import warnings

import pandas as pd

ERROR_METRICS = ("mae", "mape", "mse", "msle", "rmse", "rmsle")


class EstimationError(Exception):
    """Estimation cannot run on these data (a column is missing, too few rows)."""


def _require(rows: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise EstimationError(f"the {what} has no column {', '.join(map(repr, missing))}")


def estimate(config: dict, reference: pd.DataFrame, current: pd.DataFrame) -> tuple[float, float, float]:
    """(estimated metric on the window, realized metric on the reference, relative drop)."""
    import nannyml

    columns, metric = config["columns"], config["metric"]
    if config["estimator"] == "cbpe":
        needed = [columns["score"], columns["prediction"]]
        estimator = nannyml.CBPE(y_pred_proba=columns["score"], y_pred=columns["prediction"],
                                 y_true=columns["target"], problem_type="classification_binary",
                                 metrics=[metric], chunk_number=1)
    else:
        needed = [*config["features"], columns["prediction"]]
        estimator = nannyml.DLE(feature_column_names=list(config["features"]), y_pred=columns["prediction"],
                                y_true=columns["target"], metrics=[metric], chunk_number=1)
    _require(reference, [*needed, columns["target"]], "reference")
    _require(current, needed, "current window")
    if len(current) < 2:
        raise EstimationError(f"{len(current)} rows in the current window: too few to estimate {metric}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the resulting number of chunks is too low": one chunk is the intent
        estimator.fit(reference[[*needed, columns["target"]]].reset_index(drop=True))
        results = estimator.estimate(current[needed].reset_index(drop=True)).to_df()
    period = results[("chunk", "period")]
    realized = float(results.loc[period == "reference", (metric, "realized")].iloc[0])
    estimated = float(results.loc[period == "analysis", (metric, "value")].iloc[0])
    if realized == 0:
        raise EstimationError(f"the reference's {metric} is 0: no relative drop can be computed")
    drop = (estimated - realized) / realized if metric in ERROR_METRICS else (realized - estimated) / realized
    return estimated, realized, drop
