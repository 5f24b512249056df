"""The fast paths import nothing heavy: pulumi 0.6 s (+ up to 1.6 s for pulumi_kubernetes), mlflow 2-3 s,
jinja2 0.16 s. validate and lint (pre-commit) import none of them; compile --backend kubernetes and
plan import neither pulumi nor mlflow. (tests/test_spec_front_end.py checks validate and lint on the
example; this covers more commands, output formats, environments and a spec with findings.)"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "mlops.yaml.example"
PULUMI_MLFLOW = {"pulumi", "pulumi_kubernetes", "mlflow", "sqlalchemy", "alembic"}
EVERYTHING_HEAVY = PULUMI_MLFLOW | {"jinja2"}

PROBE = """
import json, sys
from compiler.cli import main
code = main(json.loads(sys.argv[1]))
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def has_command(name: str) -> bool:
    return importlib.util.find_spec(f"compiler.commands.{name}") is not None


def run_probe(argv: list[str], cwd: Path = REPO) -> tuple[int, set[str], str]:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True,
                            timeout=120, cwd=cwd)
    assert result.stdout.strip(), result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), result.stderr


CASES = [
    ("validate", ["validate", str(EXAMPLE)], EVERYTHING_HEAVY),
    ("validate --env prod", ["validate", str(EXAMPLE), "--env", "prod"], EVERYTHING_HEAVY),
    ("lint --all-envs", ["lint", str(EXAMPLE), "--all-envs"], EVERYTHING_HEAVY),
    ("lint --format sarif", ["lint", str(EXAMPLE), "--format", "sarif"], EVERYTHING_HEAVY),
    ("lint --format github", ["lint", str(EXAMPLE), "--format", "github"], EVERYTHING_HEAVY),
    ("rules", ["rules"], EVERYTHING_HEAVY),
]


@pytest.mark.parametrize("name, argv, forbidden", CASES, ids=[c[0] for c in CASES])
def test_pre_commit_paths_import_nothing_heavy(name, argv, forbidden):
    if not has_command(argv[0]):
        pytest.skip(f"`mlops {argv[0]}` has not landed")
    code, modules, err = run_probe(argv)
    assert code in (0, 1), err
    assert not modules & forbidden, sorted(modules & forbidden)


def test_lint_with_findings_imports_nothing_heavy(tmp_path):
    """Findings render help and positions: that path must stay light too."""
    if not has_command("lint"):
        pytest.skip("`mlops lint` has not landed")
    spec = tmp_path / "mlops.yaml"
    text = EXAMPLE.read_text(encoding="utf-8").replace("model_cache: true", "model_cache: false")
    spec.write_text(text.replace("startup_timeout: 10m", "startup_timeout: 30s"), encoding="utf-8")
    code, modules, err = run_probe(["lint", str(spec), "--format", "json"])
    assert code in (0, 1), err
    assert not modules & EVERYTHING_HEAVY, sorted(modules & EVERYTHING_HEAVY)


def test_invalid_spec_imports_nothing_heavy(tmp_path):
    spec = tmp_path / "mlops.yaml"
    spec.write_text("apiVersion: mlops/v1\nkind: System\nmetadata: {name: Bad_Name, namespace: x}\n")
    for command in ("validate", "lint", "compile"):
        if not has_command(command):
            continue
        code, modules, err = run_probe([command, str(spec)] + (["-o", str(tmp_path / "out")] if command == "compile"
                                                               else []))
        assert code == 1, err
        assert not modules & EVERYTHING_HEAVY, (command, sorted(modules & EVERYTHING_HEAVY))


def test_compile_for_kubernetes_imports_neither_pulumi_nor_mlflow(tmp_path):
    if not has_command("compile"):
        pytest.skip("`mlops compile` has not landed")
    code, modules, err = run_probe(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path),
                                    "--backend", "kubernetes"])
    assert code == 0, err
    assert not modules & PULUMI_MLFLOW, sorted(modules & PULUMI_MLFLOW)


def test_compile_emitting_pulumi_does_not_import_pulumi(tmp_path):
    """The emitted program depends on pulumi; writing it (jinja2) must not need pulumi installed."""
    if not has_command("compile"):
        pytest.skip("`mlops compile` has not landed")
    code, modules, err = run_probe(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path),
                                    "--backend", "all"])
    if code == 2 and "pulumi backend is not available" in err:
        pytest.skip("the Pulumi backend has not landed")
    assert code == 0, err
    assert not modules & PULUMI_MLFLOW, sorted(modules & PULUMI_MLFLOW)


def test_plan_imports_neither_pulumi_nor_mlflow(tmp_path):
    if not has_command("plan"):
        pytest.skip("`mlops plan` has not landed")
    base = tmp_path / "base.yaml"
    base.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    head = tmp_path / "mlops.yaml"
    head.write_text(base.read_text(encoding="utf-8").replace("replicas: {min: 2, max: 20}",
                                                             "replicas: {min: 2, max: 30}"), encoding="utf-8")
    code, modules, err = run_probe(["plan", str(head), "--base-spec", str(base), "--env", "prod"], cwd=tmp_path)
    assert code in (0, 1, 2) and "Traceback" not in err, err
    assert code != 2, err
    assert not modules & PULUMI_MLFLOW, sorted(modules & PULUMI_MLFLOW)
