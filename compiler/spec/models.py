"""`models:`: registered models and how their versions are chosen."""

from typing import Literal

from pydantic import Field, model_validator

from .base import Name, SpecModel, VersionText, empty_list
from .units import Quantity

ModelFormat = Literal["sklearn", "xgboost", "lightgbm", "pytorch", "onnx", "huggingface", "triton", "mlflow", "custom"]


class Lineage(SpecModel):
    data_version: VersionText | None = Field(None, description="Version (URI, snapshot) of the training data.")
    preprocessing_version: VersionText | None = Field(None, description="Preprocessing version it was trained with.")
    code_version: VersionText | None = Field(None, description="Version (commit) of the training code.")


class Model(SpecModel):
    registry_name: str | None = Field(None, min_length=1,
                                      description="Name in the MLflow model registry (default: the key).")
    alias: str | None = Field(None, min_length=1, description="Registry alias to serve (e.g. champion); "
                                                              "`mlops lock` pins it. Exactly one of alias/version.")
    # MLflow stores version numbers in an SQL INTEGER column (mlflow/store/model_registry/dbmodels/models.py).
    version: int | None = Field(None, ge=1, le=2**31 - 1,
                                description="Registry version to serve. Exactly one of alias/version.")
    format: ModelFormat = Field(description="Model format, selects the KServe serving runtime (custom: the "
                                            "runtime image is served as it is, as a KServe custom predictor).")
    size: Quantity | None = Field(None, description="Artifact size: cold-start and cache rules use it.")
    gpu_memory: Quantity | None = Field(None, description="Peak GPU memory when serving, if it uses a GPU.")
    preprocessing: Name | None = Field(None, description="The preprocessing artifact it was trained with.")
    features: list[Name] = Field(default_factory=empty_list, description="Feature views it reads.")
    lineage: Lineage | None = Field(None, description="Lineage, when the registry's version tags do not carry it.")

    @model_validator(mode="after")
    def _alias_xor_version(self) -> "Model":
        if (self.alias is None) == (self.version is None):
            raise ValueError("set exactly one of `alias` (e.g. alias: champion) or `version` (e.g. version: 7)")
        return self
