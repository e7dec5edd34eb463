"""Validators shared by every text input (models, so portal forms, the admin and
the API's serializers all apply them)."""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Longest free text (descriptions, notes) any input accepts, in characters.
TEXT_MAX_LENGTH = 5000

# Bidirectional embeddings, overrides and isolates: they make text read
# differently from what it is ("Sale\u202egpj.exe" shows as "Saleexe.jpg").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ALLOWED_CONTROLS = frozenset("\t\n\r")


def _refused(char):
    if char in ALLOWED_CONTROLS:
        return False
    return char in BIDI_CONTROLS or unicodedata.category(char) == "Cc"


@deconstructible
class ControlCharacterValidator:
    message = _(
        "Remove the control or text-direction character %(code)s (at position %(position)d): "
        "it is invisible and can disguise the text."
    )
    code = "control_character"

    def __call__(self, value):
        if not isinstance(value, str):
            return
        for position, char in enumerate(value, start=1):
            if _refused(char):
                raise ValidationError(
                    self.message, code=self.code, params={"code": f"U+{ord(char):04X}", "position": position}
                )

    def __eq__(self, other):
        return isinstance(other, ControlCharacterValidator)


reject_control_characters = ControlCharacterValidator()


def guard_text_fields(models):
    """Give every CharField and TextField of ``models`` the control-character check,
    and every TextField a maximum length (TEXT_MAX_LENGTH). Added as default
    validators, so they are not part of the migrations; ModelForms (portal,
    admin) run them in full_clean and DRF's ModelSerializers copy them, and
    drf-spectacular states the length in the schema."""
    from django.db.models import CharField, TextField

    for model in models:
        for field in model._meta.get_fields():
            if not isinstance(field, CharField | TextField) or getattr(field, "choices", None):
                continue
            extra = [reject_control_characters]
            if isinstance(field, TextField) and field.max_length is None:
                extra.append(MaxLengthValidator(TEXT_MAX_LENGTH))
            field.default_validators = [*field.default_validators, *extra]
            field.__dict__.pop("validators", None)  # a cached list, if anything read it already
