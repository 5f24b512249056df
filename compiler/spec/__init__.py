"""Pydantic models of mlops.yaml, one module per section (SPEC.md is the contract)."""
from .system import SUPPORTED_API_VERSIONS, Spec

__all__ = ["Spec", "SUPPORTED_API_VERSIONS"]
