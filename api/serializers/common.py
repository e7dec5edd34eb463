"""What the serializers of every resource share: money and moment fields, slug
lookups, and the error body."""

import re

from django.db import models
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.models import ApiScope
from core.moments import FIRST_YEAR, LAST_YEAR, year_in_range

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


def _money(**kwargs):
    return serializers.DecimalField(**MONEY, **kwargs)


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: DRF's CharField turns 12 or -1.5e16 into
    "12", which the schema (``type: string``) says is refused."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose model text fields take strings only (StrictCharField)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


class MomentField(serializers.DateTimeField):
    """An ISO 8601 moment (with offset; without one, Asia/Shanghai) between 1970 and 2999.

    Far-off years are refused (core/moments.py says why); CSV price lists refuse the same years.
    """

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not year_in_range(moment):
            raise serializers.ValidationError(
                _("Enter a moment between the years %(first)d and %(last)d.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
                code="out_of_range",
            )
        return moment


class SlugLookupField(serializers.SlugRelatedField):
    """A related object by slug; anything that cannot be a slug is "not found"
    without asking the database (PostgreSQL refuses NUL characters outright)."""

    SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for related fields; the schema says a slug (minLength 1) or
        # null, so "" is refused like any other slug that names nothing (null clears).
        if data == "":
            self.fail("does_not_exist", slug_name=self.slug_field, value="")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not self.SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:60])
        return super().to_internal_value(data)


# API keys (for the create command and the portal) ----------------------------------------------


SCOPE_CHOICES = ApiScope.choices


@extend_schema_field(OpenApiTypes.OBJECT)
class ErrorDetailField(serializers.DictField):
    pass


class ErrorSerializer(serializers.Serializer):
    """The error body: ``detail`` (a message), ``code``, and per-field messages in ``errors``."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = ErrorDetailField(required=False)
