"""`monitoring:`: SLOs, business metrics, drift, ground truth and retraining, per endpoint."""

import re
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_validator, model_validator
from pydantic.functional_validators import PlainValidator
from pydantic_core import PydanticCustomError

from .base import Name, Number, SpecModel, empty_list
from .containers import WorkloadSettings
from .pipelines import check_cron
from .promql_text import embedding_problem
from .units import Duration, Percentage


class Slo(SpecModel):
    latency_p99: Duration | None = Field(None, description="99th percentile latency bound, e.g. 250ms.")
    error_rate: Percentage | None = Field(None, description="Highest acceptable share of failed requests.")
    availability: Percentage | None = Field(None, description="Lowest acceptable availability, e.g. 99.9%.")
    # LLM servers (vLLM: vllm:time_to_first_token_seconds, vllm:inter_token_latency_seconds,
    # vllm:num_requests_waiting); on another server they are unmeasurable (MON006).
    time_to_first_token_p99: Duration | None = Field(
        None, description="99th percentile time to the first output token, e.g. 2s (LLM servers).")
    time_per_output_token_p99: Duration | None = Field(
        None, description="99th percentile time between output tokens, e.g. 100ms (LLM servers).")
    queue_depth: int | None = Field(None, ge=0, le=1_000_000,
                                    description="Most requests waiting in one replica's queue (LLM servers).")


class BusinessMetric(SpecModel):
    name: Name = Field(description="Name of the metric (becomes the alert name).")
    query: str = Field(min_length=1, description="PromQL expression of the metric.")
    min: Number | None = Field(None, description="Alert when the metric falls below this.")
    max: Number | None = Field(None, description="Alert when the metric rises above this.")
    for_: Duration = Field(Duration.parse("15m"), alias="for", description="How long the bound must be broken.")

    @field_validator("query")
    @classmethod
    def _one_expression(cls, query: str) -> str:
        problem = embedding_problem(query)
        if problem is not None:
            raise ValueError(f"{problem} (alert rules compare the query as `(query) < min`)")
        return query

    @model_validator(mode="after")
    def _bounded(self) -> "BusinessMetric":
        if self.min is None and self.max is None:
            raise ValueError("a business metric needs `min`, `max` or both to alert on")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


# --- where monitor jobs read data --------------------------------------------------------------
# A path from the spec ends up read by a job in the cluster: only the schemes the job supports, no
# credentials, query, fragment, `..` segment or control character (checked again by the job).
_S3 = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[-A-Za-z0-9._~/=+,]*)?")
_LOCAL = re.compile(r"(file://)?/?[-A-Za-z0-9._~/=+,]+")
DATA_PATH_PATTERN = r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[-A-Za-z0-9._~/=+,]*)?|(file://)?/?[-A-Za-z0-9._~/=+,]+)$"


def check_data_path(value: Any) -> str:
    """An s3:// URI, a file:// URI or a path; nothing else, and nothing that climbs out of its directory."""
    if not isinstance(value, str):
        raise PydanticCustomError("data_path", "expected a path or URI string, got {got}", {"got": type(value).__name__})
    if value.startswith("s3://"):
        ok = _S3.fullmatch(value) is not None
    else:
        ok = _LOCAL.fullmatch(value) is not None and (not value.startswith("file://") or value.startswith("file:///"))
    if not ok or ".." in value.split("/") or len(value) > 1024:
        raise PydanticCustomError(
            "data_path", "'{text}' is not a data path: write s3://bucket/prefix, file:///absolute/path or a path "
                         "(letters, digits and - . _ ~ / = + , only; no '..', credentials, query or fragment)",
            {"text": value[:200]})
    return value


DataPath = Annotated[str, PlainValidator(check_data_path),
                     WithJsonSchema({"type": "string", "pattern": DATA_PATH_PATTERN, "maxLength": 1024})]
ColumnName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")]
DataFormat = Literal["parquet", "csv", "jsonl", "kserve-logger"]


def is_local(path: str) -> bool:
    return not path.startswith("s3://")


class DataSource(SpecModel):
    """Where the current inference data lands, and which rows form the current window."""

    path: DataPath = Field(description="A file or a directory of files: `s3://bucket/prefix` (read through pyarrow's "
                                       "S3 filesystem), `file:///path` or a path. With `claim`, a relative path "
                                       "inside that volume; without it, an absolute path in the container.")
    format: DataFormat = Field("parquet", description="File format: parquet, csv, jsonl (one JSON object a line) or "
                                                      "kserve-logger (JSON lines of the CloudEvents KServe's "
                                                      "inference logger sends: features from the request body).")
    timestamp_column: ColumnName = Field("timestamp", description="Column with each row's event time (Unix seconds or "
                                                                  "ISO 8601); for kserve-logger, the event's `time`.")
    window: Duration = Field(Duration.parse("1h"), description="The current window: rows newer than now minus this.")
    claim: Name | None = Field(None, description="PersistentVolumeClaim holding local paths, mounted read-only into "
                                                 "the monitor jobs (e.g. the volume an inference-logger sink writes).")

    @model_validator(mode="after")
    def _local_paths_resolve(self) -> "DataSource":
        if is_local(self.path):
            plain = self.path.removeprefix("file://")
            if self.claim is not None and (plain.startswith("/") or self.path.startswith("file://")):
                raise ValueError(f"with `claim`, `path` is relative to the volume: write {plain.lstrip('/')!r}")
            if self.claim is None and not plain.startswith("/"):
                raise ValueError(f"a relative path ({self.path!r}) needs `claim`, the volume it is in; or write an "
                                 "absolute path or an s3:// URI")
        return self


class Drift(SpecModel):
    runtime: Name = Field("monitor", description="Runtime whose image runs the monitor jobs (it must contain "
                                                 "`mlops-compiler[monitor]` unless `command` is given).")
    command: list[str] | None = Field(None, min_length=1,
                                      description="Your own drift command (receives the generated config in "
                                                  "$MLOPS_DRIFT_CONFIG); default: `mlops monitor drift`.")
    source: DataSource | None = Field(None, description="Where the current window is read from (needed by the "
                                                        "reference job and by performance estimation).")
    reference_format: DataFormat | None = Field(None, description="Format of the reference data (default: "
                                                                  "`source.format`).")
    features: list[str] = Field(min_length=1, description="Features to compare.")
    method: Literal["psi", "ks", "wasserstein", "jensen_shannon"] = Field("psi", description="Drift statistic.")
    threshold: Number = Field(gt=0, description="Drift score above which to alert.")
    schedule: str = Field("0 * * * *", description="Cron schedule of the drift check.")
    reference: Literal["training", "window"] = Field(
        "training", description="Reference data: the model's training data_version, or the window before the "
                                "current one.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, schedule: str) -> str:
        return check_cron(schedule)

    @model_validator(mode="after")
    def _reference_job_has_data(self) -> "Drift":
        if self.command is None and self.source is None:
            raise ValueError("the reference drift job (no `command`) reads the current window from `source`: add "
                             "source: {path: ..., format: ...}, or give your own `command`")
        return self


#: Metrics NannyML estimates: CBPE (binary classification) and DLE (regression).
CBPE_METRICS = ("roc_auc", "f1", "precision", "recall", "specificity", "accuracy")
DLE_METRICS = ("mae", "mape", "mse", "msle", "rmse", "rmsle")


class GroundTruth(SpecModel):
    delay: Duration = Field(description="How long after a prediction its label arrives.")
    estimation: Literal["none", "cbpe", "dle"] = Field(
        "none", description="Performance estimation while labels are delayed: cbpe (binary classification) or dle "
                            "(regression), computed by NannyML on `drift.source`.")
    metric: Literal[CBPE_METRICS + DLE_METRICS] | None = Field(
        None, description="Metric to estimate (default: roc_auc for cbpe, mae for dle).")
    prediction_column: ColumnName = Field("prediction", description="Column with the model's prediction.")
    score_column: ColumnName = Field("score", description="cbpe: column with the predicted probability of the "
                                                         "positive class.")
    target_column: ColumnName = Field("label", description="Column with the true label in the reference data.")
    reference: DataPath | None = Field(
        None, description="Labelled reference data with the model's outputs (e.g. its scored validation set); "
                          "default: the served model's training data (lineage data_version).")

    @model_validator(mode="after")
    def _metric_fits_estimator(self) -> "GroundTruth":
        allowed = {"cbpe": CBPE_METRICS, "dle": DLE_METRICS}.get(self.estimation)
        if self.metric is not None and allowed is not None and self.metric not in allowed:
            raise ValueError(f"{self.estimation} does not estimate {self.metric}: use one of {', '.join(allowed)}")
        return self

    @property
    def estimated_metric(self) -> str | None:
        if self.estimation == "none":
            return None
        return self.metric or ("roc_auc" if self.estimation == "cbpe" else "mae")


class DataQuality(SpecModel):
    contract: str | None = Field(None, description="Data contract file (docs/monitor-jobs.md), relative to the spec, "
                                                   "read by `mlops compile` into the drift job's config and checked "
                                                   "on each drift run.")
    freshness: Duration | None = Field(None, description="Maximum age of the newest input data.")


class RetrainWhen(SpecModel):
    drift_above: Number | None = Field(None, gt=0, description="Retrain when the drift score exceeds this.")
    performance_drop: Percentage | None = Field(None, description="Retrain when performance drops by this much.")


class Retraining(SpecModel):
    pipeline: Name = Field(description="Training pipeline to submit.")
    when: RetrainWhen = Field(description="Triggers.")
    cooldown: Duration | None = Field(None, description="Least time between two retrainings.")
    max_monthly_cost: Number | None = Field(None, ge=0, description="USD per month the retraining may spend.")
    requires_approval: bool = Field(False, description="A person approves each retraining run.")


class AlertRouting(SpecModel):
    receiver: Name | None = Field(None, description="Receiver (platform.alerts.receivers) for this endpoint.")
    gpu: bool = Field(True, description="GPU memory and XID alerts for GPU endpoints.")


class Monitor(WorkloadSettings):
    """Besides what it watches: `env`, `env_from`, `volumes`, ... of its jobs (drift, estimation)."""

    slo: Slo | None = Field(None, description="Service-level objectives.")
    business: list[BusinessMetric] = Field(default_factory=empty_list, description="Business metrics with bounds.")
    drift: Drift | None = Field(None, description="Drift check.")
    ground_truth: GroundTruth | None = Field(None, description="Label delay and performance estimation.")
    data_quality: DataQuality | None = Field(None, description="Upstream data checks; drift alerts hold while they fail.")
    retraining: Retraining | None = Field(None, description="Retraining policy.")
    alerts: AlertRouting = Field(default_factory=AlertRouting, description="Alert routing.")

    @field_validator("business")
    @classmethod
    def _unique_names(cls, metrics: list[BusinessMetric]) -> list[BusinessMetric]:
        seen: set[str] = set()
        for metric in metrics:
            if metric.name in seen:
                raise ValueError(f"business metric {metric.name!r} is defined twice")
            seen.add(metric.name)
        return metrics
