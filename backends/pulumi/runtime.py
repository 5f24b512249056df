"""Runtime mode: a Pulumi program that reads mlops.yaml and declares every object it compiles to.

    from backends.pulumi import deploy
    deploy("mlops.yaml")

The stack name selects the environment. The spec is loaded, validated and linted (lint errors stop
the deploy; warnings go to `pulumi.log`), lowered by the Kubernetes backend, and each object is
declared through the one plan `resources.py` makes, the same plan the emitted program prints.

Provider: always an explicit `k8s.Provider("mlops")`, so no object silently goes wherever the
ambient default provider points. Its `kubeconfig` and `context` come from stack config (`mlops:`
keys, else the usual `kubernetes:` ones); both are optional, and unset the provider reads
$KUBECONFIG or ~/.kube/config and its current context, like kubectl.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from compiler.diagnostics import SpecError, UsageError

from .resources import Declaration, plan, stack_outputs

if TYPE_CHECKING:
    import pulumi

    from compiler.checked_spec import CheckedSpec

PROVIDER_NAME = "mlops"


def deploy(spec_path: str = "mlops.yaml", env: str | None = None) -> dict[str, "pulumi.Resource"]:
    """Declare every object `spec_path` compiles to in environment `env` (default: the stack's name).

    Returns the declared resources by logical name (`<kind>/<namespace>/<name>`), for programs that
    add their own resources with `depends_on`. Stack outputs: the environment, namespace, endpoints,
    the model version each endpoint serves, and pipelines.
    """
    import pulumi

    try:
        checked, lock = load(spec_path, env, pulumi.get_stack())
        report_lint(checked, lock)
        from backends.kubernetes import lower

        usable = fresh_lock(checked, lock)
        objects = lower(checked, usable)
        from backends.kubernetes import context_for

        from .gke_node_pools import gke_node_pools

        gke = gke_node_pools(context_for(checked, usable))
    except (SpecError, UsageError) as error:
        raise pulumi.RunError(str(error)) from None
    pulumi.log.info(f"mlops: {len(objects)} objects from {spec_path}, environment {checked.env or 'base'}")
    declared = declare(plan(objects), provider())
    if gke:  # cloud gcp: the GKE node pools, through the stack's default gcp provider
        from .gke_node_pools import declare as declare_gke_node_pools

        declared.update(declare_gke_node_pools(gke))
    for key, value in stack_outputs(objects, checked.env).items():
        pulumi.export(key, value)
    return declared


def environment_for_stack(environments: list[str], stack: str, spec_path: str) -> str | None:
    """The environment a stack deploys: the one named like the stack; the base when the spec has none."""
    if not environments:
        return None
    if stack in environments:
        return stack
    raise UsageError(f"stack {stack!r} matches no environment of {spec_path} ({', '.join(environments)}): "
                     f"name the stack after one (`pulumi stack init {environments[0]}`) "
                     "or pass deploy(..., env=NAME)")


def load(spec_path: str, env: str | None, stack: str) -> tuple["CheckedSpec", Any]:
    """The checked spec for the stack's environment, and its lock (None without mlops.lock)."""
    from compiler.checked_spec import check_document
    from compiler.loader import load_file
    from compiler.overlays import environment_names

    document = load_file(spec_path)
    if env is None:
        env = environment_for_stack(environment_names(document.data), stack, spec_path)
    from compiler.lock import read_lock

    return check_document(document, env), read_lock(spec_path)


def fresh_lock(checked: "CheckedSpec", lock: Any) -> Any:
    """What compile lowers with: only the lock entries still fresh for the spec (a warning per other model)."""
    import pulumi

    from compiler.lock import usable_lock

    usable, warnings = usable_lock(checked, lock)
    for warning in warnings:
        pulumi.log.warn(warning)
    return usable


def report_lint(checked: "CheckedSpec", lock: Any) -> None:
    """Lint errors stop the deploy (with every finding); warnings and infos are logged."""
    import pulumi

    from compiler.lint import lint
    from compiler.lint.formats import render_text

    findings = lint(checked, lock)
    errors = [f for f in findings if f.severity == "error"]
    for finding in findings:
        if finding.severity == "warning":
            pulumi.log.warn(render_text([finding]).rstrip("\n"))
        elif finding.severity != "error":
            pulumi.log.info(render_text([finding]).rstrip("\n"))
    if errors:
        command = f"mlops lint --env {checked.env}" if checked.env else "mlops lint"
        raise UsageError(f"mlops lint found {len(errors)} error(s); nothing was deployed (`{command}` shows "
                         "the same):\n" + render_text(findings).rstrip("\n"))


def provider() -> "pulumi.ProviderResource":
    import pulumi
    import pulumi_kubernetes as k8s

    mlops_config, kubernetes_config = pulumi.Config("mlops"), pulumi.Config("kubernetes")
    return k8s.Provider(
        PROVIDER_NAME,
        kubeconfig=mlops_config.get("kubeconfig") or kubernetes_config.get("kubeconfig"),
        context=mlops_config.get("context") or kubernetes_config.get("context"),
    )


def resource_class(item: Declaration) -> type:
    """The pulumi_kubernetes class of a declaration; only its submodule is imported."""
    module = importlib.import_module(f"pulumi_kubernetes.{item.module}")
    return getattr(module, item.class_name)


def declare(declarations: list[Declaration], provider: "pulumi.ProviderResource") -> dict[str, "pulumi.Resource"]:
    """Instantiate every declaration, dependencies first, all through `provider`."""
    import pulumi

    declared: dict[str, pulumi.Resource] = {}
    for item in declarations:
        opts = pulumi.ResourceOptions(provider=provider,
                                      depends_on=[declared[name] for name in item.depends_on] or None)
        declared[item.logical_name] = resource_class(item)(item.logical_name, **item.args, opts=opts)
    return declared
