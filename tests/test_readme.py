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
