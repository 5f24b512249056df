"""The longest time between two runs of a cron schedule: how long silence from a scheduled job is normal.

Exact for schedules that repeat daily or weekly (restricted minute, hour and day-of-week fields);
a schedule that restricts the day of the month repeats at most monthly (31 days), one that restricts
the month at most yearly (366 days). The schedule is already validated (5 fields or a shorthand).
"""
from __future__ import annotations

DAY = 86400
WEEK = 7 * DAY
_SHORTHANDS = {"@hourly": 3600, "@daily": DAY, "@midnight": DAY, "@weekly": WEEK, "@monthly": 31 * DAY,
               "@yearly": 366 * DAY, "@annually": 366 * DAY}
_DAY_NAMES = {name: index for index, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """The values a cron field selects (`*`, `a-b`, `*/n`, `a-b/n`, lists; day names)."""
    result: set[int] = set()
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(base, names)
            end = high if step_text else start
        result.update(range(start, end + 1, max(step, 1)))
    return result


def _number(text: str, names: dict[str, int] | None) -> int:
    return names[text[:3]] if names and text[:3] in names else int(text)


def max_gap_seconds(schedule: str) -> int:
    """The longest interval between consecutive runs of `schedule`, in seconds."""
    if schedule.startswith("@"):
        return _SHORTHANDS[schedule]
    minute, hour, day_of_month, month, day_of_week = schedule.split()
    if month not in ("*", "?"):
        return 366 * DAY
    if day_of_month not in ("*", "?"):
        return 31 * DAY
    times = sorted(h * 3600 + m * 60 for h in _values(hour, 0, 23) for m in _values(minute, 0, 59))
    days = sorted({d % 7 for d in _values(day_of_week, 0, 7, _DAY_NAMES)}) if day_of_week not in ("*", "?") \
        else list(range(7))
    runs = [d * DAY + t for d in days for t in times]
    gaps = [later - earlier for earlier, later in zip(runs, runs[1:])] + [runs[0] + WEEK - runs[-1]]
    return max(gaps)
