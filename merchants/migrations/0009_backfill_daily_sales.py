"""Fill the sales figures of DailyResult from the reports already there, for every day that has
any (today's and later ones too), so an upgraded database's dashboard is right from the first
view: from now on every report keeps them (merchants.daily_sales). Written with the historical
models, as the figures are counted there."""

from django.db import migrations
from django.db.models import Count, Sum
from django.utils import timezone


def backfill(apps, schema_editor):
    SalesReport = apps.get_model("merchants", "SalesReport")
    DailyResult = apps.get_model("festival", "DailyResult")
    counted = {
        (festival_id, day): (gmv, orders, merchants)
        for festival_id, day, gmv, orders, merchants in SalesReport.objects.values_list("festival_id", "date")
        .annotate(gmv=Sum("gmv"), orders=Sum("orders"), merchants=Count("pk"))
        .order_by()
    }
    changed = []
    for row in DailyResult.objects.all().iterator():
        gmv, orders, merchants = counted.pop((row.festival_id, row.date), (0, 0, 0))
        if (row.gmv, row.orders, row.merchants_reporting) != (gmv, orders, merchants):
            row.gmv, row.orders, row.merchants_reporting = gmv, orders, merchants
            changed.append(row)
    DailyResult.objects.bulk_update(changed, ["gmv", "orders", "merchants_reporting"], batch_size=1_000)
    now = timezone.now()
    DailyResult.objects.bulk_create(
        (
            DailyResult(
                festival_id=festival_id,
                date=day,
                gmv=gmv,
                orders=orders,
                merchants_reporting=merchants,
                computed_at=now,
            )
            for (festival_id, day), (gmv, orders, merchants) in counted.items()
        ),
        batch_size=1_000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("festival", "0010_sent_notification_verbose_names"),
        ("merchants", "0008_merchant_name_order"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
