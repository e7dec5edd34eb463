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


class KeptUploads:
    """Keep a validated upload across a form error, so the user need not choose the file again.

    The (already sanitised) file is stored under a random name in the default storage's
    ``kept-uploads/`` folder; the session maps a random token to it, so a token only works
    for the session that uploaded the file, and the path is never taken from the request.
    ``restore`` puts the kept file back into the posted files when no new file was chosen.
    """

    SESSION_KEY = "kept_uploads"
    FOLDER = "kept-uploads"

    def __init__(self, request, field_name):
        self.request = request
        self.field_name = field_name

    def _kept(self) -> dict:
        return self.request.session.get(self.SESSION_KEY, {})

    def keep(self, uploaded, *, name=None) -> dict:
        import secrets

        from django.core.files.storage import default_storage

        token = secrets.token_urlsafe(16)
        uploaded.seek(0)
        path = default_storage.save(f"{self.FOLDER}/{token}", uploaded)
        kept = self._kept()
        name = name or uploaded.name
        kept[token] = {"path": path, "name": name, "field": self.field_name}
        self.request.session[self.SESSION_KEY] = kept
        return {"token": token, "name": name}

    def restore(self, files):
        """``files`` with the kept upload put back when the form came without a new one."""
        from django.core.files.storage import default_storage
        from django.core.files.uploadedfile import SimpleUploadedFile

        token = self.request.POST.get(f"kept_{self.field_name}", "")
        entry = self._kept().get(token)
        if files is None or files.get(self.field_name) or not entry or entry["field"] != self.field_name:
            return files, None
        try:
            with default_storage.open(entry["path"], "rb") as handle:
                content = handle.read()
        except OSError:
            return files, None
        files = files.copy()
        files[self.field_name] = SimpleUploadedFile(entry["name"], content)
        return files, token

    def discard(self, token):
        from django.core.files.storage import default_storage

        kept = self._kept()
        entry = kept.pop(token, None) if token else None
        if entry:
            default_storage.delete(entry["path"])
            self.request.session[self.SESSION_KEY] = kept
