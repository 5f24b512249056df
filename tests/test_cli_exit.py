"""The console script (`compiler.cli:entry`) skips the interpreter's last garbage collections
(~20 ms of a pre-commit lint) by freezing what is alive; the exit code, the output and atexit
handlers must be exactly what `main` gives."""
import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "mlops.yaml.example"

PROBE = """
import atexit, gc, sys
from compiler import cli
atexit.register(lambda: print("atexit ran", file=sys.stderr))
sys.argv = ["mlops", *sys.argv[1:]]
code = cli.entry()
print("frozen", gc.get_freeze_count() > 0, file=sys.stderr)
sys.exit(code)
"""


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120, cwd=REPO)


def test_the_console_script_is_entry():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"mlops": "compiler.cli:entry"}


def test_entry_keeps_exit_codes_output_and_atexit(tmp_path):
    clean = run("lint", str(EXAMPLE))
    assert clean.returncode == 0, clean.stderr
    assert "frozen True" in clean.stderr and clean.stderr.rstrip().endswith("atexit ran")

    bad = tmp_path / "mlops.yaml"
    bad.write_text("apiVersion: mlops/v1\nkind: System\nmetadata: {name: Bad_Name, namespace: x}\n", encoding="utf-8")
    invalid = run("validate", str(bad))
    assert invalid.returncode == 1
    assert f"{bad}:3:" in invalid.stderr and "atexit ran" in invalid.stderr

    usage = run("lint", "--format", "nope", str(EXAMPLE))
    assert usage.returncode == 2 and "atexit ran" in usage.stderr


def test_entry_output_reaches_a_pipe_in_full():
    """Large outputs (SARIF of every environment) are flushed completely before the exit."""
    result = run("lint", str(EXAMPLE), "--all-envs", "--format", "sarif")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["version"] == "2.1.0"
