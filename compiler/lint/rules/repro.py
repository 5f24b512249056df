"""REPRO: versioning and reproducibility — which model version is served, and where it came from."""
from __future__ import annotations

from collections.abc import Iterator

from ...lock import LINEAGE_KEYS, model_spec_hash
from ..rule import Context, Problem, RuleOptions, rule


def stale_reasons(ctx: Context, key: str) -> list[str]:
    """Why the lock entry of `key` no longer fits the spec (empty: it fits), as `compile --frozen` judges it."""
    entry = ctx.lock_entry(key)
    try:
        from ...lock import lock_requirements, stale_reasons as lock_stale_reasons
    except ImportError:  # an older lock module: compare the spec hash alone
        model = ctx.spec.models[key]
        keep = max((e.rollout.keep_previous for e in ctx.spec.serving.values() if e.model == key), default=0)
        fits = entry is None or entry.spec_hash == model_spec_hash(model.registry_name or key, model.alias,
                                                                   model.version, keep)
        return [] if fits else ["the model's registry name, alias or rollback depth changed since it was made"]
    return lock_stale_reasons(entry, lock_requirements(ctx.checked)[key]) if entry is not None else []


@rule("REPRO001", "model-version-unpinned", "error",
      "A model is chosen by alias and there is no lock entry, or the lock is stale for it.")
def model_version_unpinned(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For every model chosen by `alias`, checks that `mlops.lock` (written by `mlops lock`) pins the
    version the alias resolved to, and that the entry is current (the model's registry name,
    alias and rollback depth have not changed since).

    ## Why is this bad?
    An alias moves: whoever promotes a new `champion` in the registry changes what the next
    deployment serves, without a commit, a review or a diff. Two compiles of the same spec can
    deploy different models, and a rollback cannot say what it rolls back to.

    ## Example
    ```yaml
    models:
      fraud-xgb:
        alias: champion      # and no mlops.lock entry for it
        format: xgboost
    ```

    ## Use instead
    ```yaml
    models:
      fraud-xgb:
        alias: champion      # pinned by `mlops lock`, mlops.lock committed next to the spec
        format: xgboost
    ```
    or pin the version in the spec (`version: 7`).
    """
    for key, model in ctx.spec.models.items():
        if model.alias is None:
            continue
        entry = ctx.lock_entry(key)
        path = ("models", key, "alias")
        if entry is None:
            where = "there is no mlops.lock" if ctx.lock is None else f"{ctx.lock.path} has no entry for it"
            yield Problem(path, f"model {key!r} is chosen by alias {model.alias!r} and {where}: the served version "
                          "can change without a commit", hint="run `mlops lock` and commit the lock file (a "
                                                              "`version:` pin needs its lock entry too: the lock records "
                                                              "where the version's artifacts are)")
        elif reasons := stale_reasons(ctx, key):
            yield Problem(path, f"the lock entry of model {key!r} (version {entry.version}) is stale: "
                          + "; ".join(reasons), hint="run `mlops lock` again and commit the lock file")


@rule("REPRO002", "lineage-incomplete", "error",
      "A served model version lacks its data version, preprocessing version or code version (from lock tags or "
      "`lineage`).")
def lineage_incomplete(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For every served model, looks for the three lineage facts of the version served: the data
    version, the preprocessing version and the code version. They come from the registry's tags
    (recorded in the lock) or, where the registry lacks them, from `models.*.lineage`.

    ## Why is this bad?
    Without lineage nobody can reproduce the model, check it for training-serving skew, explain
    a prediction in an audit, or retrain it on the same data after a bug fix. The time to record
    it is when the model is trained; after an incident it is too late.

    ## Example
    ```yaml
    models:
      merchant-embed:
        version: 2
        format: pytorch
        lineage: {data_version: s3://acme-data/merchants/2026-10-15}
    ```

    ## Use instead
    ```yaml
    models:
      merchant-embed:
        version: 2
        format: pytorch
        lineage:
          data_version: s3://acme-data/merchants/2026-10-15
          preprocessing_version: 2.3.1
          code_version: 3b7d9a1
    ```
    """
    served = {endpoint.model for endpoint in ctx.spec.serving.values()}
    for key, model in ctx.spec.models.items():
        entry = ctx.lock_entry(key)
        if key not in served or (entry is None and model.alias is not None):
            continue  # an unpinned alias is REPRO001: which version's lineage is unknown
        declared = model.lineage.model_dump() if model.lineage else {}
        missing = [name for name in LINEAGE_KEYS
                   if not ((entry.lineage.get(name) if entry else None) or declared.get(name))]
        if missing:
            path = ("models", key, "lineage") if model.lineage and entry is None else ("models", key)
            source = f"lock version {entry.version} tags or models.{key}.lineage" if entry else f"models.{key}.lineage"
            yield Problem(path, f"served model {key!r} has no {', '.join(missing)} ({source})", at="key",
                          hint="tag the registry version with " + ", ".join(missing) + " when training registers it, "
                               f"or record them under models.{key}.lineage")


@rule("REPRO003", "no-rollback-version", "warning",
      "`rollout.keep_previous` is 0, or the lock knows no earlier version of the model to roll back to.")
def no_rollback_version(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Flags endpoints that keep no previous model version deployable (`rollout.keep_previous: 0`),
    and served models for which the lock records no earlier version.

    ## Why is this bad?
    When a new model misbehaves in production, the fastest fix is to serve the previous one.
    With nothing to roll back to, the only way out is a retraining or an emergency rebuild, under
    pressure, while the bad model keeps answering.

    ## Example
    ```yaml
    serving:
      fraud-api:
        model: fraud-xgb
        runtime: serve
        rollout: {keep_previous: 0}
    ```

    ## Use instead
    ```yaml
    serving:
      fraud-api:
        model: fraud-xgb
        runtime: serve
        rollout: {keep_previous: 2}
    ```
    """
    no_history: dict[str, list[str]] = {}
    for name, endpoint in ctx.spec.serving.items():
        if endpoint.rollout.keep_previous == 0:
            yield Problem(("serving", name, "rollout", "keep_previous"), f"endpoint {name!r} keeps no previous "
                          "model version to roll back to", hint="set rollout.keep_previous to 1 or more")
            continue
        entry = ctx.lock_entry(endpoint.model)
        if entry is not None and not entry.previous:
            no_history.setdefault(endpoint.model, []).append(name)
    for model, endpoints in no_history.items():
        entry = ctx.lock_entry(model)
        yield Problem(("models", model), f"the lock knows no version of model {model!r} before "
                      f"{entry.version if entry else '?'}: endpoint {', '.join(endpoints)} cannot roll back",
                      at="key", hint="keep an earlier registry version deployable (READY) and run `mlops lock` again")


@rule("REPRO004", "served-model-without-artifact", "warning",
      "A served model has no lock entry, so nothing says where its artifacts are: its endpoint would serve a "
      "placeholder storage URI.")
def served_model_without_artifact(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For every model an endpoint serves that is pinned by `version:`, checks that `mlops.lock` has a
    current entry for it. The lock is where the version's artifact location (its storage URI)
    comes from; models chosen by `alias` are checked by REPRO001.

    ## Why is this bad?
    Without a storage URI the manifests point the InferenceService at a placeholder
    (`s3://mlops-placeholder/...`) that no model server can download: the endpoint applies
    cleanly and then never becomes ready. `mlops compile` refuses such a spec unless told to
    (`--allow-placeholder-models`).

    ## Example
    ```yaml
    models:
      merchant-embed: {version: 2, format: pytorch}   # and no mlops.lock entry for it
    serving:
      merchant-embed: {model: merchant-embed, runtime: embed-serve}
    ```

    ## Use instead
    ```yaml
    models:
      merchant-embed: {version: 2, format: pytorch}   # pinned by `mlops lock`, mlops.lock committed
    serving:
      merchant-embed: {model: merchant-embed, runtime: embed-serve}
    ```
    """
    served: dict[str, list[str]] = {}
    for name, endpoint in ctx.spec.serving.items():
        served.setdefault(endpoint.model, []).append(name)
    for key, endpoints in served.items():
        model = ctx.spec.models.get(key)
        if model is None or model.alias is not None:
            continue  # an alias without an entry is REPRO001
        entry = ctx.lock_entry(key)
        if entry is not None and not stale_reasons(ctx, key):
            continue
        where = ("there is no mlops.lock" if ctx.lock is None else
                 f"{ctx.lock.path} has no entry for it" if entry is None else f"its entry in {ctx.lock.path} is stale")
        yield Problem(("models", key), f"served model {key!r} (version {model.version}) has no storage URI: {where}; "
                      f"endpoint {', '.join(endpoints)} would be compiled against a placeholder no model server "
                      "can download", at="key", hint="run `mlops lock` and commit the lock file")
