"""Fill the category roll-up (0013) from the promotions already there, so an upgraded database's
public pages count live promotions per category from the first view (promotions.tallies counts it
the same way)."""

from django.db import migrations
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Promotion = apps.get_model("promotions", "Promotion")
    Participation = apps.get_model("merchants", "Participation")
    CategoryTally = apps.get_model("promotions", "CategoryTally")
    listed = Exists(
        Participation.objects.filter(
            merchant=OuterRef("promotion__merchant_id"), festival=OuterRef("promotion__festival_id"), status="approved"
        )
    )
    rows = (
        Promotion.categories.through.objects.annotate(
            family=Coalesce("category__parent_id", "category_id"), listed=listed
        )
        .values_list("promotion__festival_id", "family", "promotion__status", "listed")
        .annotate(n=Count("promotion_id", distinct=True))
        .order_by()
    )
    CategoryTally.objects.all().delete()
    CategoryTally.objects.bulk_create(
        (
            CategoryTally(festival_id=festival_id, category_id=family, status=status, listed=is_listed, count=n)
            for festival_id, family, status, is_listed, n in rows.iterator(chunk_size=5_000)
        ),
        batch_size=5_000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0008_merchant_name_order"),
        ("promotions", "0013_category_tally"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
