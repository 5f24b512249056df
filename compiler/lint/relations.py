"""Relations between spec sections that several rules ask about: who trains, serves and runs where."""
from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from ..spec import Spec
from ..spec.resources import Resources


def training_runtimes(spec: Spec) -> dict[str, tuple]:
    """Runtime name -> the spec path of the first pipeline or step that trains with it."""
    found: dict[str, tuple] = {}
    for name, pipeline in spec.pipelines.items():
        found.setdefault(pipeline.runtime, ("pipelines", name, "runtime"))
        for step_name, step in pipeline.steps.items():
            if step.runtime:
                found.setdefault(step.runtime, ("pipelines", name, "steps", step_name, "runtime"))
    return found


def training_pipelines(spec: Spec, model: str) -> list[str]:
    """Pipelines with a step that registers versions of `model`."""
    return training_pipelines_by_model(spec).get(model, [])


def training_pipelines_by_model(spec: Spec) -> dict[str, list[str]]:
    """Model key -> the pipelines with a step that registers it, in spec order (one pass: rules that ask
    for every model would otherwise scan every pipeline per model)."""
    found: dict[str, list[str]] = {}
    for name, pipeline in spec.pipelines.items():
        for model in dict.fromkeys(step.registers for step in pipeline.steps.values() if step.registers):
            found.setdefault(model, []).append(name)
    return found


def endpoints_by_model(spec: Spec) -> dict[str, list[str]]:
    """Model key -> the endpoints that serve it, in spec order."""
    found: dict[str, list[str]] = {}
    for name, endpoint in spec.serving.items():
        found.setdefault(endpoint.model, []).append(name)
    return found


class Workload(NamedTuple):
    """Something that asks for compute: a serving endpoint or a pipeline step."""

    kind: str                 # "endpoint" | "step"
    label: str                # "endpoint fraud-api" | "step train-fraud.train"
    path: tuple               # ("serving", "fraud-api") | ("pipelines", "train-fraud", "steps", "train")
    resources: Resources
    gpu_memory_bytes: int | None  # declared peak GPU memory (endpoints: the model's gpu_memory)
    replicas: int = 1         # most pods at once (endpoints: replicas.max)


def workloads(spec: Spec) -> Iterator[Workload]:
    for name, endpoint in spec.serving.items():
        model = spec.models.get(endpoint.model)
        memory = model.gpu_memory.bytes if model and model.gpu_memory else None
        yield Workload("endpoint", f"endpoint {name!r}", ("serving", name), endpoint.resources, memory,
                       endpoint.replicas.max)
    for name, pipeline in spec.pipelines.items():
        for step_name, step in pipeline.steps.items():
            yield Workload("step", f"step '{name}.{step_name}'", ("pipelines", name, "steps", step_name),
                           step.resources, None)


def gib(count: int | float) -> str:
    """Bytes as GiB for messages: 3221225472 -> '3Gi', 1288490188.8 -> '1.2Gi'."""
    value = count / 2**30
    return f"{value:.0f}Gi" if abs(value - round(value)) < 0.05 else f"{value:.1f}Gi"
