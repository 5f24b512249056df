"""What the compile tests share: the specs they compile and a fixed in-memory lock."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from compiler.checked_spec import check_file
from compiler.lock import Lock, LockedModel, LockedVersion

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "mlops.yaml.example"
CASES = sorted((REPO_ROOT / "tests" / "cases").glob("*.yaml"))
# Further examples (examples/<name>/mlops.yaml), compiled in the base and every environment.
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*/mlops.yaml"))

# (id, path, env): the example in every environment, each focused case in its base.
COMPILED = [(f"example-{env or 'base'}", EXAMPLE, env) for env in (None, "dev", "prod")] + [
    (path.stem, path, None) for path in CASES] + [
    (f"examples-{path.parent.name}-{env or 'base'}", path, env) for path in EXAMPLES for env in (None, "dev", "prod")]


def checked(path: Path, env: str | None):
    return check_file(str(path), env)


def example_lock() -> Lock:
    """A lock for the example as `mlops lock` would write it: versions, URIs, lineage, previous versions."""
    def version(n: int, model: str) -> LockedVersion:
        return LockedVersion(n, f"s3://acme-models/{model}/{n}/model", run_id=f"run{n:04d}")

    lineage = {"data_version": "s3://acme-data/fraud/2026-11-01", "preprocessing_version": "2.3.1",
               "code_version": "9f2c1e7"}
    return Lock("mlops.lock.example", {
        "fraud-xgb": LockedModel("fraud-xgb", "fraud-xgb", "champion", None, version(7, "fraud-xgb"), lineage,
                                 {k: "version-tag" for k in lineage}, (version(6, "fraud-xgb"), version(5, "fraud-xgb")),
                                 "sha256:test"),
        "merchant-embed": LockedModel("merchant-embed", "merchant-embed", None, 2, version(2, "merchant-embed"),
                                      lineage, {k: "spec" for k in lineage}, (version(1, "merchant-embed"),),
                                      "sha256:test"),
    })


def queries(value, where: str):
    """(where, expression) for every `expr`/`query` string of an object, including inside JSON config files."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("expr", "query") and isinstance(item, str):
                yield f"{where}.{key}", item
            else:
                yield from queries(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from queries(item, f"{where}[{index}]")
    elif isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            yield from queries(json.loads(value), where)
        except ValueError:
            pass


def created_objects(obj: dict) -> list[dict]:
    """The objects an Argo workflow's resource templates create (a distributed step's TrainJob, a gate's
    Workflow): they reach the API server only at run time, so the schema and admission kits read them here."""
    if obj.get("kind") not in ("WorkflowTemplate", "CronWorkflow", "Workflow"):
        return []
    spec = obj.get("spec") or {}
    spec = spec.get("workflowSpec", spec)
    created = [yaml.safe_load(t["resource"]["manifest"]) for t in spec.get("templates") or []
               if (t.get("resource") or {}).get("action") == "create" and t["resource"].get("manifest")]
    for made in created:
        meta = made.get("metadata") or {}
        if "generateName" in meta and "name" not in meta:
            # as the API server names it before validation: at most 58 characters of the base and
            # 5 random ones (apiserver pkg/storage/names SimpleNameGenerator)
            meta["name"] = meta["generateName"][:58] + "x7k2q"
    return created
