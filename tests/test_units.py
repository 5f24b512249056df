"""Quantities, durations and percentages parse strictly into typed values."""
import re
from decimal import Decimal

import pytest
from pydantic_core import PydanticCustomError

from compiler.spec.units import Duration, Percent, Percentage, Quantity


@pytest.mark.parametrize("text, value", [
    ("500m", Decimal("0.5")), ("4Gi", Decimal(4 * 2**30)), ("1.5Gi", Decimal("1.5") * 2**30), (8, Decimal(8)),
    (0.5, Decimal("0.5")), ("100Mi", Decimal(100 * 2**20)), ("2k", Decimal(2000)), ("1e3", Decimal(1000)),
    ("10G", Decimal(10**10)),
])
def test_quantity(text, value):
    assert Quantity.parse(text).value == value


@pytest.mark.parametrize("text", ["4GB", "-1", "1.2.3", "Gi", "", "4 Gi", True, None, [1], "1e999999999999"])
def test_quantity_rejects(text):
    with pytest.raises(PydanticCustomError):
        Quantity.parse(text)


def test_quantity_bytes_round_up_and_text_kept():
    assert Quantity.parse("1.5").bytes == 2
    assert Quantity.parse("1.2Gi").text == "1.2Gi"
    assert Quantity.of_bytes(3 * 2**30).text == "3Gi"


@pytest.mark.parametrize("text, seconds", [("250ms", 0.25), ("30s", 30), ("10m", 600), ("6h", 21600),
                                           ("7d", 604800), ("1h30m", 5400), ("2w", 1209600)])
def test_duration(text, seconds):
    assert Duration.parse(text).seconds == seconds


@pytest.mark.parametrize("text", ["10", 10, "10 m", "m", "10y", "", "1h 30m", None])
def test_duration_rejects(text):
    with pytest.raises(PydanticCustomError):
        Duration.parse(text)


def test_duration_suggests_a_unit_for_bare_numbers():
    with pytest.raises(PydanticCustomError, match='did you mean "600s"'):
        Duration.parse(600)


@pytest.mark.parametrize("value, percent", [("10%", 10), ("99.9%", 99.9), ("0%", 0), ("100%", 100), ("0.5%", 0.5)])
def test_percentage(value, percent):
    assert Percentage.parse(value).percent == percent


@pytest.mark.parametrize("value", ["150%", 101, -1, "10", "ten%", True, 5, 0.999])
def test_percentage_rejects(value):
    with pytest.raises(PydanticCustomError):
        Percentage.parse(value)


@pytest.mark.parametrize("value, hint", [(0.999, "99.9% if it is a fraction of 1, or 0.999% if it is already"),
                                         (0.01, "1% if it is a fraction of 1, or 0.01%"),
                                         (5, "write 5%")])
def test_percentage_refuses_a_bare_number_as_ambiguous(value, hint):
    """`availability: 0.999` read as 0.999 % was a silent change of the SLO; now it says what to write."""
    with pytest.raises(PydanticCustomError, match=re.escape(hint)):
        Percentage.parse(value)


@pytest.mark.parametrize("value, percent", [(10, 10), (0, 0), (100, 100), ("15%", 15), (2.5, 2.5)])
def test_percent_fields_read_a_bare_number_as_percent(value, percent):
    """`canary_percent: 10` says its unit in its name: 10 %."""
    assert Percent.parse(value).percent == percent


@pytest.mark.parametrize("value", [101, -1, "150%", True])
def test_percent_rejects(value):
    with pytest.raises(PydanticCustomError):
        Percent.parse(value)


def test_the_spec_reference_defines_each_unit_from_its_parser() -> None:
    """docs/spec-reference.md defines Quantity, Duration and Percentage: units, examples and what a bare number
    means; fields of those types link to the definitions, and each claim holds for the parser."""
    import pytest
    from pydantic_core import PydanticCustomError

    from compiler.spec import units
    from compiler.spec.reference import render_reference

    reference = render_reference()
    section = reference.split("## Units", 1)[1]
    for name in ("Quantity", "Duration", "Percentage", "Percent"):
        assert f"### {name}\n" in section and f"[{name}](#{name.lower()})" in reference
    for suffix in (*units._BINARY, *(s for s in units._DECIMAL if s), *units._DURATION_UNITS):
        assert f"`{suffix}`" in section, suffix
    quantity = section.split("### Quantity", 1)[1].split("###", 1)[0]
    assert "bare number" in quantity and units.Quantity.parse(4).bytes == 4  # bytes, not GiB
    assert units.Quantity.parse("500m").value * 2 == 1 and units.Quantity.parse("1e3").value == 1000
    duration = section.split("### Duration", 1)[1].split("###", 1)[0]
    assert "bare number is refused" in duration
    with pytest.raises(PydanticCustomError):
        units.Duration.parse(30)
    assert units.Duration.parse("1h30m").seconds == 5400
    percentage = section.split("### Percentage", 1)[1].split("###", 1)[0]
    assert "bare number is refused" in percentage
    with pytest.raises(PydanticCustomError):
        units.Percentage.parse(0.999)
    assert "bare number is a percentage" in section.split("### Percent\n", 1)[1]
    assert units.Percent.parse(10).percent == 10

