"""`mlops graph`: the example system drawn as Mermaid and DOT, and what the drawing must contain."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import EXAMPLE, YamlSnapshotExtension

from compiler.checked_spec import check_file
from compiler.cli import main
from compiler.graph import Edge, Graph, Node, node_id, system_graph, to_dot, to_mermaid


class MermaidSnapshotExtension(YamlSnapshotExtension):
    file_extension = "mmd"


class DotSnapshotExtension(YamlSnapshotExtension):
    file_extension = "dot"


@pytest.fixture(scope="module")
def example():
    return check_file(str(EXAMPLE)).spec


def test_example_graph_mermaid(capsys, snapshot):
    assert main(["graph", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out == snapshot.use_extension(MermaidSnapshotExtension)


def test_example_graph_dot(capsys, snapshot):
    assert main(["graph", str(EXAMPLE), "--format", "dot"]) == 0
    assert capsys.readouterr().out == snapshot.use_extension(DotSnapshotExtension)


def test_everything_of_the_system_is_drawn(example):
    graph = system_graph(example)
    for name, pipeline in example.pipelines.items():
        assert any(c.id == node_id("pipeline", name) for c in graph.clusters)
        for step in pipeline.steps:
            assert node_id("step", name, step) in graph.nodes
    for section, kind in (("models", "model"), ("serving", "endpoint"), ("node_pools", "pool"),
                          ("monitoring", "monitor")):
        for name in getattr(example, section):
            assert graph.nodes[node_id(kind, name)].kind == kind
    edges = {(e.source, e.target, e.label.split(":")[0]) for e in graph.edges}
    assert (node_id("step", "train-fraud", "register"), node_id("model", "fraud-xgb"), "registers") in edges
    assert (node_id("model", "fraud-xgb"), node_id("endpoint", "fraud-api"), "serves") in edges
    assert (node_id("monitor", "fraud-api"), node_id("endpoint", "fraud-api"), "watches") in edges
    assert (node_id("monitor", "fraud-api"), node_id("pipeline", "train-fraud"), "retrains") in edges
    assert (node_id("endpoint", "fraud-api"), node_id("pool", "gpu-serve"), "") in edges


def test_every_edge_ends_at_a_node_or_a_cluster(example):
    graph = system_graph(example)
    ends = set(graph.nodes) | {c.id for c in graph.clusters}
    assert all(e.source in ends and e.target in ends for e in graph.edges)


def test_labels_are_escaped_for_both_languages():
    graph = Graph()
    graph.add(Node("a", 'say "hi" <b> & | x', "step"))
    graph.add(Node("b", "back\\slash", "model"))
    graph.edges.append(Edge("a", "b", 'if "x" > 1 | y'))
    mermaid = to_mermaid(graph)
    assert 'a["say #quot;hi#quot; #lt;b#gt; #amp; #124; x"]' in mermaid
    assert '|"if #quot;x#quot; #gt; 1 #124; y"|' in mermaid
    dot = to_dot(graph)
    assert 'label="say \\"hi\\" <b> & | x"' in dot and 'label="back\\\\slash"' in dot


def test_mermaid_ids_are_plain_words(example):
    text = to_mermaid(system_graph(example))
    for line in text.splitlines()[1:]:
        first = line.split()[0]
        if first not in ("subgraph", "end", "classDef"):
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[|\(|\{|>).*|[A-Za-z_][A-Za-z0-9_]*", first.split("[")[0]
                                .split("(")[0].split("{")[0].split(">")[0]), line


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_dot_renders_with_graphviz(example):
    subprocess.run(["dot", "-Tsvg"], input=to_dot(system_graph(example)).encode(), check=True, capture_output=True)
