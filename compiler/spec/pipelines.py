"""`pipelines:`: DAGs of steps on a schedule."""

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from .base import Name, SpecModel, empty_list
from .containers import WorkloadSettings
from .resources import Resources
from .schedule import check_cron, check_timezone
from .scheduling import Scheduling
from .units import Duration

__all__ = ["Checkpoint", "CronSchedule", "Distributed", "Nccl", "Pipeline", "Step", "TimeZone", "check_cron"]

#: A cron schedule Argo's parser accepts and that runs (compiler/spec/schedule.py).
CronSchedule = Annotated[str, AfterValidator(check_cron)]
#: One schedule or a list of them; one is read as a list of one, so an error names the item.
Schedules = Annotated[
    list[CronSchedule] | None,
    BeforeValidator(lambda value: [value] if isinstance(value, str) else value),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}, {"type": "null"}]}),
]
#: An IANA time zone Go's time.LoadLocation loads.
TimeZone = Annotated[str, AfterValidator(check_timezone)]


class FeatureRead(SpecModel):
    views: list[Name] = Field(description="Feature views the step reads.")
    point_in_time: bool = Field(False, description="Join features as of each row's event time (no leakage).")


#: A network interface name as Linux allows it (IFNAMSIZ 16 with the NUL), or NCCL's `^`/`=` prefixed list.
_IFNAME = r"^[\^=]?[A-Za-z0-9_.:-]{1,15}(,[A-Za-z0-9_.:-]{1,15})*$"
#: Where checkpoints go: an object-store or file URI the training program writes itself; no braces,
#: which Argo would read as `{{...}}` template variables in the TrainJob manifest.
_CHECKPOINT_URI = r"^(s3|gs|az|abfss|hdfs|file)://[^\s{}]+$"


class Nccl(SpecModel):
    socket_ifname: Annotated[str, Field(pattern=_IFNAME)] | None = Field(
        None, description="NCCL_SOCKET_IFNAME: the interface(s) NCCL's bootstrap and socket transport use, e.g. "
                          "eth0 or ^lo,docker; omitted = NCCL picks (never guessed by mlops).")
    debug: Literal["VERSION", "WARN", "INFO", "TRACE"] | None = Field(
        None, description="NCCL_DEBUG: how much NCCL logs (WARN is a good default for production runs).")


class Distributed(SpecModel):
    nodes: int = Field(ge=2, le=1024, description="Training nodes (pods, one per node); at least 2.")
    gpus_per_node: int | None = Field(None, ge=1, le=16,
                                      description="GPUs (torchrun processes) per node; default: the step's "
                                                  "resources.gpu.")
    runtime: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)] = Field(
        "torch-distributed", description="Kubeflow Trainer ClusterTrainingRuntime the TrainJob refers to.")
    nccl: Nccl = Field(default_factory=Nccl, description="NCCL settings passed as environment variables.")


class Checkpoint(SpecModel):
    uri: Annotated[str, Field(pattern=_CHECKPOINT_URI, max_length=1024)] = Field(
        description="Where the program writes and resumes checkpoints (s3://, gs://, az://, abfss://, hdfs://, "
                    "file://); passed as MLOPS_CHECKPOINT_URI.")
    every: Duration | None = Field(None, description="How often the program should checkpoint; passed as "
                                                     "MLOPS_CHECKPOINT_EVERY_SECONDS.")


class Step(WorkloadSettings):
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
    scheduling: Scheduling = Field(default_factory=Scheduling,
                                   description="Extra tolerations and node affinity of the step's pod.")
    distributed: Distributed | None = Field(
        None, description="Run on several nodes as a Kubeflow Trainer TrainJob (torchrun); `resources` are per "
                          "node.")
    checkpoint: Checkpoint | None = Field(None, description="Where the step checkpoints, so a restarted run "
                                                            "resumes (spot preemption).")


class Pipeline(SpecModel):
    runtime: Name = Field(description="Runtime (image) the steps run in.")
    schedule: Schedules = Field(
        None, description="Cron schedule(s) as Argo reads them (5 fields, or @daily / @every 1h); omitted = run on "
                          "demand.")
    timezone: TimeZone = Field("UTC", description="IANA time zone of the schedule, e.g. Europe/Berlin.")
    concurrency: Literal["allow", "forbid", "replace"] = Field("forbid",
                                                             description="What a schedule does while a run is active.")
    timeout: Duration | None = Field(None, description="Deadline of a whole run.")
    steps: dict[Name, Step] = Field(min_length=1, description="Steps by name; `after` edges form a DAG.")
    queue: Name | None = Field(None, description="GPU queue (a key of `platform.queues`) its GPU steps wait in "
                                                 "for quota (Kueue).")

    @property
    def schedules(self) -> list[str]:
        if self.schedule is None:
            return []
        return list(self.schedule)
