"""Fill the participation roll-ups (0010) from the participations already there, so an upgraded
database's dashboard is right from the first view. Written with the historical models, as the
tallies are counted (merchants.tallies)."""

from django.db import migrations
from django.db.models import Count


def backfill(apps, schema_editor):
    Participation = apps.get_model("merchants", "Participation")
    ParticipationTally = apps.get_model("merchants", "ParticipationTally")
    ParticipationCategoryTally = apps.get_model("merchants", "ParticipationCategoryTally")
    kinds = (
        Participation.objects.values_list("festival_id", "status", "merchant__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    ParticipationTally.objects.all().delete()
    ParticipationTally.objects.bulk_create(
        ParticipationTally(festival_id=festival_id, status=status, merchant_kind=kind, count=n)
        for festival_id, status, kind, n in kinds
    )
    claims = (
        Participation.categories.through.objects.values_list(
            "participation__festival_id", "participation__status", "category_id"
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    ParticipationCategoryTally.objects.all().delete()
    ParticipationCategoryTally.objects.bulk_create(
        (
            ParticipationCategoryTally(festival_id=festival_id, status=status, category_id=category_id, count=n)
            for festival_id, status, category_id, n in claims
        ),
        batch_size=5_000,
    )


class Migration(migrations.Migration):
    dependencies = [("merchants", "0010_participation_tallies")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
