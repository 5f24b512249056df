"""Byte-identical results whatever the hash seed, locale or time zone.

tests/test_compile_cli.py checks the Kubernetes manifests across PYTHONHASHSEED; this covers the
rest of what users diff or cache: the whole compile tree with the Pulumi program (`--backend all`),
lint output in every format and validate's messages, under different PYTHONHASHSEEDs, LC_ALL/LANG
and TZ, on the example and on a synthetic spec.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.synthetic_spec import write_synthetic_spec

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "mlops.yaml.example"

# (PYTHONHASHSEED, LC_ALL/LANG, TZ): the C locale makes Python's preferred encoding ASCII-ish, C.UTF-8 UTF-8.
ENVIRONMENTS = [("0", "C.UTF-8", "UTC"), ("1", "C", "America/Los_Angeles"), ("4242", "POSIX", "Asia/Kolkata")]

DRIVER = """
import io, json, sys, contextlib
from compiler.cli import main
results = {}
for name, argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    results[name] = [code, out.getvalue(), err.getvalue()]
sys.stdout.write(json.dumps(results))
"""


def has_command(name: str) -> bool:
    return importlib.util.find_spec(f"compiler.commands.{name}") is not None


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_everything(spec: Path, out: Path, seed: str, locale: str, tz: str) -> dict:
    runs = [("validate", ["validate", str(spec)])]
    if has_command("lint"):
        runs += [(f"lint-{fmt}", ["lint", str(spec), "--all-envs", "--format", fmt])
                 for fmt in ("text", "json", "sarif", "github")]
    if has_command("compile"):
        runs += [(f"compile-{env}", ["compile", str(spec), "--env", env, "-o", str(out), "--backend", "all", "--allow-placeholder-models"])
                 for env in ("prod", "dev")]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    environment.update(PYTHONHASHSEED=seed, LC_ALL=locale, LANG=locale, TZ=tz, PYTHONIOENCODING="")
    result = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(runs)], capture_output=True, env=environment,
                            timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    outputs = json.loads(result.stdout)
    for name, (code, _, err) in outputs.items():
        assert code in (0, 1), (name, err)
        assert "Traceback" not in err and "internal error" not in err, (name, err)
    # Paths differ between runs (each has its own output folder); everything else must not.
    text = json.dumps(outputs).replace(str(out), "<out>")
    return {"outputs": json.loads(text), "tree": tree(out)}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return write_synthetic_spec(tmp_path_factory.mktemp("synthetic") / "mlops.yaml", 12)


@pytest.mark.parametrize("which", ["example", "synthetic"])
def test_same_bytes_under_any_seed_locale_and_time_zone(tmp_path, which, synthetic):
    spec = EXAMPLE if which == "example" else synthetic
    results = [run_everything(spec, tmp_path / f"run-{i}", *environment) for i, environment in enumerate(ENVIRONMENTS)]
    first = results[0]
    if has_command("compile"):
        assert any(name.endswith("pulumi/__main__.py") for name in first["tree"]), sorted(first["tree"])[:10]
        assert any("manifests" in name for name in first["tree"]), sorted(first["tree"])[:10]
    for environment, other in zip(ENVIRONMENTS[1:], results[1:]):
        assert other["outputs"] == first["outputs"], environment
        differing = sorted(name for name in set(first["tree"]) | set(other["tree"])
                           if first["tree"].get(name) != other["tree"].get(name))
        assert not differing, (environment, differing[:10])


def test_non_ascii_spec_under_the_c_locale(tmp_path):
    """A spec with non-ASCII text compiles and lints identically under C and C.UTF-8 (UTF-8 I/O everywhere)."""
    spec = tmp_path / "mlops.yaml"
    text = EXAMPLE.read_text(encoding="utf-8").replace("#risk-alerts", "#risk-alerts-überwachung-監視")
    assert text != EXAMPLE.read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    a = run_everything(spec, tmp_path / "utf8", "0", "C.UTF-8", "UTC")
    b = run_everything(spec, tmp_path / "c", "0", "C", "UTC")
    assert a["outputs"] == b["outputs"]
    assert a["tree"] == b["tree"]
