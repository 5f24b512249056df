"""A test that needs promtool or amtool fails, not skips, in CI when the tool is missing."""
from __future__ import annotations

import pytest
from _pytest.outcomes import Failed, Skipped

from tests import upstream_tools


def test_a_missing_tool_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(upstream_tools.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI_REQUIRE_UPSTREAM", "1")
    with pytest.raises(Failed, match="promtool is not installed: apt-get install prometheus"):
        upstream_tools.tool("promtool")
    monkeypatch.delenv("CI_REQUIRE_UPSTREAM")
    with pytest.raises(Skipped, match="amtool is not installed"):
        upstream_tools.tool("amtool")


def test_an_installed_tool_is_found():
    assert upstream_tools.tool("promtool").endswith("promtool")
