"""`mlops lint` and `mlops rules` end to end: formats, exit codes, selection, configuration errors,
environments, the example spec, SARIF against the official schema, and the import budget."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main
from tests.compile_support import EXAMPLES
from tests.conftest import EXAMPLE, REPO_ROOT
from tests.upstream import SKIP_REASON, upstream_dir

MANY = REPO_ROOT / "tests" / "lint" / "specs" / "many-findings.yaml"
HEADER = "apiVersion: mlops/v1\nkind: System\nmetadata: {name: t, namespace: t}\n"
ENDPOINT = ("models: {m: {version: 7, format: pytorch, size: 4Gi, lineage: {data_version: d1, "
            "preprocessing_version: '1', code_version: c1}}}\n"
            "runtimes: {serve: {image: ghcr.io/acme/serve:1.0.0}}\n"
            "serving:\n  api: {model: m, runtime: serve, replicas: {min: 0, max: 2}, startup_timeout: 10m, "
            "autoscale: {metric: rps, target: 5}}\n"
            "monitoring:\n  api: {slo: {latency_p99: 250ms}, business: [{name: hits, query: up, min: 1}]}\n")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def spec_file(tmp_path):
    def write(text: str, name: str = "mlops.yaml") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        _lock_pinned_versions(path)
        return str(path)
    return write


def _lock_pinned_versions(path) -> None:
    """An mlops.lock entry for each `version:` model, as `mlops lock` writes one: these tests are about other
    rules, and a served version without a lock entry is REPRO006 (tested in tests/lint/cases/REPRO006.yaml)."""
    from compiler.checked_spec import check_file
    from compiler.diagnostics import SpecError
    from compiler.lock import lock_path_for, write_lock
    from tests.lint.lock_fixtures import build_lock

    try:
        checked = check_file(str(path))
    except SpecError:
        return
    spec = checked.spec
    def served_with(key: str) -> dict:  # the images a kept version was recorded with (else REPRO004 fires)
        return {name: spec.runtimes[e.runtime].image for name, e in spec.serving.items()
                if e.model == key and e.runtime in spec.runtimes}
    pinned = {key: {"version": model.version,
                    "previous": [{"version": model.version - 1, "images": served_with(key)}] if model.version > 1 else [],
                    "lineage": model.lineage.model_dump() if model.lineage else {}}
              for key, model in checked.spec.models.items() if model.version is not None}
    if not pinned:
        return
    lock = build_lock(pinned, checked)
    for key, entry in lock.models.items():  # models:/ URIs are the fixtures' shorthand; a lock file holds storage
        lock.models[key] = entry._replace(
            resolved=entry.resolved._replace(artifact_uri=f"s3://models/{key}/{entry.resolved.version}"),
            previous=tuple(v._replace(artifact_uri=f"s3://models/{key}/{v.version}") for v in entry.previous))
    write_lock(lock, lock_path_for(path))


@pytest.fixture(autouse=True)
def in_repo_root(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)  # artifact URIs and paths in snapshots are relative to the repo root


# --- the example stays clean -----------------------------------------------------------------------------

@pytest.mark.parametrize("env", [None, "dev", "prod"])
def test_example_is_lint_clean(capsys, env):
    args = ["lint", str(EXAMPLE.relative_to(REPO_ROOT)), "--fail-on", "info"] + (["--env", env] if env else [])
    code, out, err = run_cli(capsys, *args)
    assert (code, out) == (0, ""), out
    assert "no findings" in err


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.parent.name for path in EXAMPLES])
def test_every_further_example_is_lint_clean_in_every_environment(capsys, example):
    code, out, err = run_cli(capsys, "lint", str(example.relative_to(REPO_ROOT)), "--all-envs", "--fail-on", "info")
    assert (code, out) == (0, ""), out
    assert "no findings" in err


def test_example_dev_ignore_is_used():
    from compiler.checked_spec import check_file
    from compiler.lint import load_lock
    from compiler.lint.engine import run

    dev = check_file(str(EXAMPLE), "dev")
    assert [i.rule for i in dev.spec.lint.ignore] == ["SERVE001", "REPRO005"]
    result = run(dev, load_lock(str(EXAMPLE)))
    assert result.findings == []
    # The LINT001 that would have said "unused" did not fire: the ignore suppressed a real SERVE001.
    [(_, line, _, code, message)] = [u for u in result.used_ignores if "SERVE001" in u[4]]
    assert code == "LINT001" and "SERVE001 at serving.merchant-embed" in message
    assert run(dev, load_lock(str(EXAMPLE)), select={"SERVE001"}).used_ignores


def test_example_all_envs_clean(capsys):
    assert run_cli(capsys, "lint", str(EXAMPLE), "--all-envs", "--fail-on", "info")[:2] == (0, "")


# --- rendered output: snapshots ----------------------------------------------------------------------------

def test_text_output_snapshot(capsys, snapshot):
    code, out, err = run_cli(capsys, "lint", str(MANY.relative_to(REPO_ROOT)))
    assert code == 1
    assert out == snapshot
    assert re.search(r"mlops lint: \d+ findings \(\d+ errors, \d+ warnings\)", err)


def test_text_output_is_sorted_by_position(capsys):
    out = run_cli(capsys, "lint", str(MANY.relative_to(REPO_ROOT)))[1]
    positions = [tuple(map(int, m.groups())) for m in re.finditer(r"^[^ ].*?:(\d+):(\d+): ", out, re.M)]
    assert len(positions) > 20
    assert positions == sorted(positions)


def _sarif(capsys, *args: str) -> dict:
    code, out, _ = run_cli(capsys, "lint", *args, "--format", "sarif")
    return json.loads(out)


def test_sarif_output_snapshot(capsys, snapshot):
    document = _sarif(capsys, str(MANY.relative_to(REPO_ROOT)))
    run = document["runs"][0]
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///REPO/"
    run["tool"]["driver"]["version"] = run["tool"]["driver"]["semanticVersion"] = "VERSION"
    run["tool"]["driver"]["rules"] = [rule["id"] for rule in run["tool"]["driver"]["rules"]]  # metadata: below
    assert json.dumps(document, indent=2) + "\n" == snapshot


def sarif_validator():
    root = upstream_dir()
    schema_file = root / "sarif" / "sarif-schema-2.1.0.json" if root else None
    if schema_file is None or not schema_file.is_file():
        pytest.skip(SKIP_REASON)
    import jsonschema

    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("args", [[str(MANY.relative_to(REPO_ROOT))], [str(EXAMPLE), "--all-envs"]],
                         ids=["many-findings", "clean-example"])
def test_sarif_validates_against_the_official_schema(capsys, args):
    validator = sarif_validator()
    document = _sarif(capsys, *args)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_sarif_carries_rule_metadata_and_relative_locations(capsys):
    document = _sarif(capsys, str(MANY.relative_to(REPO_ROOT)))
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    serve001 = next(r for r in rules if r["id"] == "SERVE001")
    assert serve001["name"] == "cold-start-large-model"
    assert serve001["defaultConfiguration"] == {"level": "warning"}
    assert serve001["shortDescription"]["text"] and serve001["fullDescription"]["text"]
    assert "## What it does" in serve001["help"]["markdown"] and "large_model" in serve001["help"]["markdown"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "tests/lint/specs/many-findings.yaml"
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1


def test_sarif_for_an_invalid_spec_validates(capsys, spec_file):
    validator = sarif_validator()
    path = spec_file(HEADER + "serving: {api: {model: nope, runtime: serve}}\n")
    document = _sarif(capsys, path)
    assert not list(validator.iter_errors(document))
    assert {r["ruleId"] for r in document["runs"][0]["results"]} == {"SPEC"}


# --- formats, exit codes, selection --------------------------------------------------------------------------

def test_github_annotations(capsys, spec_file):
    path = spec_file(HEADER + ENDPOINT)
    code, out, _ = run_cli(capsys, "lint", path, "--format", "github")
    assert code == 0
    assert out == (f"::warning file={path},line=7,col=51,title=SERVE001 cold-start-large-model::endpoint 'api' "
                   "scales to zero with a 4Gi model (large_model%3A 1Gi)%3A the first request after idle waits for a "
                   "download and a model load%0Ahelp: keep replicas.min at 1 or more, or accept the cold start "
                   "with a lint.ignore that says why\n".replace("%3A", ":"))


def test_json_output(capsys, spec_file):
    path = spec_file(HEADER + ENDPOINT)
    code, out, _ = run_cli(capsys, "lint", path, "--format", "json")
    [finding] = json.loads(out)
    assert finding == {"code": "SERVE001", "name": "cold-start-large-model", "severity": "warning",
                       "message": finding["message"], "file": path, "line": 7, "column": 51,
                       "path": "serving.api.replicas.min", "hint": finding["hint"], "envs": ["base"]}


@pytest.mark.parametrize("fail_on, expected", [("error", 0), ("warning", 1), ("info", 1)])
def test_fail_on(capsys, spec_file, fail_on, expected):
    assert run_cli(capsys, "lint", spec_file(HEADER + ENDPOINT), "--fail-on", fail_on)[0] == expected


def test_severity_override_makes_a_warning_fail(capsys, spec_file):
    path = spec_file(HEADER + ENDPOINT + "lint: {severity: {SERVE001: error}}\n")
    code, out, _ = run_cli(capsys, "lint", path)
    assert code == 1 and "SERVE001 [error]" in out


@pytest.mark.parametrize("args, present", [
    (["--select", "SERVE"], {"SERVE001", "SERVE002"}),
    (["--select", "GPU001,GPU006"], {"GPU001", "GPU006"}),
    (["--select", "SERVE", "--ignore", "SERVE002"], {"SERVE001"}),
])
def test_select_and_ignore(capsys, args, present):
    out = run_cli(capsys, "lint", str(MANY), "--format", "json", *args)[1]
    assert {f["code"] for f in json.loads(out)} == present


@pytest.mark.parametrize("args, message", [
    (["--select", "SERV001"], "did you mean SERVE001?"),
    (["--ignore", "cold-start-large-model"], "that is the name of SERVE001"),
    (["--env", "prod", "--all-envs"], "not allowed with argument"),
    (["--format", "xml"], "invalid choice"),
])
def test_usage_errors_exit_2(capsys, args, message):
    code, _, err = run_cli(capsys, "lint", str(EXAMPLE), *args)
    assert code == 2 and message in err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "lint", str(tmp_path / "absent.yaml"))
    assert code == 2 and "no such file" in err


def test_unknown_environment_exits_2(capsys):
    code, _, err = run_cli(capsys, "lint", str(EXAMPLE), "--env", "staging")
    assert code == 2 and "unknown environment 'staging'" in err


def test_invalid_spec_is_reported_in_the_lint_format(capsys, spec_file):
    path = spec_file(HEADER + "serving: {api: {model: nope, runtime: serve}}\n")
    code, out, _ = run_cli(capsys, "lint", path)
    assert code == 1
    assert out.startswith(f"{path}:4:24: SPEC [error] ")
    code, out, _ = run_cli(capsys, "lint", path, "--format", "json")
    assert code == 1 and {f["code"] for f in json.loads(out)} == {"SPEC"}


def test_several_specs_in_one_run(capsys, spec_file):
    clean = spec_file(HEADER, "mlops-a.yaml")
    dirty = spec_file(HEADER + ENDPOINT, "mlops-b.yaml")
    code, out, _ = run_cli(capsys, "lint", clean, dirty, "--fail-on", "warning")
    assert code == 1 and out.startswith(f"{dirty}:7:51: SERVE001")


# --- configuration errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("lint_section, position, message", [
    ("lint: {options: {large_modle: 2Gi}}", "10:18", "unknown lint option 'large_modle'; did you mean 'large_model'?"),
    ("lint: {options: {large_model: huge}}", "10:31",
     "lint.options.large_model (SERVE001): 'huge' is not a Kubernetes"),
    ("lint: {options: {production_envs: prod}}", "10:35", "lint.options.production_envs (SERVE003)"),
    ("lint: {disable: [SERVE01]}", "10:18", "lint.disable[0]: unknown rule code 'SERVE01'; did you mean SERVE001?"),
    ("lint: {severity: {GPU04: error}}", "10:26", "unknown rule code 'GPU04'; did you mean GPU004?"),
    ("lint: {ignore: [{rule: LINT001, at: lint, reason: x}]}", "10:24", "LINT001 polices ignores"),
])
def test_lint_configuration_errors(capsys, spec_file, lint_section, position, message):
    path = spec_file(HEADER + ENDPOINT + lint_section + "\n")
    code, out, _ = run_cli(capsys, "lint", path)
    assert code == 1
    assert out.startswith(f"{path}:{position}: SPEC [error] ") and message in out, out


def test_unknown_code_in_an_ignore_comment(capsys, spec_file):
    path = spec_file(HEADER + "# mlops: ignore SERVE0001 -- typo\n")
    code, out, _ = run_cli(capsys, "lint", path)
    assert code == 1 and f"{path}:4:1: SPEC [error] unknown rule code 'SERVE0001'" in out


# --- environments ------------------------------------------------------------------------------------------------

PROD = HEADER + ENDPOINT.replace("min: 0", "min: 1") + "environments:\n  prod: {}\n  dev: {}\n"


def test_base_only_without_env(capsys, spec_file):
    out = run_cli(capsys, "lint", spec_file(PROD), "--format", "json")[1]
    assert [f["code"] for f in json.loads(out)] == []


def test_env_named_prod(capsys, spec_file):
    out = run_cli(capsys, "lint", spec_file(PROD), "--env", "prod", "--format", "json")[1]
    assert [(f["code"], f["envs"]) for f in json.loads(out)] == [("SERVE003", ["prod"])]


def test_all_envs_dedupes_and_names_environments(capsys, spec_file):
    text = PROD.replace("startup_timeout: 10m", "startup_timeout: 10s")
    out = run_cli(capsys, "lint", spec_file(text), "--all-envs", "--format", "json")[1]
    found = {(f["code"], tuple(f["envs"])) for f in json.loads(out)}
    assert found == {("SERVE001", ("base", "prod", "dev")), ("SERVE003", ("prod",))}
    text_out = run_cli(capsys, "lint", spec_file(text), "--all-envs")[1]
    assert "(in prod)" in text_out and "(in base" not in text_out


def test_all_envs_reports_an_invalid_environment(capsys, spec_file):
    path = spec_file(HEADER + ENDPOINT + "environments:\n  prod: {serving: {api: {replicas: {min: -1}}}}\n")
    code, out, _ = run_cli(capsys, "lint", path, "--all-envs")
    assert code == 1 and "SPEC [error]" in out


# --- mlops rules -----------------------------------------------------------------------------------------------

def test_rules_lists_every_rule(capsys):
    from compiler.lint import RULES

    code, out, _ = run_cli(capsys, "rules")
    assert code == 0 and len(out.splitlines()) == len(RULES)
    assert out.splitlines()[0].split()[:3] == ["SKEW001", "preprocessing-version-mismatch", "error"]


@pytest.mark.parametrize("query", ["SERVE001", "serve001", "cold-start-large-model"])
def test_rules_prints_one_rule(capsys, query):
    code, out, _ = run_cli(capsys, "rules", query)
    assert code == 0 and out.startswith("# SERVE001: cold-start-large-model\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Options"):
        assert section in out


def test_rules_unknown_code(capsys):
    code, _, err = run_cli(capsys, "rules", "GPU099")
    assert code == 2 and "did you mean GPU009?" in err


# --- the lint path stays light ------------------------------------------------------------------------------------

def test_lint_imports_no_heavy_dependency():
    probe = ("import sys\nfrom compiler.cli import main\ncode = main(['lint', sys.argv[1], '--all-envs'])\n"
             "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'jinja2', 'mlflow'))\n"
             "print(code, heavy)\n")
    out = subprocess.run([sys.executable, "-c", probe, str(EXAMPLE)], capture_output=True, text=True, check=True,
                         cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}).stdout
    assert out.strip() == "0 []"


def test_pre_commit_hooks_are_declared():
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"mlops-lint", "mlops-validate"}
    pattern = re.compile(hooks["mlops-lint"]["files"])
    for name in ("mlops.yaml", "deploy/mlops.yml", "mlops-prod.yaml"):
        assert pattern.search(name), name
    for name in ("mlops.yaml.example", "other.yaml", "notmlops/x.yaml"):
        assert not pattern.search(name), name
    assert hooks["mlops-lint"]["entry"] == "mlops lint" and hooks["mlops-lint"]["language"] == "python"


def test_validate_hook_entry_checks_every_file(tmp_path):
    import shlex

    import yaml

    hook = next(h for h in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
                if h["id"] == "mlops-validate")
    good, bad = tmp_path / "mlops.yaml", tmp_path / "mlops-bad.yaml"
    good.write_text(HEADER)
    bad.write_text(HEADER + "kind2: x\n")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    argv = shlex.split(hook["entry"])
    assert subprocess.run(argv + [str(good)], env=env, capture_output=True).returncode == 0
    result = subprocess.run(argv + [str(good), str(bad)], env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "kind2" in result.stderr
