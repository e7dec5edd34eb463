"""Uploaded images: checked by content with Pillow, re-encoded, stored under random names."""

import io
import secrets
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
ORIENTATION = 0x0112  # the EXIF tag
# Modes each format decodes to and can be saved in again without a conversion (a copy).
SAVEABLE_MODES = {
    "JPEG": {"L", "RGB", "CMYK"},
    "PNG": {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"},
    "WEBP": {"L", "RGB", "RGBA"},
}

# Memory (issue 15, finding 4): Pillow decodes into at most 4 bytes a pixel, so
# an image's cost is bounded by its pixel count, which is read from the header
# before anything is decoded (sanitise_image refuses above the limit with the
# image's size). Pillow's own guard is tied to the same limit, so an image opened
# anywhere else (the thumbnail task, which only sees checked images) is bounded
# too: Pillow refuses to open anything above twice this, i.e. 6 × the limit.
Image.MAX_IMAGE_PIXELS = 3 * settings.UPLOAD_MAX_PIXELS


def random_upload_path(instance, filename):
    """Files are stored under random names: the uploaded name is never trusted or shown."""
    folder = instance._meta.model_name
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if extension not in {"jpg", "png", "webp"}:
        extension = "bin"
    token = secrets.token_hex(16)
    return f"{folder}/{token[:2]}/{token}.{extension}"


def sanitise_image(upload, *, max_bytes=None, max_pixels=None):
    """Check that ``upload`` really is a JPEG, PNG or WebP within the limits, and
    return a re-encoded copy (metadata such as EXIF GPS dropped) as a ContentFile.

    Raises ValidationError with a message for the person who uploaded it.
    """
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    max_pixels = max_pixels or settings.UPLOAD_MAX_PIXELS
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB."),
            code="too_large",
            params={"size": f"{upload.size / 1024 / 1024:.1f}", "limit": f"{max_bytes / 1024 / 1024:.0f}"},
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(_("The file is too large."), code="too_large")
    try:
        with warnings.catch_warnings():
            # Between the limit and twice it Pillow only warns: the size check below answers.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                if image_format not in ALLOWED_FORMATS:
                    raise ValidationError(_("Only JPEG, PNG and WebP images are accepted."), code="format")
                if width * height > max_pixels:
                    raise ValidationError(
                        _("The image has too many pixels (%(width)d × %(height)d)."),
                        code="too_many_pixels",
                        params={"width": width, "height": height},
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.mode not in SAVEABLE_MODES[image_format]:
                    raise ValidationError(
                        _("This kind of image (%(mode)s) is not accepted."), code="mode", params={"mode": image.mode}
                    )
                image.load()
                # One decoded copy only: no conversion, no pasted copy, no rotation
                # (the orientation tag is kept instead, and browsers apply it).
                output = io.BytesIO()
                _save_without_metadata(image, image_format, output)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("The file is not a JPEG, PNG or WebP image, or it is too large to open."), code="not_image"
        ) from None
    except (OSError, ValueError, SyntaxError):
        raise ValidationError(_("The image is damaged and cannot be read."), code="damaged") from None
    return ContentFile(output.getvalue(), name=f"upload.{ALLOWED_FORMATS[image_format]}")


def _save_without_metadata(image, image_format, output):
    """Re-encode ``image`` keeping only what draws it (transparency, orientation):
    other EXIF (GPS), XMP, ICC profiles and text chunks are dropped."""
    orientation = image.getexif().get(ORIENTATION)
    exif = Image.Exif()
    if orientation in range(2, 9):
        exif[ORIENTATION] = orientation
    transparency = image.info.get("transparency")
    image.info.clear()
    if transparency is not None:
        image.info["transparency"] = transparency
    save_kwargs = {"quality": 90} if image_format in {"JPEG", "WEBP"} else {"optimize": True}
    image.save(output, format=image_format, exif=exif.tobytes() if len(exif) else b"", **save_kwargs)


def make_thumbnail(source, *, size=(320, 320)):
    """A small JPEG/PNG copy of an already-sanitised image, as a ContentFile."""
    with Image.open(source) as image:
        # No load() first: thumbnail() lets the JPEG decoder scale down while it
        # decodes (draft mode), so a large JPEG costs a fraction of its pixels.
        image_format = "PNG" if image.mode in {"RGBA", "LA", "P"} else "JPEG"
        image.thumbnail(size)
        image = ImageOps.exif_transpose(image)  # the thumbnail is small: turn it upright
        if image_format == "JPEG" and image.mode != "RGB":
            image = image.convert("RGB")
        output = io.BytesIO()
        image.save(output, format=image_format)
    return ContentFile(output.getvalue(), name=f"thumb.{ALLOWED_FORMATS[image_format]}")
