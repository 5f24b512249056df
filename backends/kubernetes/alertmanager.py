"""`platform.alerts.receivers` -> one Prometheus Operator AlertmanagerConfig that delivers the system's alerts.

The Prometheus Operator merges every AlertmanagerConfig its Alertmanager selects
(`alertmanager_selector_labels`) into the Alertmanager configuration (prometheus-operator v0.93.0
pkg/alertmanager/amcfg.go): receiver names become `<namespace>/<name>/<receiver>`, the top route
gets a `namespace="<namespace>"` matcher and `continue: true`, and is placed before the cluster's own
routes. So the generated route:

- matches the system's alerts (`mlops_system`) and sends each to the child route of the receiver
  its `receiver` label names (alert_rules.py labels every alert with `monitoring.<e>.alerts.receiver`,
  else the owner); an alert whose label names no receiver goes to the owner's receiver, or to a
  receiver with no integration (`unrouted`), and then on to the cluster's routes either way;
- groups by alert name and endpoint.

Receivers read their credentials from Secrets in the system's namespace (the operator reads them
there): Slack's incoming-webhook URL, PagerDuty's Events API v2 routing key, the SMTP password,
the webhook URL. The Secrets themselves are not generated.
"""
from __future__ import annotations

from compiler.spec.platform import Email, Receiver

from . import metrics as m
from .context import Context
from .labels import metadata, obj

API_VERSION = "monitoring.coreos.com/v1alpha1"
COMPONENT = "monitoring"
UNROUTED = "unrouted"
GROUP_BY = ["alertname", m.ENDPOINT_LABEL]


def config_name(ctx: Context) -> str:
    return ctx.name("alerts")


def _secret(ref: str) -> dict:
    name, key = ref.split("/", 1)
    return {"name": name, "key": key}


def _email(email: Email) -> dict:
    config: dict = {"to": email.to, "sendResolved": True}
    if email.from_:
        config["from"] = email.from_
    if email.smarthost:
        config["smarthost"] = email.smarthost
    if email.auth:
        config["authUsername"] = email.auth.username
        config["authPassword"] = _secret(email.auth.secret)
    return config


def receiver_spec(name: str, receiver: Receiver) -> dict:
    """One AlertmanagerConfig receiver: the integrations the spec names, each resolving its notifications."""
    result: dict = {"name": name}
    if receiver.slack:
        result["slackConfigs"] = [{"channel": receiver.slack.channel, "apiURL": _secret(receiver.slack.secret),
                                   "sendResolved": True}]
    if receiver.pagerduty:
        result["pagerdutyConfigs"] = [{"routingKey": _secret(receiver.pagerduty.secret), "sendResolved": True}]
    if receiver.email:
        result["emailConfigs"] = [_email(receiver.email)]
    if receiver.webhook:
        result["webhookConfigs"] = [{"urlSecret": _secret(receiver.webhook.secret), "sendResolved": True}]
    return result


def _matcher(label: str, value: str) -> dict:
    return {"name": label, "value": value, "matchType": "="}


def alertmanager_config(ctx: Context) -> list[dict]:
    """The AlertmanagerConfig of the system, or nothing when the spec defines no receiver."""
    receivers = ctx.spec.platform.alerts.receivers
    if not receivers:
        return []
    owner = ctx.spec.metadata.owner
    fallback = owner if owner in receivers else UNROUTED
    specs = [receiver_spec(name, receivers[name]) for name in sorted(receivers)]
    if fallback == UNROUTED:
        specs.append({"name": UNROUTED})
    route = {
        "receiver": fallback,
        "groupBy": list(GROUP_BY),
        "matchers": [_matcher(m.SYSTEM_LABEL, ctx.system)],
        "routes": [{"receiver": name, "matchers": [_matcher("receiver", name)]} for name in sorted(receivers)],
    }
    meta = metadata(ctx, config_name(ctx), COMPONENT, "platform.alerts.receivers",
                    extra_labels=dict(ctx.spec.platform.prometheus.alertmanager_selector_labels))
    return [obj(API_VERSION, "AlertmanagerConfig", meta, spec={"route": route, "receivers": specs})]
