"""Cron schedules and time zones, checked the way the Argo CronWorkflow controller reads them.

Argo v4.1.2 validates every entry of `spec.schedules` with robfig/cron v3.0.1's `ParseStandard`
(`workflow/validate/validate.go: CronWorkflow`) and runs it as `CRON_TZ=<timezone> <schedule>`
(`pkg/apis/workflow/v1alpha1/cron_workflow_types.go: withTimezone`); `timezone` must load with
Go's `time.LoadLocation` (the controller embeds Go's copy of the IANA database, `time/tzdata`).

`check_cron` re-implements `ParseStandard` (robfig/cron v3.0.1 `parser.go`: `Parse`, `getField`,
`getRange`, `parseIntOrName`, `mustParseInt`, `parseDescriptor`; bounds from `spec.go`):
- five whitespace-separated fields, minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or
  JAN-DEC, day-of-week 0-6 or SUN-SAT (7 is not Sunday there), names in any case;
- each field a comma-separated list of `*`, `?`, `N`, `N-M`, each optionally `/STEP` (`N/STEP` means
  N to the field's maximum); a step of 0, a range running backwards or out of bounds is refused;
- descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`,
  and `@every <Go duration>`.
Beyond the parser it refuses what parses but never runs, which Argo accepts silently: a field
that lists nothing (`,`), a day-of-month no month has (`0 0 30 2 *`, robfig's `dayMatches` ANDs
the two day fields when either is `*`), `@every` with a duration that is not positive, and a
`CRON_TZ=`/`TZ=` prefix (Argo adds its own, and two prefixes are six fields at run time).

`check_timezone` accepts the IANA names of the `tzdata` package (a dependency, so machines without
a system time-zone database validate the same way), matched exactly: Go loads zones from a
case-sensitive zip, so `europe/berlin` fails there even where a case-insensitive disk finds it.
`Local` (the controller's own zone) is refused: it is not a name, and it changes with the machine.
"""
from __future__ import annotations

import difflib
import re
from functools import cache

__all__ = ["CronTimes", "check_cron", "check_timezone", "cron_times", "max_gap_seconds", "runs_per_month"]

_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DAYS = {name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
#: (name, minimum, maximum, names) of the five fields of ParseStandard, in order.
_FIELDS = (("minute", 0, 59, None), ("hour", 0, 23, None), ("day-of-month", 1, 31, None),
           ("month", 1, 12, _MONTHS), ("day-of-week", 0, 6, _DAYS))
_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
#: Days in each month, February in a leap year (robfig searches five years ahead, so 29 February comes).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_INTEGER = re.compile(r"[+-]?[0-9]+")  # Go's strconv.Atoi
# Go's time.ParseDuration: a signed sequence of decimal numbers, each with a unit.
_DURATION = re.compile(r"[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+")
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_EXAMPLE = 'e.g. "0 3 * * *" (03:00 every day) or "@daily"'
_STAR = "*"


def check_cron(expression: str) -> str:
    """Return `expression` if Argo's cron parser accepts it and it runs at some time; raise ValueError saying why not."""
    cron_times(expression)
    return expression


class CronTimes:
    """When a valid schedule fires: the values of its five fields (a descriptor as its five-field form),
    or `every` seconds for `@every <duration>`."""

    def __init__(self, fields: list["_Field"] | None, every: float | None = None):
        self.every = every
        self.minutes, self.hours, self.days_of_month, self.months, self.days_of_week = (
            [frozenset(f.values) for f in fields] if fields else [frozenset()] * 5)
        self.dom_star = bool(fields) and fields[2].star
        self.dow_star = bool(fields) and fields[4].star


#: The descriptors as robfig/cron v3.0.1 parser.go parseDescriptor expands them.
_DESCRIPTOR_FIELDS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                      "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def cron_times(expression: str) -> CronTimes:
    """The parsed schedule (see `check_cron` for what is refused, with ValueError saying why)."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError(f"empty cron schedule; write 5 fields: minute hour day-of-month month day-of-week, {_EXAMPLE}")
    if expression.startswith(("TZ=", "CRON_TZ=")):
        raise ValueError(f"cron schedule {expression!r} carries its own time zone: set `timezone:` instead (Argo "
                         "prefixes CRON_TZ=<timezone> itself, and a second prefix makes the schedule unreadable)")
    if expression.startswith("@"):
        every = _check_descriptor(expression)
        if every is not None:
            return CronTimes(None, every)
        expression = _DESCRIPTOR_FIELDS[expression]
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron schedule {expression!r} has {len(fields)} field{'s' * (len(fields) != 1)}; write 5: "
                         f"minute hour day-of-month month day-of-week, {_EXAMPLE}")
    parsed = [_field(text, *spec, expression) for text, spec in zip(fields, _FIELDS)]
    _check_runs(expression, parsed)
    return CronTimes(parsed)


DAY = 86400
WEEK = 7 * DAY
#: Days in a month on average over the Gregorian 400-year cycle (146097 days / 4800 months).
DAYS_PER_MONTH = 146097 / 4800


def max_gap_seconds(expression: str) -> int:
    """The longest time between two runs of a valid schedule: how long silence from a scheduled job is normal.

    Exact for schedules that repeat daily or weekly (and `@every`); one that restricts the day of the
    month repeats at most monthly (31 days), one that restricts the month at most yearly (366 days).
    """
    times = cron_times(expression)
    if times.every is not None:
        return max(1, int(-(-times.every // 1)))
    if len(times.months) < 12:
        return 366 * DAY
    if not times.dom_star:
        return 31 * DAY
    clock = sorted(h * 3600 + m * 60 for h in times.hours for m in times.minutes)
    days = sorted(times.days_of_week) if not times.dow_star else list(range(7))
    runs = [d * DAY + c for d in days for c in clock]
    gaps = [later - earlier for earlier, later in zip(runs, runs[1:])] + [runs[0] + WEEK - runs[-1]]
    return max(gaps)


def runs_per_month(expression: str) -> float:
    """About how many times a valid schedule fires in an average month (for cost estimates).

    Days match as robfig's `dayMatches` does: both day fields when either is `*`, else either one
    (the overlap of the two is counted once, assuming weekdays fall evenly on the days of the month).
    """
    times = cron_times(expression)
    if times.every is not None:
        return DAYS_PER_MONTH * DAY / times.every
    per_day = len(times.hours) * len(times.minutes)
    # Days of the selected months in an average year, and of those the selected days of the month
    # (29 February counts as the 97 leap days of 400 years: 0.2425).
    month_days = sum(_average_length(m) for m in times.months)
    listed_days = sum(0.2425 if (m, d) == (2, 29) else 1.0
                      for m in times.months for d in times.days_of_month if d <= _MONTH_DAYS[m - 1])
    weekday_share = len(times.days_of_week) / 7
    if times.dom_star and times.dow_star:
        days = month_days
    elif times.dow_star:
        days = listed_days
    elif times.dom_star:
        days = month_days * weekday_share
    else:
        days = listed_days + month_days * weekday_share - listed_days * weekday_share
    return per_day * days / 12


def _average_length(month: int) -> float:
    return 28.2425 if month == 2 else _MONTH_DAYS[month - 1]


def _check_descriptor(expression: str) -> float | None:
    """None for a named descriptor; the interval in seconds for `@every`."""
    if expression in _DESCRIPTORS:
        return None
    if expression.startswith("@every "):
        duration = expression[len("@every "):]
        if not (duration == "0" or _DURATION.fullmatch(duration)):
            raise ValueError(f"cron schedule {expression!r}: {duration!r} is not a duration; write e.g. "
                             "\"@every 30m\" or \"@every 1h30m\" (units h, m, s, ms, us, ns)")
        seconds = sum(float(number or 0) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(duration))
        if duration.startswith("-") or seconds <= 0:
            raise ValueError(f"cron schedule {expression!r}: the interval must be positive, e.g. \"@every 30m\"")
        return seconds
    close = difflib.get_close_matches(expression, _DESCRIPTORS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"unknown cron descriptor {expression!r}{hint}; valid: {', '.join(_DESCRIPTORS)}, "
                     "or @every <duration>")


class _Field:
    """The values one field selects, and whether it was written as `*`/`?` (robfig's star bit)."""

    def __init__(self) -> None:
        self.values: set[int] = set()
        self.star = False


def _field(text: str, name: str, low: int, high: int, names: dict[str, int] | None, expression: str) -> _Field:
    result = _Field()
    ranges = [part for part in text.split(",") if part]  # strings.FieldsFunc drops empty items
    if not ranges:
        raise ValueError(f"cron schedule {expression!r}: the {name} field {text!r} lists nothing, so the "
                         "schedule never runs; write a value, a range (1-5), a list (1,15) or *")
    for part in ranges:
        _range(part, name, low, high, names, expression, result)
    return result


def _range(part: str, name: str, low: int, high: int, names: dict[str, int] | None, expression: str,
           result: _Field) -> None:
    where = f"cron schedule {expression!r}, {name} field {part!r}"
    range_and_step = part.split("/")
    bounds = range_and_step[0].split("-")
    star = False
    if bounds[0] in ("*", "?"):
        start, end, star = low, high, True
    else:
        start = _number(bounds[0], names, where)
        if len(bounds) == 1:
            end = start
        elif len(bounds) == 2:
            end = _number(bounds[1], names, where)
        else:
            raise ValueError(f"{where}: too many '-'; a range is START-END, e.g. 1-5")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1], None, where)
        if len(bounds) == 1:
            end = high  # "N/STEP" runs from N to the field's maximum
        if step > 1:
            star = False
    else:
        raise ValueError(f"{where}: too many '/'; a step is RANGE/STEP, e.g. */15")
    valid = f"{name} runs from {low} to {high}" + (" (or names: " + ", ".join(n.upper() for n in names) + ")"
                                                    if names else "")
    if start < low:
        raise ValueError(f"{where}: {start} is below {low}; {valid}")
    if end > high:
        extra = "; Sunday is 0 (or SUN), not 7" if name == "day-of-week" and end == 7 else ""
        raise ValueError(f"{where}: {end} is above {high}{extra}; {valid}")
    if start > end:
        raise ValueError(f"{where}: the range starts at {start}, after its end {end}; write the smaller value first")
    if step == 0:
        raise ValueError(f"{where}: a step of 0 never advances; write a positive step, e.g. */15")
    result.values.update(range(start, end + 1, step))
    result.star = result.star or star


def _number(text: str, names: dict[str, int] | None, where: str) -> int:
    if names is not None and text.lower() in names:
        return names[text.lower()]
    if not _INTEGER.fullmatch(text):
        named = " or a name (" + ", ".join(n.upper() for n in names) + ")" if names else ""
        raise ValueError(f"{where}: {text!r} is not a number{named}")
    number = int(text)
    if number < 0:
        raise ValueError(f"{where}: negative numbers are not allowed")
    return number


def _check_runs(expression: str, fields: list[_Field]) -> None:
    """Refuse a day-of-month that no month selected has, when robfig must match it (see the module docstring)."""
    _, _, dom, month, dow = fields
    if not (dom.star or dow.star):
        return  # either day field may match: it runs on the weekdays at least
    if any(day <= _MONTH_DAYS[m - 1] for m in month.values for day in dom.values):
        return
    days = ", ".join(str(day) for day in sorted(dom.values))
    raise ValueError(f"cron schedule {expression!r} never runs: no month it selects has day {days}; "
                     "pick a day that month has (February has at most 29)")


@cache
def _zone_names() -> frozenset[str] | None:
    """Every IANA zone name the tzdata package ships (its `zones` file), or None without the package."""
    try:
        import tzdata
    except ImportError:  # pragma: no cover - tzdata is a dependency; the system database is the fallback
        return None
    from pathlib import Path

    return frozenset(Path(tzdata.__file__).with_name("zones").read_text(encoding="utf-8").split())


def check_timezone(name: str) -> str:
    """Return `name` if it is an IANA time zone Go's LoadLocation loads; raise ValueError naming close ones."""
    if name == "UTC":
        return name
    known = _zone_names()
    if known is not None:
        valid = name in known
    else:  # pragma: no cover
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(name)
            valid = True
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            valid = False
    if valid:
        return name
    if name == "Local":
        raise ValueError("timezone 'Local' is whatever zone the Argo controller's machine is in; name one, "
                         "e.g. UTC or Europe/Berlin")
    close = difflib.get_close_matches(name, sorted(known or ()), n=1, cutoff=0.6)
    if not close and known:
        close = [zone for zone in sorted(known) if zone.lower() == name.lower()][:1]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"unknown time zone {name!r}{hint}; use an IANA name (Area/Location), e.g. UTC, "
                     "Europe/Berlin, America/New_York")
