"""`monitoring.<endpoint>` -> the PodMonitor that has Prometheus scrape the endpoint's predictor pods.

- Pods: every pod KServe labels `serving.kserve.io/inferenceservice: <isvc>`, `component: predictor`
  (components/predictor.go buildObjectMeta), so the stable predictor, Standard-mode canary
  Deployments and every Knative revision are all one scrape job, `<namespace>/<podmonitor>`.
- Port: the model container's port by name, `http1` in Standard mode; Knative renames the user
  container's port to `user-port` (knative/serving knative-v1.23.0 pkg/reconciler/revision/resources/
  deploy.go makeServingContainer). A server whose metrics have a port of their own (TorchServe 8082,
  Triton 8002, the runtimes' `prometheus.kserve.io/port`) has its target's address rewritten to that
  port: Knative allows one container port, so the metrics port cannot be declared there.
- Knative with request metrics exported: the queue-proxy's `http-usermetric` port too.
"""
from __future__ import annotations

from compiler import metric_contract

from .context import Context
from .labels import DOMAIN, ENDPOINT_LABEL, metadata, obj
from .serving import pod_port_name, service_name

COMPONENT = "monitoring"
MONITORING_API = "monitoring.coreos.com/v1"
SCRAPE_INTERVAL = "30s"
#: Knative's name for the queue-proxy's request-metrics port (the user port's is serving.pod_port_name)
#: (knative/serving knative-v1.23.0 pkg/apis/serving/v1/revision_helpers.go).
KNATIVE_USER_METRICS_PORT = "http-usermetric"
MODEL_SERVER_ANNOTATION = f"{DOMAIN}/model-server"
#: KServe's labels on every predictor pod (pkg/constants/constants.go InferenceServicePodLabelKey, KServiceComponentLabel).
ISVC_POD_LABEL = "serving.kserve.io/inferenceservice"
COMPONENT_POD_LABEL = "component"


def podmonitor_name(ctx: Context, endpoint: str) -> str:
    return ctx.name(endpoint)


def _metrics_address(port: int) -> list[dict]:
    """Relabelling that scrapes the pod on `port` instead of the discovered port (IPv6 addresses keep their brackets)."""
    return [{"sourceLabels": ["__address__"], "targetLabel": "__address__", "regex": "(.+):[0-9]+",
             "replacement": f"${{1}}:{port}", "action": "replace"}]


def pod_monitor(ctx: Context, endpoint: str) -> dict:
    contract = metric_contract.for_endpoint(ctx.spec, endpoint)
    server = contract.server
    model_endpoint: dict = {"port": pod_port_name(ctx), "path": server.metrics_path, "interval": SCRAPE_INTERVAL}
    if server.metrics_port is not None and server.metrics_port != ctx.spec.serving[endpoint].port:
        model_endpoint["relabelings"] = _metrics_address(server.metrics_port)
    endpoints = [model_endpoint]
    if contract.has(metric_contract.QUEUE_PROXY):
        endpoints.append({"port": KNATIVE_USER_METRICS_PORT, "path": "/metrics", "interval": SCRAPE_INTERVAL})
    meta = metadata(ctx, podmonitor_name(ctx, endpoint), COMPONENT, f"monitoring.{endpoint}",
                    extra_labels={ENDPOINT_LABEL: endpoint, **ctx.spec.platform.prometheus.selector_labels},
                    extra_annotations={MODEL_SERVER_ANNOTATION: contract.server_key})
    return obj(MONITORING_API, "PodMonitor", meta, spec={
        "selector": {"matchLabels": {COMPONENT_POD_LABEL: "predictor", ISVC_POD_LABEL: service_name(ctx, endpoint)}},
        "podMetricsEndpoints": endpoints,
    })
