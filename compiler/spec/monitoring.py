"""`monitoring:`: SLOs, business metrics, drift, ground truth and retraining, per endpoint."""

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Name, Number, SpecModel, empty_list
from .pipelines import check_cron
from .promql_text import embedding_problem
from .units import Duration, Percentage


class Slo(SpecModel):
    latency_p99: Duration | None = Field(None, description="99th percentile latency bound, e.g. 250ms.")
    error_rate: Percentage | None = Field(None, description="Highest acceptable share of failed requests.")
    availability: Percentage | None = Field(None, description="Lowest acceptable availability, e.g. 99.9%.")


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


class Drift(SpecModel):
    runtime: Name = Field("monitor", description="Runtime whose image computes drift.")
    command: list[str] = Field(min_length=1, description="Command computing drift; receives the generated config.")
    features: list[str] = Field(min_length=1, description="Features to compare.")
    method: Literal["psi", "ks", "wasserstein", "jensen_shannon"] = Field("psi", description="Drift statistic.")
    threshold: Number = Field(gt=0, description="Drift score above which to alert.")
    schedule: str = Field("0 * * * *", description="Cron schedule of the drift check.")
    reference: Literal["training", "window"] = Field(
        "training", description="Reference data: the model's training data_version, or a trailing window.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, schedule: str) -> str:
        return check_cron(schedule)


class GroundTruth(SpecModel):
    delay: Duration = Field(description="How long after a prediction its label arrives.")
    estimation: Literal["none", "cbpe", "dle"] = Field(
        "none", description="Performance estimation while labels are delayed.")


class DataQuality(SpecModel):
    contract: str | None = Field(None, description="Data contract file checked before each drift run.")
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


class Monitor(SpecModel):
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
