"""The Pulumi backend: `deploy()` for a Pulumi program (runtime mode), and the standalone program
`mlops compile` emits (`emitted.py`). Importing this package imports neither pulumi nor jinja2.
"""
from __future__ import annotations

from typing import Any

from .emitted import emit


def deploy(spec_path: str = "mlops.yaml", env: str | None = None) -> dict[str, Any]:
    """Declare the objects of `spec_path` in the current Pulumi stack (see `backends.pulumi.runtime.deploy`)."""
    from .runtime import deploy as runtime_deploy

    return runtime_deploy(spec_path, env)


__all__ = ["deploy", "emit"]
