"""Create the Consumer association role group (its permissions are filled by
festival.roles.refresh_role_groups after migrate) and install the association's
daily digest in django-celery-beat's tables."""

from django.db import migrations

GROUP = "Consumer association"
DIGEST = "Daily consumer-report digest"


def install(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="8", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name=DIGEST,
        defaults={"task": "reports.send_association_digest", "crontab": crontab, "enabled": True, "description": DIGEST},
    )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=DIGEST).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_price_reports"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
