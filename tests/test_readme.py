"""The README is a contract: its diagram is the example's current graph and it names the commands that exist."""
from __future__ import annotations

import re
from pathlib import Path

from compiler.cli import COMMANDS, main

REPO = Path(__file__).resolve().parent.parent


def test_readme_graph_is_the_examples_current_graph(capsys):
    assert main(["graph", str(REPO / "mlops.yaml.example")]) == 0
    graph = capsys.readouterr().out.strip()
    readme = (REPO / "README.md").read_text()
    shown = re.search(r"```mermaid\n(.*?)\n```", readme, re.S)
    assert shown and shown[1].strip() == graph, "README's graph is stale: paste `mlops graph mlops.yaml.example`"


def test_readme_documents_every_command_and_both_setup_commands():
    readme = (REPO / "README.md").read_text()
    for command in COMMANDS:
        assert f"`mlops {command}" in readme, command
    assert ".venv/bin/mlops compile build/demo/mlops.yaml.example" in readme
    assert ".venv/bin/python -m pytest" in readme


def test_ci_runs_the_readme_test_command_which_installs_the_system_tools():
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    test_command = next(c for c in commands if ".venv/bin/python -m pytest" in c)
    assert test_command.startswith("bash scripts/install-test-tools && ")
    assert test_command in (REPO / ".ci" / "run").read_text().splitlines()


def test_readme_names_the_controller_versions_the_output_is_validated_against():
    """The README's controller table says the versions of the upstream CRDs the schema tests use."""
    import re

    import pytest

    from tests.upstream import SKIP_REASON, upstream_dir

    shared = upstream_dir()
    if shared is None:
        pytest.skip(SKIP_REASON)
    sources = (shared / "crds" / "SOURCES.md").read_text()
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("## What the cluster needs", 1)[1].split("\n## ", 1)[0]
    expected = {"KServe": ("kserve/kserve", "serving.kserve.io/inferenceservices.yaml"),
                "Karpenter": ("aws/karpenter-provider-aws", "karpenter.k8s.aws/ec2nodeclasses.yaml"),
                "Argo Workflows": ("argoproj/argo-workflows", "argoproj.io/workflowtemplates.yaml"),
                "Prometheus Operator": ("prometheus-operator/prometheus-operator", "monitoring.coreos.com/podmonitors.yaml"),
                "NVIDIA GPU Operator": ("NVIDIA/gpu-operator", "nvidia.com/clusterpolicies.yaml"),
                "KEDA": ("kedacore/keda", "keda.sh/scaledobjects.yaml")}
    for name, (repo, crd) in expected.items():
        row = next(line for line in sources.splitlines() if line.startswith(f"| `{crd}` |") and f"| {repo} |" in line)
        version = [cell.strip() for cell in row.split("|")][6]
        line = next(line for line in table.splitlines() if line.startswith(f"| {name}"))
        assert f"| {version} |" in line, (name, version, line)
    http = next(line for line in sources.splitlines() if line.startswith("| `http.keda.sh/httpscaledobjects.yaml` |"))
    assert f"HTTP add-on {[c.strip() for c in http.split('|')][6]}" in table
    assert re.search(r"\[docs/production.md\]\(docs/production.md\)", readme)
