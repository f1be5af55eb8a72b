"""The posting streak: consecutive days with a post, where Sunday is a rest day.

A Sunday without a post neither breaks a streak nor adds to it; a Sunday with a post
counts like any other day. Today does not break the current streak before it is over.
"""

from __future__ import annotations

import calendar
import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

REST_WEEKDAY = calendar.SUNDAY  # 6: Monday is 0


@dataclass(frozen=True)
class Streak:
    current: int  # posting days in the streak still alive today
    longest: int  # posting days in the longest streak ever
    total_days: int  # days with at least one post


def is_rest_day(day: date) -> bool:
    return day.weekday() == REST_WEEKDAY


def compute_streak(days: Iterable[date], today: date) -> Streak:
    """Current and longest streaks over the days that have at least one post."""
    posted = sorted(set(d for d in days if d <= today))
    if not posted:
        return Streak(0, 0, 0)
    longest = run = 0
    previous: date | None = None
    for day in posted:
        run = run + 1 if previous is not None and _only_rest_between(previous, day) else 1
        longest = max(longest, run)
        previous = day
    # The last run is still alive if no working day before today was missed since.
    current = run if _alive(posted[-1], today) else 0
    return Streak(current=current, longest=longest, total_days=len(posted))


def _only_rest_between(earlier: date, later: date) -> bool:
    """True when every day strictly between the two is a rest day."""
    day = earlier + timedelta(days=1)
    while day < later:
        if not is_rest_day(day):
            return False
        day += timedelta(days=1)
    return True


def _alive(last_post: date, today: date) -> bool:
    """Today may still get its post: only the days before today can break the streak."""
    return last_post == today or _only_rest_between(last_post, today)


def month_grid_html(days: Iterable[date], today: date, months: int = 3) -> str:
    """An HTML calendar of the last `months` months: posted, missed, rest and future days.

    A blog whose last post is older than that shows the months of its last posts instead
    of a wall of missed days.
    """
    posted = set(days)
    first_post = min(posted, default=today)
    last_month = date(today.year, today.month, 1)
    first_month = _add_months(last_month, -(months - 1))
    last_post = max((d for d in posted if d <= today), default=None)
    quiet_after: date | None = None  # a blog at rest: the days after its last post
    if last_post is not None and last_post < first_month:
        last_month = date(last_post.year, last_post.month, 1)
        first_month = _add_months(last_month, -(months - 1))
        quiet_after = last_post
    parts = ['<div class="dlip-streak-months">']
    for i in range(months):
        month_start = _add_months(first_month, i)
        parts.append(_month_table(month_start, posted, today, first_post, quiet_after))
    parts.append("</div>")
    legend = (
        '<p class="dlip-streak-legend">'
        '<span class="dlip-day posted"></span> posted '
        '<span class="dlip-day missed"></span> missed '
        '<span class="dlip-day rest"></span> Sunday, a rest day</p>'
    )
    return "\n".join(parts) + "\n" + legend


def _month_table(month_start: date, posted: set[date], today: date, first_post: date,
                 quiet_after: date | None = None) -> str:
    name = f"{calendar.month_name[month_start.month]} {month_start.year}"
    rows = [f'<table class="dlip-streak-month"><caption>{html.escape(name)}</caption>',
            "<thead><tr>" + "".join(f"<th>{d}</th>" for d in ("M", "T", "W", "T", "F", "S", "S"))
            + "</tr></thead><tbody>"]
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(
        month_start.year, month_start.month
    ):
        cells = []
        for day in week:
            if day.month != month_start.month:
                cells.append('<td class="dlip-day outside"></td>')
                continue
            state = _state(day, posted, today, first_post)
            if quiet_after is not None and day > quiet_after and state == "missed":
                state = "after"  # not a wall of missed days for a blog at rest
            label = f"{day.isoformat()}: {state}"
            cells.append(f'<td class="dlip-day {state}" title="{label}">{day.day}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _state(day: date, posted: set[date], today: date, first_post: date) -> str:
    if day in posted:
        return "posted"
    if day >= today:
        return "future"
    if day < first_post:
        return "before"
    if is_rest_day(day):
        return "rest"
    return "missed"


def _add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)
