"""The real Prometheus tools the tests run (Debian's prometheus, prometheus-alertmanager, prometheus-pushgateway).

`.ci/run` installs them. A test that needs one skips with a reason when it is missing, except under
CI_REQUIRE_UPSTREAM=1, where a missing tool fails the test: CI cannot pass by skipping.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

INSTALL_HINT = "apt-get install prometheus prometheus-alertmanager prometheus-pushgateway (scripts/install-test-tools, which the README's test command runs, does)"
#: Every call is bounded; promtool and amtool answer in well under a second here.
TIMEOUT_SECONDS = 60


def tool(name: str) -> str:
    """The path of `name` on PATH, or skip (fail under CI_REQUIRE_UPSTREAM=1) naming how to install it."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed: {INSTALL_HINT}"
    if os.environ.get("CI_REQUIRE_UPSTREAM") == "1":
        pytest.fail(message)
    pytest.skip(message)


def run(name: str, args: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a tool to completion in its own process group, bounded in time."""
    return subprocess.run([tool(name), *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                          start_new_session=True, check=False)
