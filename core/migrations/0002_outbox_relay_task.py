"""Install the periodic outbox relay (core.relay_outbox) in the beat schedule: it sends
to the broker whatever the on-commit kick could not (e.g. while Redis was down)."""

from django.db import migrations

NAME = "Outbox: relay tasks to the broker"


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_ten_seconds, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    # A relay message older than a minute is dropped unread: the next one does the same work.
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "core.relay_outbox",
            "interval": every_ten_seconds,
            "expire_seconds": 60,
            "description": NAME,
        },
    )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_outbox_and_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
