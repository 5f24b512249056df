"""`mlops graph [SPEC] [--format mermaid|dot]`: the system as a picture (compiler/graph.py)."""
from __future__ import annotations

from . import add_env_argument, add_spec_argument, write_output


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "graph", help="draw the system: pipelines, models, endpoints, pools, monitoring and retraining",
        description="Draw SPEC as a graph: each pipeline's steps, the models they register, the endpoints "
                    "serving them, the node pools everything runs on, and the monitoring and retraining loops. "
                    "Mermaid renders in GitHub Markdown; dot is for Graphviz (`dot -Tsvg`).")
    add_spec_argument(parser)
    add_env_argument(parser)
    parser.add_argument("--format", choices=("mermaid", "dot"), default="mermaid", help="default mermaid")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..checked_spec import check_file
    from ..graph import system_graph, to_dot, to_mermaid

    checked = check_file(args.spec, args.env)
    graph = system_graph(checked.spec)
    text = to_mermaid(graph) if args.format == "mermaid" else to_dot(graph, checked.spec.metadata.name)
    write_output(text, args.output)
    return 0
