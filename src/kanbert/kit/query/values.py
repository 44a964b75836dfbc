"""Turning filter values into typed Python values for one field kind.

Dates and datetimes may be given as a whole day (`2024-05-01`, `today`): with a datetime field
that day becomes a half-open range so `eq` covers the day and comparisons include or exclude it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from kanbert.kit.ids import looks_like_id
from kanbert.kit.query.ast import Special
from kanbert.kit.query.fields import Field, Kind

_SPECIAL_TEXT = re.compile(r"^(me\.id|now|today(?:([+-]\d+)d)?|sow|eow|som|eom)$")


class ValueError400(ValueError):
    """A value that does not fit its field; the message is shown to the caller."""


@dataclass(frozen=True)
class ValueContext:
    """What special values resolve against: the caller and the current instant."""

    me_id: str
    now: datetime
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)


@dataclass(frozen=True)
class DayRange:
    """The instants of whole days, [start, end)."""

    start: datetime
    end: datetime


def special_from_text(text: str) -> Special | None:
    match = _SPECIAL_TEXT.match(text)
    if not match:
        return None
    if match.group(1).startswith("today"):
        return Special("today", int(match.group(2) or 0))
    return Special(match.group(1))


def _special_days(special: Special, ctx: ValueContext) -> tuple[date, date]:
    """The first and last day a date-like special value covers."""
    today = ctx.today()
    if special.name == "today":
        day = today + timedelta(days=special.offset_days)
        return day, day
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    next_month = (first_of_month + timedelta(days=32)).replace(day=1)
    spans = {
        "sow": (monday, monday),
        "eow": (monday + timedelta(days=6), monday + timedelta(days=6)),
        "som": (first_of_month, first_of_month),
        "eom": (next_month - timedelta(days=1), next_month - timedelta(days=1)),
        "now": (today, today),
    }
    if special.name not in spans:
        raise ValueError400(f"'{special.name}' is not a date")
    return spans[special.name]


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError400(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _date_value(raw: Any, ctx: ValueContext) -> date:
    special = raw if isinstance(raw, Special) else None
    if isinstance(raw, str) and not special:
        special = special_from_text(raw)
    if special:
        return _special_days(special, ctx)[0]
    if isinstance(raw, str) and len(raw) == 10:
        return _parse_date(raw)
    raise ValueError400(f"{_show(raw)} is not a date (YYYY-MM-DD)")


def _datetime_value(raw: Any, ctx: ValueContext) -> datetime | DayRange:
    special = raw if isinstance(raw, Special) else None
    if isinstance(raw, str) and not special:
        special = special_from_text(raw)
    if special:
        return _special_instant(special, ctx)
    if not isinstance(raw, str):
        raise ValueError400(f"{_show(raw)} is not a date-time")
    if len(raw) == 10:
        day = _parse_date(raw)
        return DayRange(ctx.start_of(day), ctx.start_of(day + timedelta(days=1)))
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError400(f"'{raw}' is not an RFC 3339 date-time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _special_instant(special: Special, ctx: ValueContext) -> datetime | DayRange:
    if special.name == "now":
        return ctx.now
    first, last = _special_days(special, ctx)
    if special.name == "today":
        return DayRange(ctx.start_of(first), ctx.start_of(last + timedelta(days=1)))
    if special.name in ("eow", "eom"):
        return ctx.start_of(last + timedelta(days=1)) - timedelta(microseconds=1)
    return ctx.start_of(first)


def _number_value(raw: Any) -> int | float | Decimal:
    if isinstance(raw, bool):
        raise ValueError400(f"{_show(raw)} is not a number")
    if isinstance(raw, int | float):
        return _in_range(raw)
    if isinstance(raw, str):
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            raise ValueError400(f"'{raw}' is not a number") from None
        if number.is_finite():
            value = int(number) if number == number.to_integral_value() else float(number)
            return _in_range(value)
    raise ValueError400(f"{_show(raw)} is not a number")


def _in_range(number: int | float) -> int | float:
    # An int too large for a float (e.g. 400 digits, or `1e400` given as a string) cannot be
    # bound on SQLite (OverflowError) nor compared with a float column on PostgreSQL: a 500.
    try:
        as_float = float(number)
    except OverflowError:
        as_float = math.inf
    if not math.isfinite(as_float):
        text = str(number)
        raise ValueError400(f"{text if len(text) <= 24 else text[:24] + '…'} is out of range")
    return number


def _boolean_value(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false", "1", "0"):
        return raw.lower() in ("true", "1")
    raise ValueError400(f"{_show(raw)} is not a boolean (true or false)")


def _show(raw: Any) -> str:
    if isinstance(raw, Special):
        return raw.name if not raw.offset_days else f"{raw.name}{raw.offset_days:+d}d"
    return repr(raw) if isinstance(raw, str) else str(raw).lower() if raw is not None else "null"


def coerce(field: Field, raw: Any, ctx: ValueContext) -> Any:
    """The typed value of `raw` for `field`, or ValueError400 naming what is wrong."""
    if isinstance(raw, str) and "\x00" in raw:
        # No engine stores NUL in text and PostgreSQL rejects it even as a parameter.
        raise ValueError400("a value must not contain NUL characters")
    kind = field.kind
    if kind is Kind.string:
        if isinstance(raw, str):
            return raw
        raise ValueError400(f"{_show(raw)} is not a string")
    if kind is Kind.id:
        if raw == Special("me.id") or raw == "me.id":
            return ctx.me_id
        if looks_like_id(raw):
            return raw
        raise ValueError400(f"{_show(raw)} is not an id")
    if kind is Kind.enum:
        if isinstance(raw, str) and raw in field.choices:
            return raw
        raise ValueError400(f"{_show(raw)} is not one of: {', '.join(field.choices)}")
    if kind is Kind.boolean:
        return _boolean_value(raw)
    if kind in (Kind.date, Kind.datetime):
        try:
            return _date_value(raw, ctx) if kind is Kind.date else _datetime_value(raw, ctx)
        except OverflowError:
            # `today+99999999d`, the day after 9999-12-31 (the end of `eq "9999-12-31"`) or
            # 0001-01-01 with a positive offset fall outside what Python dates hold: was a 500.
            raise ValueError400(f"{_show(raw)} is out of range") from None
    return _number_value(raw)
