"""`runtimes:`, `preprocessing:` and `features:`: what code runs and what data it reads."""

from typing import Annotated, Literal

from pydantic import Field, field_validator

from pydantic import model_validator

from .base import Name, SpecModel, VersionText, empty_dict, empty_list
from .platform import check_service_url
from .containers import ObjectName
from .units import Duration

#: Model servers whose metrics the metric contract knows (compiler/metric_contract.py SERVERS).
ModelServer = Literal["kserve", "vllm", "torchserve", "triton", "mlserver", "custom"]


# IAM role ARNs (arn:<partition>:iam::<12-digit account>:role/<path/name>), GCP service account emails,
# Azure client ids (GUIDs): the formats the three identity webhooks read.
_AWS_ROLE = r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"
_GCP_SA = r"^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9.:]{4,100}\.iam\.gserviceaccount\.com$"
_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_ANNOTATION_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"


class S3Storage(SpecModel):
    endpoint: str | None = Field(None, min_length=1, max_length=253, pattern=r"^(https?://)?[A-Za-z0-9.-]+(:[0-9]+)?$",
                                 description="S3 endpoint host[:port] (serving.kserve.io/s3-endpoint), e.g. "
                                             "minio.storage:9000; default: AWS S3.")
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$",
                               description="Bucket region (serving.kserve.io/s3-region).")
    use_https: bool | None = Field(None, description="serving.kserve.io/s3-usehttps (default: KServe's, true).")
    verify_ssl: bool | None = Field(None, description="serving.kserve.io/s3-verifyssl (default: true).")


class ServiceAccount(SpecModel):
    """The identity a runtime's pods run as: one ServiceAccount per runtime, with cloud identity annotations."""

    aws_role_arn: str | None = Field(None, pattern=_AWS_ROLE, description=(
        "EKS IRSA: the IAM role the pods assume (eks.amazonaws.com/role-arn). With EKS Pod Identity, leave it out "
        "and associate the role with this ServiceAccount (docs/production.md)."))
    gcp_service_account: str | None = Field(None, pattern=_GCP_SA, description=(
        "GKE Workload Identity: the Google service account (iam.gke.io/gcp-service-account)."))
    azure_client_id: str | None = Field(None, pattern=_GUID, description=(
        "Azure Workload Identity: the managed identity's client id (azure.workload.identity/client-id); the pods "
        "get the label azure.workload.identity/use: \"true\"."))
    annotations: dict[Annotated[str, Field(pattern=_ANNOTATION_KEY, max_length=316)], str] = Field(
        default_factory=empty_dict, description="Further ServiceAccount annotations (e.g. another webhook's).")
    storage_secrets: list[ObjectName] = Field(default_factory=empty_list, description=(
        "Secrets KServe's storage initializer reads the model's credentials from (the ServiceAccount's "
        "`secrets:`; keys AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, gcloud-application-credentials.json, "
        "AZURE_CLIENT_ID..., HF_TOKEN: kserve v0.20.0 pkg/credentials/service_account_credentials.go)."))
    s3: S3Storage | None = Field(None, description=(
        "S3 settings KServe reads from the ServiceAccount's annotations; it reads them only beside "
        "`aws_role_arn` (BuildServiceAccountEnvs). With a storage secret, annotate the Secret instead."))

    @model_validator(mode="after")
    def _s3_needs_irsa(self) -> "ServiceAccount":
        if self.s3 is not None and self.aws_role_arn is None:
            raise ValueError("KServe reads the s3 annotations of a ServiceAccount only when it also has "
                             "eks.amazonaws.com/role-arn: set `aws_role_arn`, or put serving.kserve.io/s3-* on the "
                             "storage Secret (docs/production.md)")
        reserved = {"eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id"}
        clash = sorted(reserved & set(self.annotations)) + sorted(
            k for k in self.annotations if k.startswith("serving.kserve.io/s3-"))
        if clash:
            raise ValueError(f"annotation {clash[0]} is set by a field of its own (aws_role_arn, gcp_service_account, "
                             "azure_client_id, s3): use that field")
        return self

    @property
    def uses_azure(self) -> bool:
        return self.azure_client_id is not None


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
    service_account: ServiceAccount | None = Field(
        None, description="A ServiceAccount of its own for the pods of this runtime, with cloud identity "
                          "(IRSA, GKE/Azure Workload Identity) and model storage credentials; default: the role's "
                          "(training, serving, monitoring).")
    image_pull_secrets: list[ObjectName] = Field(
        default_factory=empty_list, description="Secrets (kubernetes.io/dockerconfigjson) to pull the image with.")


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
