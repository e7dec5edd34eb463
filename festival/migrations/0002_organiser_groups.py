"""Create the organisers' roles: Organiser admin, Reviewer, Viewer."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ORGANISER_ADMIN = "Organiser admin"
REVIEWER = "Reviewer"
VIEWER = "Viewer"
FESTIVAL_APPS = ("festival", "merchants", "promotions")
REVIEW_PERMISSIONS = (
    ("merchants", "verify_certificate"),
    ("merchants", "review_participation"),
    ("promotions", "review_promotion"),
)


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate);
    # create them now so the groups can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True  # create_permissions skips app configs without one
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(content_type__app_label__in=FESTIVAL_APPS, codename__startswith="view_")
    review = Permission.objects.none()
    for app_label, codename in REVIEW_PERMISSIONS:
        review = review | Permission.objects.filter(content_type__app_label=app_label, codename=codename)

    organiser_admin, _ = Group.objects.get_or_create(name=ORGANISER_ADMIN)
    organiser_admin.permissions.add(*Permission.objects.all())
    reviewer, _ = Group.objects.get_or_create(name=REVIEWER)
    reviewer.permissions.add(*view, *review)
    viewer, _ = Group.objects.get_or_create(name=VIEWER)
    viewer.permissions.add(*view)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[ORGANISER_ADMIN, REVIEWER, VIEWER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("festival", "0001_initial"),
        ("merchants", "0001_initial"),
        ("promotions", "0001_initial"),
        ("api", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
