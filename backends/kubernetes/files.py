"""Write lowered objects as files: one multi-document YAML per path, plus kustomization.yaml.

Every path is checked to stay inside the output directory (names are validated DNS labels, so
this never fires for a valid spec; it is the last line of defence, not the first).
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath

from compiler.yaml_emitter import dump_all, dump_document

KUSTOMIZATION = "kustomization.yaml"


def safe_path(root: Path, relative: str) -> Path:
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or any(p in ("", ".") for p in pure.parts):
        raise ValueError(f"refusing to write {relative!r}: output paths stay inside the output directory")
    path = root.joinpath(*pure.parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"refusing to write {relative!r}: it resolves outside the output directory")
    return path


def kustomization(paths: list[str]) -> dict:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": sorted(paths)}


def render_tree(files: dict[str, list[dict]], kustomize: str | None = None) -> dict[str, str]:
    """Relative path -> file text; with `kustomize`, that folder gets a kustomization.yaml listing its files."""
    texts = {path: dump_all(objects) for path, objects in files.items()}
    if kustomize is not None:
        prefix = kustomize.rstrip("/") + "/"
        listed = [path[len(prefix):] for path in files if path.startswith(prefix)]
        # Keep apply order (namespace first): kustomize sorts by kind anyway, but a reader sees the plan.
        texts[prefix + KUSTOMIZATION] = dump_document(
            {**kustomization(listed), "resources": listed})
    return texts


def write_tree(files: dict[str, list[dict]], root: Path, kustomize: str | None = None) -> list[Path]:
    written = []
    for relative, text in render_tree(files, kustomize).items():
        path = safe_path(root, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        written.append(path)
    return written
