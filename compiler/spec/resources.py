"""Compute requests shared by pipeline steps and serving endpoints."""

import re
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema
from pydantic.functional_validators import PlainValidator
from pydantic_core import PydanticCustomError

from .base import Name, SpecModel, finite
from .units import Quantity

_MIG_PROFILE = re.compile(r"^[1-7]g\.[0-9]+gb$")
MAX_GPUS_PER_POD = 16  # the largest gpus_per_node (node_pools.py): a pod's GPUs are on one node


def _count_text(count: float) -> str:
    return str(int(count)) if count.is_integer() and count < 1e15 else str(count)


class MigRequest(SpecModel):
    mig: str = Field(pattern=_MIG_PROFILE.pattern, description="MIG profile to request, e.g. 1g.10gb.")


def _gpu_request(value: Any) -> float | MigRequest:
    if isinstance(value, bool):
        raise PydanticCustomError("gpu", "gpu is a number of GPUs (e.g. 1) or a MIG slice ({slice})", _SLICE)
    if isinstance(value, (int, float)):
        count = finite(value)
        if count < 0:
            raise PydanticCustomError("gpu", "gpu cannot be negative", {})
        if count > MAX_GPUS_PER_POD:
            raise PydanticCustomError("gpu", "gpu is {count}; a pod runs on one node, and no node has more than {most} "
                                      "GPUs (node_pools.*.gpus_per_node is at most {most})",
                                      {"count": _count_text(count), "most": MAX_GPUS_PER_POD})
        return count
    if isinstance(value, dict):
        return MigRequest.model_validate(value)
    if isinstance(value, MigRequest):
        return value
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        raise PydanticCustomError("gpu", "gpu is a number of GPUs, got the string '{text}'; write it without quotes "
                                  "(gpu: {bare}), or a MIG slice ({slice})",
                                  {"text": value, "bare": value.strip(), **_SLICE})
    raise PydanticCustomError("gpu", "gpu is a number of GPUs (e.g. 1) or a MIG slice ({slice})", _SLICE)


# pydantic formats a message's {names} from its context and leaves doubled braces doubled: the
# example mapping goes in as a value.
_SLICE = {"slice": "{mig: 1g.10gb}"}
_NUMBER_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")


GpuRequest = Annotated[float | MigRequest, PlainValidator(_gpu_request), WithJsonSchema({
    "anyOf": [{"type": "number", "minimum": 0, "maximum": MAX_GPUS_PER_POD},
              {"type": "object", "properties": {"mig": {"type": "string", "pattern": _MIG_PROFILE.pattern}},
               "required": ["mig"], "additionalProperties": False}],
    "description": "GPUs: a count, or a MIG slice {mig: 1g.10gb}"})]


class Resources(SpecModel):
    cpu: Quantity | None = Field(None, description="CPU request (and limit), e.g. 2 or 500m.")
    memory: Quantity | None = Field(None, description="Memory request (and limit), e.g. 4Gi.")
    gpu: GpuRequest | None = Field(None, description="GPUs: a count, or a MIG slice `{mig: 1g.10gb}`.")
    pool: Name | None = Field(None, description="Node pool to run on (required for GPU workloads).")
    ephemeral_storage: Quantity | None = Field(None, description="Node-local disk the container may write "
                                                                 "(ephemeral-storage request and limit), e.g. 20Gi.")

    @property
    def gpu_count(self) -> float:
        """Whole-GPU count requested (0 for none or a MIG slice)."""
        return self.gpu if isinstance(self.gpu, float) else 0.0

    @property
    def mig_profile(self) -> str | None:
        return self.gpu.mig if isinstance(self.gpu, MigRequest) else None

    @property
    def uses_gpu(self) -> bool:
        return self.gpu_count > 0 or self.mig_profile is not None
