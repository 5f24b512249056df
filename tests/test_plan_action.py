"""action.yml: its plan and comment steps run as GitHub would run them, with a fake `gh` that records
the API calls, so "the action posts the plan, then updates that one comment" is tested without a network."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT
from test_plan import BASE, EXAMPLE_LOCK, Repo, edit

ACTION = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
STEPS = {step.get("name", step.get("uses")): step for step in ACTION["runs"]["steps"]}

FAKE_GH = r'''#!{python}
"""A stand-in for the gh CLI: logs each call; answers the comment listing from comments.json."""
import json, os, sys
root = os.environ["FAKE_GH_DIR"]
args = sys.argv[1:]
if args[:2] == ["api", "user"]:  # GITHUB_TOKEN cannot read /user: "Resource not accessible by integration"
    sys.exit(1)
with open(os.path.join(root, "calls.jsonl"), "a") as log:
    body = None
    for arg in args:
        if arg.startswith("body=@"):
            body = open(arg[len("body=@"):]).read()
    log.write(json.dumps({{"args": args, "body": body}}) + "\n")
if "--jq" in args:  # the listing: ids of $AUTHOR's comments whose body starts with $MARKER
    comments = json.load(open(os.path.join(root, "comments.json")))
    for comment in comments:
        if comment["user"]["login"] == os.environ["AUTHOR"] and comment["body"].startswith(os.environ["MARKER"]):
            print(comment["id"])
'''


BOT = "github-actions[bot]"


def run_step(name: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    script = STEPS[name]["run"]
    assert "${{" not in script, f"step {name!r} must take its inputs through env, not ${{{{ }}}} in the script"
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], env=env, cwd=cwd,
                          capture_output=True, text=True)


@pytest.fixture
def workspace(tmp_path):
    if shutil.which("bash") is None or shutil.which("git") is None:
        pytest.skip("needs bash and git")
    root = tmp_path / "repo"
    root.mkdir()
    repo = Repo(root)
    repo.write(BASE, EXAMPLE_LOCK.read_text())
    repo.commit()
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write(edit(BASE, "replicas: {min: 2, max: 8}", "replicas: {min: 4, max: 8}"))
    repo.commit("more replicas")
    fake = tmp_path / "bin"
    fake.mkdir()
    gh = fake / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable))
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    runner = tmp_path / "runner"
    runner.mkdir()
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "FAKE_GH_DIR": str(tmp_path), "RUNNER_TEMP": str(runner), "GITHUB_OUTPUT": str(runner / "output"),
           "GITHUB_STEP_SUMMARY": str(runner / "summary"), "SPEC": "mlops.yaml", "BASE": base,
           "ENVIRONMENTS": "all", "PR": "7", "REPO": "acme/fraud", "GH_TOKEN": "not-a-token"}
    return root, env, tmp_path


def calls(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]


def test_the_action_posts_the_plan_then_updates_the_same_comment(workspace):
    root, env, tmp_path = workspace
    plan = run_step("mlops plan", env, root)
    assert plan.returncode == 0, plan.stderr
    outputs = dict(line.split("=", 1) for line in Path(env["GITHUB_OUTPUT"]).read_text().splitlines())
    assert outputs["has-changes"] == "true"
    assert "fraud-merchant-embed" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert json.loads(Path(outputs["json"]).read_text())["schema"] == "mlops-plan/v1"

    env = {**env, "PLAN": outputs["markdown"]}
    (tmp_path / "comments.json").write_text(json.dumps([{"id": 1, "body": "LGTM", "user": {"login": "alice"}}]))
    posted = run_step("Post or update the PR comment", env, root)
    assert posted.returncode == 0, posted.stderr
    (listing, create) = calls(tmp_path)
    assert listing["args"][:2] == ["api", "repos/acme/fraud/issues/7/comments"]
    assert create["args"][:4] == ["api", "--method", "POST", "repos/acme/fraud/issues/7/comments"]
    assert create["body"].startswith("<!-- mlops-plan: mlops.yaml -->\n## mlops plan")
    assert "minReplicas: 4" in create["body"]

    (tmp_path / "calls.jsonl").unlink()
    (tmp_path / "comments.json").write_text(json.dumps([
        {"id": 1, "body": "LGTM", "user": {"login": "alice"}},
        {"id": 42, "body": create["body"], "user": {"login": BOT}}]))
    updated = run_step("Post or update the PR comment", env, root)
    assert updated.returncode == 0, updated.stderr
    (_, update) = calls(tmp_path)
    assert update["args"][:4] == ["api", "--method", "PATCH", "repos/acme/fraud/issues/comments/42"]


def test_the_action_runs_lint_with_github_annotations_and_plans_against_the_pr_base():
    lint = STEPS["mlops lint"]["run"]
    assert 'mlops lint --all-envs --format github --fail-on="$FAIL_ON" -- "$SPEC"' in lint
    assert ACTION["inputs"]["base"]["default"] == "${{ github.event.pull_request.base.sha }}"
    assert 'mlops plan "--base=$BASE"' in STEPS["mlops plan"]["run"] and '-- "$SPEC"' in STEPS["mlops plan"]["run"]


def test_no_step_interpolates_expressions_into_a_script():
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]


def test_a_comment_by_someone_else_that_carries_the_marker_is_never_edited(workspace):
    """Anyone may post `<!-- mlops-plan: mlops.yaml -->`: editing it would put the plan under their name,
    for them to rewrite later. The action edits only its own comment, and posts one when it has none."""
    root, env, tmp_path = workspace
    plan = run_step("mlops plan", env, root)
    assert plan.returncode == 0, plan.stderr
    outputs = dict(line.split("=", 1) for line in Path(env["GITHUB_OUTPUT"]).read_text().splitlines())
    env = {**env, "PLAN": outputs["markdown"]}
    (tmp_path / "comments.json").write_text(json.dumps([
        {"id": 13, "body": "<!-- mlops-plan: mlops.yaml -->\n**No changes.**", "user": {"login": "mallory"}}]))
    posted = run_step("Post or update the PR comment", env, root)
    assert posted.returncode == 0, posted.stderr
    (_, create) = calls(tmp_path)
    assert create["args"][:3] == ["api", "--method", "POST"]


@pytest.mark.parametrize(("step", "variable", "value"), [
    ("Make sure the base commit is in the clone", "BASE", "--upload-pack=touch PWNED;true"),
    ("mlops plan", "BASE", "--output=PWNED"),
    ("mlops lint", "SPEC", "--format=sarif"),
    ("mlops plan", "ENVIRONMENTS", "--output=PWNED"),
    ("Post or update the PR comment", "SPEC", "x --><img src=https://evil.example>"),
])
def test_inputs_never_read_as_options_or_markup(workspace, step, variable, value):
    root, env, tmp_path = workspace
    env = {**env, variable: value, "PLAN": str(tmp_path / "plan.md"), "FAIL_ON": "error"}
    (tmp_path / "plan.md").write_text("plan\n")
    (tmp_path / "comments.json").write_text("[]")
    (Path(env["RUNNER_TEMP"]) / "mlops-plan").mkdir()  # as the plan step leaves it
    result = run_step(step, env, root)
    assert not list(root.rglob("PWNED")), result.stdout + result.stderr
    if variable == "SPEC" and step == "mlops lint":  # a spec path, not the option it looks like
        assert "--format=sarif: no such file" in result.stderr and '"version": "2.1.0"' not in result.stdout
    else:
        assert result.returncode != 0, result.stdout + result.stderr
    if (tmp_path / "calls.jsonl").exists():
        assert not [c for c in calls(tmp_path) if "POST" in c["args"] or "PATCH" in c["args"]]
