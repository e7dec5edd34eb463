"""Form helpers every interface shares: sanitised image uploads, service errors shown
on the form, https links, and model validation messages without constraint noise."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext_lazy as _

from .images import sanitise_image

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class SanitisedImageField(forms.FileField):
    """A file field that accepts only real JPEG/PNG/WebP images within the size and
    pixel limits; a new upload is returned re-encoded (metadata stripped).

    The content is checked, never the file name or the browser's content type.
    """

    widget = forms.ClearableFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", _("JPEG, PNG or WebP, at most %(mb)s MB.") % {"mb": settings.UPLOAD_MAX_BYTES // 1024 // 1024}
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", IMAGE_ACCEPT)
        self.widget.attrs.setdefault("data-upload", "image")

    def clean(self, data, initial=None):
        cleaned = super().clean(data, initial)
        if isinstance(cleaned, UploadedFile):
            return sanitise_image(cleaned)
        return cleaned


def apply_validation_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named fields where the form has them."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def https_urls(model_field, **kwargs):
    """ModelForm field factory: links typed without a scheme are read as https://."""
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


class ModelCleanMessagesMixin:
    """Validate with the model's clean() but not its database constraints: clean()
    explains each rule on its field, and the constraints behind the same rules would
    only repeat it with their internal names. The services still check both."""

    def _post_clean(self):
        full_clean = self.instance.full_clean

        def without_constraints(*args, **kwargs):
            kwargs["validate_constraints"] = False
            return full_clean(*args, **kwargs)

        self.instance.full_clean = without_constraints
        try:
            super()._post_clean()
        finally:
            del self.instance.full_clean
