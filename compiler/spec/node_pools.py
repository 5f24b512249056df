"""`node_pools:`: GPU (and CPU) node pools and how their GPUs are shared."""

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from .base import SpecModel, empty_list


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
    min: int = Field(0, ge=0, description="Nodes kept at all times.")
    max: int = Field(ge=0, le=1000, description="Most nodes the pool may grow to.")

    @model_validator(mode="after")
    def _ordered(self) -> "NodeCount":
        if self.min > self.max:
            raise ValueError(f"nodes.min ({self.min}) is larger than nodes.max ({self.max})")
        return self


class NodePool(SpecModel):
    accelerator: str | None = Field(None, description="GPU from the catalogue (t4, a10g, l4, l40s, a30, "
                                                      "a100-40gb, a100-80gb, h100-80gb, h200-141gb); omit for CPU pools.")
    gpus_per_node: int = Field(1, ge=1, le=16, description="GPUs on each node.")
    sharing: Sharing = Field(default_factory=Sharing, description="exclusive | {mig: {profile|layout}} | {time_slicing: {replicas}} | {mps: {replicas}}.")
    capacity: Literal["on-demand", "spot"] = Field("on-demand", description="Capacity type of the nodes.")
    nodes: NodeCount = Field(description="Node count bounds {min, max}.")
    instance_types: list[str] = Field(default_factory=empty_list, description="Cloud instance types (optional).")
    taint: bool = Field(True, description="GPU nodes repel pods that do not ask for a GPU.")

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
