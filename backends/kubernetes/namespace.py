"""`metadata:` and `platform:` -> the Namespace, a ServiceAccount per role, RBAC and network policies.

Network policy: everything in the namespace is denied by default; each allow names the
component it opens and why. Roles: `training` runs pipeline steps, `serving` runs the model
servers (no API token: a model server never talks to the API server), `monitoring` runs drift
checks, performance estimation and the retraining gate (which lists and submits Workflows).
"""
from __future__ import annotations

from compiler.distributed_training import distributed_steps
from compiler.naming import has_monitor_jobs

from .context import Context
from .labels import metadata, obj, selector_labels
from .network import EGRESS_ANNOTATION, declared_egress, egress_annotation
from .priority import priority_classes
from .train_jobs import DISTRIBUTED_LABEL
from .workload_settings import identity_annotations, runtime_service_account_name

COMPONENT = "platform"
ARGO = "argoproj.io"
#: Argo's executor reports step results through WorkflowTaskResults (Argo >= 3.4 minimal RBAC).
EXECUTOR_RULES = [{"apiGroups": [ARGO], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]}]
#: A distributed step's resource template creates its TrainJob and polls its status (argo-workflows
#: v4.1.2 workflow/executor/resource.go: `kubectl create`, then get until a condition matches).
TRAINJOB_RULES = [{"apiGroups": ["trainer.kubeflow.org"], "resources": ["trainjobs"],
                   "verbs": ["create", "get", "list", "watch"]}]
GATE_RULES = [{"apiGroups": [ARGO], "resources": ["workflows"], "verbs": ["create", "get", "list"]}]
KNATIVE_PORTS = (8012, 9091)  # queue-proxy: traffic from the activator, and its metrics


def roles_in_use(ctx: Context) -> list[str]:
    spec = ctx.spec
    roles = []
    if spec.pipelines:
        roles.append("training")
    if spec.serving:
        roles.append("serving")
    if any(has_monitor_jobs(m) for m in spec.monitoring.values()):
        roles.append("monitoring")
    return roles


def lower_namespace(ctx: Context) -> list[dict]:
    return [
        _namespace(ctx),
        *priority_classes(ctx, roles_in_use(ctx)),
        *[_service_account(ctx, role) for role in roles_in_use(ctx)],
        *[_runtime_service_account(ctx, name) for name in sorted(_runtimes_with_identity(ctx))],
        *_rbac(ctx),
        *_network_policies(ctx),
    ]


def _namespace(ctx: Context) -> dict:
    meta = metadata(ctx, ctx.namespace, COMPONENT, "metadata.namespace", namespaced=False, extra_labels={
        # Argo's executor and KServe's storage initializer do not set every field `restricted` asks for,
        # so `baseline` is enforced and `restricted` reported (the generated containers meet it).
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    })
    return obj("v1", "Namespace", meta)


def _service_account(ctx: Context, role: str) -> dict:
    # Argo's executor needs the token to report results; a model server does not.
    automount = role != "serving"
    meta = metadata(ctx, ctx.service_account(role), COMPONENT, "platform")
    return obj("v1", "ServiceAccount", meta, automountServiceAccountToken=automount)


def _runtimes_with_identity(ctx: Context) -> dict[str, set[str]]:
    """Runtime -> the roles whose workloads run it, for every runtime with a `service_account` in use."""
    spec = ctx.spec
    used: dict[str, set[str]] = {}
    for pipeline in spec.pipelines.values():
        for step in pipeline.steps.values():
            used.setdefault(step.runtime or pipeline.runtime, set()).add("training")
    for endpoint in spec.serving.values():
        used.setdefault(endpoint.runtime, set()).add("serving")
    for monitor in spec.monitoring.values():
        if has_monitor_jobs(monitor) and monitor.drift is not None:
            used.setdefault(monitor.drift.runtime, set()).add("monitoring")
    return {name: roles for name, roles in used.items()
            if name in spec.runtimes and spec.runtimes[name].service_account is not None}


def _runtime_service_account(ctx: Context, name: str) -> dict:
    """A runtime's own identity; KServe's storage initializer mounts the Secrets listed in `secrets:`."""
    runtime = ctx.spec.runtimes[name]
    roles = _runtimes_with_identity(ctx)[name]
    meta = metadata(ctx, runtime_service_account_name(ctx, name), COMPONENT, f"runtimes.{name}.service_account",
                    extra_annotations=identity_annotations(runtime))
    secrets = [{"name": secret} for secret in runtime.service_account.storage_secrets]
    # As the role accounts: Argo's executor needs the API token, a model server does not.
    return obj("v1", "ServiceAccount", meta, automountServiceAccountToken=roles != {"serving"},
               secrets=secrets or None)


def _rbac(ctx: Context) -> list[dict]:
    roles = roles_in_use(ctx)
    runtime_accounts: dict[str, list[str]] = {}
    for runtime, used_by in sorted(_runtimes_with_identity(ctx).items()):
        for role in used_by:
            runtime_accounts.setdefault(role, []).append(runtime_service_account_name(ctx, runtime))
    result = []
    for role in ("training", "monitoring"):
        if role not in roles:
            continue
        rules = EXECUTOR_RULES + (GATE_RULES if role == "monitoring" and _has_gate(ctx) else [])
        if role == "training" and distributed_steps(ctx.spec):
            rules = rules + TRAINJOB_RULES
        name = ctx.service_account(role)
        result.append(obj("rbac.authorization.k8s.io/v1", "Role", metadata(ctx, name, COMPONENT, "platform"),
                          rules=rules))
        result.append(obj("rbac.authorization.k8s.io/v1", "RoleBinding", metadata(ctx, name, COMPONENT, "platform"),
                          roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                          subjects=[{"kind": "ServiceAccount", "name": account, "namespace": ctx.namespace}
                                    for account in [name, *runtime_accounts.get(role, [])]]))
    return result


def _has_gate(ctx: Context) -> bool:
    return any(m.retraining for m in ctx.spec.monitoring.values())


def _policy(ctx: Context, suffix: str, spec_path: str, body: dict, annotations: dict | None = None) -> dict:
    meta = metadata(ctx, ctx.name("netpol", suffix), COMPONENT, spec_path, extra_annotations=annotations)
    return obj("networking.k8s.io/v1", "NetworkPolicy", meta, spec=body)


def _egress(ctx: Context, role: str) -> tuple[list[dict], dict]:
    """The role's egress rules and the annotation that says where each came from."""
    egress = declared_egress(ctx, role)
    return [e.rule for e in egress], {EGRESS_ANNOTATION: egress_annotation(egress)}


def _network_policies(ctx: Context) -> list[dict]:
    everything: dict = {}
    policies = [
        _policy(ctx, "-default-deny", "platform", {"podSelector": everything, "policyTypes": ["Ingress", "Egress"]}),
        _policy(ctx, "-dns", "platform", {
            "podSelector": everything,
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
            }],
        }),
    ]
    roles = roles_in_use(ctx)
    if "serving" in roles:
        ports = sorted({endpoint.port for endpoint in ctx.spec.serving.values()})
        if ctx.spec.platform.serving_mode == "knative":
            ports = sorted(set(ports) | set(KNATIVE_PORTS))
        egress, why = _egress(ctx, "serving")
        policies.append(_policy(ctx, "-serving", "serving", {
            "podSelector": {"matchLabels": selector_labels(ctx, "serving")},
            "policyTypes": ["Ingress", "Egress"],
            # Callers (ingress gateway, other namespaces) and Prometheus reach the model port.
            "ingress": [{"from": [{"namespaceSelector": everything}],
                         "ports": [{"port": port, "protocol": "TCP"} for port in ports]}],
            "egress": egress,
        }, why))
    if "training" in roles:
        egress, why = _egress(ctx, "training")
        policies.append(_policy(ctx, "-pipeline", "pipelines", {
            "podSelector": {"matchLabels": selector_labels(ctx, "pipeline")},
            "policyTypes": ["Egress"],
            "egress": egress,
        }, why))
    if "training" in roles and distributed_steps(ctx.spec):
        # torchrun's rendezvous and NCCL's bootstrap and socket transport use ports chosen at run time.
        peers = [{"podSelector": {"matchLabels": {DISTRIBUTED_LABEL: "true"}}}]
        policies.append(_policy(ctx, "-distributed-training", "pipelines", {
            "podSelector": {"matchLabels": {DISTRIBUTED_LABEL: "true"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": peers}],
            "egress": [{"to": peers}],
        }))
    if "monitoring" in roles:
        egress, why = _egress(ctx, "monitoring")
        policies.append(_policy(ctx, "-monitoring", "monitoring", {
            "podSelector": {"matchLabels": selector_labels(ctx, "monitoring")},
            "policyTypes": ["Egress"],
            "egress": egress,
        }, why))
    return policies
