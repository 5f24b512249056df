"""KServe's default ClusterServingRuntimes and its choice among them, re-implemented from the source.

kserve/kserve v0.20.0 pkg/apis/serving/v1beta1/predictor_model.go GetSupportingRuntimes: a runtime
serves a model when one of its `supportedModelFormats` names the format with `autoSelect: true`
(no runtime is named in our InferenceServices), it supports the requested protocol (`v1` when the
predictor names none; a runtime listing no protocol supports all, servingruntime_types.go
IsProtocolVersionSupported), and it is neither multi-model nor multi-node; the one with the highest
`priority` for the format wins. The runtimes are the files `config/runtimes/kustomization.yaml`
installs (../shared/crds/serving.kserve.io/runtimes/).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.upstream import SKIP_REASON, upstream_dir


@dataclass(frozen=True)
class ServingRuntime:
    name: str
    formats: tuple[tuple[str, bool, int | None], ...]   # (name, autoSelect, priority)
    protocols: tuple[str, ...]
    multi_node: bool
    annotations: dict
    container_args: tuple[str, ...]

    def priority(self, model_format: str) -> int | None:
        """servingruntime_types.go GetPriority: the first entry of the format."""
        return next((priority for name, _, priority in self.formats if name == model_format), None)

    @property
    def metrics_port(self) -> int:
        return int(self.annotations.get("prometheus.kserve.io/port", 8080))


def runtimes_dir() -> Path:
    root = upstream_dir()
    if root is None:
        import pytest

        pytest.skip(SKIP_REASON)
    return root / "crds" / "serving.kserve.io" / "runtimes"


@functools.cache
def installed_runtimes() -> tuple[ServingRuntime, ...]:
    folder = runtimes_dir()
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    found = []
    for file in listed:
        doc = yaml.safe_load((folder / file).read_text(encoding="utf-8"))
        spec = doc["spec"]
        container = (spec.get("containers") or [{}])[0]
        found.append(ServingRuntime(
            name=doc["metadata"]["name"],
            formats=tuple((f["name"], bool(f.get("autoSelect")), f.get("priority"))
                          for f in spec.get("supportedModelFormats") or []),
            protocols=tuple(spec.get("protocolVersions") or ()),
            multi_node="workerSpec" in spec,
            annotations=dict(spec.get("annotations") or {}),
            container_args=tuple(container.get("args") or ()),
        ))
    return tuple(found)


def select_runtime(model_format: str, protocol: str = "v1") -> ServingRuntime | None:
    """The runtime KServe picks for a model of `model_format` (no runtime named, single node)."""
    candidates = [rt for rt in installed_runtimes()
                  if any(name == model_format and auto for name, auto, _ in rt.formats)
                  and (not rt.protocols or protocol in rt.protocols) and not rt.multi_node]
    ranked = sorted(candidates, key=lambda rt: -(rt.priority(model_format) or -1))
    return ranked[0] if ranked else None


def runtime_serving(model_format: str) -> ServingRuntime | None:
    """The runtime for protocol v1, else for v2: the server whose metrics port the pod would expose."""
    return select_runtime(model_format, "v1") or select_runtime(model_format, "v2")
