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
        if key not in served or not model.from_registry or (entry is None and model.alias is not None):
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


@rule("REPRO004", "rollback-version-unservable", "warning",
      "A kept previous model version has no recorded image (or no artifact) in the lock: its rollback would "
      "serve it with today's image and preprocessing.")
def rollback_version_unservable(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For every endpoint that keeps previous model versions (`rollout.keep_previous`), checks that the
    lock records, for each kept version, the artifact to download and the image the endpoint served
    it with (`mlops lock` records the image of the current version and carries it forward when the
    version becomes a previous one; a lock_version 1 file or a version that was never current under
    `mlops lock` has none).

    ## Why is this bad?
    A model is only deployable with the code that served it: the server image, its libraries and the
    preprocessing package it pins. A rollback manifest that serves last month's model with this
    month's image may fail to load it (a new xgboost cannot read the old format), or load it and
    transform its inputs with a newer preprocessing: the rollback you reach for in an incident then
    does not restore what served before.

    ## Example
    ```yaml
    # mlops.lock (lock_version 1, or a version registered before the first `mlops lock`)
    previous:
      - {version: 6, artifact_uri: s3://models/fraud-xgb/6, run_id: ab12}
    ```

    ## Use instead
    ```yaml
    # mlops.lock, written by `mlops lock` while version 6 was the current one, then carried forward
    previous:
      - version: 6
        artifact_uri: s3://models/fraud-xgb/6
        images: {fraud-api: ghcr.io/acme/fraud-serve:1.4.1}
        lineage: {preprocessing_version: 2.3.0, data_version: ..., code_version: ...}
        run_id: ab12
    ```
    Run `mlops lock` on every change of the current version, so each version is recorded while it is served.
    """
    for name, endpoint in ctx.spec.serving.items():
        entry = ctx.lock_entry(endpoint.model)
        keep = endpoint.rollout.keep_previous
        if entry is None or keep <= 0:
            continue
        for version in entry.previous[:keep]:
            missing = [what for what, present in (("artifact", bool(version.artifact_uri)),
                                                  ("image", bool(version.image_for(name)))) if not present]
            if missing:
                yield Problem(("serving", name, "rollout", "keep_previous"),
                              f"endpoint {name!r} keeps version {version.version} of model {endpoint.model!r}, but "
                              f"{ctx.lock.path if ctx.lock else 'the lock'} records no {' and no '.join(missing)} "
                              "it was served with: its rollback manifest would serve it with today's image "
                              "and preprocessing",
                              hint="record the version while it is current (`mlops lock` on every promotion), or "
                                   "keep fewer previous versions")


@rule("REPRO005", "lineage-declared-only", "info",
      "A lineage fact of a served model comes from the spec's `lineage:` because the registry has no tag for it.")
def lineage_declared_only(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Reports each lineage fact (data version, preprocessing version, code version) that the lock took
    from `models.<name>.lineage` in the spec because neither the registry version nor its run has the
    `mlops.<key>` tag.

    ## Why is this bad?
    A hand-written lineage says what someone believes trained the model; a registry tag set by the
    training run that registered it says what did. When they drift (a retrain on new data under the
    same spec lineage) skew checks and audits trust a claim nobody verified.

    ## Example
    ```yaml
    models:
      merchant-embed:
        version: 2
        lineage: {data_version: s3://acme-data/merchants/2026-10-15}   # the registry has no tags
    ```

    ## Use instead
    Tag the version when training registers it (on the model version or its run), run `mlops lock`,
    and drop the spec's `lineage:`:
    ```yaml
    # the registering step, e.g. MlflowClient().set_model_version_tag(name, version, key, value)
    mlops.data_version: s3://acme-data/merchants/2026-10-15
    mlops.preprocessing_version: 2.3.1
    mlops.code_version: 3b7d9a1
    ```

    ## Options
    Off: `lint.disable: [REPRO005]`. To require registry lineage: `lint.severity: {REPRO005: error}`.
    """
    for key, model in ctx.spec.models.items():
        entry = ctx.lock_entry(key)
        if entry is None:
            continue
        declared = [name for name in LINEAGE_KEYS if entry.lineage_source.get(name) == "spec"]
        if declared:
            path = ("models", key, "lineage") if model.lineage is not None else ("models", key)
            yield Problem(path, f"model {key!r}: {', '.join(declared)} of version {entry.version} come from the "
                          "spec only; the registry has no lineage tag for them", at="key",
                          hint="tag the registry version (mlops." + ", mlops.".join(declared) + ") where training "
                               "registers it")


@rule("REPRO006", "served-model-without-artifact", "warning",
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
        if model is None or model.alias is not None or not model.from_registry:
            continue  # an alias without an entry is REPRO001; a Hugging Face commit is its own storage URI
        entry = ctx.lock_entry(key)
        if entry is not None and not stale_reasons(ctx, key):
            continue
        where = ("there is no mlops.lock" if ctx.lock is None else
                 f"{ctx.lock.path} has no entry for it" if entry is None else f"its entry in {ctx.lock.path} is stale")
        yield Problem(("models", key), f"served model {key!r} (version {model.version}) has no storage URI: {where}; "
                      f"endpoint {', '.join(endpoints)} would be compiled against a placeholder no model server "
                      "can download", at="key", hint="run `mlops lock` and commit the lock file")
