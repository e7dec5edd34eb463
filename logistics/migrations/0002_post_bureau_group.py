"""Create the Post bureau role group (its permissions, the logistics app's only, are
filled by festival.roles.refresh_role_groups after migrate)."""

from django.db import migrations

GROUP = "Post bureau"


def install(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(install, remove)]
