"""The pods KServe (and Knative) run for an InferenceService's predictor, as far as scraping sees them.

- Labels: kserve/kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/components/predictor.go
  buildObjectMeta: the InferenceService's labels, the predictor's labels, then
  `serving.kserve.io/inferenceservice: <name>` and `component: predictor`. A Standard-mode canary is
  the stable predictor with the canary's fields merged over it (buildCanaryPredictor), in its own
  Deployment `PredictorServiceName(name, canary.predictor.name)` (reconcileCanaryDeployments).
- Containers: Standard mode keeps the model container's ports; Knative replaces them with one port
  named `user-port` (knative/serving knative-v1.23.0 pkg/reconciler/revision/resources/deploy.go
  makeServingContainer) and adds the queue-proxy with `queue-port`, `http-queueadm`, `http-autometric`
  and `http-usermetric` (queue.go).
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: knative/serving knative-v1.23.0 pkg/reconciler/revision/resources/queue.go and pkg/networking/constants.go.
QUEUE_PROXY_PORTS = (("queue-port", 8012), ("http-queueadm", 8022), ("http-autometric", 9090),
                     ("http-usermetric", 9091))


@dataclass(frozen=True)
class Pod:
    workload: str                     # the Deployment (or Knative Service) whose pods these are
    namespace: str
    labels: dict
    containers: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]   # (name, ((port name, number), ...))
    model_format: str = ""
    annotations: dict = field(default_factory=dict)

    def port_names(self) -> set[str]:
        return {name for _, ports in self.containers for name, _ in ports if name}

    def port(self, name: str) -> int | None:
        return next((number for _, ports in self.containers for port, number in ports if port == name), None)


def _merged(stable: dict, canary: dict) -> dict:
    """mergo.Merge(WithOverride) of a canary predictor over the stable one: non-empty fields win, maps merge."""
    result = dict(stable)
    for key, value in canary.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        elif value not in (None, "", [], {}):
            result[key] = value
    return result


def _pod(isvc: dict, predictor: dict, knative: bool) -> Pod:
    meta = isvc["metadata"]
    name = meta["name"]
    labels = {**(meta.get("labels") or {}), **(predictor.get("labels") or {}),
              "serving.kserve.io/inferenceservice": name, "component": "predictor"}
    # A `model:` predictor runs KServe's container for its format; a custom predictor its own `containers:`.
    model = predictor.get("model") or next(iter(predictor.get("containers") or []), {})
    ports = tuple((p.get("name", ""), p["containerPort"]) for p in model.get("ports") or [])
    if knative:
        ports = (("user-port", ports[0][1] if ports else 8080),)
    containers = [(model.get("name", "kserve-container"), ports)]
    if knative:
        containers.append(("queue-proxy", QUEUE_PROXY_PORTS))
        labels["serving.knative.dev/service"] = f"{name}-predictor"
    named = predictor.get("name")
    workload = f"{name}-{named}-predictor" if named else f"{name}-predictor"
    return Pod(workload, meta.get("namespace", ""), labels, tuple(containers),
               (model.get("modelFormat") or {}).get("name", "custom"))


def predictor_pods(isvc: dict) -> list[Pod]:
    """The stable predictor's pods and, in Standard mode, each canary's."""
    spec = isvc.get("spec") or {}
    annotations = (isvc.get("metadata") or {}).get("annotations") or {}
    knative = annotations.get("serving.kserve.io/deploymentMode") == "Knative"
    stable = spec.get("predictor") or {}
    pods = [_pod(isvc, stable, knative)]
    if not knative:
        pods += [_pod(isvc, _merged(stable, canary.get("predictor") or {}), knative)
                 for canary in spec.get("canary") or []]
    return pods


def label_selector_matches(selector: dict, labels: dict) -> bool:
    """metav1.LabelSelectorAsSelector semantics: every matchLabels pair and every matchExpressions requirement."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True
