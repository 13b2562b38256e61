"""The one clock and timestamp format of the records and API answers: UTC, to the second,
written `2026-11-21T23:59:59Z`."""
from __future__ import annotations

from datetime import date, datetime, time, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None = None) -> str:
    """`moment` (default: now) in the records' format."""
    return (moment or utc_now()).astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def end_of_day(day: date) -> datetime:
    """The last second (UTC) of `day`: when a credential 'expiring on' that date stops working."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
