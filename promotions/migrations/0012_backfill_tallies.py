"""Fill the roll-ups (0011) from the promotions and items already there, so an upgraded
database's dashboard is right from the first view instead of after the nightly rebuild.
Written with the historical models, as the tallies are counted (promotions.tallies)."""

from collections import Counter
from zoneinfo import ZoneInfo

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import TruncDate


def backfill(apps, schema_editor):
    Festival = apps.get_model("festival", "Festival")
    Promotion = apps.get_model("promotions", "Promotion")
    PromotionItem = apps.get_model("promotions", "PromotionItem")
    PromotionTally = apps.get_model("promotions", "PromotionTally")
    ItemCheckTally = apps.get_model("promotions", "ItemCheckTally")
    by_zone = {}
    for pk, zone in Festival.objects.values_list("pk", "time_zone"):
        by_zone.setdefault(zone, []).append(pk)
    promotions = Counter()
    for zone, ids in by_zone.items():  # a start's day in its festival's own time zone
        rows = (
            Promotion.objects.filter(festival_id__in=ids)
            .annotate(day=TruncDate("starts_at", tzinfo=ZoneInfo(zone)))
            .values_list("festival_id", "status", "kind", "day")
            .annotate(n=Count("pk"))
            .order_by()
        )
        promotions.update({(f, s, k, d): n for f, s, k, d, n in rows})
    PromotionTally.objects.all().delete()
    PromotionTally.objects.bulk_create(
        (
            PromotionTally(festival_id=festival_id, status=status, kind=kind, starts_on=day, count=n)
            for (festival_id, status, kind, day), n in promotions.items()
        ),
        batch_size=5_000,
    )
    items = (
        PromotionItem.objects.exclude(promotion__status="draft")
        .values_list("promotion__festival_id", "check_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    ItemCheckTally.objects.all().delete()
    ItemCheckTally.objects.bulk_create(
        ItemCheckTally(festival_id=festival_id, check_status=check_status, count=n)
        for festival_id, check_status, n in items
    )


class Migration(migrations.Migration):
    dependencies = [
        ("festival", "0010_sent_notification_verbose_names"),
        ("promotions", "0011_tallies"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
