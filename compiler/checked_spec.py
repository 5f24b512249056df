"""The front half of the pipeline: load -> overlay(env) -> validate -> check references.

Everything after this stage (lint, lowering, plan) takes a CheckedSpec and never reads the file.
"""
from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import SpecError
from .distributed_training import check_distributed_training
from .loader import LoadedDocument, load_bytes, load_file
from .node_pool_checks import check_node_pools
from .overlays import apply_overlay, environment_names
from .references import check_references
from .queues import check_queues
from .serving_checks import check_serving
from .source_map import SourceMap
from .spec import Spec
from .validation import validate_data


@dataclass
class CheckedSpec:
    """A valid spec for one environment (or the base when env is None), with where each value was written."""

    spec: Spec
    source_map: SourceMap
    document: LoadedDocument
    env: str | None

    @property
    def path(self) -> str:
        return self.document.path


def check_document(document: LoadedDocument, env: str | None = None) -> CheckedSpec:
    data, source_map = document.data, document.source_map
    if env is not None:
        data, source_map = apply_overlay(data, source_map, env)
    spec = validate_data(data, source_map, document.text)
    check_references(spec, source_map, env)
    check_serving(spec, source_map)
    check_node_pools(spec, source_map)
    check_queues(spec, source_map)
    check_distributed_training(spec, source_map)
    if spec.overrides:
        from .overrides import check_overrides

        check_overrides(spec, source_map)
    return CheckedSpec(spec, source_map, document, env)


def check_file(path: str, env: str | None = None) -> CheckedSpec:
    """Load and validate one spec file for one environment. Raises SpecError (exit 1) or UsageError (exit 2)."""
    return check_document(load_file(path), env)


def check_bytes(raw: bytes, path: str, env: str | None = None) -> CheckedSpec:
    return check_document(load_bytes(raw, path), env)


def check_all_environments(path: str) -> list[CheckedSpec]:
    """The base and every environment, each validated (what `mlops validate` does without --env)."""
    document = load_file(path)
    checked = [check_document(document)]
    for env in environment_names(document.data):
        try:
            checked.append(check_document(document, env))
        except SpecError as error:  # the base is valid: say which overlay breaks it
            raise SpecError([d._replace(message=f"{d.message} (environment {env!r})") for d in error.diagnostics]) from None
    return checked
