"""The system as a picture: pipelines and their steps, the models they register, the endpoints that
serve them, the pools everything runs on, and the monitoring and retraining loops.

One small graph model (nodes, edges, clusters) with two writers, Mermaid (renders in GitHub
Markdown) and Graphviz DOT. `mlops graph` draws the whole system; `mlops plan` draws the pipeline
DAGs a change touches with the same writer. Identifiers are derived from spec names, which are
DNS labels (`[a-z0-9-]`), so `-` → `_` with a kind prefix keeps them unique and valid in both
languages; labels, which carry free text (schedules, profiles), go through `escaping.diagram`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .escaping.diagram import dot_string, mermaid_label

if TYPE_CHECKING:
    from .spec import Spec
    from .spec.pipelines import Pipeline

# Mermaid shape brackets and Graphviz shapes, per kind of node.
SHAPES = {
    "step": (("[", "]"), "box"),
    "model": (("[(", ")]"), "cylinder"),
    "endpoint": (("([", "])"), "box"),
    "pool": (("{{", "}}"), "hexagon"),
    "monitor": ((">", "]"), "cds"),
}

#: Node classes: (Mermaid classDef style, Graphviz attributes). `added`/`removed`/`changed` mark plan diagrams.
CLASSES = {
    "added": ("fill:#dafbe1,stroke:#1a7f37,color:#1a7f37", 'style="filled" fillcolor="#dafbe1" color="#1a7f37"'),
    "removed": ("fill:#ffebe9,stroke:#cf222e,color:#cf222e,stroke-dasharray:4 3",
                'style="filled,dashed" fillcolor="#ffebe9" color="#cf222e"'),
    "changed": ("fill:#fff8c5,stroke:#9a6700,color:#6b4b00", 'style="filled" fillcolor="#fff8c5" color="#9a6700"'),
    "gpu": ("fill:#ddf4ff,stroke:#0969da", 'style="filled" fillcolor="#ddf4ff" color="#0969da"'),
}


@dataclass
class Node:
    id: str
    label: str                  # lines joined by "\n"
    kind: str                   # a key of SHAPES
    css: str | None = None      # a key of CLASSES


@dataclass
class Edge:
    source: str                 # a node id or a cluster id
    target: str
    label: str = ""
    style: str = "solid"        # solid | dotted | thick


@dataclass
class Cluster:
    id: str
    label: str
    nodes: list[str] = field(default_factory=list)


@dataclass
class Graph:
    direction: str = "LR"
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id


def node_id(kind: str, *names: str) -> str:
    return "_".join([kind] + [name.replace("-", "_").replace(".", "_") for name in names])


# --- writers ------------------------------------------------------------------------------------

def _mermaid_node(node: Node) -> str:
    left, right = SHAPES[node.kind][0]
    css = f":::{node.css}" if node.css else ""
    return f"{node.id}{left}{mermaid_label(node.label)}{right}{css}"


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart (without the ``` fence)."""
    lines = [f"flowchart {graph.direction}"]
    clustered = {node for cluster in graph.clusters for node in cluster.nodes}
    for cluster in graph.clusters:
        lines.append(f"  subgraph {cluster.id}[{mermaid_label(cluster.label)}]")
        lines += [f"    {_mermaid_node(graph.nodes[node])}" for node in cluster.nodes]
        lines.append("  end")
    lines += [f"  {_mermaid_node(node)}" for node in graph.nodes.values() if node.id not in clustered]
    arrows = {"solid": "-->", "dotted": "-.->", "thick": "==>"}
    for edge in graph.edges:
        arrow = arrows[edge.style]
        if edge.label:
            label = mermaid_label(edge.label)
            lines.append(f"  {edge.source} {arrow}|{label}| {edge.target}")
        else:
            lines.append(f"  {edge.source} {arrow} {edge.target}")
    used = sorted({node.css for node in graph.nodes.values() if node.css})
    lines += [f"  classDef {name} {CLASSES[name][0]}" for name in used]
    return "\n".join(lines) + "\n"


def to_dot(graph: Graph, name: str = "mlops") -> str:
    """A Graphviz digraph; edges to a cluster point at its first node with `lhead`."""
    lines = [f"digraph {dot_string(name)} {{", f"  rankdir={graph.direction};", "  compound=true;",
             '  node [fontname="Helvetica" fontsize=11];', '  edge [fontname="Helvetica" fontsize=9];']

    def node_line(node: Node) -> str:
        attributes = f"label={dot_string(node.label)} shape={SHAPES[node.kind][1]}"
        if node.kind == "endpoint":
            attributes += ' style="rounded"'
        if node.css:
            attributes += " " + CLASSES[node.css][1]
        return f"{node.id} [{attributes}];"

    clustered = {node for cluster in graph.clusters for node in cluster.nodes}
    heads = {cluster.id: cluster.nodes[0] for cluster in graph.clusters if cluster.nodes}
    for cluster in graph.clusters:
        lines.append(f"  subgraph cluster_{cluster.id} {{")
        lines.append(f"    label={dot_string(cluster.label)};")
        lines += [f"    {node_line(graph.nodes[node])}" for node in cluster.nodes]
        lines.append("  }")
    lines += [f"  {node_line(node)}" for node in graph.nodes.values() if node.id not in clustered]
    styles = {"solid": "", "dotted": " style=dashed", "thick": " penwidth=2"}
    for edge in graph.edges:
        attributes = []
        source, target = edge.source, edge.target
        if source in heads:
            source, attributes = heads[source], attributes + [f"ltail=cluster_{edge.source}"]
        if target in heads:
            target, attributes = heads[target], attributes + [f"lhead=cluster_{edge.target}"]
        if edge.label:
            attributes.append(f"label={dot_string(edge.label)}")
        text = " ".join(attributes) + styles[edge.style]
        lines.append(f"  {source} -> {target}" + (f" [{text.strip()}]" if text.strip() else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- what is drawn ------------------------------------------------------------------------------

def pipeline_label(name: str, pipeline: "Pipeline") -> str:
    schedules = ", ".join(pipeline.schedules) or "on demand"
    return f"pipeline {name} ({schedules})"


def step_label(name: str, step) -> str:
    resources = step.resources
    extra = []
    if resources.mig_profile:
        extra.append(f"MIG {resources.mig_profile}")
    elif resources.gpu_count:
        extra.append(f"{resources.gpu_count:g} GPU")
    if step.timeout is not None:
        extra.append(f"timeout {step.timeout}")
    return name + (f"\n{', '.join(extra)}" if extra else "")


def add_pipeline(graph: Graph, name: str, pipeline: "Pipeline", step_css: dict[str, str] | None = None,
                 label_suffix: str = "") -> Cluster:
    """The steps of one pipeline as a cluster, with `after` edges; `step_css` marks steps (plan)."""
    cluster = Cluster(node_id("pipeline", name), pipeline_label(name, pipeline) + label_suffix)
    for step_name, step in pipeline.steps.items():
        css = (step_css or {}).get(step_name)
        cluster.nodes.append(graph.add(Node(node_id("step", name, step_name), step_label(step_name, step), "step", css)))
    for step_name, step in pipeline.steps.items():
        for before in step.after:
            graph.edges.append(Edge(node_id("step", name, before), node_id("step", name, step_name)))
    graph.clusters.append(cluster)
    return cluster


def pool_label(name: str, pool) -> str:
    nodes = f"{pool.nodes.min}–{pool.nodes.max} nodes"
    if not pool.is_gpu:
        return f"pool {name}\n{nodes}, CPU"
    sharing = pool.sharing.mode.replace("_", "-")
    if pool.sharing.mode in ("time_slicing", "mps"):
        sharing += f" ×{pool.sharing.replicas}"
    elif pool.sharing.mode == "mig":
        sharing += " " + ", ".join(pool.sharing.mig.profiles)
    return f"pool {name}\n{nodes} × {pool.gpus_per_node} {pool.accelerator}, {sharing}"


def model_label(name: str, model) -> str:
    if model.huggingface is not None:
        chosen = f"huggingface {model.huggingface.repo}@{model.huggingface.revision[:12]}"
    else:
        chosen = f"alias {model.alias}" if model.alias else f"version {model.version}"
    return f"model {name}\n{chosen}"


def endpoint_label(name: str, endpoint) -> str:
    replicas = f"{endpoint.replicas.min}–{endpoint.replicas.max} replicas"
    canary = endpoint.rollout.canary_percent
    extra = f", canary {canary}" if canary.percent else ""
    return f"endpoint {name}\n{replicas}{extra}"


def monitor_label(name: str, monitor) -> str:
    parts = []
    if monitor.slo:
        parts.append("SLO")
    if monitor.business:
        parts.append(f"{len(monitor.business)} business")
    if monitor.drift:
        parts.append(f"drift {monitor.drift.method} > {monitor.drift.threshold:g}")
    return f"monitor {name}" + (f"\n{', '.join(parts)}" if parts else "")


def system_graph(spec: "Spec") -> Graph:
    """Pipelines (clusters of steps) → models → endpoints, everything → pools, monitors → endpoints
    and, through retraining, back to pipelines."""
    graph = Graph("LR")
    for name, pipeline in spec.pipelines.items():
        add_pipeline(graph, name, pipeline)
    for name, model in spec.models.items():
        graph.add(Node(node_id("model", name), model_label(name, model), "model"))
    for name, endpoint in spec.serving.items():
        graph.add(Node(node_id("endpoint", name), endpoint_label(name, endpoint), "endpoint"))
    for name, pool in spec.node_pools.items():
        graph.add(Node(node_id("pool", name), pool_label(name, pool), "pool", "gpu" if pool.is_gpu else None))
    for name, monitor in spec.monitoring.items():
        graph.add(Node(node_id("monitor", name), monitor_label(name, monitor), "monitor"))

    for name, pipeline in spec.pipelines.items():
        for step_name, step in pipeline.steps.items():
            if step.registers:
                graph.edges.append(Edge(node_id("step", name, step_name), node_id("model", step.registers), "registers"))
    for name, endpoint in spec.serving.items():
        graph.edges.append(Edge(node_id("model", endpoint.model), node_id("endpoint", name), "serves"))
    for name, pipeline in spec.pipelines.items():
        for step_name, step in pipeline.steps.items():
            if step.resources.pool:
                graph.edges.append(Edge(node_id("step", name, step_name), node_id("pool", step.resources.pool),
                                        "", "dotted"))
    for name, endpoint in spec.serving.items():
        if endpoint.resources.pool:
            graph.edges.append(Edge(node_id("endpoint", name), node_id("pool", endpoint.resources.pool), "", "dotted"))
    for name, monitor in spec.monitoring.items():
        graph.edges.append(Edge(node_id("monitor", name), node_id("endpoint", name), "watches"))
        if monitor.retraining:
            when = monitor.retraining.when
            triggers = []
            if when.drift_above is not None:
                triggers.append(f"drift > {when.drift_above:g}")
            if when.performance_drop is not None:
                triggers.append(f"perf -{when.performance_drop}")
            if monitor.retraining.cooldown is not None:
                triggers.append(f"cooldown {monitor.retraining.cooldown}")
            graph.edges.append(Edge(node_id("monitor", name), node_id("pipeline", monitor.retraining.pipeline),
                                    "retrains: " + ", ".join(triggers) if triggers else "retrains", "thick"))
    return graph
