"""Lint mlops.yaml for the MLOps traps of RULES.md: an explicit registry of rules and a small engine.

The lint path imports only pydantic, ruamel.yaml and the standard library (never pulumi, jinja2 or
mlflow): it runs as a pre-commit hook.
"""
from .engine import lint, lint_environments, load_lock
from .registry import BY_CODE, RULES
from .rule import Finding, Rule

__all__ = ["BY_CODE", "Finding", "RULES", "Rule", "lint", "lint_environments", "load_lock"]
