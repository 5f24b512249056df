"""What a model version is served with: its image and its preprocessing package, on the predictor's container.

- The image: today's runtime image for the current version; for a kept previous version (a rollback
  manifest, or the stable predictor during a Standard-mode canary) the image the lock recorded when
  that version was current (compiler/lock.py LockedVersion.images). A version without a record gets
  today's image and says so in `mlops.dev/served-with` (lint REPRO004 warns about it).
- The preprocessing artifact: the model's `preprocessing` package pinned in the container's
  environment, `MLOPS_PREPROCESSING_PACKAGE=<package>==<version>` (the same variables a training step
  gets, pipelines.py step_env), so the server's transform imports the version training used and the
  compiled object shows which one; for a previous version, the preprocessing version of its own lineage.
"""
from __future__ import annotations

from . import feature_store
from .context import Context, ModelRef
from .labels import DOMAIN
from .pods import image_pull_policy
from .workload_settings import env_entries

SERVED_WITH = f"{DOMAIN}/served-with"
PREPROCESSING_PACKAGE_ENV = "MLOPS_PREPROCESSING_PACKAGE"


def preprocessing_env(ctx: Context, model: ModelRef) -> dict[str, str]:
    """The preprocessing variables of the server serving `model` (empty when the model names none)."""
    name = ctx.spec.models[model.model_key].preprocessing
    artifact = ctx.spec.preprocessing.get(name) if name else None
    if artifact is None:
        return {}
    version = artifact.version
    if model.previous:
        version = dict(model.lineage).get("preprocessing_version") or version
    env = {"MLOPS_PREPROCESSING": name}
    if artifact.package and version:
        env[PREPROCESSING_PACKAGE_ENV] = f"{artifact.package}=={version}"
    if artifact.entrypoint:
        env["MLOPS_PREPROCESSING_ENTRYPOINT"] = artifact.entrypoint
    return env


def served_with(model: ModelRef, endpoint: str) -> str:
    """The `mlops.dev/served-with` annotation: where the image of this manifest comes from."""
    if not model.previous:
        return "current runtime image"
    if model.served_image(endpoint):
        return f"the image recorded in the lock for version {model.label}"
    if not model.locked:
        return f"today's runtime image: no lock pins version {model.label} (run `mlops lock`)"
    return f"today's runtime image: the lock records no image for version {model.label} (lint REPRO004)"


def reads_features(ctx: Context, model: ModelRef) -> bool:
    return bool(ctx.spec.models[model.model_key].features) and feature_store.enabled(ctx)


def apply_to_container(ctx: Context, endpoint: str, model: ModelRef, container: dict) -> dict:
    """`container` (the model server's) with the recorded image and the preprocessing environment."""
    result = dict(container)
    image = model.served_image(endpoint)
    if image:
        result["image"] = image
        result["imagePullPolicy"] = image_pull_policy(image)
    env = preprocessing_env(ctx, model)
    if reads_features(ctx, model):
        env.update(feature_store.endpoint_env(ctx, model.model_key))
        result["volumeMounts"] = [*result.get("volumeMounts", []), feature_store.mount()]
    if env:
        names = {item["name"] for item in result.get("env", [])}
        result["env"] = [*result.get("env", []), *(e for e in env_entries(env) if e["name"] not in names)]
    return result
