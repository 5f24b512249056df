"""`mlops compile` end to end: layout, byte-identical output under any PYTHONHASHSEED, safe writes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.commands import compile as compile_command
from tests.compile_support import CASES, EXAMPLE

MLOPS = [sys.executable, "-m", "compiler.cli"]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def compile_in_subprocess(spec: Path, out: Path, seed: str, env: str | None = None) -> None:
    args = [*MLOPS, "compile", str(spec), "-o", str(out)] + (["--env", env] if env else [])
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(args, env=environment, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert result.returncode == 0, result.stderr


#: A focused case that compiles without a lock (it serves no model a lock would have to pin).
FOCUSED = next(path for path in CASES if path.stem == "gpu-pipeline")


@pytest.mark.parametrize("spec", [EXAMPLE, FOCUSED], ids=["example", FOCUSED.stem])
def test_identical_output_under_any_hash_seed(tmp_path: Path, spec: Path) -> None:
    trees = []
    for seed in ("0", "1", "4242"):
        compile_in_subprocess(spec, tmp_path / seed, seed, env="prod" if spec == EXAMPLE else None)
        trees.append(tree(tmp_path / seed))
    assert trees[0] and trees[0] == trees[1] == trees[2]


def test_layout_and_kustomization_lists_every_manifest(tmp_path: Path) -> None:
    assert main(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path)]) == 0
    manifests = tmp_path / "prod" / "manifests"
    files = sorted(str(p.relative_to(manifests)) for p in manifests.rglob("*.yaml") if p.name != "kustomization.yaml")
    assert {"namespace.yaml", "node-pools.yaml", "pipelines/train-fraud.yaml", "serving/fraud-api.yaml",
            "monitoring/fraud-api.yaml"} <= set(files)
    kustomization = (manifests / "kustomization.yaml").read_text()
    for name in files:
        assert f"  - {name}\n" in kustomization
    assert not list(tmp_path.glob(".prod.staging-*")) and not list(tmp_path.glob("prod/.staging-*")), \
        "the staging directory was left behind"


def test_second_compile_is_byte_identical_and_replaces_stale_files(tmp_path: Path) -> None:
    assert main(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path)]) == 0
    first = tree(tmp_path)
    stale = tmp_path / "prod" / "manifests" / "serving" / "removed-endpoint.yaml"
    stale.write_text("left over\n")
    assert main(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path)]) == 0
    assert tree(tmp_path) == first


def test_failed_compile_leaves_the_previous_build(tmp_path: Path, monkeypatch) -> None:
    assert main(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path)]) == 0
    before = tree(tmp_path)

    def broken(checked, lock, staging, files=None):
        (staging / "manifests").mkdir()
        (staging / "manifests" / "half.yaml").write_text("half\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(compile_command.EMITTERS, "kubernetes", broken)
    assert main(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path)]) == 2
    assert tree(tmp_path) == before


def test_invalid_spec_writes_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text("apiVersion: mlops/v1\nkind: System\nmetadata: {name: Bad_Name, namespace: x}\n")
    assert main(["compile", str(spec), "-o", str(tmp_path / "build")]) == 1
    assert not (tmp_path / "build").exists()


def test_unknown_backend_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["compile", str(EXAMPLE), "--backend", "helm", "-o", str(tmp_path)]) == 2


def test_base_without_env(tmp_path: Path) -> None:
    assert main(["compile", str(FOCUSED), "-o", str(tmp_path)]) == 0
    assert (tmp_path / "base" / "manifests" / "namespace.yaml").is_file()


def test_a_compile_keeps_the_files_a_user_keeps_in_the_build(tmp_path: Path) -> None:
    """`pulumi stack init prod` writes Pulumi.prod.yaml beside the emitted program: compile replaces only what
    it writes, so the stack's settings (and anything the user put beside the folders) survive."""
    assert main(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path)]) == 0
    stack = tmp_path / "prod" / "pulumi" / "Pulumi.prod.yaml"
    stack.write_text("config:\n  mlops:context: prod-cluster\n")
    beside = tmp_path / "prod" / "Pulumi.prod.yaml"
    beside.write_text("config: {}\n")
    (tmp_path / "prod" / "manifests" / "stale.yaml").write_text("kind: Stale\n")
    assert main(["compile", str(EXAMPLE), "--env", "prod", "-o", str(tmp_path)]) == 0
    assert stack.read_text() == "config:\n  mlops:context: prod-cluster\n"
    assert beside.read_text() == "config: {}\n"
    assert not (tmp_path / "prod" / "manifests" / "stale.yaml").exists()  # what compile owns is replaced
    assert (tmp_path / "prod" / "pulumi" / "Pulumi.yaml").exists()
