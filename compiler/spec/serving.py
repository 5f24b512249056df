"""`serving:`: online endpoints."""

from typing import Any, Literal

from pydantic import Field, model_validator

from .base import Name, Number, SpecModel
from .resources import Resources
from .units import Duration, Percent


class ReplicaRange(SpecModel):
    min: int = Field(1, ge=0, le=1000, description="Fewest replicas (0 = scale to zero).")
    max: int = Field(1, ge=1, le=1000, description="Most replicas; when it is not written, `min` (or 1 when min is 0).")

    @model_validator(mode="before")
    @classmethod
    def _max_follows_min(cls, data: Any) -> Any:
        # `{min: 3}` means "3 replicas": a default max of 1 would refuse a value the user never wrote.
        if isinstance(data, dict) and "max" not in data and isinstance(data.get("min"), int) \
                and not isinstance(data.get("min"), bool) and data["min"] > 1:
            return {**data, "max": data["min"]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> "ReplicaRange":
        if self.min > self.max:
            raise ValueError(f"replicas.min ({self.min}) is larger than replicas.max ({self.max})")
        return self


class Autoscale(SpecModel):
    metric: Literal["concurrency", "rps", "cpu", "memory", "gpu_utilization"] = Field(
        description="What the autoscaler tracks.")
    target: Number = Field(gt=0, description="Target value per replica (percent for cpu/memory/gpu_utilization).")


class Rollout(SpecModel):
    canary_percent: Percent = Field(Percent.parse(0), description="Traffic to a new version first; 0 = none.")
    keep_previous: int = Field(1, ge=0, le=10, description="Previous model versions kept deployable for rollback.")


class Endpoint(SpecModel):
    model: Name = Field(description="Model to serve (a key of `models`).")
    runtime: Name = Field(description="Serving runtime (image).")
    replicas: ReplicaRange = Field(default_factory=ReplicaRange, description="Replica bounds {min, max}.")
    autoscale: Autoscale | None = Field(None, description="Autoscaling metric and target.")
    resources: Resources = Field(default_factory=Resources, description="CPU, memory, GPU and node pool.")
    startup_timeout: Duration = Field(Duration.parse("5m"), description="How long model load may take before the "
                                                                        "pod counts as failed.")
    model_cache: bool = Field(False, description="Keep the model on a node-local cache.")
    rollout: Rollout = Field(default_factory=Rollout, description="Canary and rollback settings.")
    port: int = Field(8080, ge=1, le=65535, description="Port the model server listens on (passed to the "
                                                        "format's KServe runtime; pytorch: 8080 only).")
