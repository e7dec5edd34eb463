"""Where consumers' screenshots live: beside MEDIA_ROOT, never under it, so no
media URL reaches them. They are served only by reports.views.screenshot (staff
or the report's code holder)."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """``<MEDIA_ROOT>/../private-media``; has no URL (``.url()`` raises)."""

    @property
    def base_location(self):
        return str(Path(settings.MEDIA_ROOT).parent / "private-media")

    @property
    def location(self):
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private files have no URL; use the screenshot view.")


def private_storage():
    return PrivateStorage()
