"""The Alertmanager configuration the Prometheus Operator builds from AlertmanagerConfig objects.

Re-implemented from prometheus-operator v0.93.0 pkg/alertmanager/amcfg.go, for the integrations
the compiler emits (Slack, PagerDuty, e-mail, webhook):

- AddAlertmanagerConfigs: every object's route becomes a sub-route of the base configuration's
  root route, placed before the base's own routes, in `<namespace>/<name>` order; its receivers
  are appended;
- convertRoute / convertReceiver / makeNamespacedString: receiver names become
  `<namespace>/<name>/<receiver>`; matchers with a `matchType` are written as `name="value"`;
- the default enforcer (getEnforcer: namespaceEnforcer inside continueToNextRoute): the top route
  gets a `namespace="<namespace>"` matcher and `continue: true`;
- convertSlackConfig, convertPagerdutyConfig, convertEmailConfig, convertWebhookConfig: credentials
  are read from the Secrets (here: stand-in values); an e-mail receiver without `smarthost`/`from`
  needs the global SMTP settings, else the object is refused.

The base configuration is what kube-prometheus-stack ships (a `null` receiver, a Watchdog route),
with the global SMTP settings a team that sends e-mail alerts sets once.
"""
from __future__ import annotations

import copy

BASE_CONFIG: dict = {
    "global": {"resolve_timeout": "5m", "smtp_smarthost": "smtp.example.com:587",
               "smtp_from": "alertmanager@example.com"},
    "route": {"receiver": "null", "group_by": ["namespace"], "group_wait": "30s", "group_interval": "5m",
              "repeat_interval": "12h", "routes": [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}]},
    "receivers": [{"name": "null"}],
}

#: Stand-ins for the Secrets' contents, by what the integration reads from them.
SECRET_VALUES = {"slack": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
                 "pagerduty": "0123456789abcdef0123456789abcdef", "email": "smtp-password",
                 "webhook": "https://alerts.example.com/hook"}

ROUTE_FIELDS = {"receiver", "groupBy", "groupWait", "groupInterval", "repeatInterval", "matchers", "continue",
                "routes", "muteTimeIntervals", "activeTimeIntervals"}


class ConversionError(ValueError):
    """The operator would refuse the object while building the configuration."""


def _escape(value: str) -> str:
    """openMetricsEscape (alertmanager_config_types.go)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _matchers(matchers: list[dict]) -> list[str]:
    """convertMatchersV2 for Alertmanager >= 0.22."""
    result = []
    for matcher in matchers or []:
        op = matcher.get("matchType") or ("=~" if matcher.get("regex") else "=")
        result.append(f'{matcher["name"]}{op}"{_escape(matcher.get("value", ""))}"')
    return result


def _named(name: str, key: tuple[str, str]) -> str:
    return f"{key[0]}/{key[1]}/{name}" if name else ""


def convert_route(route: dict, key: tuple[str, str]) -> dict:
    out: dict = {}
    if route.get("receiver"):
        out["receiver"] = _named(route["receiver"], key)
    if route.get("groupBy"):
        out["group_by"] = list(route["groupBy"])
    for field, name in (("groupWait", "group_wait"), ("groupInterval", "group_interval"),
                        ("repeatInterval", "repeat_interval")):
        if route.get(field):
            out[name] = route[field]
    if route.get("matchers"):
        out["matchers"] = _matchers(route["matchers"])
    if route.get("continue"):
        out["continue"] = True
    if route.get("routes"):
        out["routes"] = [convert_route(child, key) for child in route["routes"]]
    return out


def _secret(kind: str, selector: dict | None) -> str:
    if not isinstance(selector, dict) or not selector.get("name") or not selector.get("key"):
        raise ConversionError(f"{kind}: a Secret key selector needs `name` and `key`, got {selector!r}")
    return SECRET_VALUES[kind]


def convert_receiver(receiver: dict, key: tuple[str, str], global_config: dict) -> dict:
    out: dict = {"name": _named(receiver["name"], key)}
    known = {"name", "slackConfigs", "pagerdutyConfigs", "emailConfigs", "webhookConfigs"}
    unknown = set(receiver) - known
    if unknown:
        raise ConversionError(f"receiver {receiver['name']!r}: the kit converts only slack, pagerduty, email and "
                              f"webhook, not {sorted(unknown)}")
    for config in receiver.get("slackConfigs") or []:
        slack = {"send_resolved": bool(config.get("sendResolved")), "channel": config.get("channel", "")}
        if "apiURL" in config:
            slack["api_url"] = _secret("slack", config["apiURL"])
        out.setdefault("slack_configs", []).append(slack)
    for config in receiver.get("pagerdutyConfigs") or []:
        pagerduty = {"send_resolved": bool(config.get("sendResolved"))}
        if "routingKey" in config:
            pagerduty["routing_key"] = _secret("pagerduty", config["routingKey"])
        if "serviceKey" in config:
            pagerduty["service_key"] = _secret("pagerduty", config["serviceKey"])
        out.setdefault("pagerduty_configs", []).append(pagerduty)
    for config in receiver.get("emailConfigs") or []:
        if not config.get("smarthost") and not global_config.get("smtp_smarthost"):
            raise ConversionError("SMTP smarthost is a mandatory field, it is neither specified at global config "
                                  "nor at receiver level")
        if not config.get("from") and not global_config.get("smtp_from"):
            raise ConversionError("SMTP from is a mandatory field, it is neither specified at global config nor "
                                  "at receiver level")
        email = {"send_resolved": bool(config.get("sendResolved")), "to": config.get("to", "")}
        for field, name in (("from", "from"), ("smarthost", "smarthost"), ("authUsername", "auth_username")):
            if config.get(field):
                email[name] = config[field]
        if "authPassword" in config:
            email["auth_password"] = _secret("email", config["authPassword"])
        out.setdefault("email_configs", []).append(email)
    for config in receiver.get("webhookConfigs") or []:
        webhook = {"send_resolved": bool(config.get("sendResolved"))}
        webhook["url"] = _secret("webhook", config["urlSecret"]) if "urlSecret" in config else config.get("url", "")
        out.setdefault("webhook_configs", []).append(webhook)
    return out


def alertmanager_configuration(objects: list[dict], base: dict | None = None) -> dict:
    """The Alertmanager configuration the operator writes for these AlertmanagerConfig objects."""
    config = copy.deepcopy(base if base is not None else BASE_CONFIG)
    subroutes = []
    for amc in sorted(objects, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])):
        key = (amc["metadata"].get("namespace", ""), amc["metadata"]["name"])
        spec = amc.get("spec") or {}
        if spec.get("route") is None:
            continue
        route = convert_route(spec["route"], key)
        route["matchers"] = [*route.get("matchers", []), f'namespace="{_escape(key[0])}"']
        route["continue"] = True
        subroutes.append(route)
        for receiver in spec.get("receivers") or []:
            config["receivers"].append(convert_receiver(receiver, key, config.get("global") or {}))
    config["route"]["routes"] = subroutes + list(config["route"].get("routes") or [])
    return config
