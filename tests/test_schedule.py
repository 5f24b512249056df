"""Cron schedules and time zones as Argo reads them (compiler/spec/schedule.py).

The cases follow robfig/cron v3.0.1's own tests (`parser_test.go`: TestRange, TestField,
TestParseScheduleErrors, TestStandardSpecSchedule) for what its `ParseStandard` accepts and refuses,
plus what it accepts but never runs, which the spec refuses too.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from compiler.spec.schedule import check_cron, check_timezone

ACCEPTED = [
    "0 3 * * *", "*/15 * * * *", "5-7/2 * * * *", "1,5-7/2,3 * * * *", "0 0 * * ?", "0 0 1 jan *", "0 0 * * MON-FRI",
    "0 0 * JAN-DEC sun", "0 0 29 2 *",           # 29 February comes round in leap years
    "0 0 30 2 1",                                 # neither day field is `*`: robfig ORs them, so every Monday
    "5/15 * * * *",                               # N/STEP runs from N to the maximum
    "+5 * * * *",                                 # Go's strconv.Atoi takes a sign
    "0 0 1,,15 * *",                              # strings.FieldsFunc drops the empty item
    "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@every 1h30m", "@every 90s",
]
REFUSED = [
    ("", "empty cron schedule"),
    ("* * * *", "has 4 fields"),
    ("0 0 * * * *", "has 6 fields"),                       # ParseStandard has no seconds field
    ("5--5 * * * *", "too many '-'"),
    ("jan-x * * * *", "not a number"),
    ("*/-12 * * * *", "negative numbers"),
    ("*//2 * * * *", "too many '/'"),
    ("60 * * * *", "60 is above 59"),
    ("0 24 * * *", "24 is above 23"),
    ("0 0 0 * *", "0 is below 1"),
    ("0 0 * 13 *", "13 is above 12"),
    ("0 3 * * 7", "Sunday is 0 (or SUN), not 7"),
    ("5-3 * * * *", "starts at 5, after its end 3"),
    ("*/0 * * * *", "a step of 0"),
    ("0 0 * foo *", "not a number or a name"),
    ("0 0 30 2 *", "never runs"),                          # dom AND dow when dow is *: no 30 February
    ("0 0 31 4,6,9,11 *", "never runs"),
    ("0 0 , * *", "lists nothing"),
    ("@every Xm", "is not a duration"),
    ("@every -1h", "must be positive"),
    ("@every 0s", "must be positive"),
    ("@unrecognized", "unknown cron descriptor"),
    ("@dailly", "did you mean '@daily'?"),
    ("CRON_TZ=UTC 0 3 * * *", "set `timezone:` instead"),
    ("TZ=Europe/Berlin 0 3 * * *", "set `timezone:` instead"),
]


@pytest.mark.parametrize("expression", ACCEPTED)
def test_accepted_as_robfig_accepts_it(expression: str) -> None:
    assert check_cron(expression) == expression


@pytest.mark.parametrize(("expression", "message"), REFUSED, ids=[e or "empty" for e, _ in REFUSED])
def test_refused_with_a_reason(expression: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        check_cron(expression)
    assert message in str(error.value)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5", "US/Pacific"])
def test_iana_zones_load(zone: str) -> None:
    assert check_timezone(zone) == zone


@pytest.mark.parametrize(("zone", "message"), [
    ("Europe/Berln", "did you mean 'Europe/Berlin'?"),
    ("europe/berlin", "did you mean 'Europe/Berlin'?"),  # Go's zoneinfo is case-sensitive
    ("Local", "whatever zone the Argo controller's machine is in"),
    ("", "unknown time zone"),
    ("../etc/passwd", "unknown time zone"),
    ("Mars/Olympus_Mons", "unknown time zone"),
])
def test_unknown_zones_are_refused(zone: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        check_timezone(zone)
    assert message in str(error.value)


def test_zones_come_from_the_tzdata_package_not_the_machine() -> None:
    """With no system database (an empty TZPATH) the same names validate: they come from `tzdata`."""
    code = ("import zoneinfo; zoneinfo.reset_tzpath([]); from compiler.spec.schedule import check_timezone; "
            "print(check_timezone('Europe/Berlin'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={"PYTHONTZPATH": "", "PATH": ""})
    assert result.stdout.strip() == "Europe/Berlin", result.stderr
