"""The days parcel figures are read over: a festival's own days (in its time zone) and
its baseline, the 30 days on each side that carriers may also report."""

from dataclasses import dataclass
from datetime import date, timedelta

BASELINE_DAYS = 30


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    def __contains__(self, day) -> bool:
        return self.first <= day <= self.last

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def __len__(self) -> int:
        return (self.last - self.first).days + 1

    def __str__(self) -> str:
        return f"{self.first.isoformat()}–{self.last.isoformat()}"


def festival_period(festival) -> Period:
    """The festival's own days, from its first local day to its last."""
    return Period(festival.local(festival.starts_at).date(), festival.local(festival.ends_at).date())


def reporting_period(festival) -> Period:
    """The days carriers may report for a festival: its days widened by the baseline on each side."""
    own = festival_period(festival)
    return Period(own.first - timedelta(days=BASELINE_DAYS), own.last + timedelta(days=BASELINE_DAYS))


def baseline_before(festival) -> Period:
    """As many days as the festival has, just before it: what the festival's days are compared with."""
    own = festival_period(festival)
    return Period(own.first - timedelta(days=len(own)), own.first - timedelta(days=1))


def shown_period(festival) -> Period:
    """What the dashboard shows: the baseline just before the festival, then the festival's days."""
    return Period(baseline_before(festival).first, festival_period(festival).last)
