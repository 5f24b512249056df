"""`mlops plan` end to end, in a temporary git repository with real commits of the example system."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, REPO_ROOT, YamlSnapshotExtension

from compiler.cli import main
from compiler.lock import LockedVersion, parse_lock, write_lock_text
from compiler.plan.object_diff import pair_objects

# A frozen copy: the README demo re-seeds the registry and rewrites mlops.lock.example (new run ids, paths).
EXAMPLE_LOCK = REPO_ROOT / "tests" / "fixtures" / "mlops.lock"
# Fixed identity and dates: the base commit, and so the plan's "HEAD (1a2b3c4)" label, is the same every run.
GIT_ENV = {"GIT_AUTHOR_NAME": "plan test", "GIT_AUTHOR_EMAIL": "plan@test", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
           "GIT_COMMITTER_NAME": "plan test", "GIT_COMMITTER_EMAIL": "plan@test",
           "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}


class MarkdownSnapshotExtension(YamlSnapshotExtension):
    file_extension = "md"


@pytest.fixture
def md_snapshot(snapshot):
    return snapshot.use_extension(MarkdownSnapshotExtension)


class Repo:
    """A git repository holding mlops.yaml and mlops.lock; the base is committed, the change is left in the tree."""

    def __init__(self, root: Path):
        self.root = root
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        result = subprocess.run(["git", "-C", str(self.root), *args], capture_output=True, text=True,
                                env={**os.environ, **GIT_ENV}, check=True)
        return result.stdout

    def write(self, spec: str, lock: str | None = None) -> None:
        (self.root / "mlops.yaml").write_text(spec)
        if lock is not None:
            (self.root / "mlops.lock").write_text(lock)

    def commit(self, message: str = "base") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def plan(self, *args: str, capsys) -> tuple[int, str]:
        """`mlops plan mlops.yaml --base HEAD ARGS` run in the repository, as a developer or CI would."""
        capsys.readouterr()
        cwd = os.getcwd()
        os.chdir(self.root)
        try:
            code = main(["plan", "mlops.yaml", "--base", "HEAD", *args])
        finally:
            os.chdir(cwd)
        out, err = capsys.readouterr()
        assert code in (0, 2), err
        return code, out

    def plan_json(self, *args: str, capsys) -> dict:
        return json.loads(self.plan("--format", "json", *args, capsys=capsys)[1])


@pytest.fixture
def example_repo(tmp_path) -> Repo:
    root = tmp_path / "system"
    root.mkdir()
    repo = Repo(root)
    repo.write(BASE, EXAMPLE_LOCK.read_text())
    repo.commit()
    return repo


BASE = EXAMPLE.read_text()


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def reformatted(text: str) -> str:
    """The same spec, written differently: keys sorted at every level, block style, no comments, a new comment."""
    data = yaml.safe_load(text)
    return "# reformatted: same system\n" + yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=200)


def moved_alias(lock_text: str) -> str:
    """The lock after `mlops lock` found champion moved from fraud-xgb v3 to a new v4 trained on newer data."""
    lock = parse_lock(lock_text.encode(), "mlops.lock")
    old = lock.models["fraud-xgb"]
    new = old._replace(
        resolved=LockedVersion(4, "s3://acme-models/fraud-xgb/4/model", "run4"),
        lineage={**old.lineage, "data_version": "s3://acme-data/fraud/2026-12-01", "code_version": "a1b2c3d"},
        previous=(old.resolved,) + old.previous[:1])
    lock.models["fraud-xgb"] = new
    return write_lock_text(lock)


def env_of(report: dict, env: str | None = None) -> dict:
    (section,) = [e for e in report["environments"] if e["env"] == env]
    return section


# --- the cases the issue names ----------------------------------------------------------------

def test_reformatting_comments_and_key_order_give_no_changes(example_repo, capsys):
    example_repo.write(reformatted(BASE))
    code, out = example_repo.plan("--all-envs", "--detailed-exitcode", capsys=capsys)
    assert code == 0
    assert out.count("**No changes.**") == 2  # dev and prod
    report = example_repo.plan_json("--all-envs", capsys=capsys)
    assert report["has_changes"] is False
    assert all(not e["resources"] and not e["spec_changes"] for e in report["environments"])


def test_a_replica_change_changes_one_inference_service(example_repo, capsys):
    example_repo.write(edit(BASE, "replicas: {min: 2, max: 8}", "replicas: {min: 4, max: 8}"))
    code, _ = example_repo.plan("--detailed-exitcode", capsys=capsys)
    assert code == 2
    section = env_of(example_repo.plan_json(capsys=capsys))
    # The endpoint scales on rps: its minimum is on the InferenceService and on the HTTP add-on's scaler.
    resource, scaler = sorted(section["resources"], key=lambda r: r["kind"] != "InferenceService")
    assert (resource["action"], resource["kind"], resource["name"]) == ("changed", "InferenceService",
                                                                          "fraud-merchant-embed")
    assert resource["changes"] == [{"path": "spec.predictor.minReplicas", "old": 2, "new": 4, "kind": "changed"}]
    assert resource["diff"] == " spec:\n   predictor:\n-    minReplicas: 2\n+    minReplicas: 4\n"
    assert resource["why"] == ["`serving.merchant-embed.replicas.min`"]
    assert (scaler["action"], scaler["kind"], scaler["name"]) == ("changed", "HTTPScaledObject", "fraud-merchant-embed")
    assert scaler["changes"] == [{"path": "spec.replicas.min", "old": 2, "new": 4, "kind": "changed"}]
    (change,) = section["spec_changes"]
    assert change["path"] == "serving.merchant-embed.replicas.min"
    assert change["position"]["line"] == BASE.splitlines().index("    replicas: {min: 2, max: 8}") + 1


def test_a_new_endpoint_adds_its_objects(example_repo, capsys):
    example_repo.write(edit(BASE, "\nmonitoring:\n", "\n  fraud-shadow:\n    model: fraud-xgb\n    runtime: serve\n"
                                                    "    replicas: {min: 2, max: 4}\n"
                                                    "    resources: {cpu: 1, memory: 2Gi, pool: cpu-general}\n"
                                                    "\nmonitoring:\n"))
    section = env_of(example_repo.plan_json(capsys=capsys))
    assert section["summary"]["changed"] == 0 and section["summary"]["removed"] == 0
    added = {(r["kind"], r["name"]) for r in section["resources"]}
    assert ("InferenceService", "fraud-fraud-shadow") in added
    assert all(r["action"] == "added" and r["spec_path"].startswith("serving.fraud-shadow") for r in section["resources"])
    assert all(line.startswith("+") for r in section["resources"] for line in r["diff"].splitlines())


def test_a_removed_pool_removes_its_objects_and_lowers_the_cost(example_repo, capsys):
    spare = ("  gpu-spare:\n    accelerator: a10g\n    gpus_per_node: 4\n    nodes: {min: 1, max: 2}\n"
             "    instance_types: [g5.12xlarge]\n")
    with_spare = edit(BASE, "  cpu-general:\n", spare + "  cpu-general:\n")
    example_repo.write(with_spare)
    example_repo.commit("add a spare pool")
    example_repo.write(BASE)
    section = env_of(example_repo.plan_json(capsys=capsys))
    removed = [r for r in section["resources"] if r["action"] == "removed"]
    assert removed and all(r["spec_path"] == "node_pools.gpu-spare" for r in removed)
    assert {r["kind"] for r in removed} >= {"NodePool"}
    (line,) = [p for p in section["costs"]["pools"] if p["pool"] == "gpu-spare"]
    assert line["after"] is None
    expected = round(4 * 1.006 * 730, 2)
    assert line["delta"] == {"min": -expected, "max": -2 * expected}
    assert section["costs"]["total"]["delta"] == {"min": -expected, "max": -2 * expected}


def test_an_alias_moved_in_the_lock_shows_the_model_version_change(example_repo, capsys):
    example_repo.write(BASE, moved_alias(EXAMPLE_LOCK.read_text()))
    section = env_of(example_repo.plan_json(capsys=capsys))
    (model,) = section["models"]
    assert model["model"] == "fraud-xgb" and model["endpoints"] == ["fraud-api"]
    assert (model["before"]["version"], model["after"]["version"]) == (3, 4)
    assert model["after"]["lineage"]["data_version"] == "s3://acme-data/fraud/2026-12-01"
    assert model["before"]["lineage"]["data_version"] == "sha256:ed12d5ca8c73a13c"
    assert not section["spec_changes"]
    isvc = [r for r in section["resources"] if r["kind"] == "InferenceService"]
    assert isvc and "model fraud-xgb v3 (alias champion) → v4 (alias champion)" in isvc[0]["why"]


def test_a_change_that_introduces_a_gpu_trap_lists_it_as_introduced(example_repo, capsys):
    example_repo.write(edit(BASE, "    instance_types: [g6.4xlarge]      # 16 vCPUs: room for the 4 pods that share its L4\n",
                            "    instance_types: [g6.4xlarge]      # 16 vCPUs: room for the 4 pods that share its L4\n    taint: false\n"))
    section = env_of(example_repo.plan_json(capsys=capsys))
    assert [f["code"] for f in section["lint"]["introduced"]] == ["GPU005"]
    assert section["lint"]["introduced"][0]["spec_path"].startswith("node_pools.gpu-serve")
    assert section["lint"]["resolved"] == []


def test_a_change_that_fixes_a_finding_lists_it_as_resolved_with_its_base_position(example_repo, capsys):
    untainted = edit(BASE, "    instance_types: [g6.4xlarge]      # 16 vCPUs: room for the 4 pods that share its L4\n",
                     "    instance_types: [g6.4xlarge]      # 16 vCPUs: room for the 4 pods that share its L4\n    taint: false\n")
    example_repo.write(untainted)
    example_repo.commit("untaint")
    example_repo.write(BASE)
    section = env_of(example_repo.plan_json(capsys=capsys))
    (resolved,) = section["lint"]["resolved"]
    assert resolved["code"] == "GPU005"
    assert resolved["position"]["file"].startswith("HEAD:")


# --- the review a reviewer reads ----------------------------------------------------------------

def multi_change() -> str:
    text = edit(BASE, "replicas: {min: 2, max: 8}", "replicas: {min: 3, max: 8}")
    text = edit(text, "nodes: {min: 0, max: 2}", "nodes: {min: 0, max: 3}")
    text = edit(text, "        timeout: 6h\n", "        timeout: 8h\n")
    text = edit(text, "    instance_types: [g6.4xlarge]      # 16 vCPUs: room for the 4 pods that share its L4\n", "    instance_types: [g6.4xlarge]      # 16 vCPUs: room for the 4 pods that share its L4\n"
                                                                   "    taint: false\n")
    text = edit(text, "      register:\n", "      evaluate:\n        after: [train]\n"
                                          "        command: [python, -m, fraud.evaluate]\n"
                                          "        resources: {cpu: 2, memory: 8Gi, pool: cpu-general}\n"
                                          "      register:\n")
    text = edit(text, "        after: [train]\n        command: [python, -m, fraud.register]",
                "        after: [evaluate]\n        command: [python, -m, fraud.register]")
    return text


def test_markdown_review_of_a_multi_change(example_repo, capsys, md_snapshot):
    example_repo.write(multi_change(), moved_alias(EXAMPLE_LOCK.read_text()))
    code, out = example_repo.plan("--env", "prod", "--detailed-exitcode", capsys=capsys)
    assert code == 2
    assert out == md_snapshot


def test_json_is_stable_and_names_its_schema(example_repo, capsys):
    example_repo.write(multi_change(), moved_alias(EXAMPLE_LOCK.read_text()))
    first = example_repo.plan("--format", "json", "--all-envs", capsys=capsys)[1]
    second = example_repo.plan("--format", "json", "--all-envs", capsys=capsys)[1]
    assert first == second
    report = json.loads(first)
    assert report["schema"] == "mlops-plan/v1"
    assert [e["env"] for e in report["environments"]] == ["dev", "prod"]
    assert report["base"]["commit"] == example_repo.git("rev-parse", "HEAD").strip()


# --- revisions and errors ---------------------------------------------------------------------

def test_a_spec_new_at_head_is_all_added(tmp_path, capsys):
    root = tmp_path / "system"
    root.mkdir()
    repo = Repo(root)
    (root / "README").write_text("nothing yet\n")
    repo.commit()
    repo.write(BASE, EXAMPLE_LOCK.read_text())
    section = env_of(repo.plan_json(capsys=capsys))
    assert section["resources"] and all(r["action"] == "added" for r in section["resources"])
    assert section["notes"] and "does not exist" in section["notes"][0]


def test_base_spec_file_without_git(tmp_path, capsys):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "mlops.yaml").write_text(edit(BASE, "replicas: {min: 2, max: 8}", "replicas: {min: 4, max: 8}"))
    code = main(["plan", str(tmp_path / "mlops.yaml"), "--base-spec", str(tmp_path / "base.yaml"),
                 "--format", "json", "-o", str(tmp_path / "plan.json")])
    assert code == 0
    section = env_of(json.loads((tmp_path / "plan.json").read_text()))
    assert sorted((r["kind"], r["action"]) for r in section["resources"]) == [("HTTPScaledObject", "changed"),
                                                                               ("InferenceService", "changed")]


def test_unknown_revision_is_an_error_that_says_how_to_fetch_it(example_repo, capsys):
    assert main(["plan", str(example_repo.root / "mlops.yaml"), "--base", "no-such-branch"]) == 2
    err = capsys.readouterr().err
    assert "no-such-branch" in err and "fetch" in err
    # with --detailed-exitcode, 2 means "changes": errors are 1
    assert main(["plan", str(example_repo.root / "mlops.yaml"), "--base", "no-such-branch",
                 "--detailed-exitcode"]) == 1


def test_not_a_repository(tmp_path, capsys):
    (tmp_path / "mlops.yaml").write_text(BASE)
    assert main(["plan", str(tmp_path / "mlops.yaml"), "--base", "HEAD"]) == 2
    assert "not inside a git repository" in capsys.readouterr().err


def test_an_invalid_base_is_reported_at_its_revision(example_repo, capsys):
    example_repo.write(edit(BASE, "replicas: {min: 2, max: 8}", "replicas: {min: 2, max: 8, maxx: 3}"))
    example_repo.commit("broken")
    example_repo.write(BASE)
    assert main(["plan", str(example_repo.root / "mlops.yaml"), "--base", "HEAD"]) == 1
    assert f"HEAD:{example_repo.root / 'mlops.yaml'}:" in capsys.readouterr().err


def test_plan_never_imports_pulumi_or_mlflow(example_repo):
    code = ("import sys; from compiler.cli import main; "
            f"main(['plan', {str(example_repo.root / 'mlops.yaml')!r}, '--base', 'HEAD', '--all-envs', '-o', "
            f"{str(example_repo.root / 'plan.md')!r}]); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_kubernetes', 'mlflow')]; "
            "assert not bad, bad")
    subprocess.run([os.fspath(Path(os.sys.executable)), "-c", code], check=True, cwd=REPO_ROOT)


# --- scale ------------------------------------------------------------------------------------

def test_pairing_is_linear_and_diffs_only_what_differs():
    import time

    # CPU time, as in every in-process bound of the suite: it runs in parallel on shared cores.
    old = [_big_object(i) for i in range(20_000)]
    new = [_big_object(i) for i in range(20_000)]
    new[123]["spec"]["replicas"] = 99
    started = time.process_time()
    changes = [c for c in pair_objects(old, new) if c.action != "unchanged"]
    assert time.process_time() - started < 10
    assert [(c.key[3], [f.dotted for f in c.changes]) for c in changes] == [("obj-123", ["spec.replicas"])]


def _big_object(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"obj-{i}", "namespace": "ns"},
            "spec": {"replicas": 1, "items": [{"name": f"item-{j}", "value": j} for j in range(5)]}}


def test_a_1000_endpoint_plan_with_one_change_takes_seconds(tmp_path, capsys):
    import time

    from bench.synthetic_spec import change_one_thing, synthetic_yaml

    text = synthetic_yaml(1000)
    (tmp_path / "base.yaml").write_text(text)
    (tmp_path / "mlops.yaml").write_text(change_one_thing(text))
    started = time.process_time()
    assert main(["plan", str(tmp_path / "mlops.yaml"), "--base-spec", str(tmp_path / "base.yaml"),
                 "--format", "json", "--base-only"]) == 0  # one section: the environments would triple it
    elapsed = time.process_time() - started
    section = env_of(json.loads(capsys.readouterr().out))
    # The replica maximum is on the InferenceService and on its HTTPScaledObject (it scales on concurrency).
    assert section["summary"]["changed"] == 2 and section["summary"]["unchanged"] > 5000
    assert elapsed < 60, f"{elapsed:.1f} s"


def test_without_env_a_change_in_an_overlay_is_planned(example_repo, capsys):
    """`plan --base REF` planned the base spec only: prod's replicas changed and the plan said "No changes"."""
    example_repo.write(edit(BASE, "fraud-api: {replicas: {min: 3}}", "fraud-api: {replicas: {min: 5}}"))
    code, out = example_repo.plan("--detailed-exitcode", capsys=capsys)
    assert code == 2 and "No changes" not in out.split("## Environment `prod`")[-1]
    report = example_repo.plan_json(capsys=capsys)
    assert [e["env"] for e in report["environments"]] == [None, "dev", "prod"]
    (changed,) = [r for r in env_of(report, "prod")["resources"] if r["kind"] == "InferenceService"]
    assert {"path": "spec.predictor.minReplicas", "old": 3, "new": 5, "kind": "changed"} in changed["changes"]
    assert env_of(report)["resources"] == [] and env_of(report, "dev")["resources"] == []
    base_only = example_repo.plan_json("--base-only", capsys=capsys)
    assert [e["env"] for e in base_only["environments"]] == [None]


def test_a_relocked_registry_at_the_same_versions_moves_no_model_version(example_repo, capsys):
    """After the README's set-up the lock has new run ids and artifact paths but the same versions: the plan
    shows what changed in the objects and says no model version moved."""
    lock = parse_lock(EXAMPLE_LOCK.read_bytes(), "mlops.lock")
    entry = lock.models["fraud-xgb"]
    relocked = entry._replace(resolved=LockedVersion(entry.resolved.version,
                                                     entry.resolved.artifact_uri.replace("d90858ff", "0000aaaa"),
                                                     run_id="0000aaaa"))
    lock.models["fraud-xgb"] = relocked
    example_repo.write(BASE, write_lock_text(lock))
    code, out = example_repo.plan("--base-only", "--detailed-exitcode", capsys=capsys)
    assert code == 2
    headline = next(line for line in out.splitlines() if line.startswith("**Plan:"))
    assert "version move" not in headline and "1 model re-locked at the same version" in headline, headline
    (change,) = env_of(example_repo.plan_json("--base-only", capsys=capsys))["models"]
    assert change["version_moves"] is False


# --- destructive changes ---------------------------------------------------------------------------

def test_a_namespace_rename_is_called_out_as_destructive(example_repo, capsys):
    """A namespace rename deletes and recreates every endpoint: the plan says so before anything else."""
    example_repo.write(edit(BASE, "  namespace: fraud-ml\n", "  namespace: fraud-ml2\n"))
    code, out = example_repo.plan("--base-only", capsys=capsys)
    headline = next(line for line in out.splitlines() if line.startswith("**Plan:"))
    assert "⚠" in headline and "destructive" in headline
    assert out.index("### ⚠ Destructive changes") < out.index("### Resources")
    section = env_of(example_repo.plan_json("--base-only", capsys=capsys))
    by_name = {(d["kind"], d["name"]): d["reason"] for d in section["destructive"]}
    reason = by_name[("InferenceService", "fraud-ml/fraud-fraud-api")]
    assert "recreated as fraud-ml2/fraud-fraud-api" in reason and "the endpoint stops serving" in reason
    assert "every object in the namespace" in by_name[("Namespace", "fraud-ml")]
    assert section["destructive"][0]["kind"] in ("InferenceService", "Namespace", "PrometheusRule", "NodePool")


def test_a_replica_change_is_not_destructive(example_repo, capsys):
    example_repo.write(edit(BASE, "replicas: {min: 2, max: 8}", "replicas: {min: 4, max: 8}"))
    assert env_of(example_repo.plan_json("--base-only", capsys=capsys))["destructive"] == []


def test_an_immutable_field_change_is_a_delete_and_recreate():
    from compiler.plan.destructive import destructive_changes
    from compiler.plan.object_diff import FieldChange
    from compiler.plan.report import ResourceChange

    change = ResourceChange("changed", ("serving.kserve.io/v1alpha1", "LocalModelCache", None, "fraud-fraud-xgb-3"),
                            "serving", "serving.fraud-api.model_cache",
                            [FieldChange(("spec", "sourceModelUri"), "file:///a", "file:///b")], [])
    replica = ResourceChange("changed", ("serving.kserve.io/v1beta1", "InferenceService", "ns", "api"), "serving",
                             "serving.api", [FieldChange(("spec", "predictor", "minReplicas"), 1, 2)], [])
    (item,) = destructive_changes([change, replica])
    assert item.kind == "LocalModelCache" and "`spec.sourceModelUri` cannot be updated" in item.reason


def test_the_immutable_fields_are_the_upstream_schemas():
    """Each IMMUTABLE_FIELDS entry that cites a CRD is held against that CRD's `self == oldSelf` rule."""
    from compiler.plan.destructive import IMMUTABLE_FIELDS
    from tests.upstream import SKIP_REASON, upstream_dir

    root = upstream_dir()
    if root is None:
        pytest.skip(SKIP_REASON)
    crd = yaml.safe_load((root / "crds" / "serving.kserve.io" / "localmodelcaches.yaml").read_text())
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert ("LocalModelCache", ("spec", "sourceModelUri")) in IMMUTABLE_FIELDS
    field = schema["properties"]["spec"]["properties"]["sourceModelUri"]
    assert {"message": "StorageUri is immutable", "rule": "self == oldSelf"} in field["x-kubernetes-validations"]


def test_a_served_model_without_a_lock_entry_is_noted_as_a_placeholder(example_repo, capsys):
    example_repo.write(edit(BASE, "registry_name: merchant-embed\n    version: 2", "registry_name: merchant-embed\n    version: 9"))
    _, out = example_repo.plan("--base-only", capsys=capsys)
    note = next(line for line in out.splitlines() if line.startswith("> models.merchant-embed"))
    assert "placeholder storage URI" in note and "--allow-placeholder-models" in note
