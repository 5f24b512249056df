"""`pipelines:`: DAGs of steps on a schedule."""

from typing import Literal

from pydantic import Field, field_validator

from .base import EnvName, Name, SpecModel, empty_dict, empty_list
from .resources import Resources
from .units import Duration

_CRON_FIELD = r"[-*/,?0-9A-Za-z]+"


def check_cron(expression: str) -> str:
    fields = expression.split()
    if expression.startswith("@"):
        if expression not in {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}:
            raise ValueError(f"unknown cron shorthand {expression!r}")
        return expression
    if len(fields) != 5:
        raise ValueError(f"cron schedule {expression!r} has {len(fields)} fields; write 5: "
                         "minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\"")
    return expression


class FeatureRead(SpecModel):
    views: list[Name] = Field(description="Feature views the step reads.")
    point_in_time: bool = Field(False, description="Join features as of each row's event time (no leakage).")


class Step(SpecModel):
    command: list[str] = Field(min_length=1, description="Command to run in the pipeline's runtime image.")
    args: list[str] = Field(default_factory=empty_list, description="Extra arguments.")
    after: list[Name] = Field(default_factory=empty_list, description="Steps that must finish first (DAG edges).")
    runtime: Name | None = Field(None, description="Runtime for this step (default: the pipeline's).")
    preprocessing: Name | None = Field(None, description="Preprocessing artifact the step applies.")
    features: FeatureRead | None = Field(None, description="Feature views the step reads and how they are joined.")
    resources: Resources = Field(default_factory=Resources, description="CPU, memory, GPU and node pool.")
    timeout: Duration | None = Field(None, description="Deadline of the step (activeDeadlineSeconds).")
    retries: int = Field(0, ge=0, le=20, description="Retries on failure.")
    registers: Name | None = Field(None, description="Model this step registers new versions of.")
    env: dict[EnvName, str] = Field(default_factory=empty_dict,
                                    description="Environment variables (no secrets); names are C identifiers, "
                                                "not starting with MLOPS_ or ARGO_.")


class Pipeline(SpecModel):
    runtime: Name = Field(description="Runtime (image) the steps run in.")
    schedule: str | list[str] | None = Field(None, description="Cron schedule(s); omitted = run on demand.")
    timezone: str = Field("UTC", description="IANA time zone of the schedule.")
    concurrency: Literal["allow", "forbid", "replace"] = Field("forbid",
                                                             description="What a schedule does while a run is active.")
    timeout: Duration | None = Field(None, description="Deadline of a whole run.")
    steps: dict[Name, Step] = Field(min_length=1, description="Steps by name; `after` edges form a DAG.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, schedule: str | list[str] | None) -> str | list[str] | None:
        for expression in [schedule] if isinstance(schedule, str) else schedule or []:
            check_cron(expression)
        return schedule

    @property
    def schedules(self) -> list[str]:
        if self.schedule is None:
            return []
        return [self.schedule] if isinstance(self.schedule, str) else list(self.schedule)
