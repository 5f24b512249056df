"""`mlops schema [-o FILE]`: the JSON Schema of mlops.yaml, generated from the models."""
from __future__ import annotations

import json

from . import write_output

SCHEMA_ID = "https://mlops.dev/schemas/mlops.schema.json"


def register(subparsers) -> None:
    parser = subparsers.add_parser("schema", help="print the JSON Schema of mlops.yaml",
                                   description="Print the JSON Schema generated from the spec models "
                                               "(committed as schemas/mlops.schema.json).")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--reference", action="store_true",
                        help="print the Markdown field reference (docs/spec-reference.md) instead")
    parser.set_defaults(run=run)


def schema_text() -> str:
    from ..spec import Spec

    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
                "title": "mlops.yaml", **schema}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def run(args) -> int:
    if args.reference:
        from ..spec.reference import render_reference

        text = render_reference()
    else:
        text = schema_text()
    write_output(text, args.output)
    return 0
