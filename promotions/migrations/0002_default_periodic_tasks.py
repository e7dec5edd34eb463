"""Install the festival's periodic tasks in django-celery-beat's tables, so
they show (and can be changed or paused) in the admin under "Periodic tasks"."""

from django.db import migrations

CLOCK_TASKS = [
    # (name, task, schedule)
    ("Festival clock: open and close windows", "festival.sync_festival_clock", {"interval": (30, "seconds")}),
    ("Nightly results rollup", "promotions.roll_up_daily_results", {"crontab": ("10", "0")}),
    ("Daily reviewer digest", "promotions.send_reviewer_digest", {"crontab": ("0", "8")}),
    ("Submission deadline reminders", "promotions.send_deadline_reminders", {"crontab": ("5", "*")}),
]
TIME_ZONE = "Asia/Shanghai"


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, schedule in CLOCK_TASKS:
        defaults = {"task": task, "enabled": True, "description": name}
        if "interval" in schedule:
            every, period = schedule["interval"]
            defaults["interval"], _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        else:
            minute, hour = schedule["crontab"]
            defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone=TIME_ZONE
            )
        PeriodicTask.objects.get_or_create(name=name, defaults=defaults)
    # Tell a running beat to reload its schedule.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _schedule in CLOCK_TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("promotions", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
