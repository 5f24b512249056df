"""`metadata:` and `platform:`: who owns the system and where it runs."""

import os
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import Name, Number, SecretRef, SpecModel, empty_dict
from .queues import Queue

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# What `${VAR}` may name: the variable MLflow itself reads for its URI, and the MLOPS_ prefix for
# the user's own. Anything else (AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN) must not leave the machine
# through a URI a pull request wrote.
EXPANDED_VARIABLES = ("MLFLOW_TRACKING_URI",)
EXPANDED_PREFIX = "MLOPS_"


def may_expand(name: str) -> bool:
    return name in EXPANDED_VARIABLES or name.startswith(EXPANDED_PREFIX)


def expand_env(text: str) -> str:
    """Expand `${VAR}` and `${VAR:-default}` from the process environment, for the variables may_expand allows."""
    return _ENV_REF.sub(lambda m: (os.environ.get(m[1]) or (m[2] if m[2] is not None else "")) if may_expand(m[1])
                        else m[0], text)


def env_reference_problem(text: str) -> str | None:
    """Why `text` may not reference the environment as it does, or None.

    A variable is the whole value (`${VAR}` or `${VAR:-default}`, the default without references):
    its value then chooses the host, so a credential in it goes only where its owner pointed it. Inside
    a longer text (`https://evil.example/?u=${MLFLOW_TRACKING_URI}`) the spec would choose where it goes.
    """
    if "$" not in text:
        return None
    whole = _ENV_REF.fullmatch(text.strip())
    names = [m[1] for m in _ENV_REF.finditer(text)]
    refused = [name for name in names if not may_expand(name)]
    if refused:
        return (f"${{{refused[0]}}} is not expanded: only ${{MLFLOW_TRACKING_URI}} and ${{MLOPS_*}} variables are, so "
                "that a spec cannot send another variable of the machine (a token, a key) to a server")
    if whole is None or (whole[2] is not None and "$" in whole[2]) or not names:
        return ("a ${VAR} reference must be the whole value (`${MLFLOW_TRACKING_URI}` or "
                "`${MLFLOW_TRACKING_URI:-sqlite:///mlruns.db}`): inside a longer URI the spec, not the variable's "
                "owner, would choose the host its value is sent to")
    return None


# Namespaces a system must not take over: Kubernetes' own, and those the operators mlops targets
# install into by default (their install manifests / Helm charts), whose pods a default-deny
# NetworkPolicy would cut off and whose deletion on `pulumi destroy` would remove the operator.
RESERVED_NAMESPACES = {
    "default": "the namespace every unqualified kubectl command uses",
    "kube-system": "Kubernetes' system namespace (and where Karpenter is installed by default)",
    "kube-public": "Kubernetes' public namespace", "kube-node-lease": "Kubernetes' node heartbeat namespace",
    "gpu-operator": "the NVIDIA GPU Operator's namespace", "karpenter": "Karpenter's namespace",
    "kserve": "KServe's controller namespace", "knative-serving": "Knative Serving's namespace",
    "knative-eventing": "Knative Eventing's namespace", "kourier-system": "Knative's Kourier ingress namespace",
    "istio-system": "Istio's namespace (Knative and KServe ingress)", "cert-manager": "cert-manager's namespace "
    "(KServe's webhooks need it)", "argo": "Argo Workflows' namespace", "keda": "KEDA's namespace",
    "monitoring": "the Prometheus Operator's namespace (kube-prometheus)",
}


def reserved_namespace(namespace: str) -> str | None:
    """Why `namespace` belongs to the cluster or an operator, or None when a system may own it."""
    if namespace in RESERVED_NAMESPACES:
        return RESERVED_NAMESPACES[namespace]
    if namespace.startswith("kube-"):
        return "in the kube- prefix Kubernetes reserves for its system namespaces"
    return None


def check_labels(labels: dict[str, str]) -> dict[str, str]:
    """Kubernetes label syntax for every key and value (metadata.labels, the labels Prometheus selects by)."""
    for key, value in labels.items():
        name = key.rsplit("/", 1)[-1]
        if not re.fullmatch(r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]", name) or len(key) > 253:
            raise ValueError(f"label key {key!r} is not a valid Kubernetes label key")
        if not re.fullmatch(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", value) or len(value) > 63:
            raise ValueError(f"label value {value!r} (of {key}) is not a valid Kubernetes label value: "
                             "at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric")
    return labels


def check_service_url(url: str) -> str:
    """An in-cluster HTTP(S) endpoint: a scheme, a host, no credentials, nothing that is not a URL."""
    match = re.fullmatch(r"(https?)://([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)(:[0-9]{1,5})?(/[-A-Za-z0-9._~/]*)?", url)
    if not match:
        raise ValueError(f"{url!r} is not an http(s) URL of a service: write e.g. "
                         "http://prometheus-operated.monitoring.svc:9090 (no credentials, no query)")
    return url


class Metadata(SpecModel):
    name: Name = Field(description="Name of the system: the prefix of every generated resource name.")
    namespace: Name = Field(description="Kubernetes namespace the system runs in.")
    owner: Name | None = Field(None, description="Owning team: becomes a label and the default alert receiver.")
    labels: dict[str, str] = Field(default_factory=empty_dict, description="Labels added to every generated resource.")

    @field_validator("namespace")
    @classmethod
    def _own_namespace(cls, namespace: str) -> str:
        why = reserved_namespace(namespace)
        if why is not None:
            raise ValueError(f"namespace {namespace!r} is {why}; mlops labels its namespace for Pod Security, puts a "
                             "default-deny NetworkPolicy in it and (through Pulumi) owns it, deleting it on destroy. "
                             "Use a namespace of the system's own, e.g. 'fraud-ml' or '<metadata.name>-ml'")
        return namespace

    @field_validator("labels")
    @classmethod
    def _label_syntax(cls, labels: dict[str, str]) -> dict[str, str]:
        return check_labels(labels)


class MlflowSettings(SpecModel):
    tracking_uri: str = Field("${MLFLOW_TRACKING_URI:-sqlite:///mlruns.db}",
                              description="MLflow tracking/registry URI. The whole value may be `${VAR}` or "
                                          "`${VAR:-default}` for MLFLOW_TRACKING_URI or an MLOPS_* variable, which "
                                          "expands from the environment (no other variable, and not inside a "
                                          "longer text). A relative sqlite path is relative to the spec file.")

    @field_validator("tracking_uri")
    @classmethod
    def _whole_variable(cls, uri: str) -> str:
        problem = env_reference_problem(uri)
        if problem is not None:
            raise ValueError(problem)
        return uri

    def resolved_tracking_uri(self) -> str:
        return expand_env(self.tracking_uri)

    def variable(self) -> str | None:
        """The environment variable the URI is, when it is one and that variable is set."""
        whole = _ENV_REF.fullmatch(self.tracking_uri.strip())
        return whole[1] if whole is not None and os.environ.get(whole[1]) else None


class GpuOperator(SpecModel):
    mig_strategy: Literal["none", "single", "mixed"] = Field(
        "mixed", description="NVIDIA GPU Operator MIG strategy: how MIG devices are exposed to pods.")


class Slack(SpecModel):
    channel: str = Field(min_length=1, description="Slack channel to post alerts to, e.g. `#risk-alerts`.")
    secret: SecretRef = Field(description="Secret holding the channel's incoming-webhook URL, as `secret-name/key` "
                                          "(in the system's namespace; Alertmanager posts to that URL).")


class PagerDuty(SpecModel):
    secret: SecretRef = Field(description="Secret holding the PagerDuty Events API v2 routing key, as "
                                          "`secret-name/key` (in the system's namespace).")


class EmailAuth(SpecModel):
    username: str = Field(min_length=1, description="SMTP user name.")
    secret: SecretRef = Field(description="Secret holding the SMTP password, as `secret-name/key`.")


class Email(SpecModel):
    to: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="Address the alerts are sent to.")
    from_: str | None = Field(None, alias="from", pattern=r"^[^@\s]+@[^@\s]+$",
                              description="Sender address (default: the Alertmanager's global `smtp_from`).")
    smarthost: str | None = Field(None, pattern=r"^[A-Za-z0-9.-]+:[0-9]{1,5}$",
                                  description="SMTP server as `host:port` (default: the Alertmanager's global "
                                              "`smtp_smarthost`).")
    auth: EmailAuth | None = Field(None, description="SMTP login, when the server asks for one.")


class Webhook(SpecModel):
    secret: SecretRef = Field(description="Secret holding the webhook URL, as `secret-name/key`.")


class Receiver(SpecModel):
    slack: Slack | None = Field(None, description="Slack channel, posted to through an incoming-webhook URL secret.")
    pagerduty: PagerDuty | None = Field(None, description="PagerDuty service to page.")
    email: Email | None = Field(None, description="E-mail recipient (`email: oncall@acme.com` or the mapping).")
    webhook: Webhook | None = Field(None, description="Generic webhook receiver.")

    @field_validator("slack", mode="before")
    @classmethod
    def _slack_needs_a_secret(cls, value):
        if isinstance(value, str):
            raise ValueError(f"a Slack receiver needs the incoming-webhook URL as well as the channel: write "
                             f"slack: {{channel: \"{value}\", secret: <secret-name>/<key>}} (a Secret in the "
                             "system's namespace holding the webhook URL)")
        return value

    @field_validator("email", mode="before")
    @classmethod
    def _email_address(cls, value):
        return {"to": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_target(self) -> "Receiver":
        if not any((self.slack, self.pagerduty, self.email, self.webhook)):
            raise ValueError("a receiver needs one of slack, pagerduty, email or webhook")
        return self


class Alerts(SpecModel):
    receivers: dict[Name, Receiver] = Field(default_factory=empty_dict, description="Alert receivers by name.")


class PrometheusSettings(SpecModel):
    """Where the cluster's Prometheus, Pushgateway and Alertmanager are, and how they pick up objects."""

    url: str = Field("http://prometheus-operated.monitoring.svc:9090",
                     description="Prometheus HTTP API that KEDA scalers and the retraining gate query "
                                 "(default: the Prometheus Operator's governing service in `monitoring`).")
    pushgateway: str = Field("http://prometheus-pushgateway.monitoring.svc:9091",
                             description="Pushgateway the drift and performance-estimation jobs push their "
                                         "metrics to; the generated monitoring scrapes it.")
    pushgateway_selector_labels: dict[str, str] = Field(
        default_factory=lambda: {"app.kubernetes.io/name": "prometheus-pushgateway"},
        description="Labels of the Pushgateway's Service, which the generated ServiceMonitor selects in the "
                    "namespace of the `pushgateway` URL (default: what the prometheus-community chart sets).")
    selector_labels: dict[str, str] = Field(
        default_factory=empty_dict,
        description="Labels your Prometheus selects PodMonitors, ServiceMonitors and PrometheusRules by "
                    "(kube-prometheus-stack: `{release: <its release name>}`); added to those objects.")
    alertmanager_selector_labels: dict[str, str] = Field(
        default_factory=empty_dict,
        description="Labels your Alertmanager selects AlertmanagerConfig objects by "
                    "(`alertmanagerConfigSelector`); added to them.")
    knative_request_metrics: bool = Field(
        False, description="Knative's `config-observability` sets `request-metrics-protocol: prometheus`: each "
                           "queue-proxy then serves request counts and latencies (port `http-usermetric`), which "
                           "knative-mode latency and error-rate SLOs read. Off by default in Knative.")

    @field_validator("url", "pushgateway")
    @classmethod
    def _service_url(cls, url: str) -> str:
        return check_service_url(url)

    @field_validator("selector_labels", "alertmanager_selector_labels", "pushgateway_selector_labels")
    @classmethod
    def _label_syntax(cls, labels: dict[str, str]) -> dict[str, str]:
        return check_labels(labels)


class GkeCluster(SpecModel):
    """The GKE cluster the Pulumi program adds its node pools to (cloud gcp)."""

    cluster: str = Field(min_length=1, max_length=40, pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$",
                         description="Name of the existing GKE cluster.")
    location: str = Field(min_length=1, max_length=63, pattern=r"^[a-z]+-[a-z]+[0-9]+(-[a-z])?$",
                          description="Its region (us-central1) or zone (us-central1-a).")
    project: str | None = Field(None, pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$",
                                description="Google Cloud project (default: the stack's gcp:project).")
    service_account: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$",
                                        description="Node service account e-mail (default: the project's "
                                                    "Compute Engine default).")


class Platform(SpecModel):
    cloud: Literal["aws", "gcp", "azure", "generic"] = Field(
        "generic", description="Node-pool flavour: aws emits Karpenter NodePools + EC2NodeClasses; azure "
                               "Karpenter NodePools + AKSNodeClasses (AKS node auto-provisioning); gcp GKE node "
                               "pools in the Pulumi program (set `gke`) and the GKE labels pods select; generic only "
                               "the GPU sharing configs and the labels/taints pods select.")
    gke: GkeCluster | None = Field(None, description="cloud gcp: the GKE cluster node pools are added to.")
    kubernetes: str = Field("1.31", pattern=r"^1\.[0-9]{2}$",
                            description="Target Kubernetes minor version, e.g. \"1.31\"; manifests are validated "
                                        "against it.")
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings, description="Model registry settings.")
    gpu_operator: GpuOperator = Field(default_factory=GpuOperator, description="NVIDIA GPU Operator settings.")
    serving_mode: Literal["standard", "knative"] = Field(
        "standard", description="KServe deployment mode: standard (plain Deployments) or knative (serverless).")
    alerts: Alerts = Field(default_factory=Alerts, description="Where alerts go.")
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings,
                                           description="The cluster's Prometheus, Pushgateway and Alertmanager.")
    queues: dict[Name, Queue] = Field(
        default_factory=empty_dict, description="GPU queues (Kueue): per team, quotas on GPU pools, borrowing within "
                                                "a cohort; pipelines name theirs with `queue`.")
    prices: dict[str, Annotated[Number, Field(ge=0)]] = Field(
        default_factory=empty_dict, description="Hourly USD prices overriding the built-in table: per GPU for an "
                                                "accelerator key (a100-80gb), per node for an instance type.")
