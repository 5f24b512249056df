"""The Prometheus Operator v0.93.0 and the Prometheus/Alertmanager tools: what they refuse or never act on.

- PrometheusRule: the operator's admission webhook (pkg/admission/admission.go validatePrometheusRules)
  runs pkg/operator/rules.go ValidateRule, which renders the spec and parses it with Prometheus's
  rulefmt (github.com/prometheus/prometheus v0.313.1 = Prometheus v3.13.1, model/rulefmt/rulefmt.go)
  under the *legacy* name validation (cmd/operator/main.go passes model.LegacyValidation): label and
  annotation names `[a-zA-Z_][a-zA-Z0-9_]*`. One check per rule of that code, then the real
  `promtool check rules` on every rule file.
- PodMonitor/ServiceMonitor: what pkg/prometheus/resource_selector.go checkPodMonitor refuses, and
  what pkg/prometheus/promcfg.go generatePodMonitorConfig makes of a PodMonitor: a target per
  container port of the selected pods, kept only when its port name matches, scraped at the
  (relabelled) address. A PodMonitor that selects no pod, or names a port the pods do not have, is
  accepted and scrapes nothing: the checks compare it with the pods KServe and Knative run for the
  compiled InferenceServices (predictor_pods.py) and the metrics port of their runtime.
- AlertmanagerConfig: pkg/alertmanager/validation/v1alpha1/validation.go ValidateAlertmanagerConfig
  (what the webhook refuses), the child-route decoding (Route.ChildRoutes refuses unknown fields),
  then the configuration the operator builds from it (alertmanager_configuration.py, amcfg.go) run
  through the real `amtool check-config`, and `amtool config routes test` for every generated alert.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from compiler import metric_contract
from tests.upstream_tools import run

from . import Case, Objects, compile_check, object_check
from .alertmanager_configuration import ROUTE_FIELDS, ConversionError, alertmanager_configuration
from .predictor_pods import Pod, label_selector_matches, predictor_pods
from .serving_runtimes import runtime_serving

OPERATOR = "prometheus-operator/prometheus-operator v0.93.0"
RULEFMT = "prometheus/prometheus v3.13.1 model/rulefmt/rulefmt.go"
COMMON = "prometheus/common v0.70.1 model/labels.go"

_LEGACY_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_LEGACY_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
# prometheus/common model/time.go ParseDuration
_DURATION = re.compile(r"^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$")
#: pkg/operator/rules.go MaxConfigMapDataSize: half of corev1.MaxSecretSize (1 MiB).
MAX_RULE_BYTES = 512 * 1024
#: The operator's default Prometheus scrapeInterval (Prometheus CR `scrapeInterval`), which an endpoint without one gets.
DEFAULT_SCRAPE_INTERVAL = "30s"
#: The HTTP port of KServe's default runtimes (their `--http_port=8080` / `--http-port=8080` arguments).
RUNTIME_HTTP_PORT = 8080
#: Labels generatePodMonitorConfig / generateServiceMonitorConfig set on every target, and Prometheus's instance.
OPERATOR_TARGET_LABELS = ("job", "instance", "pod", "container", "endpoint", "service")


def _rules(obj: dict) -> Iterator[tuple[str, int, dict]]:
    for group in (obj.get("spec") or {}).get("groups") or []:
        for index, rule in enumerate(group.get("rules") or [], start=1):
            yield group.get("name", ""), index, rule


def _where(group: str, index: int, rule: dict) -> str:
    return f"group {group!r}, rule {index}, {rule.get('alert') or rule.get('record')!r}"


def duration_seconds(text: str) -> float | None:
    """model.ParseDuration: `0` or unit-ordered parts (y w d h m s ms); None when it does not parse."""
    if text == "0":
        return 0.0
    match = _DURATION.match(text)
    if not text or not match:
        return None
    sizes = (31536000, 604800, 86400, 3600, 60, 1, 0.001)
    return sum(int(match.group(2 * i + 2) or 0) * size for i, size in enumerate(sizes))


# --- PrometheusRule: the admission webhook's rulefmt validation -------------------------------------

@object_check("prometheus-rule-group-names", kinds=("PrometheusRule",),
              source=f"{RULEFMT}: RuleGroups.Validate (Groupname must not be empty, is repeated in the same file)")
def group_names(obj: dict, objects: Objects) -> Iterator[str]:
    seen: set[str] = set()
    for group in (obj.get("spec") or {}).get("groups") or []:
        name = group.get("name") or ""
        if not name:
            yield "a group name must not be empty"
        elif name in seen:
            yield f"groupname {name!r} is repeated in the same file"
        seen.add(name)


@object_check("prometheus-rule-record-or-alert", kinds=("PrometheusRule",),
              source=f"{RULEFMT}: Rule.Validate (record/alert, expr, recording-rule fields)")
def record_or_alert(obj: dict, objects: Objects) -> Iterator[str]:
    for group, index, rule in _rules(obj):
        where = _where(group, index, rule)
        if bool(rule.get("record")) == bool(rule.get("alert")):
            yield f"{where}: exactly one of 'record' and 'alert' must be set"
        if not rule.get("expr"):
            yield f"{where}: field 'expr' must be set in rule"
        if rule.get("record"):
            for field in ("annotations", "for", "keep_firing_for"):
                if rule.get(field):
                    yield f"{where}: invalid field {field!r} in recording rule"
            if not _LEGACY_METRIC.match(rule["record"]) or "{" in rule["record"]:
                yield f"{where}: invalid recording rule name: {rule['record']}"


@object_check("prometheus-rule-expression", kinds=("PrometheusRule",),
              source=f"{RULEFMT}: Rule.Validate (could not parse expression)")
def expression_parses(obj: dict, objects: Objects) -> Iterator[str]:
    import promql_parser

    for group, index, rule in _rules(obj):
        if rule.get("expr"):
            try:
                promql_parser.parse(str(rule["expr"]))
            except ValueError as error:
                yield f"{_where(group, index, rule)}: could not parse expression: {error}"


@object_check("prometheus-rule-label-names", kinds=("PrometheusRule",),
              source=f"{RULEFMT}: Rule.Validate, RuleGroups.Validate (invalid label name/value); "
                     f"{COMMON}: LabelName.IsValid (legacy)")
def label_names(obj: dict, objects: Objects) -> Iterator[str]:
    for group in (obj.get("spec") or {}).get("groups") or []:
        for key in group.get("labels") or {}:
            if not _LEGACY_NAME.match(key) or key == "__name__":
                yield f"group {group.get('name')!r}: invalid label name: {key}"
    for group, index, rule in _rules(obj):
        for key, value in (rule.get("labels") or {}).items():
            if not _LEGACY_NAME.match(str(key)) or key == "__name__":
                yield f"{_where(group, index, rule)}: invalid label name: {key}"
            if not isinstance(value, str):
                yield f"{_where(group, index, rule)}: label {key!r} is not a string"


@object_check("prometheus-rule-annotation-names", kinds=("PrometheusRule",),
              source=f"{RULEFMT}: Rule.Validate (invalid annotation name); {COMMON}: LabelName.IsValid (legacy)")
def annotation_names(obj: dict, objects: Objects) -> Iterator[str]:
    for group, index, rule in _rules(obj):
        for key in rule.get("annotations") or {}:
            if not _LEGACY_NAME.match(str(key)):
                yield f"{_where(group, index, rule)}: invalid annotation name: {key}"


@object_check("prometheus-rule-templates", kinds=("PrometheusRule",),
              source=f"{RULEFMT}: testTemplateParsing (text/template actions in labels and annotations)")
def templates(obj: dict, objects: Objects) -> Iterator[str]:
    for group, index, rule in _rules(obj):
        if not rule.get("alert"):
            continue
        for kind in ("labels", "annotations"):
            for key, value in (rule.get(kind) or {}).items():
                text = str(value)
                if text.count("{{") != text.count("}}") or re.search(r"\{\{-?\s*-?\}\}", text):
                    yield f"{_where(group, index, rule)}: {kind[:-1]} {key!r}: unbalanced or empty template action"


@object_check("prometheus-rule-durations", kinds=("PrometheusRule",),
              source=f"{RULEFMT}: RuleGroup/Rule (model.Duration fields interval, for, keep_firing_for)")
def durations(obj: dict, objects: Objects) -> Iterator[str]:
    for group in (obj.get("spec") or {}).get("groups") or []:
        if group.get("interval") and duration_seconds(str(group["interval"])) is None:
            yield f"group {group.get('name')!r}: interval {group['interval']!r} is not a Prometheus duration"
    for group, index, rule in _rules(obj):
        for field in ("for", "keep_firing_for"):
            if rule.get(field) and duration_seconds(str(rule[field])) is None:
                yield f"{_where(group, index, rule)}: {field} {rule[field]!r} is not a Prometheus duration"


@object_check("prometheus-rule-size", kinds=("PrometheusRule",),
              source=f"{OPERATOR} pkg/operator/rules.go: ValidateRule (MaxConfigMapDataSize)")
def rule_size(obj: dict, objects: Objects) -> Iterator[str]:
    size = len(yaml.safe_dump(obj.get("spec") or {}, sort_keys=False).encode())
    if size > MAX_RULE_BYTES:
        yield f"the rendered rules take {size} bytes, above the limit of {MAX_RULE_BYTES}"


@object_check("prometheus-rule-keeps-target-labels", kinds=("PrometheusRule",),
              source=f"{OPERATOR} pkg/prometheus/promcfg.go: generatePodMonitorConfig (job, pod, container, endpoint "
                     "target labels)")
def keeps_target_labels(obj: dict, objects: Objects) -> Iterator[str]:
    """A rule label named like a target label overwrites what the series said about where it was scraped."""
    for group, index, rule in _rules(obj):
        for key in rule.get("labels") or {}:
            if key in OPERATOR_TARGET_LABELS:
                yield f"{_where(group, index, rule)}: label {key!r} overwrites the target label of the same name"


@object_check("alertmanager-alerts-carry-namespace", kinds=("PrometheusRule",),
              source=f"{OPERATOR} pkg/alertmanager/amcfg.go: namespaceEnforcer.processRoute")
def alerts_carry_namespace(obj: dict, objects: Objects) -> Iterator[str]:
    """An AlertmanagerConfig's route only matches `namespace="<its namespace>"`; aggregations drop that label."""
    namespace = (obj.get("metadata") or {}).get("namespace")
    for group, index, rule in _rules(obj):
        if rule.get("alert") and (rule.get("labels") or {}).get("namespace") != namespace:
            yield f"{_where(group, index, rule)}: the alert has no `namespace: {namespace}` label, so no " \
                  "AlertmanagerConfig of its namespace routes it"


@compile_check("promtool-check-rules", source="prometheus/prometheus v2.42.0 cmd/promtool/main.go: CheckRules "
                                              "(Debian's promtool, run on every rule file)")
def promtool_check_rules(objects: Objects) -> Iterator[str]:
    rules = objects.of_kind("PrometheusRule")
    if not rules:
        return
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for number, obj in enumerate(rules):
            path = Path(folder) / f"{number}-{obj['metadata']['name']}.yaml"
            path.write_text(yaml.safe_dump(obj.get("spec") or {}, sort_keys=False), encoding="utf-8")
            files.append(path.name)
        result = run("promtool", ["check", "rules", *files], cwd=Path(folder))
    if result.returncode != 0:
        yield from (line for line in (result.stdout + result.stderr).splitlines()
                    if line.strip() and not line.startswith(("Checking", "  SUCCESS")))


# --- PodMonitor / ServiceMonitor ---------------------------------------------------------------------

def _scrape_endpoints(obj: dict) -> list[dict]:
    spec = obj.get("spec") or {}
    return spec.get("podMetricsEndpoints" if obj.get("kind") == "PodMonitor" else "endpoints") or []


_RELABEL_ACTIONS = {"replace", "keep", "drop", "hashmod", "labelmap", "labeldrop", "labelkeep", "lowercase",
                    "uppercase", "keepequal", "dropequal"}


def relabel_problems(config: dict) -> Iterator[str]:
    """pkg/prometheus/validation/validator.go ValidateRelabelConfig, for a Prometheus >= 3 (UTF-8 names)."""
    action = str(config.get("action") or "replace").lower()
    if action not in _RELABEL_ACTIONS:
        yield f"unknown relabel action {config.get('action')!r}"
        return
    try:
        re.compile(str(config.get("regex", "(.*)")))
    except re.error as error:
        yield f"invalid regex {config.get('regex')!r} for relabel configuration: {error}"
    if action == "hashmod" and not config.get("modulus"):
        yield "relabel configuration for hashmod requires non-zero modulus"
    if action in ("replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal") and \
            not config.get("targetLabel"):
        yield f"relabel configuration for {action} action needs targetLabel value"
    if action in ("lowercase", "uppercase", "keepequal", "dropequal") and config.get("replacement", "$1") != "$1":
        yield f"'replacement' can not be set for {action} action"
    if action in ("keepequal", "dropequal") and any(config.get(k) for k in ("regex", "modulus", "separator")):
        yield f"{action} action requires only 'source_labels' and `target_label`, and no other fields"
    if action in ("labeldrop", "labelkeep") and any(
            config.get(k) for k in ("sourceLabels", "targetLabel", "modulus", "separator", "replacement")):
        yield f"{action} action requires only 'regex', and no other fields"


@object_check("prometheus-monitor-relabel-configs", kinds=("PodMonitor", "ServiceMonitor"),
              source=f"{OPERATOR} pkg/prometheus/validation/validator.go: LabelConfigValidator.ValidateRelabelConfig")
def monitor_relabel_configs(obj: dict, objects: Objects) -> Iterator[str]:
    for index, endpoint in enumerate(_scrape_endpoints(obj)):
        for field in ("relabelings", "metricRelabelings"):
            for number, config in enumerate(endpoint.get(field) or []):
                for problem in relabel_problems(config):
                    yield f"endpoint[{index}] {field}[{number}]: {problem}"


@object_check("prometheus-monitor-scrape-timeout", kinds=("PodMonitor", "ServiceMonitor"),
              source=f"{OPERATOR} pkg/prometheus/promcfg.go: CompareScrapeTimeoutToScrapeInterval")
def monitor_scrape_timeout(obj: dict, objects: Objects) -> Iterator[str]:
    for index, endpoint in enumerate(_scrape_endpoints(obj)):
        if not endpoint.get("scrapeTimeout"):
            continue
        interval = duration_seconds(str(endpoint.get("interval") or DEFAULT_SCRAPE_INTERVAL))
        timeout = duration_seconds(str(endpoint["scrapeTimeout"]))
        if interval is None or timeout is None:
            yield f"endpoint[{index}]: interval or scrapeTimeout is not a Prometheus duration"
        elif timeout > interval:
            yield f"endpoint[{index}]: scrapeTimeout {endpoint['scrapeTimeout']!r} greater than scrapeInterval"


def _selected_pods(monitor: dict, objects: Objects) -> list[Pod]:
    """The predictor pods of the compile a PodMonitor selects (its own namespace unless namespaceSelector says)."""
    meta, spec = monitor.get("metadata") or {}, monitor.get("spec") or {}
    namespaces = (spec.get("namespaceSelector") or {}).get("matchNames") or [meta.get("namespace")]
    found, seen = [], set()
    for isvc in objects.of_kind("InferenceService"):
        for pod in predictor_pods(isvc):
            if pod.namespace in namespaces and (pod.namespace, pod.workload) not in seen and \
                    label_selector_matches(spec.get("selector") or {}, pod.labels):
                seen.add((pod.namespace, pod.workload))   # manifests come before rollback files
                found.append(pod)
    return found


_PODMONITOR_SOURCE = f"{OPERATOR} pkg/prometheus/promcfg.go: generatePodMonitorConfig"
_KSERVE_PODS = "kserve/kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/components/predictor.go: buildObjectMeta"
_KNATIVE_PORTS = "knative/serving knative-v1.23.0 pkg/reconciler/revision/resources/deploy.go: makeServingContainer"


@compile_check("prometheus-podmonitor-selects-pods", source=f"{_PODMONITOR_SOURCE} (keep on pod labels); {_KSERVE_PODS}")
def podmonitor_selects_pods(objects: Objects) -> Iterator[str]:
    for monitor in objects.of_kind("PodMonitor"):
        if not _selected_pods(monitor, objects):
            yield f"PodMonitor/{monitor['metadata']['name']}: its selector matches no predictor pod of the compile"


@compile_check("prometheus-podmonitor-port-exists",
               source=f"{_PODMONITOR_SOURCE} (keep on __meta_kubernetes_pod_container_port_name); {_KNATIVE_PORTS}")
def podmonitor_port_exists(objects: Objects) -> Iterator[str]:
    for monitor in objects.of_kind("PodMonitor"):
        pods = _selected_pods(monitor, objects)
        for index, endpoint in enumerate(_scrape_endpoints(monitor)):
            for pod in pods:
                if endpoint.get("port") and endpoint["port"] not in pod.port_names():
                    yield f"PodMonitor/{monitor['metadata']['name']} endpoint[{index}]: port {endpoint['port']!r} " \
                          f"is not a container port of the {pod.workload} pods (they have {sorted(pod.port_names())})"
                numbers = {number for _, ports in pod.containers for _, number in ports}
                if endpoint.get("portNumber") and endpoint["portNumber"] not in numbers:
                    yield f"PodMonitor/{monitor['metadata']['name']} endpoint[{index}]: no container of the " \
                          f"{pod.workload} pods declares port {endpoint['portNumber']}"


def scraped_port(endpoint: dict, discovered: int) -> int:
    """The port Prometheus scrapes after the endpoint's relabelings of `__address__` (replace, full-match regex)."""
    address = f"10.0.0.1:{discovered}"
    for config in endpoint.get("relabelings") or []:
        if str(config.get("action") or "replace").lower() != "replace" or config.get("targetLabel") != "__address__":
            continue
        source = config.get("separator", ";").join(
            address if label == "__address__" else "" for label in config.get("sourceLabels") or [])
        match = re.fullmatch(str(config.get("regex", "(.*)")), source)
        if match:
            address = re.sub(r"\$\{?(\d+)\}?", lambda g: match.group(int(g[1])) or "",
                             str(config.get("replacement", "$1")))
    return int(address.rsplit(":", 1)[1])


def expected_metrics_port(monitor: dict, pod: Pod) -> int | None:
    """The port the pod's model server serves /metrics on, None for its serving port.

    A runtime whose `prometheus.kserve.io/port` is not its HTTP port (8080) has a metrics port of its own
    (TorchServe 8082, Triton 8002); the others serve /metrics on the port they serve on. A PodMonitor that
    declares another server than the format's (`mlops.dev/model-server`) is held to that server's port.
    """
    declared = ((monitor.get("metadata") or {}).get("annotations") or {}).get("mlops.dev/model-server")
    default_server = metric_contract.FORMATS.get(pod.model_format)
    if declared and (default_server is None or declared != default_server.server):
        return metric_contract.SERVERS[declared].metrics_port
    runtime = runtime_serving(pod.model_format)
    if runtime is None or runtime.metrics_port == RUNTIME_HTTP_PORT:
        return None
    return runtime.metrics_port


@compile_check("prometheus-podmonitor-scrapes-metrics-port",
               source="kserve/kserve v0.20.0 config/runtimes/kserve-torchserve.yaml: prometheus.kserve.io/port "
                      f"(every runtime's); {_PODMONITOR_SOURCE} (relabel_configs)")
def podmonitor_scrapes_metrics_port(objects: Objects) -> Iterator[str]:
    for monitor in objects.of_kind("PodMonitor"):
        for index, endpoint in enumerate(_scrape_endpoints(monitor)):
            for pod in _selected_pods(monitor, objects):
                model_ports = dict(pod.containers[0][1])
                if endpoint.get("port") not in model_ports:
                    continue   # a sidecar's port (queue-proxy): its own metrics
                expected = expected_metrics_port(monitor, pod) or model_ports[endpoint["port"]]
                got = scraped_port(endpoint, model_ports[endpoint["port"]])
                if got != expected:
                    yield f"PodMonitor/{monitor['metadata']['name']} endpoint[{index}]: scrapes port {got} of the " \
                          f"{pod.workload} pods, but their model server serves /metrics on {expected}"


# --- AlertmanagerConfig ----------------------------------------------------------------------------

_AM_VALIDATION = f"{OPERATOR} pkg/alertmanager/validation/v1alpha1/validation.go"


@object_check("alertmanager-config-receivers", kinds=("AlertmanagerConfig",),
              source=f"{_AM_VALIDATION}: validateReceivers (validatePagerDutyConfigs, validateWebhookConfigs, "
                     "validateEmailConfig)")
def alertmanager_receivers(obj: dict, objects: Objects) -> Iterator[str]:
    seen: set[str] = set()
    for receiver in (obj.get("spec") or {}).get("receivers") or []:
        name = receiver.get("name")
        if name in seen:
            yield f"{name!r} receiver is not unique"
        seen.add(name)
        for config in receiver.get("pagerdutyConfigs") or []:
            if not config.get("routingKey") and not config.get("serviceKey"):
                yield f"receiver {name!r}: one of 'routingKey' or 'serviceKey' is required"
        for config in receiver.get("webhookConfigs") or []:
            if not config.get("url") and not config.get("urlSecret"):
                yield f"receiver {name!r}: one of 'url' or 'urlSecret' must be specified"
        for config in receiver.get("emailConfigs") or []:
            if not config.get("to"):
                yield f"receiver {name!r}: missing 'to' address"
            if config.get("smarthost") and not re.fullmatch(r"[^:]*:[0-9a-zA-Z]+|\[[^]]*\]:[0-9a-zA-Z]+",
                                                            config["smarthost"]):
                yield f"receiver {name!r}: invalid 'smarthost' {config['smarthost']!r} (host:port)"


def _route_problems(route: dict, receivers: set[str], top: bool, where: str) -> Iterator[str]:
    if not route.get("receiver"):
        if top:
            yield "root route must define a receiver"
    elif route["receiver"] not in receivers:
        yield f"{where}: receiver {route['receiver']!r} not found"
    group_by = route.get("groupBy") or []
    if len(set(group_by)) != len(group_by):
        yield f"{where}: duplicate values not permitted in route 'groupBy': {group_by}"
    if "..." in group_by and len(group_by) > 1:
        yield f"{where}: '...' must be a sole value in route 'groupBy'"
    for index, matcher in enumerate(route.get("matchers") or []):
        if matcher.get("matchType") and matcher["matchType"] not in ("=", "!=", "=~", "!~"):
            yield f"{where} matcher[{index}]: invalid 'matchType' {matcher['matchType']!r}"
        if matcher.get("matchType") and not str(matcher.get("name", "")).strip():
            yield f"{where} matcher[{index}]: matcher 'name' is required"
    for index, child in enumerate(route.get("routes") or []):
        yield from _route_problems(child, receivers, False, f"{where}.routes[{index}]")


@object_check("alertmanager-config-route", kinds=("AlertmanagerConfig",),
              source=f"{_AM_VALIDATION}: validateRoute")
def alertmanager_route(obj: dict, objects: Objects) -> Iterator[str]:
    spec = obj.get("spec") or {}
    if spec.get("route") is None:
        return
    receivers = {r.get("name") for r in spec.get("receivers") or []}
    yield from _route_problems(spec["route"], receivers, True, "route")


@object_check("alertmanager-config-child-routes", kinds=("AlertmanagerConfig",),
              source=f"{OPERATOR} pkg/apis/monitoring/v1alpha1/alertmanager_config_types.go: Route.ChildRoutes "
                     "(DisallowUnknownFields)")
def alertmanager_child_routes(obj: dict, objects: Objects) -> Iterator[str]:
    """Child routes are free-form JSON in the CRD schema: the operator's decoder refuses unknown fields."""

    def walk(route: dict, where: str) -> Iterator[str]:
        for index, child in enumerate(route.get("routes") or []):
            unknown = set(child) - ROUTE_FIELDS
            if unknown:
                yield f"{where}.routes[{index}]: unknown fields {sorted(unknown)}"
            yield from walk(child, f"{where}.routes[{index}]")

    yield from walk((obj.get("spec") or {}).get("route") or {}, "route")


def _configuration(objects: Objects) -> tuple[dict | None, list[str]]:
    amcs = objects.of_kind("AlertmanagerConfig")
    if not amcs:
        return None, []
    try:
        return alertmanager_configuration(amcs), []
    except ConversionError as error:
        return None, [f"the operator cannot build the Alertmanager configuration: {error}"]


@compile_check("amtool-check-config", source="prometheus/alertmanager v0.25.0 cli/check_config.go: CheckConfig "
                                             f"(Debian's amtool); {OPERATOR} pkg/alertmanager/amcfg.go: "
                                             "AddAlertmanagerConfigs")
def amtool_check_config(objects: Objects) -> Iterator[str]:
    config, problems = _configuration(objects)
    yield from problems
    if config is None:
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "alertmanager.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        result = run("amtool", ["check-config", str(path)])
    if result.returncode != 0:
        yield (result.stdout + result.stderr).strip()


def expected_receiver(alert_labels: dict, amc: dict) -> str:
    """The receiver the spec means: the one the alert's `receiver` label names, else the AlertmanagerConfig's root."""
    spec = amc.get("spec") or {}
    names = {r.get("name") for r in spec.get("receivers") or []}
    wanted = alert_labels.get("receiver")
    chosen = wanted if wanted in names else (spec.get("route") or {}).get("receiver")
    meta = amc["metadata"]
    return f"{meta.get('namespace')}/{meta['name']}/{chosen}"


@compile_check("amtool-routes-deliver-alerts",
               source="prometheus/alertmanager v0.25.0 cli/test_routing.go: routingShow (Debian's amtool "
                      f"config routes test); {OPERATOR} pkg/alertmanager/amcfg.go: AddAlertmanagerConfigs")
def amtool_routes_deliver_alerts(objects: Objects) -> Iterator[str]:
    """Every alert, with its rule's labels, reaches the receiver its `receiver` label names (or the fallback)."""
    config, problems = _configuration(objects)
    if config is None or problems:
        return
    amcs = {amc["metadata"].get("namespace"): amc for amc in objects.of_kind("AlertmanagerConfig")}
    cases: dict[tuple, str] = {}
    for rule_object in objects.of_kind("PrometheusRule"):
        namespace = rule_object["metadata"].get("namespace")
        if namespace not in amcs:
            continue
        for _, _, rule in _rules(rule_object):
            if rule.get("alert"):
                labels = {**(rule.get("labels") or {}), "alertname": rule["alert"]}
                cases[tuple(sorted(labels.items()))] = expected_receiver(labels, amcs[namespace])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "alertmanager.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        for labels, expected in cases.items():
            result = run("amtool", ["config", "routes", "test", f"--config.file={path}",
                                    *(f"{key}={value}" for key, value in labels)])
            got = result.stdout.strip().split(",")
            if result.returncode != 0 or got[0] != expected:
                yield f"alert {dict(labels)['alertname']} {dict(labels)} reaches {result.stdout.strip() or result.stderr.strip()!r}, " \
                      f"not {expected!r}"


# --- fixtures -------------------------------------------------------------------------------------

def _rule_object(groups: list[dict], namespace: str = "ml") -> dict:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "r", "namespace": namespace}, "spec": {"groups": groups}}


def _alert(**fields) -> dict:
    rule = {"alert": "Down", "expr": "up == 0", "labels": {"namespace": "ml", "severity": "critical"},
            "annotations": {"summary": "down"}}
    rule.update(fields)
    return rule


_GOOD_RULES = _rule_object([{"name": "g", "rules": [_alert(), {"record": "job:up:sum", "expr": "sum by (job) (up)"}]}])


def _isvc(mode: str = "Standard", port_name: str = "http1", model_format: str = "xgboost", canary: bool = False,
          name: str = "fraud-api", port: int = 8080) -> dict:
    model = {"name": "kserve-container", "modelFormat": {"name": model_format},
             "ports": [{"name": port_name, "containerPort": port, "protocol": "TCP"}]}
    spec: dict = {"predictor": {"labels": {"app.kubernetes.io/component": "serving"}, "model": model}}
    if canary:
        spec["canary"] = [{"trafficPercent": 10, "predictor": {"name": "canary", "model": dict(model)}}]
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": "ml", "annotations": {"serving.kserve.io/deploymentMode": mode}},
            "spec": spec}


def _pod_monitor(port: str = "http1", selector: dict | None = None, relabelings: list | None = None,
                 server: str | None = None, **endpoint) -> dict:
    scrape = {"port": port, "path": "/metrics", "interval": "30s", **endpoint}
    if relabelings is not None:
        scrape["relabelings"] = relabelings
    meta: dict = {"name": "fraud-api", "namespace": "ml"}
    if server:
        meta["annotations"] = {"mlops.dev/model-server": server}
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": meta, "spec": {
        "selector": selector or {"matchLabels": {"serving.kserve.io/inferenceservice": "fraud-api",
                                                  "component": "predictor"}},
        "podMetricsEndpoints": [scrape]}}


def _to_port(port: int) -> list[dict]:
    return [{"sourceLabels": ["__address__"], "targetLabel": "__address__", "regex": "(.+):[0-9]+",
             "replacement": f"${{1}}:{port}", "action": "replace"}]


def _amc(receivers: list[dict] | None = None, route: dict | None = None) -> dict:
    receivers = receivers if receivers is not None else [
        {"name": "team", "slackConfigs": [{"channel": "#team", "apiURL": {"name": "alerting", "key": "slack"},
                                           "sendResolved": True}]},
        {"name": "pager", "pagerdutyConfigs": [{"routingKey": {"name": "alerting", "key": "pd"}}]}]
    route = route if route is not None else {
        "receiver": "team", "groupBy": ["alertname"], "matchers": [{"name": "mlops_system", "value": "fraud",
                                                                    "matchType": "="}],
        "routes": [{"receiver": "pager", "matchers": [{"name": "receiver", "value": "pager", "matchType": "="}]}]}
    return {"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
            "metadata": {"name": "fraud-alerts", "namespace": "ml"}, "spec": {"route": route, "receivers": receivers}}


def _paging_rule(receiver: str, namespace: str = "ml") -> dict:
    return _rule_object([{"name": "g", "rules": [_alert(labels={"namespace": namespace, "mlops_system": "fraud",
                                                                   "receiver": receiver, "severity": "critical"})]}],
                        namespace)


CASES = [
    Case("prometheus-rule-group-names", "two groups of one name",
         [_rule_object([{"name": "g", "rules": [_alert()]}, {"name": "g", "rules": [_alert()]}])]),
    Case("prometheus-rule-group-names", "an unnamed group", [_rule_object([{"name": "", "rules": [_alert()]}])]),
    Case("prometheus-rule-group-names", "distinct names", [_GOOD_RULES], refused=False),
    Case("prometheus-rule-record-or-alert", "both record and alert",
         [_rule_object([{"name": "g", "rules": [_alert(record="x")]}])]),
    Case("prometheus-rule-record-or-alert", "a recording rule with annotations",
         [_rule_object([{"name": "g", "rules": [{"record": "x", "expr": "up", "annotations": {"a": "b"}}]}])]),
    Case("prometheus-rule-record-or-alert", "an alert and a recording rule", [_GOOD_RULES], refused=False),
    Case("prometheus-rule-expression", "an unbalanced parenthesis",
         [_rule_object([{"name": "g", "rules": [_alert(expr="sum(rate(up[5m])")]}])]),
    Case("prometheus-rule-expression", "valid PromQL", [_GOOD_RULES], refused=False),
    Case("prometheus-rule-label-names", "a dotted label name (refused under the legacy scheme)",
         [_rule_object([{"name": "g", "rules": [_alert(labels={"mlops.dev/endpoint": "a", "namespace": "ml"})]}])]),
    Case("prometheus-rule-label-names", "plain label names", [_GOOD_RULES], refused=False),
    Case("prometheus-rule-annotation-names", "the provenance annotation main used to emit (mlops.dev/spec-path)",
         [_rule_object([{"name": "g", "rules": [_alert(annotations={"mlops.dev/spec-path": "monitoring.a"})]}])]),
    Case("prometheus-rule-annotation-names", "mlops_spec_path",
         [_rule_object([{"name": "g", "rules": [_alert(annotations={"mlops_spec_path": "monitoring.a"})]}])],
         refused=False),
    Case("prometheus-rule-templates", "an unclosed template action",
         [_rule_object([{"name": "g", "rules": [_alert(annotations={"summary": "{{ $labels.pod "})]}])]),
    Case("prometheus-rule-templates", "a closed action",
         [_rule_object([{"name": "g", "rules": [_alert(annotations={"summary": "{{ $labels.pod }} is down"})]}])],
         refused=False),
    Case("prometheus-rule-durations", "a `for` with a unit Prometheus lacks",
         [_rule_object([{"name": "g", "rules": [_alert(**{"for": "5min"})]}])]),
    Case("prometheus-rule-durations", "5m and 1h30m",
         [_rule_object([{"name": "g", "interval": "1h30m", "rules": [_alert(**{"for": "5m"})]}])], refused=False),
    Case("prometheus-rule-size", "rules over 512 KiB",
         [_rule_object([{"name": "g", "rules": [_alert(annotations={"summary": "x" * (MAX_RULE_BYTES + 1)})]}])]),
    Case("prometheus-rule-size", "a small rule file", [_GOOD_RULES], refused=False),
    Case("prometheus-rule-keeps-target-labels", "the `endpoint` label main used to put on alerts",
         [_rule_object([{"name": "g", "rules": [_alert(labels={"endpoint": "fraud-api", "namespace": "ml"})]}])]),
    Case("prometheus-rule-keeps-target-labels", "mlops_endpoint",
         [_rule_object([{"name": "g", "rules": [_alert(labels={"mlops_endpoint": "fraud-api", "namespace": "ml"})]}])],
         refused=False),
    Case("alertmanager-alerts-carry-namespace", "an aggregated alert without a namespace label",
         [_rule_object([{"name": "g", "rules": [_alert(labels={"severity": "critical"})]}])]),
    Case("alertmanager-alerts-carry-namespace", "namespace set on the rule", [_GOOD_RULES], refused=False),
    Case("promtool-check-rules", "an annotation name promtool refuses",
         [_rule_object([{"name": "g", "rules": [_alert(annotations={"mlops.dev/spec-path": "x"})]}])]),
    Case("promtool-check-rules", "a valid rule file", [_GOOD_RULES], refused=False),
    Case("prometheus-monitor-relabel-configs", "a replace without targetLabel",
         [_pod_monitor(relabelings=[{"sourceLabels": ["__address__"], "action": "replace"}])]),
    Case("prometheus-monitor-relabel-configs", "an invalid regex",
         [_pod_monitor(relabelings=[{"sourceLabels": ["a"], "targetLabel": "b", "regex": "(["}])]),
    Case("prometheus-monitor-relabel-configs", "the address rewrite the compiler emits",
         [_pod_monitor(relabelings=_to_port(8082))], refused=False),
    Case("prometheus-monitor-scrape-timeout", "a timeout longer than the interval",
         [_pod_monitor(scrapeTimeout="1m")]),
    Case("prometheus-monitor-scrape-timeout", "a ServiceMonitor endpoint timing out after the default interval",
         [{"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "pushgateway"},
           "spec": {"selector": {}, "endpoints": [{"port": "http", "scrapeTimeout": "45s"}]}}]),
    Case("prometheus-monitor-scrape-timeout", "a timeout within the interval", [_pod_monitor(scrapeTimeout="10s")],
         refused=False),
    Case("prometheus-podmonitor-selects-pods", "a selector on a label KServe does not set",
         [_isvc(), _pod_monitor(selector={"matchLabels": {"app": "fraud-api"}})]),
    Case("prometheus-podmonitor-selects-pods", "the InferenceService label KServe puts on every predictor pod",
         [_isvc(), _pod_monitor()], refused=False),
    Case("prometheus-podmonitor-port-exists", "Knative renamed the model port to user-port: http1 is gone",
         [_isvc(mode="Knative"), _pod_monitor(port="http1")]),
    Case("prometheus-podmonitor-port-exists", "a canary pod without the port",
         [{**_isvc(canary=True), "spec": {**_isvc(canary=True)["spec"], "canary": [{"trafficPercent": 10, "predictor": {
             "name": "canary", "model": {"name": "kserve-container", "ports": [{"name": "http2", "containerPort": 8080}]}}}]}},
          _pod_monitor()]),
    Case("prometheus-podmonitor-port-exists", "user-port in Knative mode",
         [_isvc(mode="Knative"), _pod_monitor(port="user-port")], refused=False),
    Case("prometheus-podmonitor-port-exists", "http1 on stable and canary pods in Standard mode",
         [_isvc(canary=True), _pod_monitor()], refused=False),
    Case("prometheus-podmonitor-scrapes-metrics-port", "TorchServe serves /metrics on 8082, not on the model port",
         [_isvc(model_format="pytorch"), _pod_monitor()]),
    Case("prometheus-podmonitor-scrapes-metrics-port", "TorchServe scraped at 8082 through the address rewrite",
         [_isvc(model_format="pytorch"), _pod_monitor(relabelings=_to_port(8082))], refused=False),
    Case("prometheus-podmonitor-scrapes-metrics-port", "KServe's Python server on its serving port",
         [_isvc(), _pod_monitor()], refused=False),
    Case("prometheus-podmonitor-scrapes-metrics-port", "KServe's Python server moved to 9000 serves /metrics there",
         [_isvc(port=9000), _pod_monitor()], refused=False),
    Case("prometheus-podmonitor-scrapes-metrics-port", "Triton's metrics port 8002 rewritten to the serving port",
         [_isvc(model_format="triton"), _pod_monitor(relabelings=_to_port(8080))]),
    Case("alertmanager-config-receivers", "a PagerDuty receiver without a key",
         [_amc(receivers=[{"name": "team", "pagerdutyConfigs": [{"sendResolved": True}]}],
               route={"receiver": "team"})]),
    Case("alertmanager-config-receivers", "an e-mail receiver without `to`",
         [_amc(receivers=[{"name": "team", "emailConfigs": [{"smarthost": "smtp:25"}]}], route={"receiver": "team"})]),
    Case("alertmanager-config-receivers", "Slack and PagerDuty with their secrets", [_amc()], refused=False),
    Case("alertmanager-config-route", "a route to an undefined receiver",
         [_amc(route={"receiver": "team", "routes": [{"receiver": "nobody"}]})]),
    Case("alertmanager-config-route", "a root route without a receiver", [_amc(route={"groupBy": ["alertname"]})]),
    Case("alertmanager-config-route", "routes to defined receivers", [_amc()], refused=False),
    Case("alertmanager-config-child-routes", "a child route with a misspelt field",
         [_amc(route={"receiver": "team", "routes": [{"receiver": "pager", "matcher": []}]})]),
    Case("alertmanager-config-child-routes", "known fields only", [_amc()], refused=False),
    Case("amtool-check-config", "a group wait Alertmanager cannot parse",
         [_amc(route={"receiver": "team", "groupWait": "5 minutes"})]),
    Case("amtool-check-config", "a Slack receiver whose secret selector names no key",
         [_amc(receivers=[{"name": "team", "slackConfigs": [{"channel": "#a", "apiURL": {"name": "alerting"}}]}],
               route={"receiver": "team"})]),
    Case("amtool-check-config", "Slack and PagerDuty", [_amc()], refused=False),
    Case("amtool-routes-deliver-alerts", "routes that send the pager's alerts to the team",
         [_amc(route={"receiver": "team", "routes": [
             {"receiver": "team", "matchers": [{"name": "receiver", "value": "pager", "matchType": "="}]}]}),
          _paging_rule("pager")]),
    Case("amtool-routes-deliver-alerts", "an alert of another namespace label than its AlertmanagerConfig's",
         [_amc(), {**_paging_rule("pager"), "metadata": {"name": "r", "namespace": "ml"}, "spec": {"groups": [
             {"name": "g", "rules": [_alert(labels={"namespace": "other", "mlops_system": "fraud",
                                                    "receiver": "pager"})]}]}}]),
    Case("amtool-routes-deliver-alerts", "each alert to the receiver it names",
         [_amc(), _paging_rule("pager"), {**_paging_rule("team"), "metadata": {"name": "r2", "namespace": "ml"}}],
         refused=False),
]
