"""`node_pools:`: GPU (and CPU) node pools and how their GPUs are shared."""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from .base import SpecModel, empty_list

#: Karpenter's budget fields, with the patterns of its NodePool CRD (kubernetes-sigs/karpenter v1.14.1
#: pkg/apis/crds/karpenter.sh_nodepools.yaml, spec.disruption.budgets[]).
_BUDGET_NODES = r"^((100|[0-9]{1,2})%|[0-9]+)$"
_BUDGET_DURATION = r"^(([0-9]+(h|m))|([0-9]+h[0-9]+m))$"
_BUDGET_SCHEDULE = r"^((@(annually|yearly|monthly|weekly|daily|midnight|hourly))|(\S+ \S+ \S+ \S+ \S+))$"
_ZONE = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_FAMILY = r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"


class MigSharing(SpecModel):
    profile: str | None = Field(None, description="One MIG profile on every GPU (as many as fit), e.g. 1g.10gb.")
    layout: dict[str, int] | None = Field(None, description="Mixed MIG layout per GPU: profile -> count, "
                                                           "e.g. {1g.10gb: 2, 2g.20gb: 1, 3g.40gb: 1}.")

    @model_validator(mode="after")
    def _profile_xor_layout(self) -> "MigSharing":
        if (self.profile is None) == (self.layout is None):
            raise ValueError("set exactly one of `profile` (e.g. profile: 1g.10gb) or `layout` "
                             "(e.g. layout: {1g.10gb: 2, 3g.40gb: 1})")
        if self.layout is not None and any(n < 1 for n in self.layout.values()):
            raise ValueError("every count in a MIG layout is at least 1")
        return self

    @property
    def profiles(self) -> list[str]:
        return [self.profile] if self.profile else sorted(self.layout or {})


class Replicas(SpecModel):
    replicas: int = Field(ge=2, le=48, description="Virtual GPUs advertised per physical GPU.")


def _exclusive_or_mapping(schema: dict) -> None:
    mapping = {key: schema.pop(key) for key in ("type", "properties", "additionalProperties") if key in schema}
    schema["anyOf"] = [{"const": "exclusive"}, {**mapping, "maxProperties": 1}]


class Sharing(SpecModel):
    """`exclusive`, or exactly one of `mig`, `time_slicing`, `mps`."""

    # In the JSON Schema the word `exclusive` is as valid as the mapping forms.
    model_config = ConfigDict(json_schema_extra=lambda schema, _: _exclusive_or_mapping(schema))

    mig: MigSharing | None = Field(None, description="Partition each GPU with MIG.")
    time_slicing: Replicas | None = Field(None, description="Time-slice each GPU between `replicas` pods.")
    mps: Replicas | None = Field(None, description="Share each GPU through CUDA MPS between `replicas` pods.")

    @model_validator(mode="before")
    @classmethod
    def _from_word(cls, value: Any) -> Any:
        if value == "exclusive":
            return {}
        if isinstance(value, str):
            raise ValueError(f"unknown sharing {value!r}: use exclusive, {{mig: {{profile: 1g.10gb}}}}, "
                             "{time_slicing: {replicas: 4}} or {mps: {replicas: 4}}")
        if isinstance(value, dict) and len(value) > 1:
            raise ValueError("choose one sharing mode: mig, time_slicing or mps")
        return value

    @property
    def mode(self) -> Literal["exclusive", "mig", "time_slicing", "mps"]:
        if self.mig:
            return "mig"
        if self.time_slicing:
            return "time_slicing"
        if self.mps:
            return "mps"
        return "exclusive"

    @property
    def replicas(self) -> int:
        """Pods that may share one physical GPU (1 for exclusive and MIG)."""
        shared = self.time_slicing or self.mps
        return shared.replicas if shared else 1


class NodeCount(SpecModel):
    min: int = Field(0, ge=0, description="Nodes kept at all times on gcp (the GKE node pool's autoscaling "
                                          "minimum); on aws and azure Karpenter has no minimum: the plan's cost "
                                          "floor only (docs/clouds.md).")
    max: int = Field(ge=0, le=1000, description="Most nodes the pool may grow to.")

    @model_validator(mode="after")
    def _ordered(self) -> "NodeCount":
        if self.min > self.max:
            raise ValueError(f"nodes.min ({self.min}) is larger than nodes.max ({self.max})")
        return self


class DisruptionBudget(SpecModel):
    """At most `nodes` of the pool disrupted at once; during `duration` after each `schedule` hit when set."""

    nodes: str = Field(pattern=_BUDGET_NODES, description="Most nodes disrupted at once: a count (\"0\" blocks) "
                                                            "or a percentage of the pool (\"10%\").")
    schedule: str | None = Field(None, pattern=_BUDGET_SCHEDULE,
                                 description="Cron (UTC, 5 fields or @daily...) when the budget starts to apply.")
    duration: str | None = Field(None, pattern=_BUDGET_DURATION,
                                 description="How long after each schedule hit the budget applies, e.g. 8h, 1h30m.")
    reasons: list[Literal["Underutilized", "Empty", "Drifted"]] = Field(
        default_factory=empty_list, description="Disruption reasons it limits (default: all).")

    @model_validator(mode="after")
    def _schedule_with_duration(self) -> "DisruptionBudget":
        if (self.schedule is None) != (self.duration is None):
            raise ValueError("a budget's `schedule` and `duration` go together, e.g. "
                             "{nodes: \"0\", schedule: \"0 8 * * 1-5\", duration: 10h}")
        return self


class Disruption(SpecModel):
    """Karpenter's voluntary disruption (consolidation, drift, expiry) of the pool's nodes."""

    budgets: list[DisruptionBudget] = Field(default_factory=empty_list, max_length=50,
                                            description="Karpenter disruption budgets; the most restrictive active "
                                                        "one wins (default: one budget of 10%).")


class NodePool(SpecModel):
    accelerator: str | None = Field(None, description="GPU from the catalogue (t4, a10g, a10, l4, l40s, a30, "
                                                      "a100-40gb, a100-80gb, h100-80gb, h200-141gb); omit for CPU pools.")
    gpus_per_node: int = Field(1, ge=1, le=16, description="GPUs on each node.")
    sharing: Sharing = Field(default_factory=Sharing, description="exclusive | {mig: {profile|layout}} | {time_slicing: {replicas}} | {mps: {replicas}}.")
    capacity: Literal["on-demand", "spot", "spot-or-on-demand"] = Field(
        "on-demand", description="Capacity type of the nodes; spot-or-on-demand launches spot and falls back to "
                                 "on-demand when no spot capacity is offered (Karpenter: aws, azure).")
    nodes: NodeCount = Field(description="Node count bounds {min, max}.")
    instance_types: list[str] = Field(default_factory=empty_list, description="Cloud instance types (optional).")
    taint: bool = Field(True, description="GPU nodes repel pods that do not ask for a GPU.")
    zones: list[Annotated[str, Field(pattern=_ZONE)]] = Field(
        default_factory=empty_list, description="Zones the nodes may run in (topology.kubernetes.io/zone), e.g. "
                                                "us-east-1a, eastus-1, us-central1-a; default: any zone of the region.")
    instance_families: list[Annotated[str, Field(pattern=_FAMILY)]] = Field(
        default_factory=empty_list, description="Instance families the nodes may be (aws: g6, m7i; azure: the "
                                                "sku-family letter, N, D, E); gcp: not supported (one machine type "
                                                "per GKE node pool: use instance_types).")
    root_volume_gib: int | None = Field(None, ge=20, le=16384,
                                        description="Root/OS disk size in GiB (default 200 for GPU pools, 100 "
                                                    "for CPU pools).")
    image: str | None = Field(None, min_length=1, max_length=128,
                              description="Machine image, pinned: aws an EC2NodeClass alias with a version "
                                          "(al2023@v20250116, bottlerocket@1.30.0); azure an AKSNodeClass image "
                                          "family (Ubuntu2204, Ubuntu2404, AzureLinux); gcp a GKE image type "
                                          "(COS_CONTAINERD, UBUNTU_CONTAINERD). Default aws al2023@latest, azure "
                                          "Ubuntu2204, gcp COS_CONTAINERD.")
    disruption: Disruption = Field(default_factory=Disruption,
                                   description="Karpenter disruption budgets (aws, azure).")

    @field_validator("accelerator")
    @classmethod
    def _accelerator_known(cls, accelerator: str | None) -> str | None:
        from ..gpu_catalogue import ACCELERATORS

        if accelerator is not None and accelerator not in ACCELERATORS:
            raise ValueError(f"unknown accelerator {accelerator!r}; the catalogue has: " + ", ".join(ACCELERATORS))
        return accelerator

    @model_validator(mode="after")
    def _sharing_needs_gpu(self) -> "NodePool":
        if self.accelerator is None and self.sharing.mode != "exclusive":
            raise ValueError("GPU sharing needs an `accelerator`: a CPU pool has no GPUs to share")
        return self

    @property
    def is_gpu(self) -> bool:
        return self.accelerator is not None
