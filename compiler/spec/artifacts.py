"""`runtimes:`, `preprocessing:` and `features:`: what code runs and what data it reads."""

from typing import Literal

from pydantic import Field, field_validator

from .base import Name, SpecModel, VersionText, empty_dict, empty_list
from .platform import check_service_url
from .units import Duration

#: Model servers whose metrics the metric contract knows (compiler/metric_contract.py SERVERS).
ModelServer = Literal["kserve", "vllm", "torchserve", "triton", "mlserver", "custom"]


class Runtime(SpecModel):
    image: str = Field(min_length=1, description="Container image: a digest (`@sha256:...`) or an immutable tag.")
    lockfile: str | None = Field(None, description="Dependency lock file of the image, read by lint if present.")
    packages: list[str] = Field(default_factory=empty_list,
                                description="Pinned packages in the image (`name==version`), for lint to reason about.")
    server: ModelServer | None = Field(
        None, description="The model server the image runs, when an endpoint serving with it should not be read "
                          "as the server KServe's runtime for the model format runs (`kserve` for sklearn, "
                          "xgboost, lightgbm, huggingface; `torchserve` for pytorch; `triton` for onnx, triton; "
                          "`mlserver` for mlflow). It decides which metrics alerts and autoscalers may read "
                          "(docs/metric-contract.md); `custom`: a server whose metrics are unknown.")


class Preprocessing(SpecModel):
    package: str | None = Field(None, description="Python package that implements the preprocessing.")
    image: str | None = Field(None, description="Or: a container image that implements it.")
    artifact: str | None = Field(None, description="Or: a registered MLflow artifact URI.")
    version: VersionText | None = Field(None, description="Exact version used by training and serving alike.")
    entrypoint: str | None = Field(None, description="`module:function` that transforms raw input into features.")


class FeatureView(SpecModel):
    entities: list[str] = Field(default_factory=empty_list, description="Entity keys the view is joined on.")
    timestamp_field: str | None = Field(None, description="Event-time column; required for point-in-time joins.")
    ttl: Duration | None = Field(None, description="How long a feature value stays valid.")


class Features(SpecModel):
    store: Literal["feast", "none"] = Field("none", description="Feature store in use.")
    views: dict[Name, FeatureView] = Field(default_factory=empty_dict, description="Feature views by name.")
    server: str | None = Field(None, description="URL of the store's online feature server (Feast: "
                                                 "http://<svc>.<namespace>.svc:6566), which serving pods of models "
                                                 "with features and steps that read features are let reach.")

    @field_validator("server")
    @classmethod
    def _service_url(cls, url: str | None) -> str | None:
        return None if url is None else check_service_url(url)
