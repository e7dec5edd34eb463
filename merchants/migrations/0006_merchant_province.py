import django.db.models.deletion
from django.db import migrations, models


def province_from_uscc(apps, schema_editor):
    """A Chinese merchant's province is the first two digits of the division code in its USCC
    (characters 3–8, GB/T 2260): 91330106… is Zhejiang (330000)."""
    Merchant = apps.get_model("merchants", "Merchant")
    Province = apps.get_model("festival", "Province")
    codes = set(Province.objects.values_list("code", flat=True))
    for merchant in Merchant.objects.filter(country="CN", province__isnull=True, uscc__isnull=False).only("pk", "uscc"):
        code = f"{merchant.uscc[2:4]}0000"
        if code in codes:
            Merchant.objects.filter(pk=merchant.pk).update(province_id=code)


class Migration(migrations.Migration):

    dependencies = [
        ("festival", "0005_province"),
        ("merchants", "0005_user_field_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="province",
            field=models.ForeignKey(
                blank=True,
                help_text="Where a Chinese merchant is registered (GB/T 2260); empty for foreign partners.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merchants",
                to="festival.province",
                verbose_name="province",
            ),
        ),
        migrations.RunPython(province_from_uscc, migrations.RunPython.noop),
    ]
