"""`models:`: registered models and how their versions are chosen."""

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Name, SpecModel, VersionText, empty_list
from .units import Quantity

ModelFormat = Literal["sklearn", "xgboost", "lightgbm", "pytorch", "onnx", "huggingface", "triton", "mlflow", "custom"]


class Lineage(SpecModel):
    data_version: VersionText | None = Field(None, description="Version (URI, snapshot) of the training data.")
    preprocessing_version: VersionText | None = Field(None, description="Preprocessing version it was trained with.")
    code_version: VersionText | None = Field(None, description="Version (commit) of the training code.")


class HuggingFaceRepo(SpecModel):
    """Weights from a Hugging Face Hub repository, downloaded by KServe's storage initializer (`hf://`)."""

    repo: str = Field(pattern=r"^[A-Za-z0-9][-A-Za-z0-9_.]{0,95}/[A-Za-z0-9][-A-Za-z0-9_.]{0,95}$",
                      description="Repository id, `organisation/name`, e.g. meta-llama/Llama-3.1-70B-Instruct.")
    # A branch or tag moves; a commit is what makes two compiles serve the same weights (the lock's job
    # for registry models).
    revision: str = Field(json_schema_extra={"pattern": "^[0-9a-f]{40}$"},
                          description="The commit to serve (40 hex digits): a branch or tag would move under the "
                                      "same spec.")
    token_secret: Name | None = Field(None, description="Secret (in the system's namespace) with the access token "
                                                       "under the key HF_TOKEN, for gated or private repositories.")

    @field_validator("revision")
    @classmethod
    def _commit(cls, revision: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{40}", revision):
            raise ValueError(f"revision {revision[:60]!r} is not a commit: write the 40 hex digits of one (the "
                             "repository's history on the Hub lists them); a branch or tag moves under the same spec")
        return revision

    @property
    def storage_uri(self) -> str:
        """KServe's storage initializer reads `hf://<repo>:<revision>` (kserve v0.20.0 python/storage README)."""
        return f"hf://{self.repo}:{self.revision}"


class Model(SpecModel):
    registry_name: str | None = Field(None, min_length=1,
                                      description="Name in the MLflow model registry (default: the key).")
    alias: str | None = Field(None, min_length=1, description="Registry alias to serve (e.g. champion); "
                                                              "`mlops lock` pins it. Exactly one of alias/version.")
    # MLflow stores version numbers in an SQL INTEGER column (mlflow/store/model_registry/dbmodels/models.py).
    version: int | None = Field(None, ge=1, le=2**31 - 1,
                                description="Registry version to serve. Exactly one of alias/version.")
    huggingface: HuggingFaceRepo | None = Field(
        None, description="Or: serve weights from a Hugging Face repository at a pinned commit (no registry, no "
                          "lock entry).")
    format: ModelFormat = Field(description="Model format, selects the KServe serving runtime (custom: the "
                                            "runtime image is served as it is, as a KServe custom predictor).")
    size: Quantity | None = Field(None, description="Artifact size: cold-start and cache rules use it.")
    gpu_memory: Quantity | None = Field(None, description="Peak GPU memory when serving, if it uses a GPU.")
    preprocessing: Name | None = Field(None, description="The preprocessing artifact it was trained with.")
    features: list[Name] = Field(default_factory=empty_list, description="Feature views it reads.")
    lineage: Lineage | None = Field(None, description="Lineage, when the registry's version tags do not carry it.")

    @model_validator(mode="after")
    def _alias_xor_version(self) -> "Model":
        chosen = [key for key in ("alias", "version", "huggingface") if getattr(self, key) is not None]
        if len(chosen) != 1:
            raise ValueError("set exactly one of `alias` (e.g. alias: champion), `version` (e.g. version: 7) or "
                             "`huggingface` ({repo: org/name, revision: <commit>})")
        return self

    @property
    def from_registry(self) -> bool:
        """Whether the MLflow registry (and so mlops.lock) decides the served version."""
        return self.huggingface is None
