"""The root of mlops.yaml: `apiVersion: mlops/v1`, `kind: System` and every section."""

from typing import Any, Literal

from pydantic import Field

from .artifacts import Features, Preprocessing, Runtime
from .base import Name, SpecModel, empty_dict, empty_list
from .lint_config import LintConfig
from .models import Model
from .network import Network
from .monitoring import Monitor
from .node_pools import NodePool
from .overrides import Override
from .pipelines import Pipeline
from .platform import Metadata, Platform
from .serving import Endpoint

SUPPORTED_API_VERSIONS = ("mlops/v1",)


class Spec(SpecModel):
    """One ML system: images, data, models, pipelines, GPU pools, serving and monitoring."""

    api_version: Literal["mlops/v1"] = Field(alias="apiVersion", description="Spec language version: mlops/v1.")
    kind: Literal["System"] = Field(description="Always System.")
    metadata: Metadata = Field(description="Name, namespace, owner and labels of the system.")
    platform: Platform = Field(default_factory=Platform, description="Where the system runs.")
    runtimes: dict[Name, Runtime] = Field(default_factory=empty_dict, description="Container images per role.")
    preprocessing: dict[Name, Preprocessing] = Field(default_factory=empty_dict,
                                                     description="Versioned preprocessing artifacts.")
    features: Features = Field(default_factory=Features, description="Feature store views.")
    models: dict[Name, Model] = Field(default_factory=empty_dict, description="Registered models and version choice.")
    node_pools: dict[Name, NodePool] = Field(default_factory=empty_dict, description="GPU and CPU node pools.")
    pipelines: dict[Name, Pipeline] = Field(default_factory=empty_dict, description="Training pipelines (DAGs).")
    serving: dict[Name, Endpoint] = Field(default_factory=empty_dict, description="Online endpoints.")
    network: Network = Field(default_factory=Network, description="Extra egress of the system's pods.")
    monitoring: dict[Name, Monitor] = Field(default_factory=empty_dict, description="Monitoring, keyed by endpoint.")
    environments: dict[Name, dict[str, Any]] = Field(
        default_factory=empty_dict, description="Overlays by environment name, deep-merged onto the base by --env: "
                                                "mappings merge, lists replace, null removes.")
    overrides: list[Override] = Field(
        default_factory=empty_list, description="Patches on generated objects, for fields the spec does not model "
                                                "(docs/overrides.md); an overlay's list is appended, same names replace.")
    lint: LintConfig = Field(default_factory=LintConfig, description="Lint configuration.")
