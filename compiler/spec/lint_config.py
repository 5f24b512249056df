"""`lint:`: rule selection, severities, thresholds and justified ignores."""

from typing import Any, Literal

from pydantic import Field

from .base import SpecModel, empty_dict, empty_list

Severity = Literal["error", "warning", "info"]


class Ignore(SpecModel):
    rule: str = Field(pattern=r"^[A-Z]+[0-9]{3}$", description="Rule code, e.g. SERVE001.")
    at: str = Field(min_length=1, description="Spec path the finding points at, e.g. serving.fraud-api.")
    reason: str | None = Field(None, description="Why this is acceptable (required; a missing one is LINT002).")


class LintConfig(SpecModel):
    disable: list[str] = Field(default_factory=empty_list, description="Rule codes to turn off.")
    severity: dict[str, Severity] = Field(default_factory=empty_dict, description="Per-rule severity overrides.")
    options: dict[str, Any] = Field(default_factory=empty_dict,
                                    description="Rule thresholds (validated by the rules' option models).")
    ignore: list[Ignore] = Field(default_factory=empty_list, description="Justified ignores of single findings.")
