"""The two jobs: `drift` and `estimate`, each from its generated config to the samples it pushes."""
from __future__ import annotations

from dataclasses import dataclass, field

from .push import Sample
from .sources import SourceError, read_table, window


class JobError(Exception):
    """The job cannot produce its metrics; what it could measure is still pushed, then it fails."""


@dataclass
class Outcome:
    samples: list[Sample] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    failed: str | None = None


def _windows(config: dict, now: float, *, prediction_column: str = "prediction"):
    """(current rows, newest event time, reference rows) as the config's source and reference say."""
    source = config["source"]
    if source is None:
        raise JobError("the config has no `source`: the spec's drift.source says where the current window is")
    table = read_table(source["uri"], source["format"], prediction_column=prediction_column)
    start = now - source["window_seconds"]
    current, newest = window(table, source["timestamp_column"], start, now)
    reference_config = config["reference"]
    if reference_config.get("kind") == "window":  # the window before the current one, same source
        reference, _ = window(table, source["timestamp_column"], start - source["window_seconds"], start)
    else:
        if not reference_config.get("uri"):
            raise JobError("no reference data: the served model has no lineage data_version (run `mlops lock`, or "
                           "set models.<model>.lineage.data_version)")
        reference = read_table(reference_config["uri"], reference_config["format"],
                               prediction_column=prediction_column).rows
    return current, newest, reference


def run_drift(config: dict, now: float) -> Outcome:
    """Data contract and freshness first (when set), then one drift score per feature."""
    from .quality import contract_problems, freshness_problem
    from .statistics import DriftError, drift_score

    names = config["metrics"]
    outcome = Outcome()
    try:
        current, newest, reference = _windows(config, now)
    except (SourceError, JobError) as error:
        outcome.failed = str(error)
        return outcome
    if newest is not None:
        outcome.samples.append(Sample(names["data_newest_timestamp_seconds"], newest,
                                      help="Event time of the newest row of the source (Unix seconds)."))
    quality = config.get("data_quality")
    if quality is not None:
        if quality.get("contract"):
            problems = contract_problems(current, quality["contract"])
        elif quality.get("contract_file"):
            problems = [f"the contract file {quality['contract_file']} did not exist when this config was compiled"]
        else:
            problems = []
        stale = freshness_problem(newest, now, quality.get("freshness_seconds"))
        problems += [stale] if stale else []
        outcome.samples.append(Sample(names["data_quality_passed"], 0.0 if problems else 1.0,
                                      help="1 when the current window meets its data contract and freshness."))
        outcome.messages += [f"data quality: {p}" for p in problems] or ["data quality: passed"]
    if current.empty:
        outcome.failed = f"the current window ({config['source']['window_seconds']} s before now) has no rows"
        return outcome
    for feature in config["features"]:
        if feature not in current.columns or feature not in reference.columns:
            side = "current window" if feature not in current.columns else "reference"
            outcome.failed = f"feature {feature!r} is not in the {side}"
            return outcome
        try:
            score = drift_score(reference[feature], current[feature], config["method"])
        except DriftError as error:
            outcome.failed = f"feature {feature!r}: {error}"
            return outcome
        outcome.samples.append(Sample(names["drift_score"], score, {"feature": feature, "method": config["method"]},
                                      help="Drift of one feature between the reference and the current window."))
        outcome.messages.append(f"drift {config['method']} {feature}: {score:.4f}")
    return outcome


def run_estimate(config: dict, now: float) -> Outcome:
    from .estimation import EstimationError, estimate

    names = config["metrics"]
    outcome = Outcome()
    try:
        current, _, reference = _windows(config, now, prediction_column=config["columns"]["prediction"])
        estimated, realized, drop = estimate(config, reference, current)
    except (SourceError, JobError, EstimationError) as error:
        outcome.failed = str(error)
        return outcome
    labels = {"metric": config["metric"], "estimator": config["estimator"]}
    outcome.samples += [
        Sample(names["estimated_performance"], estimated, labels, help="Estimated performance on the current window."),
        Sample(names["performance_drop"], drop, labels, help="Relative drop of the estimate from the reference."),
    ]
    outcome.messages.append(f"{config['estimator']} {config['metric']}: estimated {estimated:.4f}, reference "
                            f"{realized:.4f}, drop {drop:.2%}")
    return outcome
