"""PATCH: `overrides` that patch what the spec itself models (docs/overrides.md)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..rule import Context, Problem, RuleOptions, rule

#: Keys of generated objects the spec models: key -> (spec field to set instead, with `{endpoint}`,
#: `{pipeline}`, `{step}` or `{entity}` filled from the override's target).
MODELLED: dict[str, str] = {
    "replicas": "serving.{endpoint}.replicas",
    "minReplicas": "serving.{endpoint}.replicas.min",
    "maxReplicas": "serving.{endpoint}.replicas.max",
    "image": "runtimes.<runtime>.image (the runtime {entity} uses)",
    "resources": "the `resources` of {entity} (cpu, memory, gpu, pool)",
    "nodeSelector": "the `resources.pool` of {entity}",
    "storageUri": "models.<model> (alias or version, pinned by mlops.lock)",
    "canaryTrafficPercent": "serving.{endpoint}.rollout.canary_percent",
    "trafficPercent": "serving.{endpoint}.rollout.canary_percent",
    "startupProbe": "serving.{endpoint}.startup_timeout",
    "activeDeadlineSeconds": "the `timeout` of {entity}",
    "retryStrategy": "pipelines.{pipeline}.steps.{step}.retries",
    "schedules": "pipelines.{pipeline}.schedule",
    "timezone": "pipelines.{pipeline}.timezone",
    "namespace": "metadata.namespace",
}
#: Label and annotation prefixes mlops writes and selects on (NetworkPolicies, monitors, the plan).
RELIED_ON_PREFIXES = ("app.kubernetes.io/", "mlops.dev/")
METADATA_MAPS = ("labels", "annotations")


def _written_paths(value: Any, path: tuple) -> Iterator[tuple]:
    """Every key path a merge patch writes: down through mappings, a list or scalar is written whole."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _written_paths(item, path + (key,))
    else:
        yield path


def _modelled(tokens: tuple) -> tuple[str, str] | None:
    """(the key that is modelled, the spec field) for the first modelled key on `tokens`, else None."""
    for depth, token in enumerate(tokens):
        if depth and tokens[depth - 1] in METADATA_MAPS:
            if token.startswith(RELIED_ON_PREFIXES):
                return token, ("metadata.labels for your own labels; the app.kubernetes.io/* and mlops.dev/* keys "
                               "are what mlops's NetworkPolicies, monitors and plan select objects by")
            continue
        if token in MODELLED:
            return token, MODELLED[token]
    return None


def _fill(template: str, target: Any) -> str:
    entity = next((f"{section}.{getattr(target, key)}" for key, section in
                   (("endpoint", "serving"), ("pipeline", "pipelines"), ("node_pool", "node_pools"),
                    ("monitor", "monitoring")) if getattr(target, key) is not None), "the spec entry")
    if target.step is not None:
        entity = f"{entity}.steps.{target.step}"
    return template.format(endpoint=target.endpoint or "<endpoint>", pipeline=target.pipeline or "<pipeline>",
                           step=target.step or "<step>", entity=entity)


@rule("PATCH001", "override-patches-modelled-field", "warning",
      "An override patches a field that the spec models (replicas, images, resources, labels mlops selects by).")
def override_patches_modelled_field(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks every `overrides` entry for a merge key or JSON Patch path that writes a field the spec
    itself sets: replica counts, images, resources and node selection, the model's storage URI,
    canary traffic, probes and deadlines, schedules, a namespace, and the `app.kubernetes.io/*` and
    `mlops.dev/*` labels and annotations. It names the spec field to set instead. (A change of an
    object's apiVersion, kind, name or namespace is not a warning but an error: see docs/overrides.md.)

    ## Why is this bad?
    The spec's value and the patch then disagree, and the patch wins silently: lint, the plan's
    cost estimate, the capacity checks and the monitoring rules still reason about the spec's
    value. A patched `maxReplicas` is not in the GPU cost the plan shows; a patched image is not
    the one DEPS002 checked for a mutable tag; a changed `app.kubernetes.io/component` label
    takes the pods out of the NetworkPolicies and monitors that select them.

    ## Example
    ```yaml
    overrides:
      - target: {kind: InferenceService, endpoint: fraud-api}
        merge:
          spec: {predictor: {maxReplicas: 40}}
    ```

    ## Use instead
    ```yaml
    serving:
      fraud-api:
        replicas: {min: 2, max: 40}
    ```
    """
    if not ctx.spec.overrides:
        return
    from ...overrides import origins

    written_at = origins(ctx.checked)
    for i, override in enumerate(ctx.spec.overrides):
        here = ("overrides", i)
        written: list[tuple[tuple, tuple, str]] = []   # (spec path, tokens, at)
        if override.merge is not None:
            written += [(here + ("merge",) + path, path, "key") for path in _written_paths(override.merge, ())]
        if override.json_patch:
            from ...json_patch import parse_pointer

            for j, operation in enumerate(override.json_patch):
                if operation.op == "test":
                    continue
                written.append((here + ("json_patch", j, "path"), tuple(parse_pointer(operation.path)), "value"))
                if operation.op == "move":
                    written.append((here + ("json_patch", j, "from"), tuple(parse_pointer(operation.from_ or "")),
                                    "value"))
        for path, tokens, at in written:
            found = _modelled(tokens)
            if found is None:
                continue
            key, field = found
            label = repr(override.name) if override.name else written_at[i]
            yield Problem(path, f"override {label} patches {key!r}, which the spec models; the "
                                "spec's value and the patch then disagree and the patch wins unseen by lint and "
                                "the plan", hint=f"set {_fill(field, override.target)} instead", at=at)
