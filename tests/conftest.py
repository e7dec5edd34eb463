import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read English messages; the Chinese interface is tested explicitly."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
