"""The test suite's clock: every test runs pinned, never on the wall clock.

The session starts at ``DEFAULT_INSTANT`` (or ``--clock``/``FESTIVAL_TEST_CLOCK``);
each test is put back at its module's ``clock_at`` before it runs, and time then
ticks on from there, so tests that wait for a worker or a browser still see
time pass. Modules whose behaviour depends on the time of day (the demo data,
the clock) override ``clock_at`` with ``INSTANTS`` to run at each of them.
Subprocesses (the Celery worker tests) start through ``tests/clock_shim.py``,
which carries the same offset from the wall clock into them.
"""

import time
from datetime import UTC, datetime

import time_machine

# A weekday morning in Beijing, a few days before the festival season; nothing special.
DEFAULT_INSTANT = "2026-11-26T06:00:00+00:00"

# The instants that found time-of-day and date bugs, or could: 01:30 UTC (09:30 in
# Beijing, before the demo's daily 10:00 prices: the failure that opened issue 10),
# noon UTC (20:00 in Beijing, past the day's prices), 23:30 UTC (07:30 the next day
# in Beijing), a date in June and one at a year's end (the festival day and the year
# roll over in Beijing first). 00:30 UTC was one too, until the suite's time mattered:
# it is 01:30's case (a Beijing morning before the prices, on the same date), and each
# instant costs the demo's modules a full seeding.
INSTANTS = {
    "01:30Z": "2026-11-28T01:30:00+00:00",
    "12:00Z": "2026-11-28T12:00:00+00:00",
    "23:30Z": "2026-11-28T23:30:00+00:00",
    "june": "2027-06-15T09:00:00+00:00",
    "year-end": "2026-12-31T17:30:00+00:00",
}


def parse(value: str) -> datetime:
    """An ISO instant (an offset is required), or ``now`` for the wall clock's present."""
    if value == "now":
        return datetime.fromtimestamp(_wall_clock(), tz=UTC)
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"the test clock needs an offset, e.g. {value}+00:00")
    return instant


def _wall_clock() -> float:
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.time.time()
    return time.time()


def offset_from_wall_clock() -> float:
    """Seconds between the pinned clock now and the real one (for subprocesses)."""
    return time.time() - _wall_clock()


def at_each_instant():
    """A module-scoped ``clock_at`` that runs the module once at each of ``INSTANTS``:
    ``clock_at = clock.at_each_instant()`` at the top of a test module."""
    import pytest

    @pytest.fixture(scope="module", name="clock_at", params=[parse(v) for v in INSTANTS.values()], ids=list(INSTANTS))
    def clock_at(request):
        return request.param

    return clock_at


def instant_of(nodeid: str) -> str | None:
    """The ``INSTANTS`` name a test runs at, read from its id (``test_x[23:30Z]``)."""
    params = nodeid.partition("[")[2]
    return next((name for name in INSTANTS if name in params), None)
