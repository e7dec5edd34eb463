"""Thumbnails of uploaded images. Each app declares its image fields with
``register_thumbnail`` (in its AppConfig.ready), so core knows no app's models;
services call ``thumbnail_after_commit`` and a Celery task makes the thumbnail."""

import logging
import posixpath

from django.apps import apps
from django.core.files.storage import default_storage

from . import tasks
from .images import make_thumbnail

logger = logging.getLogger(__name__)

# target name → (model label, image field, thumbnail field), filled by the apps.
THUMBNAIL_TARGETS: dict[str, tuple[str, str, str]] = {}


def register_thumbnail(target: str, *, model: str, source_field: str, thumbnail_field: str) -> None:
    """Declare that ``model``'s ``source_field`` gets a thumbnail in ``thumbnail_field``."""
    THUMBNAIL_TARGETS[target] = (model, source_field, thumbnail_field)


def thumbnail_name(source_name: str) -> str:
    """The thumbnail's name follows from its source's (random) name, so a rerun finds it."""
    stem = posixpath.splitext(posixpath.basename(source_name))[0]
    return f"thumbnails/{stem[:2]}/{stem}"


def make_registered_thumbnail(*, target: str, object_id: int) -> str | None:
    """Make the thumbnail of one uploaded image. Idempotent: a thumbnail already made
    for the current image is kept, and an image replaced meanwhile is left alone."""
    label, source_field, thumbnail_field = THUMBNAIL_TARGETS[target]
    model = apps.get_model(label)
    obj = model.objects.filter(pk=object_id).first()
    if obj is None:
        logger.info("thumbnail skipped: %s %s is gone", target, object_id)
        return None
    source = getattr(obj, source_field)
    if not source:
        return None
    current = getattr(obj, thumbnail_field)
    wanted_prefix = thumbnail_name(source.name)
    if current and current.name.startswith(wanted_prefix) and default_storage.exists(current.name):
        return current.name
    try:
        with source.open("rb") as image:
            thumbnail = make_thumbnail(image)
    except FileNotFoundError:
        logger.warning("thumbnail skipped: the file of %s %s is missing", target, object_id)
        return None
    extension = thumbnail.name.rsplit(".", 1)[-1]
    saved = default_storage.save(f"{wanted_prefix}.{extension}", thumbnail)
    # Compare-and-set: store it only if the source is still the image we read.
    updated = model.objects.filter(pk=object_id, **{source_field: source.name}).update(**{thumbnail_field: saved})
    if not updated:
        default_storage.delete(saved)
        return None
    return saved


def thumbnail_after_commit(target: str, obj) -> None:
    """Enqueue the thumbnail of a just-saved upload once the transaction commits (the
    page shows the full image meanwhile, and a broker that is down loses no upload)."""
    tasks.enqueue_on_commit(tasks.make_upload_thumbnail, target=target, object_id=obj.pk)
