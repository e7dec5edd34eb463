"""Reporting parcels through logistics.services: every refusal (per row: index, field,
message; nothing stored), all or nothing, replacement with the replaced figures kept."""

from datetime import timedelta

import pytest
from django.db import IntegrityError

from core.workflow import DomainError
from logistics import services
from logistics.models import Carrier, ParcelReport, ParcelReportVersion
from tests.factories import FestivalFactory

from .conftest import first_day, row

pytestmark = pytest.mark.django_db


def _report(carrier, rows, **kwargs):
    return services.report_parcels(carrier, rows, channel="api", reporter="test", **kwargs)


def _refusals(carrier, rows):
    with pytest.raises(services.ParcelReportsRefused) as refused:
        _report(carrier, rows)
    return [(e.index, e.field, e.message) for e in refused.value.errors]


def test_a_day_for_every_province_is_stored_in_one_call(festival, carrier):
    from festival.models import Province

    day = first_day(festival)
    rows = [row(day, code) for code in Province.objects.values_list("code", flat=True)]

    outcome = _report(carrier, rows)

    assert outcome.as_dict() == {"stored": 34, "created": 34, "replaced": 0, "unchanged": 0}
    assert ParcelReport.objects.filter(carrier=carrier, date=day).count() == 34
    stored = ParcelReport.objects.get(carrier=carrier, date=day, province_id="330000")
    assert stored.figures() == (1000, 900, 100, 200)
    assert (stored.channel, stored.reporter) == ("api", "test")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("collected", -1, "Cannot be negative."),
        ("delivered", 12.5, "Enter a whole number of parcels."),
        ("rural_delivered", "200", "Enter a whole number of parcels."),
        ("rural_collected", True, "Enter a whole number of parcels."),
        ("collected", None, "This field is required."),
        ("collected", 10**12, "Larger than any day's parcels can be"),
    ],
)
def test_bad_counts_are_refused_per_row_and_nothing_is_stored(festival, carrier, field, value, message):
    day = first_day(festival)
    rows = [row(day, "110000"), row(day, "330000", **{field: value})]

    refusals = _refusals(carrier, rows)

    assert [(index, name) for index, name, _message in refusals] == [(1, field)]
    assert refusals[0][2].startswith(message)
    assert not ParcelReport.objects.exists()


def test_rural_above_the_total_is_refused(festival, carrier):
    rows = [row(first_day(festival), collected=100, rural_collected=101, delivered=50, rural_delivered=51)]

    refusals = _refusals(carrier, rows)

    assert refusals == [
        (0, "rural_collected", "rural_collected (101) cannot be more than collected (100)."),
        (0, "rural_delivered", "rural_delivered (51) cannot be more than delivered (50)."),
    ]
    assert not ParcelReport.objects.exists()


@pytest.mark.parametrize("province", ["999999", "33000", "", 330000.0, None])
def test_an_unknown_province_is_refused(festival, carrier, province):
    refusals = _refusals(carrier, [row(first_day(festival), province)])

    assert [(index, field) for index, field, _m in refusals] == [(0, "province")]
    assert not ParcelReport.objects.exists()


def test_a_province_code_as_a_json_number_is_accepted(festival, carrier):
    _report(carrier, [row(first_day(festival), 330000)])

    assert ParcelReport.objects.get().province_id == "330000"


def test_dates_outside_the_window_widened_by_30_days_are_refused(festival, carrier):
    first = first_day(festival)
    rows = [
        row(first - timedelta(days=30)),  # the baseline's first day: accepted
        row(first - timedelta(days=31), "110000"),
        row("2026-02-30", "120000"),
        row("01/12/2026", "130000"),
    ]

    refusals = _refusals(carrier, rows)

    assert [(index, field) for index, field, _m in refusals] == [(1, "date"), (2, "date"), (3, "date")]
    assert "outside every festival's reporting window" in refusals[0][2]
    assert "30 days on each side" in refusals[0][2]
    assert refusals[1][2] == "“2026-02-30” is not a date."
    assert refusals[2][2] == "Enter the day as YYYY-MM-DD."
    assert not ParcelReport.objects.exists()


def test_a_day_that_has_not_begun_is_refused(carrier):
    upcoming = FestivalFactory()  # opens in ten days: its baseline starts before today
    tomorrow = upcoming.local(upcoming.starts_at).date() - timedelta(days=9)

    refusals = _refusals(carrier, [row(tomorrow)])

    assert refusals == [(0, "date", f"{tomorrow.isoformat()} has not begun yet; report a day once it has.")]


def test_the_same_day_and_province_twice_in_one_call_is_refused(festival, carrier):
    day = first_day(festival)
    rows = [row(day), row(day, "110000"), row(day, collected=5000)]

    refusals = _refusals(carrier, rows)

    assert refusals == [
        (2, "date", f"Row 0 already reports 330000 on {day.isoformat()}; send each day and province once.")
    ]
    assert not ParcelReport.objects.exists()


def test_unknown_fields_and_non_objects_are_refused(festival, carrier):
    refusals = _refusals(carrier, [row(first_day(festival), colected=5), "a row"])

    assert [(index, field) for index, field, _m in refusals] == [(0, "colected"), (1, "row")]


def test_one_bad_row_among_many_stores_nothing(festival, carrier):
    day = first_day(festival)
    _report(carrier, [row(day, collected=10, rural_collected=1)])
    rows = [row(day + timedelta(days=n % 10), f"{110000 + (n // 10) * 10000}") for n in range(40)]
    rows.append(row(day, "440000", delivered=-5))

    _refusals(carrier, rows)

    assert ParcelReport.objects.count() == 1
    assert ParcelReport.objects.get().collected == 10  # the earlier report is untouched
    assert not ParcelReportVersion.objects.exists()


def test_a_new_report_replaces_the_old_one_and_keeps_it_in_history(festival, carrier, other_carrier):
    day = first_day(festival)
    _report(carrier, [row(day, collected=1000), row(day, "110000")])
    _report(other_carrier, [row(day, collected=700)])

    outcome = services.report_parcels(
        carrier,
        [row(day, collected=1200, rural_collected=150), row(day, "110000")],
        channel="import",
        reporter="bureau",
    )

    assert outcome.as_dict() == {"stored": 2, "created": 0, "replaced": 1, "unchanged": 1}
    report = ParcelReport.objects.get(carrier=carrier, date=day, province_id="330000")
    assert report.figures() == (1200, 900, 150, 200)
    assert (report.channel, report.reporter) == ("import", "bureau")
    version = ParcelReportVersion.objects.get()
    assert version.report == report
    assert version.figures() == (1000, 900, 100, 200)
    assert (version.channel, version.reporter, version.replaced_through, version.replaced_by) == (
        "api",
        "test",
        "import",
        "bureau",
    )
    assert ParcelReport.objects.get(carrier=other_carrier).collected == 700  # another carrier's row is its own


def test_every_replacement_is_kept(festival, carrier):
    day = first_day(festival)
    for collected in (100, 200, 300):
        _report(carrier, [row(day, collected=collected, rural_collected=10)])

    history = list(ParcelReportVersion.objects.order_by("pk").values_list("collected", flat=True))

    assert history == [100, 200]
    assert ParcelReport.objects.get().collected == 300


def test_an_inactive_carrier_cannot_report(festival, carrier):
    Carrier.objects.filter(pk=carrier.pk).update(active=False)

    with pytest.raises(DomainError, match="not an active carrier"):
        _report(carrier, [row(first_day(festival))])

    assert not ParcelReport.objects.exists()


def test_more_than_5000_rows_or_none_are_refused(festival, carrier):
    with pytest.raises(DomainError, match="At most 5,000 rows a call"):
        _report(carrier, [row(first_day(festival))] * 5001)
    with pytest.raises(DomainError, match="at least one report"):
        _report(carrier, [])


def test_the_database_refuses_rural_above_the_total_too(festival, carrier):
    with pytest.raises(IntegrityError):
        ParcelReport.objects.create(
            carrier=carrier,
            date=first_day(festival),
            province_id="330000",
            collected=1,
            delivered=1,
            rural_collected=2,
            rural_delivered=0,
            channel="api",
        )


def test_carrier_codes_and_usccs_are_checked():
    from django.core.exceptions import ValidationError

    from merchants.uscc import make_uscc

    good = make_uscc("91310000MA1FL0A01")
    carrier = Carrier(code=" sf ", name="SF", uscc=good.lower())
    carrier.full_clean()
    assert (carrier.code, carrier.uscc) == ("SF", good)

    bad = Carrier(code="S", name="Bad", uscc=good[:17] + ("0" if good[17] != "0" else "1"))
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert set(error.value.message_dict) == {"code", "uscc"}
    assert "check character" in " ".join(error.value.message_dict["uscc"])
