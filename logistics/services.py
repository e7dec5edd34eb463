"""Writing parcel reports and coverage. The API and the admin's spreadsheet import
both go through ``report_parcels``: the same checks, all or nothing, the carrier's
reports replaced in one bulk upsert with the replaced figures kept as versions.

Checking is plain Python over the rows (no serializer per row, no query per row),
so 5,000 rows cost a handful of queries: the provinces, the festivals' windows,
the carrier's lock, the old rows of the keys, the versions and the upsert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.workflow import DomainError
from festival.models import Festival, Province

from .models import COUNT_FIELDS, Carrier, Coverage, ParcelReport, ParcelReportVersion
from .periods import BASELINE_DAYS, Period, reporting_period

MAX_ROWS = 5000
# A day's parcels of one carrier in one province: far above any real figure (the whole
# country handled about 0.2 billion a day in 2020), far below the column's limit.
MAX_COUNT = 10**11
ROW_FIELDS = ("date", "province", *COUNT_FIELDS)
ROW_FIELD_SET = frozenset(ROW_FIELDS)
DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
RURAL_OF = {"rural_collected": "collected", "rural_delivered": "delivered"}
VERSION_COLUMNS = ("channel", "reporter", "reported_at")


@dataclass(frozen=True)
class RowError:
    """One refusal: the row's index in the call (0-based; in a file, its number), the field and why."""

    index: int
    field: str
    message: str

    def as_dict(self):
        return {"index": self.index, "field": self.field, "message": self.message}


class ParcelReportsRefused(DomainError):
    """Some rows were refused; nothing was stored."""

    def __init__(self, errors: list[RowError]):
        rows = len({error.index for error in errors})
        super().__init__(
            ngettext(
                "%(rows)d row was refused; nothing was stored.",
                "%(rows)d rows were refused; nothing was stored.",
                rows,
            )
            % {"rows": rows},
            code="invalid_rows",
        )
        self.errors = errors


@dataclass(frozen=True)
class CleanRow:
    date: date
    province: str
    collected: int
    delivered: int
    rural_collected: int
    rural_delivered: int

    @property
    def key(self):
        return (self.date, self.province)

    def figures(self):
        return (self.collected, self.delivered, self.rural_collected, self.rural_delivered)


@dataclass
class Outcome:
    stored: int = 0
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    reports: list = field(default_factory=list, repr=False)

    def as_dict(self):
        return {"stored": self.stored, "created": self.created, "replaced": self.replaced, "unchanged": self.unchanged}


@dataclass
class RowChecker:
    """The rules every parcel row must pass, with what they need read once per call."""

    provinces: frozenset
    periods: list[Period]
    today: date
    dates: dict = field(default_factory=dict)  # each distinct date text checked once per call

    @classmethod
    def load(cls, *, now=None):
        now = now or timezone.now()
        festivals = list(Festival.objects.only("starts_at", "ends_at", "time_zone"))
        return cls(
            provinces=frozenset(Province.objects.values_list("code", flat=True)),
            periods=sorted((reporting_period(festival) for festival in festivals), key=lambda p: p.first),
            # The last day that has begun anywhere a festival runs (China is one zone, the demo's too).
            today=max([festival.local(now).date() for festival in festivals], default=timezone.localdate(now)),
        )

    def date(self, value) -> tuple[date | None, str | None]:
        if isinstance(value, str):
            known = self.dates.get(value)
            if known is None:
                known = self.dates[value] = self._date(value)
            return known
        return self._date(value)

    def _date(self, value) -> tuple[date | None, str | None]:
        if not isinstance(value, str) or not DATE_FORMAT.fullmatch(value):
            return None, _("Enter the day as YYYY-MM-DD.")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None, _("“%(value)s” is not a date.") % {"value": value}
        if not any(day in period for period in self.periods):
            windows = ", ".join(str(period) for period in self.periods[-3:]) or _("none")
            return None, _(
                "%(day)s is outside every festival's reporting window (the festival's days and %(baseline)d days on "
                "each side): %(windows)s."
            ) % {"day": value, "baseline": BASELINE_DAYS, "windows": windows}
        if day > self.today:
            return None, _("%(day)s has not begun yet; report a day once it has.") % {"day": value}
        return day, None

    def province(self, value) -> tuple[str | None, str | None]:
        code = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
        if code is None or code.strip() not in self.provinces:
            return None, _("“%(value)s” is not a province code (GB/T 2260, e.g. 330000 for Zhejiang).") % {
                "value": value
            }
        return code.strip(), None

    @staticmethod
    def count(value) -> tuple[int | None, str | None]:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, _("Enter a whole number of parcels.")
        if value < 0:
            return None, _("Cannot be negative.")
        if value > MAX_COUNT:
            return None, _("Larger than any day's parcels can be (at most %(max)s).") % {"max": f"{MAX_COUNT:,}"}
        return value, None

    def check(self, rows, *, first_index=0) -> tuple[list[CleanRow], list[RowError]]:
        """Every row checked; the rows come back clean only when none was refused."""
        clean, errors, seen = [], [], {}
        for index, row in enumerate(rows, start=first_index):
            if not isinstance(row, dict):
                errors.append(
                    RowError(
                        index,
                        "row",
                        _("Each report is an object with the fields %(fields)s.") % {"fields": ", ".join(ROW_FIELDS)},
                    )
                )
                continue
            row_errors = []
            if not row.keys() <= ROW_FIELD_SET:
                for name in sorted(set(row) - ROW_FIELD_SET):
                    row_errors.append(RowError(index, str(name)[:50], _("Unknown field.")))
            values = {}
            for name, checker in (("date", self.date), ("province", self.province)):
                if row.get(name) in (None, ""):
                    row_errors.append(RowError(index, name, _("This field is required.")))
                    continue
                values[name], message = checker(row[name])
                if message:
                    row_errors.append(RowError(index, name, message))
            for name in COUNT_FIELDS:
                if row.get(name) is None:
                    row_errors.append(RowError(index, name, _("This field is required.")))
                    continue
                values[name], message = self.count(row[name])
                if message:
                    row_errors.append(RowError(index, name, message))
            for rural, total in RURAL_OF.items():
                if values.get(rural) is not None and values.get(total) is not None and values[rural] > values[total]:
                    row_errors.append(
                        RowError(
                            index,
                            rural,
                            _("%(rural)s (%(value)s) cannot be more than %(total)s (%(limit)s).")
                            % {"rural": rural, "value": values[rural], "total": total, "limit": values[total]},
                        )
                    )
            if values.get("date") and values.get("province"):
                key = (values["date"], values["province"])
                if key in seen:
                    row_errors.append(
                        RowError(
                            index,
                            "date",
                            _("Row %(first)d already reports %(province)s on %(day)s; send each day and province once.")
                            % {"first": seen[key], "province": key[1], "day": key[0].isoformat()},
                        )
                    )
                else:
                    seen[key] = index
            if row_errors:
                errors.extend(row_errors)
            elif not errors:
                clean.append(CleanRow(**values))
        return clean, errors


def check_rows(rows, *, now=None, first_index=0) -> tuple[list[CleanRow], list[RowError]]:
    return RowChecker.load(now=now).check(rows, first_index=first_index)


def reporter_for_key(api_key) -> str:
    return f"api-key:{api_key.prefix} ({api_key.name})"[:150]


@transaction.atomic
def report_parcels(carrier: Carrier, rows, *, channel, reporter="", now=None) -> Outcome:
    """Check ``rows`` (dicts of date, province and the four counts) and store them all, or
    raise ParcelReportsRefused with every row's errors and store nothing.

    A row for a (carrier, day, province) already reported replaces it; the replaced
    figures are kept as a ParcelReportVersion when they differ. Concurrent calls for
    the same carrier wait for each other (the carrier's row is locked first), so no
    replaced version is ever lost between two uploads.
    """
    now = now or timezone.now()
    if not isinstance(rows, list) or not rows:
        raise DomainError(_("Send at least one report."), code="no_rows")
    if len(rows) > MAX_ROWS:
        raise DomainError(
            _("At most %(max)s rows a call; this one has %(rows)s.")
            % {"max": f"{MAX_ROWS:,}", "rows": f"{len(rows):,}"},
            code="too_many_rows",
        )
    clean, errors = check_rows(rows, now=now)
    if errors:
        raise ParcelReportsRefused(errors)
    return store_rows(carrier, clean, channel=channel, reporter=reporter, now=now)


@transaction.atomic
def store_rows(carrier: Carrier, clean: list[CleanRow], *, channel, reporter="", now=None) -> Outcome:
    """Store checked rows (see ``report_parcels``): the carrier's lock, one read of the old rows
    of these keys, one insert of the replaced versions, one upsert (INSERT … ON CONFLICT DO UPDATE)."""
    now = now or timezone.now()
    locked = Carrier.objects.select_for_update().filter(pk=carrier.pk).values_list("active", flat=True).first()
    if not locked:
        raise DomainError(
            _("%(carrier)s is not an active carrier; its reports are not accepted.") % {"carrier": carrier.code},
            code="carrier_inactive",
        )
    outcome = Outcome(stored=len(clean))
    if not clean:
        return outcome
    postgresql = connection.vendor == "postgresql"
    # PostgreSQL copies the replaced figures inside the database: only the keys and figures are read here.
    columns = ("pk", "date", "province_id", *COUNT_FIELDS, *(() if postgresql else VERSION_COLUMNS))
    old = {
        (row[1], row[2]): row
        for row in ParcelReport.objects.filter(
            carrier=carrier,
            date__range=(min(r.date for r in clean), max(r.date for r in clean)),
            province_id__in={r.province for r in clean},
        ).values_list(*columns)
    }
    replaced = []
    for row in clean:
        previous = old.get(row.key)
        if previous is None:
            outcome.created += 1
        elif previous[3:7] == row.figures():
            outcome.unchanged += 1
        else:
            outcome.replaced += 1
            replaced.append(dict(zip(columns, previous, strict=True)))
    write = _write_postgresql if postgresql else _write_portable
    write(carrier, clean, replaced, channel=channel, reporter=reporter, now=now)
    return outcome


def _write_portable(carrier, clean, replaced, *, channel, reporter, now):
    """Any database: the versions and the upsert through the ORM (bulk_create with update_conflicts)."""
    if replaced:
        ParcelReportVersion.objects.bulk_create(
            ParcelReportVersion(
                report_id=old["pk"],
                **{name: old[name] for name in (*COUNT_FIELDS, *VERSION_COLUMNS)},
                replaced_at=now,
                replaced_through=channel,
                replaced_by=reporter,
            )
            for old in replaced
        )
    ParcelReport.objects.bulk_create(
        [
            ParcelReport(
                carrier_id=carrier.pk,
                date=row.date,
                province_id=row.province,
                collected=row.collected,
                delivered=row.delivered,
                rural_collected=row.rural_collected,
                rural_delivered=row.rural_delivered,
                channel=channel,
                reporter=reporter,
                reported_at=now,
            )
            for row in clean
        ],
        update_conflicts=True,
        unique_fields=["carrier", "date", "province"],
        update_fields=[*COUNT_FIELDS, "channel", "reporter", "reported_at"],
    )


def _write_postgresql(carrier, clean, replaced, *, channel, reporter, now):
    """PostgreSQL: the same two writes, with the rows sent as arrays (unnest) rather than
    compiled value by value by the ORM, which costs more than the database's work here."""
    report, version = ParcelReport._meta.db_table, ParcelReportVersion._meta.db_table
    with connection.cursor() as cursor:
        if replaced:
            # The replaced figures are copied inside the database, in the same transaction.
            cursor.execute(
                f"""
                INSERT INTO {version} (report_id, collected, delivered, rural_collected, rural_delivered,
                                       channel, reporter, reported_at, replaced_at, replaced_through, replaced_by)
                SELECT id, collected, delivered, rural_collected, rural_delivered, channel, reporter, reported_at,
                       %s, %s, %s
                FROM {report} WHERE id = ANY(%s)
                """,
                [now, channel, reporter, [old["pk"] for old in replaced]],
            )
        cursor.execute(
            f"""
            INSERT INTO {report} (carrier_id, date, province_id, collected, delivered, rural_collected,
                                  rural_delivered, channel, reporter, reported_at)
            SELECT %s, day, province, collected, delivered, rural_collected, rural_delivered, %s, %s, %s
            FROM unnest(%s::date[], %s::varchar[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])
                AS incoming (day, province, collected, delivered, rural_collected, rural_delivered)
            ON CONFLICT (carrier_id, date, province_id) DO UPDATE SET
                collected = EXCLUDED.collected, delivered = EXCLUDED.delivered,
                rural_collected = EXCLUDED.rural_collected, rural_delivered = EXCLUDED.rural_delivered,
                channel = EXCLUDED.channel, reporter = EXCLUDED.reporter, reported_at = EXCLUDED.reported_at
            """,
            [
                carrier.pk,
                channel,
                reporter,
                now,
                [row.date for row in clean],
                [row.province for row in clean],
                [row.collected for row in clean],
                [row.delivered for row in clean],
                [row.rural_collected for row in clean],
                [row.rural_delivered for row in clean],
            ],
        )


# Coverage --------------------------------------------------------------------------------


@transaction.atomic
def save_coverage(coverage: Coverage, *, by=None) -> Coverage:
    """Save the bureau's coverage figures for a province and date (checked like the form)."""
    coverage.full_clean()
    coverage.updated_by = by if by is not None and by.is_authenticated else None
    coverage.save()
    return coverage


@transaction.atomic
def save_carrier(carrier: Carrier) -> Carrier:
    carrier.full_clean()
    carrier.save()
    return carrier
