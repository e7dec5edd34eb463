"""The Celery app that runs the festival clock."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import import_modules

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "festival.settings")

app = Celery("festival", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@import_modules.connect
def _make_filesystem_broker_folders(sender=None, **kwargs):
    """kombu's filesystem transport (the default run, no Redis) needs its folders to exist."""
    options = app.conf.broker_transport_options or {}
    if str(app.conf.broker_url).startswith("filesystem"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
