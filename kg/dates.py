"""Publication dates at the precision the source has (ISO 8601 prefixes).

A date becomes ``YYYY-MM-DD`` (``xsd:date``), ``YYYY-MM`` (``xsd:gYearMonth``)
or ``YYYY`` (``xsd:gYear``). A part that cannot exist (month 00, 2019-02-30)
is dropped, with the finer parts after it, and the reduction is reported.
"""
from __future__ import annotations

import calendar
import re

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_name) if name})
MONTHS.update({"sept": 9})


def from_parts(year: object, month: object = None, day: object = None) -> tuple[str | None, str | None]:
    """ISO prefix from date parts (as in CSL/Crossref ``date-parts``).

    :returns: (the date at its valid precision or None, a message when parts
        were dropped or the year is unusable, else None).
    """
    original = "-".join(str(p) for p in (year, month, day) if p not in (None, ""))
    try:
        y = int(str(year).strip())
    except (TypeError, ValueError):
        return None, f"unusable date {original!r}: no year"
    if not 1000 <= y <= 2999:
        return None, f"unusable date {original!r}: year {y} out of range"
    if month in (None, ""):
        return f"{y:04d}", None
    try:
        m = int(month) if str(month).strip().isdigit() else MONTHS[str(month).strip().lower().rstrip(".")]
    except KeyError:
        return f"{y:04d}", f"impossible date {original!r} reduced to {y:04d} (month {month!r})"
    if not 1 <= m <= 12:
        return f"{y:04d}", f"impossible date {original!r} reduced to {y:04d}"
    if day in (None, ""):
        return f"{y:04d}-{m:02d}", None
    try:
        d = int(day)
    except (TypeError, ValueError):
        return f"{y:04d}-{m:02d}", f"impossible date {original!r} reduced to {y:04d}-{m:02d}"
    if not 1 <= d <= calendar.monthrange(y, m)[1]:
        return f"{y:04d}-{m:02d}", f"impossible date {original!r} reduced to {y:04d}-{m:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}", None


def parse_date(text: str) -> tuple[str | None, str | None]:
    """ISO prefix from a date string (``2019``, ``2019-07``, ``2019-07-15``,
    ``2019-07-15T00:00:00Z``, ``2019/7/15``).

    :returns: (date or None, message or None) as :func:`from_parts`.
    """
    t = text.strip()
    m = re.match(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?:[T ].*)?$", t)
    if not m:
        return None, f"unusable date {text!r}"
    return from_parts(m.group(1), m.group(2), m.group(3))
