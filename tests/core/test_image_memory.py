"""Finding 4: one upload costs bounded memory; thumbnails are made in Celery only."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.images import make_thumbnail, sanitise_image

ROOT = Path(__file__).resolve().parents[2]


def _flat_png(width, height, mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def test_a_small_file_of_forty_megapixels_is_refused_from_its_header():
    data = _flat_png(7300, 5440)  # 39.7 megapixels in ~150 KB, like the finding's
    assert len(data) < 200 * 1024

    with pytest.raises(ValidationError) as refused:
        sanitise_image(SimpleUploadedFile("big.png", data))

    assert refused.value.code == "too_many_pixels"
    assert "too many pixels (7300 × 5440)" in refused.value.messages[0]


def test_the_orientation_is_kept_other_exif_dropped_and_thumbnails_turn_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°
    exif[0x010F] = "Camera maker"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 20, 30)).save(buffer, format="JPEG", exif=exif.tobytes())

    clean = sanitise_image(SimpleUploadedFile("photo.jpg", buffer.getvalue()))

    with Image.open(clean) as image:
        assert dict(image.getexif()) == {0x0112: 6}
        assert image.size == (40, 20)
    clean.seek(0)
    with Image.open(make_thumbnail(clean)) as thumbnail:
        assert thumbnail.size == (20, 40)


@pytest.mark.parametrize("mode,image_format", [("RGBA", "PNG"), ("CMYK", "JPEG")])
def test_the_worst_accepted_image_peaks_under_150_mb(mode, image_format):
    """bench/image_memory.py checks one image at the pixel limit in a fresh process
    and reports its peak RSS (resource.getrusage)."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "image_memory.py"), "--mode", mode, "--format", image_format],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])

    assert result["accepted"], result
    assert result["megapixels"] >= 11.9
    assert result["peak_rss_after_mb"] <= 150, result
