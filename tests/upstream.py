"""Find the upstream data (CRD schemas, SARIF schema) that the repository must not carry a copy of."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

SKIP_REASON = (
    "upstream data not found: set MLOPS_UPSTREAM_DATA to a checkout of the project's "
    "shared/ directory (crds/, sarif/)"
)


def upstream_dir() -> Path | None:
    """The upstream data directory, or None when it is absent.

    Raises RuntimeError instead when CI_REQUIRE_UPSTREAM=1, so CI cannot pass by skipping.
    """
    configured = os.environ.get("MLOPS_UPSTREAM_DATA")
    root = Path(configured) if configured else REPO_ROOT.parent / "shared"
    if (root / "crds").is_dir():
        return root
    if os.environ.get("CI_REQUIRE_UPSTREAM") == "1":
        raise RuntimeError(f"{SKIP_REASON} (looked in {root})")
    return None
