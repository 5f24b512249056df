"""DEPS: coupled and mutable dependencies."""
from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..relations import training_runtimes
from ..rule import Context, Problem, RuleOptions, rule


@rule("DEPS001", "coupled-train-serve-runtime", "warning",
      "A serving endpoint and a training step use the same runtime, the same image, or the same lockfile.")
def coupled_train_serve_runtime(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks that no serving endpoint runs in a runtime, an image or a lockfile that a training
    pipeline also uses.

    ## Why is this bad?
    Training needs heavy, fast-moving dependencies (CUDA toolkits, pandas, experiment trackers);
    serving needs a small, stable, audited image. One shared image means every training upgrade
    redeploys serving with untested dependencies, and serving inherits training's size, start-up
    time and vulnerabilities. Share the versioned preprocessing package, not the environment.

    ## Example
    ```yaml
    runtimes:
      ml: {image: ghcr.io/acme/fraud:1.4.2}
    pipelines:
      train-fraud:
        runtime: ml
        steps: {train: {command: [python, -m, fraud.train]}}
    serving:
      fraud-api: {model: fraud-xgb, runtime: ml}
    ```

    ## Use instead
    ```yaml
    runtimes:
      train: {image: ghcr.io/acme/fraud-train:1.4.2}
      serve: {image: ghcr.io/acme/fraud-serve:1.4.2}
    pipelines:
      train-fraud:
        runtime: train
        steps: {train: {command: [python, -m, fraud.train]}}
    serving:
      fraud-api: {model: fraud-xgb, runtime: serve}
    ```
    """
    runtimes = ctx.spec.runtimes
    training = training_runtimes(ctx.spec)
    for name, endpoint in ctx.spec.serving.items():
        serve = runtimes.get(endpoint.runtime)
        if serve is None:
            continue
        for train_name, where in training.items():
            train = runtimes.get(train_name)
            if train is None:
                continue
            if train_name == endpoint.runtime:
                shared = f"runtime {train_name!r}"
            elif train.image == serve.image:
                shared = f"image {serve.image} (runtimes {endpoint.runtime!r} and {train_name!r})"
            elif serve.lockfile and train.lockfile == serve.lockfile:
                shared = f"lockfile {serve.lockfile} (runtimes {endpoint.runtime!r} and {train_name!r})"
            else:
                continue
            yield Problem(("serving", name, "runtime"), f"endpoint {name!r} serves with the same {shared} that "
                          f"training uses ({'.'.join(where)})",
                          hint="give serving its own runtime with its own image and lockfile; share only the "
                               "versioned preprocessing package")
            break


class ImageTagOptions(RuleOptions):
    mutable_tags: list[str] = Field(default=["latest", "main", "master", "dev", "develop", "head", "trunk",
                                             "stable", "nightly", "edge"],
                                    description="Image tags that move: treated like a missing tag.")


@rule("DEPS002", "mutable-image-tag", "warning",
      "An image has no digest and its tag is `latest`, missing, or branch-like (`main`, `dev`, `master`).",
      options=ImageTagOptions)
def mutable_image_tag(ctx: Context, options: ImageTagOptions) -> Iterator[Problem]:
    """## What it does
    Checks every image (`runtimes.*.image`, `preprocessing.*.image`): it must carry a digest
    (`@sha256:...`) or an immutable tag, not `latest`, no tag at all, or a branch-like tag from
    `mutable_tags`.

    ## Why is this bad?
    A moving tag points at different images over time: two pods of the same Deployment can run
    different code, a rollback redeploys whatever the tag means today, and no one can say which
    dependencies produced a prediction. Reproducibility starts with an immutable image reference.

    ## Example
    ```yaml
    runtimes:
      serve: {image: ghcr.io/acme/fraud-serve:latest}
    ```

    ## Use instead
    ```yaml
    runtimes:
      serve: {image: "ghcr.io/acme/fraud-serve@sha256:4f1c2b7e9d0a8c6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7"}
    ```
    or a release tag that your registry keeps immutable (`fraud-serve:1.4.2`).
    """
    mutable = {tag.lower() for tag in options.mutable_tags}
    images = [(("runtimes", name, "image"), runtime.image) for name, runtime in ctx.spec.runtimes.items()]
    images += [(("preprocessing", name, "image"), pre.image) for name, pre in ctx.spec.preprocessing.items()
               if pre.image]
    for path, image in images:
        if "@sha256:" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else None
        if tag is None:
            yield Problem(path, f"image {image} has no tag and no digest: it means `latest`",
                          hint="reference the image by digest (@sha256:...) or an immutable release tag")
        elif tag.lower() in mutable:
            yield Problem(path, f"image {image} uses the moving tag {tag!r}",
                          hint="reference the image by digest (@sha256:...) or an immutable release tag")


@rule("DEPS003", "lockfile-not-found", "warning",
      "A runtime names a `lockfile` that does not exist, so every check that reads it is silently skipped.")
def lockfile_not_found(ctx: Context, options: RuleOptions) -> Iterator[Problem]:
    """## What it does
    Checks that every `runtimes.*.lockfile` names a file that exists, relative to the spec's
    directory.

    ## Why is this bad?
    Lint reads a runtime's lockfile to compare what serving installs with what training used
    (SKEW001, SKEW003, SKEW006). A path with a typo, or a
    lockfile that is generated in CI and not committed, turns those checks off without a word:
    the spec looks checked and is not.

    ## Example
    ```yaml
    runtimes:
      serve: {image: ghcr.io/acme/fraud-serve:1.4.2, lockfile: requirements/serve.lock}   # no such file
    ```

    ## Use instead
    ```yaml
    runtimes:
      serve: {image: ghcr.io/acme/fraud-serve:1.4.2, lockfile: requirements/serve.lock}   # committed
    ```
    or remove `lockfile:` and list the pinned `packages:`.
    """
    for name, runtime in ctx.spec.runtimes.items():
        if runtime.lockfile and not (ctx.spec_dir / runtime.lockfile).exists():
            yield Problem(("runtimes", name, "lockfile"), f"runtime {name!r} names lockfile {runtime.lockfile}, "
                          f"which does not exist next to the spec: the checks that read it (SKEW001, SKEW003, "
                          "SKEW006) are skipped", hint="commit the lockfile at that path (relative to the "
                                                                "spec's directory), or remove `lockfile:`")
