"""First-use messages (issue 17): each says what the user wrote, what is wrong and what would be valid."""
from __future__ import annotations

from pathlib import Path

from compiler.checked_spec import check_file
from compiler.cli import main
from tests.compile_support import EXAMPLE

HEADER = """apiVersion: mlops/v1
kind: System
metadata: {name: demo, namespace: demo-ml}
runtimes:
  serve: {image: "ghcr.io/acme/serve:1.0.0"}
models:
  m: {version: 3, format: sklearn}
"""


def test_a_lint_all_envs_error_of_one_environment_names_it(tmp_path: Path, capsys) -> None:
    """A validation error of one overlay ended in "(in )": it names the environment it breaks."""
    spec = tmp_path / "mlops.yaml"
    spec.write_text(EXAMPLE.read_text().replace("fraud-api: {replicas: {min: 3}}",
                                                "fraud-api: {replicas: {min: 3, max: 2}}"))
    assert main(["lint", "--all-envs", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "(in )" not in out
    line = next(line for line in out.splitlines() if "replicas.min (3) is larger than replicas.max (2)" in line)
    assert line.endswith("(in prod)"), line


def test_an_error_of_every_environment_is_reported_once_without_a_list(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(EXAMPLE.read_text().replace("gpu: 1, pool: gpu-serve", 'gpu: "1", pool: gpu-serve'))
    assert main(["lint", "--all-envs", str(spec)]) == 1
    out = capsys.readouterr().out
    assert out.count("got the string '1'") == 1 and "(in " not in out, out


def test_replicas_min_alone_means_that_many_replicas(tmp_path: Path) -> None:
    """`replicas: {min: 3}` failed on a max of 1 nobody wrote: an unwritten max follows min."""
    spec = tmp_path / "mlops.yaml"
    spec.write_text(HEADER + "serving:\n  api: {model: m, runtime: serve, replicas: {min: 3}}\n")
    replicas = check_file(str(spec)).spec.serving["api"].replicas
    assert (replicas.min, replicas.max) == (3, 3)


def test_replicas_max_written_is_kept_and_zero_min_keeps_one_max(tmp_path: Path) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(HEADER + "serving:\n  api: {model: m, runtime: serve, replicas: {min: 2, max: 9}}\n"
                    "  zero: {model: m, runtime: serve, replicas: {min: 0}, autoscale: {metric: concurrency, target: 4}}\n")
    serving = check_file(str(spec)).spec.serving
    assert (serving["api"].replicas.min, serving["api"].replicas.max) == (2, 9)
    assert (serving["zero"].replicas.min, serving["zero"].replicas.max) == (0, 1)
