"""The egress of each role's pods: what the spec declares they reach, and `network.egress`.

Each rule comes from one spec entity, and the policy's `mlops.dev/egress` annotation says which,
rule by rule (`egress[i] <- spec path: why`): a NetworkPolicy has no per-rule annotations.

A NetworkPolicy selects IP blocks and pods, never host names (networking.k8s.io/v1
NetworkPolicyPeer). So a service the spec names by an in-cluster name
(`<service>.<namespace>.svc[.cluster.local]`) is opened by its namespace and port; any other host
(MLflow at https://mlflow.example.com, an S3/GCS/Azure Blob bucket, the API server) only by its
port, to every address: its IPs are the cloud's to change. Narrow those with a CNI FQDN policy or
an egress proxy; `network.egress` adds CIDRs and pod selectors.
"""
from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urlsplit

from .context import Context
from .labels import DOMAIN

EGRESS_ANNOTATION = f"{DOMAIN}/egress"
#: `<service>.<namespace>.svc` with an optional cluster domain: the names that say their namespace.
_IN_CLUSTER = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.(?P<ns>[a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.[a-z0-9.-]+)?$")
HTTPS = [{"port": 443, "protocol": "TCP"}]
API_SERVER = [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}]
#: Storage schemes KServe's storage initializer and the monitor jobs download over HTTPS.
REMOTE_STORES = ("s3://", "gs://", "https://", "http://", "hf://")
#: networking/v1 role names of `network.egress[].pods` -> the roles of namespace.py.
ROLE_OF_PODS = {"serving": "serving", "pipelines": "training", "monitoring": "monitoring"}
ANYWHERE = "any address (a NetworkPolicy cannot name a host)"


class Egress(NamedTuple):
    rule: dict           # one NetworkPolicyEgressRule
    spec_path: str       # the spec entity that caused it
    why: str


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def service_egress(url: str, spec_path: str, what: str) -> Egress:
    """Egress to an http(s) service: by namespace when its host says it, else by port only."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", _port(url)
    ports = [{"port": port, "protocol": "TCP"}]
    match = _IN_CLUSTER.match(host)
    if match:
        peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": match["ns"]}}}
        return Egress({"to": [peer], "ports": ports}, spec_path, f"{what} {host}:{port} (namespace {match['ns']})")
    return Egress({"ports": ports}, spec_path, f"{what} {host}:{port}, to {ANYWHERE}")


def _mlflow(ctx: Context) -> Egress | None:
    """MLflow, when its URI is a literal http(s) URL (a `${VAR}` is only known where `mlops lock` runs)."""
    uri = ctx.spec.platform.mlflow.tracking_uri.strip()
    if "$" in uri or not re.match(r"https?://", uri):
        return None
    return service_egress(uri, "platform.mlflow.tracking_uri", "the MLflow registry at")


def _feature_server(ctx: Context) -> Egress | None:
    server = ctx.spec.features.server
    return None if server is None else service_egress(server, "features.server", "the feature server at")


def _serving_reads_features(ctx: Context) -> bool:
    return any(ctx.spec.models[e.model].features for e in ctx.spec.serving.values() if e.model in ctx.spec.models)


def _steps_read_features(ctx: Context) -> bool:
    return any(step.features for pipeline in ctx.spec.pipelines.values() for step in pipeline.steps.values())


def _model_stores(ctx: Context) -> list[str]:
    """The schemes of the storage URIs the serving pods download (current and kept versions)."""
    schemes = set()
    for endpoint in ctx.spec.serving.values():
        refs = [ctx.model_ref(endpoint.model), *ctx.previous_versions(endpoint.model, endpoint.rollout.keep_previous)]
        schemes |= {ref.storage_uri.split("://", 1)[0] for ref in refs if ref.storage_uri.startswith(REMOTE_STORES)}
    return sorted(schemes)


def _object_store(spec_path: str, what: str) -> Egress:
    return Egress({"ports": HTTPS}, spec_path, f"{what} over HTTPS: port 443 to {ANYWHERE}; bucket endpoints "
                                               "(S3, GCS, Azure Blob) have no fixed addresses")


def declared_egress(ctx: Context, role: str) -> list[Egress]:
    """What the spec declares `role`'s pods reach, then the user's `network.egress` rules for them."""
    result: list[Egress] = []
    features = _feature_server(ctx)
    if role == "serving":
        schemes = _model_stores(ctx)
        if schemes:
            result.append(_object_store("models", "model downloads by KServe's storage initializer ("
                                        + ", ".join(f"{s}://" for s in schemes) + ")"))
        if features is not None and _serving_reads_features(ctx):
            result.append(features)
    elif role == "training":
        result.append(Egress({"ports": API_SERVER}, "pipelines", "the Kubernetes API server (Argo's executor "
                                                                  f"reports step results), to {ANYWHERE}"))
        result.append(_object_store("pipelines", "training data and artifacts"))
        mlflow = _mlflow(ctx)
        if mlflow is not None:
            result.append(mlflow)
        if features is not None and _steps_read_features(ctx):
            result.append(features)
    elif role == "monitoring":
        prometheus = ctx.spec.platform.prometheus
        result.append(Egress({"ports": API_SERVER}, "monitoring", "the Kubernetes API server (the retraining gate "
                                                                  f"lists and submits Workflows), to {ANYWHERE}"))
        result.append(_object_store("monitoring", "drift sources and reference data"))
        result.append(service_egress(prometheus.url, "platform.prometheus.url", "Prometheus (the gate's queries) at"))
        result.append(service_egress(prometheus.pushgateway, "platform.prometheus.pushgateway",
                                     "the Pushgateway (the jobs' metrics) at"))
    for index, rule in enumerate(ctx.spec.network.egress):
        if role in {ROLE_OF_PODS[p] for p in rule.pods}:
            why = rule.description or "declared egress"
            result.append(Egress({"to": [rule.lowered_peer()], "ports": rule.lowered_ports()},
                                 f"network.egress[{index}]", why))
    return result


def egress_annotation(egress: list[Egress]) -> str:
    """One line per rule: `egress[i] <- <spec path>: <why>`."""
    return "\n".join(f"egress[{i}] <- {e.spec_path}: {e.why}" for i, e in enumerate(egress))
