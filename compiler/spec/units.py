"""Human units of the spec, parsed strictly once: Kubernetes quantities, durations, percentages.

Each type keeps the text the user wrote (for error messages and for manifests) and a typed value
(for comparisons in lint rules and for lowering to Kubernetes fields).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic_core import PydanticCustomError, core_schema

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
            "P": Decimal(10**15), "E": Decimal(10**18)}
# The Kubernetes quantity grammar (apimachinery resource.Quantity), without the sign: the spec
# has no use for negative resources.
_QUANTITY = re.compile(r"^(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_QUANTITY = Decimal(2) ** 63  # what a Kubernetes int64 quantity can carry
MAX_DURATION_SECONDS = 2562047 * 3600  # whole hours within Go's time.Duration: (2**63 - 1) ns is 2562047h47m16s


class _Unit:
    """Shared pydantic plumbing: validate from YAML scalars, serialise back to the user's text."""

    json_schema: dict[str, Any] = {}
    text: str

    @classmethod
    def parse(cls, value: Any):  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def _validate(cls, value: Any):
        if isinstance(value, cls):
            return value
        return cls.parse(value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate, serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.text)
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return dict(cls.json_schema)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def _key(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


class Quantity(_Unit):
    """A Kubernetes quantity: `500m`, `4Gi`, `1.5Gi`, `8`."""

    json_schema = {
        "anyOf": [{"type": "number", "minimum": 0},
                  {"type": "string", "pattern": _QUANTITY.pattern.replace("?P<num>", "").replace("?P<suffix>", "")}],
        "description": "Kubernetes quantity, e.g. 500m, 4Gi, 1.5Gi, 8",
    }

    def __init__(self, text: str, value: Decimal):
        self.text = text
        self.value = value

    def _key(self) -> Any:
        return self.value

    @classmethod
    def parse(cls, value: Any) -> "Quantity":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise PydanticCustomError("quantity", "expected a Kubernetes quantity such as 500m, 4Gi or 8, got {got}",
                                      {"got": type(value).__name__})
        text = _number_text(value) if not isinstance(value, str) else value.strip()
        match = _QUANTITY.match(text)
        if not match:
            raise PydanticCustomError(
                "quantity", "'{text}' is not a Kubernetes quantity: write a number with an optional suffix "
                "(m, k, M, G, Ki, Mi, Gi, Ti), e.g. 500m, 4Gi, 1.5Gi", {"text": text})
        number, suffix = Decimal(match["num"]), match["suffix"] or ""
        try:
            if suffix in _BINARY:
                magnitude = number * _BINARY[suffix]
            elif suffix in _DECIMAL:
                magnitude = number * _DECIMAL[suffix]
            else:
                exponent = int(suffix[1:])
                if abs(exponent) > 30:
                    raise OverflowError
                magnitude = number * (Decimal(10) ** exponent)
        except (ArithmeticError, ValueError):
            raise PydanticCustomError("quantity", "'{text}' is out of range", {"text": text}) from None
        if magnitude >= _MAX_QUANTITY:
            raise PydanticCustomError("quantity", "'{text}' is larger than a Kubernetes quantity can hold",
                                      {"text": text})
        return cls(text, magnitude)

    @classmethod
    def reference(cls) -> list[str]:
        """Its definition for docs/spec-reference.md, from the suffix tables parse() reads."""
        binary = ", ".join(f"`{s}` = 2^{_BINARY[s].bit_length() - 1}" for s in _BINARY)
        decimal = ", ".join(f"`{s}` = {_decimal_text(v)}" for s, v in _DECIMAL.items() if s)
        return [
            "A Kubernetes quantity (apimachinery `resource.Quantity`): a number with an optional suffix, no sign.",
            "",
            f"- binary suffixes: {binary};",
            f"- decimal suffixes: {decimal};",
            "- or an exponent: `1e3` = 1000;",
            "- **a bare number has no suffix and means the base unit**: bytes for `memory`, `size` and "
            "`gpu_memory` (`memory: 4` is 4 bytes: write `4Gi`), cores for `cpu` (`cpu: 2` is two cores, "
            "`cpu: 500m` half a core).",
            "",
            "Examples: `500m`, `4Gi`, `1.5Gi`, `8`. At most 2^63 (what Kubernetes stores in an int64).",
        ]

    @property
    def bytes(self) -> int:
        """The quantity as a whole number (bytes for memory, rounding up as Kubernetes does)."""
        whole = int(self.value)
        return whole if whole == self.value else whole + 1

    @classmethod
    def of_bytes(cls, count: int) -> "Quantity":
        """The shortest exact binary-suffixed quantity for a byte count."""
        for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
            if count and count % _BINARY[suffix] == 0:
                return cls(f"{count // _BINARY[suffix]}{suffix}", Decimal(count))
        return cls(str(count), Decimal(count))


class Duration(_Unit):
    """A duration: `250ms`, `30s`, `10m`, `6h`, `7d`, `1h30m`."""

    json_schema = {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$",
                   "description": "duration, e.g. 250ms, 30s, 10m, 6h, 7d, 1h30m"}

    def __init__(self, text: str, seconds: float):
        self.text = text
        self.seconds = seconds

    def _key(self) -> Any:
        return self.seconds

    @classmethod
    def parse(cls, value: Any) -> "Duration":
        if not isinstance(value, str):
            hint = f" (did you mean \"{_number_text(value)}s\"?)" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            raise PydanticCustomError("duration", "expected a duration with a unit such as 30s, 10m, 6h or 7d{hint}",
                                      {"hint": hint})
        text = value.strip()
        parts = _DURATION_PART.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise PydanticCustomError(
                "duration", "'{text}' is not a duration: write a number with a unit (ms, s, m, h, d, w), "
                "e.g. 30s, 10m, 6h, 7d", {"text": text})
        seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
        if not seconds <= MAX_DURATION_SECONDS:
            raise PydanticCustomError(
                "duration", "'{text}' is longer than {limit}, the longest duration Go's time.Duration holds (int64 "
                "nanoseconds), which Prometheus, Argo and Kubernetes parse durations into", {"text": text,
                                                                                          "limit": "2562047h"})
        return cls(text, seconds)

    @classmethod
    def reference(cls) -> list[str]:
        """Its definition for docs/spec-reference.md, from the unit table parse() reads."""
        units = ", ".join(f"`{u}` ({_seconds_text(v)})" for u, v in _DURATION_UNITS.items())
        return [
            "A length of time: numbers each followed by a unit, written together (Go and Prometheus style).",
            "",
            f"- units: {units};",
            "- parts add up: `1h30m` is 90 minutes; a part may have decimals (`1.5h`);",
            "- **a bare number is refused** (`timeout: 30` could be seconds or minutes): write `30s`;",
            "- at most 2562047h, the longest duration Go's `time.Duration` holds (Prometheus, Argo and "
            "Kubernetes parse durations into it).",
            "",
            "Examples: `250ms`, `30s`, `10m`, `6h`, `7d`, `1h30m`.",
        ]

    @property
    def whole_seconds(self) -> int:
        """Seconds rounded up: Kubernetes fields count whole seconds."""
        whole = int(self.seconds)
        return whole if whole == self.seconds else whole + 1


class Percentage(_Unit):
    """A share written with its unit: `1%`, `99.9%`, `0.5%`.

    A bare number is refused: `availability: 0.999` could mean 99.9 % (a fraction) or 0.999 %
    (a percentage), and reading it either way silently turns an SLO into a different one. Fields
    whose name says the unit (`canary_percent`) use `Percent`, which also reads a bare number.
    """

    json_schema = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?%$",
                   "description": "percentage with its unit, e.g. 1%, 99.9%, 0.5%"}

    def __init__(self, text: str, percent: float):
        self.text = text
        self.percent = percent

    def _key(self) -> Any:
        return self.percent

    @property
    def fraction(self) -> float:
        return self.percent / 100

    @classmethod
    def parse(cls, value: Any) -> "Percentage":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise PydanticCustomError("percentage", "expected a percentage such as 10% or 99.9%", {})
        if isinstance(value, str):
            text = value.strip()
            match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)%", text)
            if not match:
                raise PydanticCustomError("percentage", "'{text}' is not a percentage: write e.g. 10% or 99.9%",
                                          {"text": text})
            percent = float(match[1])
        else:
            percent = float(value)
            text = f"{_number_text(value)}%"
            if not cls.bare_number_is_percent:
                raise PydanticCustomError("percentage", _ambiguous_number(value), {})
        if not 0 <= percent <= 100:
            raise PydanticCustomError("percentage", "{text} is outside 0-100%", {"text": text})
        return cls(text, percent)

    #: Whether a bare number is read as a percentage (only where the field's name carries the unit).
    bare_number_is_percent = False

    @classmethod
    def reference(cls) -> list[str]:
        """Its definition for docs/spec-reference.md."""
        if cls.bare_number_is_percent:
            bare = ("- **a bare number is a percentage**, because the field's name says so "
                    "(`canary_percent: 10` is 10 %);")
        else:
            bare = ("- **a bare number is refused**: `availability: 0.999` could mean 99.9 % (a fraction of 1) or "
                    "0.999 %, and reading it either way would silently make another SLO; write `99.9%`;")
        return [
            "A share of 100, written with `%`: a number from 0 to 100 followed by `%`.",
            "",
            bare,
            "- decimals are allowed (`99.95%`, `0.5%`).",
            "",
            "Examples: `1%`, `99.9%`, `0.5%`" + (", `10`." if cls.bare_number_is_percent else "."),
        ]


class Percent(Percentage):
    """A percentage in a field whose name says so (`canary_percent: 10`): a bare number 0-100 is percent."""

    json_schema = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 100},
                             {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?%$"}],
                   "description": "percentage: 10%, 99.9%, or a number 0-100"}
    bare_number_is_percent = True


def _decimal_text(value: Decimal) -> str:
    exponent = value.adjusted()
    return f"10^{exponent}"


def _seconds_text(seconds: float) -> str:
    return f"{_number_text(seconds)} s" if seconds < 60 else f"{_number_text(seconds)} s = {_number_text(seconds / 60)} min" \
        if seconds < 3600 else f"{_number_text(seconds / 3600)} h"


def _ambiguous_number(value: int | float) -> str:
    """Why a bare number is refused as a percentage, with what to write instead (braces escaped for pydantic)."""
    text = _number_text(value)
    if 0 < value < 1:
        return (f"{text} is ambiguous: write the unit, {_number_text(round(value * 100, 10))}% if it is a fraction "
                f"of 1, or {text}% if it is already a percentage")
    return f"{text} has no unit: write {text}% (a bare number could be a fraction or a percentage)"


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
