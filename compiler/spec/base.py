"""The base of every spec model and the scalar types shared between sections."""

import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic.functional_validators import PlainValidator
from pydantic_core import PydanticCustomError

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class SpecModel(BaseModel):
    """Every section: unknown keys are errors, values are not coerced behind the user's back."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True,
                              use_attribute_docstrings=False, hide_input_in_errors=True,
                              defer_build=True)


# Default factories are plain functions, not `list` and `dict`: pydantic inspects every factory's
# signature when it builds a validator, and a builtin's text signature goes through tokenize's
# regex (~3 ms of every lint run).
def empty_list() -> list:
    return []


def empty_dict() -> dict:
    return {}


def _dns_label(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("name", "names are strings, got {got}", {"got": type(value).__name__})
    if len(value) > 63:
        raise PydanticCustomError("name", "'{name}' is {n} characters long; names are at most 63",
                                  {"name": value, "n": len(value)})
    if not DNS_LABEL.match(value):
        suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "my-name"
        raise PydanticCustomError(
            "name", "'{name}' is not a valid name: use lowercase letters, digits and '-', starting and ending "
                    "with a letter or digit (DNS-1123 label), e.g. '{suggestion}'",
            {"name": value, "suggestion": suggestion})
    return value


Name = Annotated[str, PlainValidator(_dns_label),
                 WithJsonSchema({"type": "string", "pattern": DNS_LABEL.pattern, "maxLength": 63})]


def _version_text(value: Any) -> str:
    # YAML reads 2.10 as the float 2.1: refusing floats is the only way not to change a version.
    if isinstance(value, bool) or isinstance(value, float):
        raise PydanticCustomError("version_text", "write this version as a quoted string: YAML read the unquoted "
                                  "number as {text} (2.10 becomes 2.1)", {"text": value})
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("version_text", "expected a non-empty string", {})
    return value


VersionText = Annotated[str, PlainValidator(_version_text), WithJsonSchema({"type": ["string", "integer"]})]


def _secret_ref(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[-._a-zA-Z0-9]+", value):
        raise PydanticCustomError("secret_ref", "a secret reference is 'secret-name/key', e.g. alerting/pd-key", {})
    return value


SecretRef = Annotated[str, PlainValidator(_secret_ref),
                      WithJsonSchema({"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[-._a-zA-Z0-9]+$"})]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("number", "expected a number, got {got}", {"got": type(value).__name__})
    return finite(value)


def finite(value: int | float) -> float:
    """`value` as a float, refusing what no threshold, price or count can be: .inf, .nan, 10**400."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        shown = "a number too large for a float" if isinstance(value, int) else repr(value).replace(
            "inf", ".inf").replace("nan", ".nan")
        raise PydanticCustomError("number", "expected a finite number, got {got}; YAML's .inf and .nan are not "
                                  "thresholds, prices or counts", {"got": shown})
    return number


Number = Annotated[float, PlainValidator(_number), WithJsonSchema({"type": "number"})]


# Container environment variable names. Kubernetes' IsEnvVarName (apimachinery
# pkg/util/validation/validation.go) also takes `-` and `.`, which no shell can read back; the spec
# keeps to C identifiers (IsCIdentifier, [A-Za-z_][A-Za-z0-9_]*), as ConfigMap-to-env keys must be.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Prefixes whose variables something else sets in the same container: a user value would silently win.
RESERVED_ENV_PREFIXES = {
    "MLOPS_": "mlops sets the MLOPS_* variables a step reads its context from (MLOPS_SYSTEM, MLOPS_STEP, ...)",
    "ARGO_": "Argo's executor sets ARGO_* variables in every step container (workflow/common/common.go)",
}


def _env_name(value: Any) -> str:
    if not isinstance(value, str) or not ENV_NAME.fullmatch(value):
        raise PydanticCustomError("env_name", "{name} is not an environment variable name: use letters, digits and "
                                  "'_', not starting with a digit (e.g. DATA_PATH)", {"name": repr(value)})
    for prefix, why in RESERVED_ENV_PREFIXES.items():
        if value.startswith(prefix):
            raise PydanticCustomError("env_name", "{name} is reserved: {why}; choose another name",
                                      {"name": repr(value), "why": why})
    return value


EnvName = Annotated[str, PlainValidator(_env_name),
                    WithJsonSchema({"type": "string", "pattern": "^" + ENV_NAME.pattern + "$"})]
