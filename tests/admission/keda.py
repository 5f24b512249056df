"""KEDA (v2.20.2) and its HTTP add-on (v0.15.0): the ScaledObjects that will exist, and whether they scale.

We emit no ScaledObject ourselves; two controllers create them from what we emit, and KEDA's webhook
then judges those: KServe's KEDA path makes one per predictor whose autoscaler class is `keda`
(kserve/kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/reconcilers/keda/keda_reconciler.go
createKedaScaledObject), and the HTTP add-on's operator makes one per HTTPScaledObject
(kedacore/http-add-on v0.15.0 pkg/k8s/scaledobject.go NewScaledObject). `scaled_objects()` derives
them as those controllers would, so KEDA's checks (apis/keda/v1alpha1/scaledobject_webhook.go
validateWorkload) run on what the cluster would actually receive, together with the HPA semantics
of the metric targets KEDA builds and what the add-on's operator and interceptor need.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from . import Case, Objects, compile_check, object_check
from .kserve import (DEFAULT_HTTP_PORT, autoscaler_class, canary_class, canary_replicas, deployment_mode,
                     isvc, predictor_service_name, predictors, server_container)

KEDA = "kedacore/keda v2.20.2"
WEBHOOK = f"{KEDA} apis/keda/v1alpha1/scaledobject_webhook.go"
HTTP_ADD_ON = "kedacore/http-add-on v0.15.0"
KSERVE_KEDA = "kserve/kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/reconcilers/keda/keda_reconciler.go"
SCALED = ("ScaledObject", "HTTPScaledObject", "InferenceService")
LABEL_LIMIT = 63                              # scaledobject_webhook.go maxK8sLabelValueLength
DEFAULT_MAX = 100                             # scaledobject_types.go defaultHPAMaxReplicas
_AGGREGATION = re.compile(r"^\s*(sum|avg|min|max|count|stddev|stdvar|quantile|topk|bottomk|group|count_values)\b"
                          r"\s*(by|without)?")
SERVICE_PORT = 80                             # kserve constants.go CommonDefaultHttpPort


# --- the ScaledObjects that will exist --------------------------------------------------------------

def _scaled_object(name: str, namespace: str, target: dict, low, high, triggers: list[dict], origin: str,
                   **spec) -> dict:
    body = {"scaleTargetRef": target, "triggers": triggers, **spec}
    if low is not None:
        body["minReplicaCount"] = low
    if high is not None:
        body["maxReplicaCount"] = high
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": name, "namespace": namespace}, "spec": body, "origin": origin}


def _kserve_triggers(predictor: dict) -> list[dict]:
    """keda_reconciler.go getKedaMetrics: one trigger per autoScaling metric; an external metric's
    threshold is `target.value` (an `averageValue` is not read: the threshold is then "0")."""
    triggers = []
    for metric in (predictor.get("autoScaling") or {}).get("metrics") or []:
        if metric.get("type") == "External":
            source = metric.get("external") or {}
            details = source.get("metric") or {}
            triggers.append({"type": details.get("backend", ""), "metadata": {
                "serverAddress": details.get("serverAddress", ""), "query": details.get("query", ""),
                "threshold": str((source.get("target") or {}).get("value", "0"))}})
        elif metric.get("type") == "Resource":
            resource = metric.get("resource") or {}
            target = resource.get("target") or {}
            value = target.get("averageUtilization", target.get("averageValue", target.get("value", "0")))
            triggers.append({"type": resource.get("name", ""), "metricType": target.get("type", ""),
                             "metadata": {"value": str(value)}})
    return triggers


def scaled_objects(obj: dict) -> list[dict]:
    """The ScaledObjects that exist because of `obj`: itself, or what KServe / the HTTP add-on create from it."""
    meta = obj.get("metadata") or {}
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    if obj.get("kind") == "ScaledObject":
        return [{**obj, "origin": f"ScaledObject {name}"}]
    if obj.get("kind") == "HTTPScaledObject":
        spec = obj.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        replicas = spec.get("replicas") or {}
        target = {k: ref[k] for k in ("apiVersion", "kind", "name") if ref.get(k)}
        trigger = {"type": "external-push", "metadata": {"scalerAddress": "keda-add-ons-http-external-scaler.keda:9090",
                                                         "httpScaledObject": name}}
        return [_scaled_object(name, namespace, target, replicas.get("min"), replicas.get("max"), [trigger],
                               f"the HTTP add-on's ScaledObject for HTTPScaledObject {name}", pollingInterval=15)]
    if obj.get("kind") != "InferenceService" or deployment_mode(obj) != "Standard":
        return []
    spec = obj.get("spec") or {}
    found = []
    main = spec.get("predictor") or {}
    if autoscaler_class(obj) == "keda":
        low = main.get("minReplicas")
        if low is not None and spec.get("canary"):   # predictor.go reconcileRawDeployment
            low = max(low - sum(canary_replicas(obj, c) for c in spec["canary"]), 1)
        low = 1 if low is None else low
        high = max(main.get("maxReplicas", 0), low)
        deployment = predictor_service_name(name, main.get("name", ""))
        found.append(_scaled_object(deployment, namespace, {"name": deployment}, low, high, _kserve_triggers(main),
                                    f"KServe's ScaledObject for InferenceService {name}"))
    for canary in spec.get("canary") or []:
        if canary_class(obj, canary) == "keda":
            replicas = canary_replicas(obj, canary)
            deployment = predictor_service_name(name, (canary.get("predictor") or {}).get("name", ""))
            # reconcileCanaryDeployments passes only MinReplicas: no autoScaling, so no trigger.
            found.append(_scaled_object(deployment, namespace, {"name": deployment}, replicas, replicas, [],
                                        f"KServe's ScaledObject for the canary of InferenceService {name}"))
    return found


def hpa_name(so: dict) -> str:
    """scaledobject_webhook.go getHpaName."""
    custom = (((so.get("spec") or {}).get("advanced") or {}).get("horizontalPodAutoscalerConfig") or {}).get("name")
    return custom or f"keda-hpa-{so['metadata']['name']}"


def _target_key(namespace: str, ref: dict) -> tuple[str, str, str, str]:
    """A scale target as KEDA compares them: apps/v1 Deployment unless said otherwise (ParseGVKR)."""
    return (namespace, ref.get("apiVersion") or "apps/v1", ref.get("kind") or "Deployment", ref.get("name", ""))


# --- KEDA's webhook on those ScaledObjects -------------------------------------------------------------

@object_check("keda-scaledobject-name", kinds=SCALED, source=f"{WEBHOOK}: verifyName, getHpaName")
def scaledobject_name(obj: dict, objects: Objects) -> Iterator[str]:
    for so in scaled_objects(obj):
        name = so["metadata"]["name"]
        if len(name) > LABEL_LIMIT:
            yield f"{so['origin']}: scaledobject name {name!r} is {len(name)} characters; must be no more than 63"
        elif len(hpa_name(so)) > LABEL_LIMIT:
            yield f"{so['origin']}: HPA name {hpa_name(so)!r} is {len(hpa_name(so))} characters; must be no more " \
                  "than 63"


@object_check("keda-scaledobject-replicas", kinds=SCALED,
              source=f"{KEDA} apis/keda/v1alpha1/scaledobject_types.go: CheckReplicaCountBoundsAreValid; "
                     f"{WEBHOOK}: verifyCPUMemoryScalers")
def scaledobject_replicas(obj: dict, objects: Objects) -> Iterator[str]:
    for so in scaled_objects(obj):
        spec = so.get("spec") or {}
        low = spec.get("minReplicaCount")
        hpa_min = low if low else 1
        high = spec.get("maxReplicaCount", DEFAULT_MAX)
        if hpa_min > high:
            yield f"{so['origin']}: MinReplicaCount={hpa_min} must be less than MaxReplicaCount={high}"
        idle = spec.get("idleReplicaCount")
        if idle is not None and idle >= hpa_min:
            yield f"{so['origin']}: IdleReplicaCount={idle} must be less than MinReplicaCount={hpa_min}"
        types = [t.get("type") for t in spec.get("triggers") or []]
        if types and all(t in ("cpu", "memory") for t in types) and not low:
            yield f"{so['origin']}: only cpu/memory triggers AND minReplica is 0 (scale to zero doesn't work)"


@object_check("keda-scaledobject-triggers", kinds=SCALED,
              source=f"{KEDA} apis/keda/v1alpha1/scaletriggers_types.go: ValidateTriggers; {WEBHOOK}: verifyTriggers")
def scaledobject_triggers(obj: dict, objects: Objects) -> Iterator[str]:
    for so in scaled_objects(obj):
        triggers = (so.get("spec") or {}).get("triggers") or []
        if not triggers:
            yield f"{so['origin']}: no triggers defined in the ScaledObject"
        names: set[str] = set()
        for trigger in triggers:
            if trigger.get("useCachedMetrics") and trigger.get("type") in ("cpu", "memory", "cron"):
                yield f"{so['origin']}: property \"useCachedMetrics\" is not supported for {trigger['type']!r} scaler"
            if trigger.get("name"):
                if trigger["name"] in names:
                    yield f"{so['origin']}: triggerName {trigger['name']!r} is defined multiple times"
                names.add(trigger["name"])


@object_check("keda-prometheus-trigger", kinds=SCALED,
              source=f"{KEDA} pkg/scalers/prometheus_scaler.go: parsePrometheusMetadata, GetMetricSpecForScaling; "
                     f"{KEDA} pkg/scalers/scaler.go: GetMetricTargetType; "
                     "kubernetes/kubernetes v1.31.0 pkg/controller/podautoscaler/replica_calculator.go: "
                     "GetExternalPerPodMetricReplicas; kubernetes/kubernetes v1.31.0 "
                     "pkg/apis/autoscaling/validation/validation.go: validateMetricTarget")
def prometheus_trigger(obj: dict, objects: Objects) -> Iterator[str]:
    """Required metadata, and the target's meaning: without a metricType KEDA builds an AverageValue target,
    for which the HPA computes ceil(query / threshold) replicas, so the query must add the pods up (`sum`):
    an average or a maximum never asks for more than ceil(value / threshold) replicas, whatever the load."""
    for so in scaled_objects(obj):
        for trigger in (so.get("spec") or {}).get("triggers") or []:
            if trigger.get("type") != "prometheus":
                continue
            metadata = trigger.get("metadata") or {}
            for key in ("serverAddress", "query", "threshold"):
                if not metadata.get(key):
                    yield f"{so['origin']}: prometheus trigger metadata {key!r} is required"
            try:
                threshold = float(metadata.get("threshold", ""))
            except ValueError:
                yield f"{so['origin']}: prometheus threshold {metadata.get('threshold')!r} is not a number"
            else:
                if threshold <= 0:   # KEDA's HPA would carry a target of 0, which the API server refuses
                    yield f"{so['origin']}: prometheus threshold {threshold:g} must be positive"
            metric_type = trigger.get("metricType") or "AverageValue"
            if metric_type == "Utilization":
                yield f"{so['origin']}: the prometheus scaler does not support the Utilization metric type"
            aggregation = _AGGREGATION.match(metadata.get("query", ""))
            if metric_type == "AverageValue" and aggregation and (aggregation[1] != "sum" or aggregation[2]):
                yield f"{so['origin']}: an AverageValue target divides the query by the replica count, but the " \
                      f"query aggregates with {aggregation[0].strip()!r}: it must be one sum over the pods"


@compile_check("keda-one-autoscaler-per-workload", source=f"{WEBHOOK}: verifyScaledObjects, verifyHpas; "
               "kserve/kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/reconcilers/hpa/hpa_reconciler.go: "
               "createHPA, shouldCreateHPA")
def one_autoscaler_per_workload(objects: Objects) -> Iterator[str]:
    """KEDA refuses a ScaledObject for a workload another ScaledObject or an HPA already scales; KServe
    creates an HPA for each Standard-mode predictor of class hpa (the default)."""
    owners: dict[tuple, str] = {}
    hpas: dict[tuple[str, str], str] = {}

    def claim(key: tuple, owner: str) -> Iterator[str]:
        if key in owners and owners[key] != owner:
            yield f"{owner} and {owners[key]} both scale {key[2]} {key[3]!r} in {key[0] or 'the namespace'}"
        owners.setdefault(key, owner)

    for obj in objects:
        for so in scaled_objects(obj):
            namespace = so["metadata"].get("namespace", "")
            yield from claim(_target_key(namespace, (so.get("spec") or {}).get("scaleTargetRef") or {}), so["origin"])
            hpa = (namespace, hpa_name(so))
            if hpa in hpas and hpas[hpa] != so["origin"]:
                yield f"the HPA {hpa[1]!r} is already managed by {hpas[hpa]} ({so['origin']})"
            hpas.setdefault(hpa, so["origin"])
        if obj.get("kind") == "InferenceService" and deployment_mode(obj) == "Standard":
            name, namespace = obj["metadata"]["name"], obj["metadata"].get("namespace", "")
            spec = obj.get("spec") or {}
            if autoscaler_class(obj) == "hpa":
                deployment = predictor_service_name(name, (spec.get("predictor") or {}).get("name", ""))
                yield from claim(_target_key(namespace, {"name": deployment}), f"KServe's HPA {deployment}")
            for canary in spec.get("canary") or []:
                if canary_class(obj, canary) == "hpa":
                    deployment = predictor_service_name(name, (canary.get("predictor") or {}).get("name", ""))
                    yield from claim(_target_key(namespace, {"name": deployment}), f"KServe's HPA {deployment}")


# --- the HTTP add-on ------------------------------------------------------------------------------------

HTTP_KINDS = ("HTTPScaledObject",)


@object_check("keda-http-scaled-object", kinds=HTTP_KINDS,
              source=f"{HTTP_ADD_ON} operator/controllers/http/httpscaledobject_controller.go: Reconcile; "
                     f"{HTTP_ADD_ON} pkg/routing/key.go: newKeysFromRoutingRule")
def http_scaled_object(obj: dict, objects: Objects) -> Iterator[str]:
    spec = obj.get("spec") or {}
    metric = spec.get("scalingMetric") or {}
    if metric.get("concurrency") is not None and metric.get("requestRate") is not None:
        yield ".spec.scalingMetric.concurrency and .spec.scalingMetric.rate are mutually exclusive"
    for kind in ("concurrency", "requestRate"):
        if metric.get(kind) is not None and metric[kind].get("targetValue", 100) < 1:
            yield f"scalingMetric.{kind}.targetValue must be at least 1"
    ref = spec.get("scaleTargetRef") or {}
    if ("port" in ref) == ("portName" in ref):
        yield "scaleTargetRef must define either the 'portName' or the 'port'"
    if not ref.get("service") or not ref.get("name"):
        yield "scaleTargetRef needs the workload's name and the service to route to"
    # No host routes every host (the catch-all key `*`): all of the interceptor's traffic would go here.
    if not spec.get("hosts") or any(h in ("", "*") for h in spec["hosts"]):
        yield "hosts is empty or '*': the interceptor would route every request it receives to this service"


def _route_keys(obj: dict) -> list[str]:
    """pkg/routing/key.go NewKey: host without its port, then the path prefix without slashes."""
    spec = obj.get("spec") or {}
    keys = []
    for host in spec.get("hosts") or ["*"]:
        host = host.rsplit(":", 1)[0] if re.search(r":\d+$", host) else host
        for prefix in spec.get("pathPrefixes") or [""]:
            keys.append(f"{host}/{prefix.strip('/')}")
    return keys


@compile_check("keda-http-routes-unique", source=f"{HTTP_ADD_ON} pkg/routing/tablememory.go: TableMemory.Remember, "
               "TableMemory.Route")
def http_routes_unique(objects: Objects) -> Iterator[str]:
    """Two HTTPScaledObjects claiming one host and path: the interceptor sends the requests to only one."""
    seen: dict[str, str] = {}
    for obj in objects.of_kind("HTTPScaledObject"):
        owner = f"{obj['metadata'].get('namespace')}/{obj['metadata']['name']}"
        for key in _route_keys(obj):
            if key in seen and seen[key] != owner:
                yield f"HTTPScaledObjects {seen[key]} and {owner} both route {key!r}"
            seen.setdefault(key, owner)


@compile_check("keda-http-targets-kserve-predictor",
               source="kserve/kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/reconcilers/service/"
                      "service_reconciler.go: createDefaultSvc; "
                      "kserve/kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/reconcilers/deployment/"
                      "deployment_reconciler.go: createRawDefaultDeployment, checkDeploymentExist; "
                      "kserve/kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/reconcilers/ingress/"
                      "kube_ingress_reconciler.go: Reconcile")
def http_targets_kserve_predictor(objects: Objects) -> Iterator[str]:
    """An HTTPScaledObject must scale and route to the Deployment and Service KServe creates for a
    Standard-mode predictor (`<isvc>-predictor`, Service port 80 named after the container port), and
    KServe must leave that Deployment alone: class `external` (no HPA, replicas neither set nor
    reconciled; `none` would pin them at minReplicas). KServe's own ingress routes straight to the
    predictor Service, around the interceptor, unless the InferenceService is cluster-local."""
    predictors_by_name: dict[tuple[str, str], tuple[dict, dict]] = {}
    for obj in objects.of_kind("InferenceService"):
        if deployment_mode(obj) != "Standard":
            continue
        for _, predictor in predictors(obj):
            name = predictor_service_name(obj["metadata"]["name"], predictor.get("name", ""))
            predictors_by_name[(obj["metadata"].get("namespace", ""), name)] = (obj, predictor)
    for httpso in objects.of_kind("HTTPScaledObject"):
        ref = (httpso.get("spec") or {}).get("scaleTargetRef") or {}
        where = f"HTTPScaledObject {httpso['metadata']['name']}"
        found = predictors_by_name.get((httpso["metadata"].get("namespace", ""), ref.get("name", "")))
        if found is None or (ref.get("kind") or "Deployment") != "Deployment" or \
                (ref.get("apiVersion") or "apps/v1") != "apps/v1":
            yield f"{where}: scales {ref.get('kind', 'Deployment')} {ref.get('name')!r}, which no Standard-mode " \
                  "InferenceService in the namespace creates"
            continue
        isvc_obj, predictor = found
        if ref.get("service") != ref.get("name"):
            yield f"{where}: routes to Service {ref.get('service')!r}; KServe's Service for that Deployment is " \
                  f"{ref.get('name')!r}"
        ports = (server_container(predictor) or {}).get("ports") or []
        port_name = ports[0].get("name") if ports else isvc_obj["metadata"]["name"]
        if "port" in ref and ref["port"] != SERVICE_PORT:
            yield f"{where}: port {ref['port']}; KServe's predictor Service listens on {SERVICE_PORT}"
        if "portName" in ref and ref["portName"] != port_name:
            yield f"{where}: portName {ref['portName']!r}; KServe names the Service port {port_name!r}"
        klass = autoscaler_class(isvc_obj)
        if klass != "external":
            yield f"{where}: InferenceService {isvc_obj['metadata']['name']} has autoscaler class {klass!r}; with " \
                  "anything but 'external' KServe scales or pins the Deployment itself"
        labels = (isvc_obj.get("metadata") or {}).get("labels") or {}
        if labels.get("networking.kserve.io/visibility") != "cluster-local":
            yield f"{where}: InferenceService {isvc_obj['metadata']['name']} is not cluster-local, so KServe's " \
                  "ingress sends its traffic to the predictor Service directly, around the interceptor"


# --- fixtures -----------------------------------------------------------------------------------------

def _httpso(name: str = "fraud-api", namespace: str = "ml", hosts: list | None = None, **spec) -> dict:
    body = {"hosts": ["fraud-api-predictor.ml.svc"] if hosts is None else hosts,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "fraud-api-predictor",
                               "service": "fraud-api-predictor", "port": 80},
            "replicas": {"min": 0, "max": 4}, "scalingMetric": {"concurrency": {"targetValue": 8}}, **spec}
    return {"apiVersion": "http.keda.sh/v1alpha1", "kind": "HTTPScaledObject",
            "metadata": {"name": name, "namespace": namespace}, "spec": body}


def _keda_isvc(query: str = "sum(DCGM_FI_DEV_GPU_UTIL)", canary: list | None = None, **target) -> dict:
    metric = {"type": "External", "external": {
        "metric": {"backend": "prometheus", "serverAddress": "http://prometheus:9090", "query": query},
        "target": target or {"type": "Value", "value": "70"}}}
    predictor = {"minReplicas": 2, "maxReplicas": 6, "model": {"modelFormat": {"name": "sklearn"},
                                                               "storageUri": "s3://m/1"},
                 "autoScaling": {"metrics": [metric]}}
    return isvc(klass="keda", predictor=predictor, canary=canary)


def _external_isvc(klass: str = "external", local: bool = True) -> dict:
    obj = isvc(klass=klass)
    if local:
        obj["metadata"]["labels"] = {"networking.kserve.io/visibility": "cluster-local"}
    return obj


def _canary(**annotations_) -> dict:
    return {"trafficPercent": 10, "predictor": {"name": "canary", "annotations": annotations_,
                                                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://m/2"}}}


CASES = [
    Case("keda-scaledobject-name", "an HTTPScaledObject whose HPA name passes 63 characters", [_httpso(name="a" * 55)]),
    Case("keda-scaledobject-name", "a 54-character HTTPScaledObject", [_httpso(name="a" * 54)], refused=False),
    Case("keda-scaledobject-replicas", "min above max", [_httpso(replicas={"min": 5, "max": 2})]),
    Case("keda-scaledobject-replicas", "cpu-only triggers at min 0", [_scaled_object(
        "s", "ml", {"name": "d"}, 0, 3, [{"type": "cpu", "metricType": "Utilization", "metadata": {"value": "60"}}],
        "ScaledObject s")]),
    Case("keda-scaledobject-replicas", "scale to zero on the add-on's push trigger", [_httpso()], refused=False),
    Case("keda-scaledobject-triggers", "a keda-class canary: KServe builds its ScaledObject without triggers",
         [_keda_isvc(canary=[_canary()])]),
    Case("keda-scaledobject-triggers", "a keda-class canary held by class none",
         [_keda_isvc(canary=[_canary(**{"serving.kserve.io/autoscalerClass": "none"})])], refused=False),
    Case("keda-prometheus-trigger", "an avg() query under an AverageValue target",
         [_keda_isvc(query="avg(DCGM_FI_DEV_GPU_UTIL{pod=~\"x-.*\"})")]),
    Case("keda-prometheus-trigger", "an averageValue target: KServe's trigger threshold becomes 0",
         [_keda_isvc(type="AverageValue", averageValue="70")]),
    Case("keda-prometheus-trigger", "sum() with a threshold", [_keda_isvc()], refused=False),
    Case("keda-one-autoscaler-per-workload", "an HTTPScaledObject on a predictor KServe's HPA scales",
         [isvc(klass="hpa"), _httpso()]),
    Case("keda-one-autoscaler-per-workload", "an HTTPScaledObject on an external-class predictor",
         [_external_isvc(), _httpso()], refused=False),
    Case("keda-http-scaled-object", "concurrency and requestRate together",
         [_httpso(scalingMetric={"concurrency": {"targetValue": 8}, "requestRate": {"targetValue": 8}})]),
    Case("keda-http-scaled-object", "no hosts (catch-all)", [_httpso(hosts=[])]),
    Case("keda-http-scaled-object", "port and portName",
         [_httpso(scaleTargetRef={"name": "d", "service": "d", "port": 80, "portName": "http1"})]),
    Case("keda-http-scaled-object", "one metric, a host, a port", [_httpso()], refused=False),
    Case("keda-http-routes-unique", "two HTTPScaledObjects on one host",
         [_httpso("a"), _httpso("b", hosts=["fraud-api-predictor.ml.svc:80"])]),
    Case("keda-http-routes-unique", "different hosts", [_httpso("a"), _httpso("b", hosts=["b.ml.svc"])],
         refused=False),
    Case("keda-http-targets-kserve-predictor", "a Deployment no InferenceService creates",
         [_external_isvc(), _httpso(scaleTargetRef={"name": "fraud-api", "service": "fraud-api", "port": 80})]),
    Case("keda-http-targets-kserve-predictor", "the container port instead of the Service port",
         [_external_isvc(), _httpso(scaleTargetRef={"name": "fraud-api-predictor", "service": "fraud-api-predictor",
                                                    "port": DEFAULT_HTTP_PORT})]),
    Case("keda-http-targets-kserve-predictor", "class none (KServe pins the replicas)",
         [_external_isvc(klass="none"), _httpso()]),
    Case("keda-http-targets-kserve-predictor", "KServe's ingress around the interceptor",
         [_external_isvc(local=False), _httpso()]),
    Case("keda-http-targets-kserve-predictor", "the predictor's Deployment, Service and port",
         [_external_isvc(), _httpso()], refused=False),
    Case("keda-http-targets-kserve-predictor", "by port name",
         [_external_isvc(), _httpso(scaleTargetRef={"name": "fraud-api-predictor", "service": "fraud-api-predictor",
                                                    "portName": "http1"})], refused=False),
]
