"""Daily results: reported sales, promotion counts and carriers' parcels per festival day, in the
festival's time zone."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from festival.models import DailyResult, Festival, FestivalStatus
from logistics.periods import festival_period
from logistics.selectors import daily_totals
from merchants.daily_sales import rebuild_daily_sales

from .models import Promotion, PromotionStatus

# Merchants may correct a day's figures for a while after the window closes.
LATE_REPORT_DAYS = 14


def festival_days(festival: Festival, *, until=None):
    """The festival's local dates from its first day to its last (or ``until``, if earlier)."""
    day, last = festival.local(festival.starts_at).date(), festival.local(festival.ends_at).date()
    if until is not None:
        last = min(last, until)
    while day <= last:
        yield day
        day += timedelta(days=1)


def roll_up_festival(festival: Festival, *, now=None) -> list[DailyResult]:
    """Recompute every day of ``festival`` up to today (local); idempotent.

    The promotion counts and parcels are computed here; the sales figures are kept by the
    sales reports' deltas (merchants.daily_sales) and recounted here, under the lock that keeps
    a report's delta from being overwritten, fixing any drift."""
    now = now or timezone.now()
    today = festival.local(now).date()
    # Carriers' parcels per festival day (one query); a day nobody reported stays empty, not zero.
    parcels = {total.date: total for total in daily_totals(festival_period(festival))}
    promotions = Promotion.objects.filter(festival=festival, went_live_at__isnull=False)
    days = list(festival_days(festival, until=today))
    counts = {}
    for day in days:  # counted before the transaction, so the sales lock below is held briefly
        start, end = festival.start_of_day(day), festival.start_of_day(day + timedelta(days=1))
        counts[day] = promotions.aggregate(
            live=Count("pk", filter=Q(went_live_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=start))),
            started=Count("pk", filter=Q(went_live_at__gte=start, went_live_at__lt=end)),
            ended=Count("pk", filter=Q(status=PromotionStatus.ENDED, ended_at__gte=start, ended_at__lt=end)),
        )
    with transaction.atomic():
        # First: it takes the festival's sales lock before any of the day rows a report's delta
        # would wait for (the other order deadlocks with a report).
        rebuild_daily_sales(Festival.objects.filter(pk=festival.pk))
        for day in days:
            day_parcels = parcels.get(day)
            # Only these fields: the sales figures are the reports' (recounted just above).
            DailyResult.objects.update_or_create(
                festival=festival,
                date=day,
                defaults={
                    "promotions_live": counts[day]["live"],
                    "promotions_started": counts[day]["started"],
                    "promotions_ended": counts[day]["ended"],
                    "parcels_collected": day_parcels.collected if day_parcels else None,
                    "parcels_delivered": day_parcels.delivered if day_parcels else None,
                    "rural_parcels_collected": day_parcels.rural_collected if day_parcels else None,
                    "rural_parcels_delivered": day_parcels.rural_delivered if day_parcels else None,
                    "carriers_reporting": day_parcels.carriers_reporting if day_parcels else 0,
                    "computed_at": now,
                },
            )
    return list(DailyResult.objects.filter(festival=festival, date__in=days).order_by("date"))


def roll_up_daily_results(*, now=None) -> int:
    """Nightly: recompute the days of running festivals and of those closed recently; returns days written."""
    now = now or timezone.now()
    festivals = list(
        Festival.objects.filter(
            Q(status=FestivalStatus.RUNNING)
            | Q(status=FestivalStatus.CLOSED, ends_at__gte=now - timedelta(days=LATE_REPORT_DAYS))
        )
    )
    days = sum(len(roll_up_festival(festival, now=now)) for festival in festivals)
    # The other festivals' sales are kept by the reports' deltas too: recounted to catch drift.
    rebuild_daily_sales(Festival.objects.exclude(pk__in=[festival.pk for festival in festivals]))
    return days
