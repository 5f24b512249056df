"""SKEW: training-serving skew — the model sees different inputs in serving than in training."""
from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..relations import endpoints_by_model, training_pipelines_by_model
from ..requirements import normalize
from ..rule import Context, Problem, RuleOptions, rule

# An exact version: PEP 440 / semver (1.2.3, 2.0.0rc1, 1.4.2+build.7), a commit id, or an image digest.
EXACT_VERSION = re.compile(r"^(v?[0-9]+(\.[0-9]+)*([-.]?(a|b|rc|alpha|beta|post|dev)\.?[0-9]*)*(\+[A-Za-z0-9.]+)?"
                           r"|[0-9a-f]{7,40}|sha256:[0-9a-f]{64})$")


@rule("SKEW001", "preprocessing-version-mismatch", "error",
      "A model's preprocessing version recorded at training differs from the one serving ships, or a serving "
      "runtime pins the preprocessing package at another version than `preprocessing.*.version`.")
def preprocessing_version_mismatch(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Compares three versions of a model's preprocessing: the one recorded when the model was trained
    (the lock's lineage tags, or `models.*.lineage.preprocessing_version`), the one declared in
    `preprocessing.*.version`, and the one each serving runtime pins in its packages or lockfile.

    ## Why is this bad?
    A model learns the features its preprocessing produced at training time. If serving transforms
    requests with another version (a renamed category, a changed scaling, a bug fix), the model
    receives inputs it never saw: predictions degrade silently, with no error anywhere. This is
    the classic training-serving skew.

    ## Example
    ```yaml
    preprocessing:
      fraud-features: {package: acme-fraud-features, version: 2.4.0}
    runtimes:
      serve:
        image: ghcr.io/acme/fraud-serve:1.4.2
        packages: [acme-fraud-features==2.3.1]   # not what preprocessing declares
    models:
      fraud-xgb:
        version: 7
        format: xgboost
        preprocessing: fraud-features
        lineage: {preprocessing_version: 2.3.1}   # trained with 2.3.1, serving declares 2.4.0
    ```

    ## Use instead
    ```yaml
    preprocessing:
      fraud-features: {package: acme-fraud-features, version: 2.3.1}
    runtimes:
      serve:
        image: ghcr.io/acme/fraud-serve:1.4.2
        packages: [acme-fraud-features==2.3.1]
    models:
      fraud-xgb:
        version: 7
        format: xgboost
        preprocessing: fraud-features
        lineage: {preprocessing_version: 2.3.1}
    ```
    Retrain the model with the new preprocessing before serving it, or keep serving the version
    it was trained with.
    """
    spec = ctx.spec
    serving = ctx.serving_runtimes()
    for runtime_name, endpoints in serving.items():
        pins = {req.name: req for req in ctx.requirements(runtime_name) if req.pinned_version}
        for pre_name, pre in spec.preprocessing.items():
            req = pins.get(normalize(pre.package)) if pre.package else None
            exact = pre.version is not None and EXACT_VERSION.match(str(pre.version))
            if req and exact and req.pinned_version != str(pre.version):  # an inexact version is SKEW002
                yield Problem(req.path, f"serving runtime {runtime_name!r} ({req.where}) pins {pre.package} at "
                              f"{req.pinned_version}, but preprocessing.{pre_name}.version is {pre.version}",
                              hint=f"pin {pre.package}=={pre.version} in runtime {runtime_name!r}, or change "
                                   f"preprocessing.{pre_name}.version and retrain")
    serving_endpoints = endpoints_by_model(spec)
    for model_key, model in spec.models.items():
        pre = spec.preprocessing.get(model.preprocessing or "")
        served_by = [spec.serving[name] for name in serving_endpoints.get(model_key, ())]
        if pre is None or not served_by:
            continue
        entry = ctx.lock_entry(model_key)
        recorded, path, at, source = None, ("models", model_key), "key", ""
        if entry is not None and entry.lineage.get("preprocessing_version"):
            recorded, source = entry.lineage["preprocessing_version"], f"the lock (version {entry.version})"
        elif model.lineage and model.lineage.preprocessing_version is not None:
            recorded, at = model.lineage.preprocessing_version, "value"
            path = path + ("lineage", "preprocessing_version")
            source = f"models.{model_key}.lineage"
        if recorded is None:
            continue
        for endpoint in served_by:
            req = next((r for r in ctx.requirements(endpoint.runtime)
                        if pre.package and r.name == normalize(pre.package) and r.pinned_version), None)
            shipped, shipped_from = ((req.pinned_version, f"runtime {endpoint.runtime!r} pins")
                                     if req else (pre.version, f"preprocessing.{model.preprocessing}.version is"))
            if shipped is not None and str(shipped) != str(recorded):
                yield Problem(path, f"model {model_key!r} was trained with preprocessing {recorded} ({source}), "
                              f"but {shipped_from} {shipped}", at=at,
                              hint="serve the preprocessing version the model was trained with, or retrain "
                                   "the model with the new one")
                break


@rule("SKEW002", "preprocessing-unpinned", "error",
      "A preprocessing artifact has no exact version (a range, `latest`, a branch name, or none).")
def preprocessing_unpinned(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks that every `preprocessing:` artifact names one exact version: a release number
    (`2.3.1`), a commit id or an image digest.

    ## Why is this bad?
    A range (`>=2.3`), `latest` or a branch name resolves to whatever was newest when each image
    was built. Training and serving are built at different times, so they silently end up with
    different preprocessing: training-serving skew that no test of either side catches.

    ## Example
    ```yaml
    preprocessing:
      fraud-features:
        package: acme-fraud-features
        version: ">=2.3"
    ```

    ## Use instead
    ```yaml
    preprocessing:
      fraud-features:
        package: acme-fraud-features
        version: 2.3.1
    ```
    """
    for name, pre in ctx.spec.preprocessing.items():
        if pre.version is None:
            yield Problem(("preprocessing", name), f"preprocessing {name!r} has no version", at="key",
                          hint="add `version:` with the exact release both training and serving use, e.g. 2.3.1")
        elif not EXACT_VERSION.match(str(pre.version)):
            yield Problem(("preprocessing", name, "version"),
                          f"preprocessing {name!r} version {pre.version!r} is not an exact version",
                          hint="pin one release (2.3.1), commit id or image digest; ranges, `latest` and branch "
                               "names move under you")


class PandasOptions(RuleOptions):
    serving_forbidden_packages: list[str] = Field(
        default=["pandas"], description="Packages that grow memory per request in a long-lived service.")


@rule("SKEW003", "pandas-in-serving", "warning",
      "A serving runtime's packages or lockfile include pandas.", options=PandasOptions)
def pandas_in_serving(ctx: Context, options: PandasOptions) -> Iterator[Problem]:
    """## What it does
    Looks for pandas (or the packages named in `serving_forbidden_packages`) in the `packages`
    and the lockfile of every runtime a serving endpoint uses.

    ## Why is this bad?
    Building a DataFrame per request is slow and, in a long-lived server process, memory grows
    from request to request (allocator fragmentation, copies, caches) until the pod is OOM-killed.
    Serving code that needs pandas usually means the notebook's preprocessing was copied into the
    service instead of the versioned preprocessing package.

    ## Example
    ```yaml
    runtimes:
      serve:
        image: ghcr.io/acme/fraud-serve:1.4.2
        packages: [xgboost==2.1.1, pandas==2.2.3]
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve}
    ```

    ## Use instead
    ```yaml
    runtimes:
      serve:
        image: ghcr.io/acme/fraud-serve:1.4.2
        packages: [xgboost==2.1.1, numpy==2.1.3]   # native types / numpy per request
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve}
    ```
    """
    forbidden = {normalize(name) for name in options.serving_forbidden_packages}
    yield from _packages_in_serving(ctx, forbidden, "long-lived services grow memory with it per request",
                                    "build requests with native types or numpy, and keep pandas in training")


class NotebookOptions(RuleOptions):
    notebook_packages: list[str] = Field(
        default=["jupyter", "jupyterlab", "ipykernel", "notebook", "matplotlib"],
        description="Packages that mark notebook tooling.")


@rule("SKEW006", "notebook-packages-in-serving", "warning",
      "A serving runtime carries notebook tooling (jupyter, ipykernel, notebook, matplotlib).",
      options=NotebookOptions)
def notebook_packages_in_serving(ctx: Context, options: NotebookOptions) -> Iterator[Problem]:
    """## What it does
    Looks for notebook tooling (`notebook_packages`: jupyter, jupyterlab, ipykernel, notebook,
    matplotlib) in the packages and lockfile of every runtime a serving endpoint uses.

    ## Why is this bad?
    Notebook packages in a serving image are the sign of a service lifted from a notebook: its
    preprocessing is probably a copy of notebook cells rather than the versioned artifact training
    used, and the image carries hundreds of megabytes (and CVEs) it never runs.

    ## Example
    ```yaml
    runtimes:
      serve:
        image: ghcr.io/acme/fraud-serve:1.4.2
        packages: [xgboost==2.1.1, ipykernel==6.29.5, matplotlib==3.9.2]
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve}
    ```

    ## Use instead
    ```yaml
    runtimes:
      serve:
        image: ghcr.io/acme/fraud-serve:1.4.2
        packages: [xgboost==2.1.1, acme-fraud-features==2.3.1]
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve}
    ```
    """
    forbidden = {normalize(name) for name in options.notebook_packages}
    yield from _packages_in_serving(ctx, forbidden, "notebook tooling does not belong in a serving image",
                                    "build the serving image from the versioned preprocessing package, without "
                                    "notebook tooling")


def _packages_in_serving(ctx: Context, forbidden: set[str], why: str, hint: str) -> Iterator[Problem]:
    for runtime, endpoints in ctx.serving_runtimes().items():
        for req in ctx.requirements(runtime):
            if req.name in forbidden:
                yield Problem(req.path, f"serving runtime {runtime!r} (endpoint {', '.join(endpoints)}) installs "
                              f"{req.name} ({req.where}): {why}", hint=hint)


@rule("SKEW004", "feature-join-not-point-in-time", "error",
      "A training step reads feature views without `point_in_time: true`, or a view it reads has no "
      "`timestamp_field`.")
def feature_join_not_point_in_time(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks every pipeline step that reads feature views: the join must be point-in-time
    (`features.point_in_time: true`) and every view it reads must have a `timestamp_field`.

    ## Why is this bad?
    Without a point-in-time join, each training row is joined with the *latest* feature values,
    including values computed after the event being predicted. The model learns from the future
    (label leakage), scores brilliantly offline and fails in production, where the future is not
    available.

    ## Example
    ```yaml
    features:
      store: feast
      views:
        transactions-7d: {entities: [card_id]}     # no timestamp_field
    pipelines:
      train-fraud:
        runtime: train
        steps:
          featurize:
            command: [python, -m, fraud.featurize]
            features: {views: [transactions-7d]}   # point_in_time defaults to false
    ```

    ## Use instead
    ```yaml
    features:
      store: feast
      views:
        transactions-7d: {entities: [card_id], timestamp_field: event_ts}
    pipelines:
      train-fraud:
        runtime: train
        steps:
          featurize:
            command: [python, -m, fraud.featurize]
            features: {views: [transactions-7d], point_in_time: true}
    ```
    """
    views = ctx.spec.features.views
    for name, pipeline in ctx.spec.pipelines.items():
        for step_name, step in pipeline.steps.items():
            if not step.features:
                continue
            here = ("pipelines", name, "steps", step_name, "features")
            if not step.features.point_in_time:
                yield Problem(here + ("point_in_time",), f"step '{name}.{step_name}' joins feature views without "
                              "point_in_time: true: training rows can see feature values from their future",
                              hint="set features.point_in_time: true")
            for i, view in enumerate(step.features.views):
                if view in views and not views[view].timestamp_field:
                    yield Problem(here + ("views", i), f"feature view {view!r} read by step '{name}.{step_name}' has "
                                  "no timestamp_field, so it cannot be joined point-in-time",
                                  hint=f"add timestamp_field (the event-time column) to features.views.{view}")


@rule("SKEW005", "serving-features-differ", "error",
      "The feature views a served model reads differ from those its training pipeline read.")
def serving_features_differ(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For every served model, compares `models.*.features` (what serving fetches) with the feature
    views read by the steps of the pipeline that registers the model (what training read).

    ## Why is this bad?
    A model fetches at serving time the features it was trained on, by name. A view that training
    read but serving does not fetch arrives as missing values; a view serving fetches that training
    never read is either ignored or misaligned with the model's columns. Both degrade predictions
    without an error.

    ## Example
    ```yaml
    models:
      fraud-xgb: {version: 7, format: xgboost, features: [transactions-7d]}
    pipelines:
      train-fraud:
        runtime: train
        steps:
          featurize:
            command: [python, -m, fraud.featurize]
            features: {views: [transactions-7d, merchant-profile], point_in_time: true}
          train: {command: [python, -m, fraud.train], after: [featurize], registers: fraud-xgb}
    ```

    ## Use instead
    ```yaml
    models:
      fraud-xgb: {version: 7, format: xgboost, features: [transactions-7d, merchant-profile]}
    pipelines:
      train-fraud:
        runtime: train
        steps:
          featurize:
            command: [python, -m, fraud.featurize]
            features: {views: [transactions-7d, merchant-profile], point_in_time: true}
          train: {command: [python, -m, fraud.train], after: [featurize], registers: fraud-xgb}
    ```
    """
    served = {endpoint.model for endpoint in ctx.spec.serving.values()}
    trainers = training_pipelines_by_model(ctx.spec)
    views_read: dict[str, frozenset[str]] = {}  # pipeline -> the views its steps read, once per pipeline
    for model_key, model in ctx.spec.models.items():
        pipelines = trainers.get(model_key, [])
        if model_key not in served or not pipelines:
            continue
        for name in pipelines:
            if name not in views_read:
                views_read[name] = frozenset(view for step in ctx.spec.pipelines[name].steps.values()
                                             if step.features for view in step.features.views)
        trained = sorted(set().union(*(views_read[name] for name in pipelines)))
        serving = sorted(set(model.features))
        if trained != serving:
            missing, extra = sorted(set(trained) - set(serving)), sorted(set(serving) - set(trained))
            parts = ([f"training read {', '.join(missing)} but serving does not fetch it"] if missing else []) + \
                    ([f"serving fetches {', '.join(extra)} that training never read"] if extra else [])
            at = ("models", model_key, "features") if model.features else ("models", model_key)
            yield Problem(at, f"model {model_key!r}: {'; '.join(parts)} (pipeline {', '.join(pipelines)})",
                          at="value" if model.features else "key",
                          hint=f"make models.{model_key}.features the views its training pipeline reads: "
                               f"[{', '.join(trained)}]")


def _preprocessing_sides(spec) -> Iterator[tuple[str, str, str, tuple]]:
    """(runtime, preprocessing artifact, who runs it, spec path) for each side that applies a preprocessing."""
    for pipeline_name, pipeline in spec.pipelines.items():
        for step_name, step in pipeline.steps.items():
            if step.preprocessing:
                yield (step.runtime or pipeline.runtime, step.preprocessing, f"step '{pipeline_name}.{step_name}'",
                       ("pipelines", pipeline_name, "steps", step_name, "preprocessing"))
    for name, endpoint in spec.serving.items():
        model = spec.models.get(endpoint.model)
        if model is not None and model.preprocessing:
            yield endpoint.runtime, model.preprocessing, f"endpoint {name!r}", ("serving", name, "runtime")


@rule("SKEW007", "preprocessing-package-not-shipped", "warning",
      "A training step's or endpoint's runtime does not install the preprocessing package at the pinned version "
      "(its packages and lockfile lack it, or pin another version).")
def preprocessing_package_not_shipped(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    For both sides of a preprocessing, the training steps that apply it (`steps.*.preprocessing`) and
    the endpoints that serve a model trained with it (`models.*.preprocessing`), reads what the
    runtime really installs (its `packages`, then its lockfile) and compares it with
    `preprocessing.*.version`. The generated step and model server containers are told the pinned
    package (`MLOPS_PREPROCESSING_PACKAGE=<package>==<version>`); this checks that the image can
    honour it. (SKEW001 compares the serving pins with the trained version.)

    ## Why is this bad?
    A version that is only declared is not the one that runs: the notebook, the training image and
    the server image each install their own copy. If the training image carries 2.3.0 while serving
    carries 2.3.1, the model learns from one transform and is served another, and every lineage
    record says 2.3.1.

    ## Example
    ```yaml
    preprocessing:
      feats: {package: acme-features, version: 2.3.1}
    runtimes:
      train: {image: ghcr.io/acme/train:1.0.0, packages: [acme-features==2.3.0]}
      serve: {image: ghcr.io/acme/serve:1.0.0, packages: [xgboost==2.1.1]}   # no acme-features at all
    ```

    ## Use instead
    ```yaml
    preprocessing:
      feats: {package: acme-features, version: 2.3.1}
    runtimes:
      train: {image: ghcr.io/acme/train:1.1.0, packages: [acme-features==2.3.1]}
      serve: {image: ghcr.io/acme/serve:1.1.0, packages: [xgboost==2.1.1, acme-features==2.3.1]}
    ```
    """
    spec = ctx.spec
    seen: set[tuple[str, str]] = set()
    for runtime, artifact_name, who, path in _preprocessing_sides(spec):
        artifact = spec.preprocessing.get(artifact_name)
        if artifact is None or not artifact.package or (runtime, artifact_name) in seen or runtime not in spec.runtimes:
            continue
        seen.add((runtime, artifact_name))
        wanted = str(artifact.version) if artifact.version is not None else None
        if wanted is None or not EXACT_VERSION.match(wanted):
            continue   # SKEW002: nothing exact to compare with
        found = next((r for r in ctx.requirements(runtime) if r.name == normalize(artifact.package)), None)
        if found is None:
            yield Problem(("runtimes", runtime), f"runtime {runtime!r} ({who} applies preprocessing {artifact_name!r}) "
                          f"installs no {artifact.package}: neither its packages nor its lockfile list it, so what "
                          f"it runs is not {artifact.package}=={wanted}", at="key",
                          hint=f"add {artifact.package}=={wanted} to runtimes.{runtime}.packages (and its lockfile)")
        elif found.pinned_version != wanted and (found.pinned_version is None or runtime not in ctx.serving_runtimes()):
            # a serving runtime pinning another version is SKEW001's; an unpinned one, or a training one, is ours
            got = f"pins {found.pinned_version}" if found.pinned_version else f"does not pin it ({found.spec or 'any version'})"
            yield Problem(found.path, f"runtime {runtime!r} ({who} applies preprocessing {artifact_name!r}) "
                          f"{got} for {artifact.package} ({found.where}), but preprocessing.{artifact_name}.version is "
                          f"{wanted}", hint=f"pin {artifact.package}=={wanted} in runtime {runtime!r}")
