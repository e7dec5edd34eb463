"""Parcel reports of express carriers: the shapes of ``/api/v1/parcels/``.

The rows of a POST are checked by ``logistics.services`` (plain Python, all rows at
once, per-row errors), not by these serializers: a serializer per row costs more than
the whole upsert. The serializers here document the request and answers for the
OpenAPI schema and shape the reads.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers.common import SlugLookupField
from festival.models import Festival
from logistics.services import MAX_COUNT, MAX_ROWS

COUNT = {"min_value": 0, "max_value": MAX_COUNT}


class ParcelRowSerializer(serializers.Serializer):
    """One carrier's parcels for one day (festival time zone) in one province."""

    date = serializers.DateField(help_text=_("The day, YYYY-MM-DD, in the festival's time zone."))
    province = serializers.RegexField(r"^[0-9]{6}$", help_text=_("GB/T 2260 code, e.g. 330000 (Zhejiang)."))
    collected = serializers.IntegerField(**COUNT)
    delivered = serializers.IntegerField(**COUNT)
    rural_collected = serializers.IntegerField(**COUNT, help_text=_("Of collected, in rural areas."))
    rural_delivered = serializers.IntegerField(**COUNT, help_text=_("Of delivered, in rural areas."))


class ParcelBatchSerializer(serializers.Serializer):
    reports = ParcelRowSerializer(many=True, min_length=1, max_length=MAX_ROWS)


class ParcelsStoredSerializer(serializers.Serializer):
    stored = serializers.IntegerField(help_text=_("Rows stored: every row of the call."))
    created = serializers.IntegerField(help_text=_("Rows for a day and province not reported before."))
    replaced = serializers.IntegerField(help_text=_("Rows that replaced different figures (kept in the history)."))
    unchanged = serializers.IntegerField(help_text=_("Rows that repeated the figures already stored."))


class ParcelRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("The row's position in ``reports``, from 0."))
    field = serializers.CharField()
    message = serializers.CharField()


class ParcelsRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    stored = serializers.IntegerField(required=False, help_text=_("Always 0: a call is stored whole or not at all."))
    errors = ParcelRowErrorSerializer(many=True, required=False)


class ParcelQuerySerializer(serializers.Serializer):
    festival = SlugLookupField(
        slug_field="slug",
        queryset=Festival.objects.all(),
        required=False,
        help_text=_("A festival's slug: its days and 30 days on each side."),
    )
    date = serializers.DateField(required=False)
    province = serializers.RegexField(r"^[0-9]{6}$", required=False)

    def validate(self, attrs):
        if not attrs.get("festival") and not attrs.get("date"):
            raise serializers.ValidationError(_("Filter by festival or by date."))
        return attrs


class ParcelTotalSerializer(serializers.Serializer):
    date = serializers.DateField()
    collected = serializers.IntegerField()
    delivered = serializers.IntegerField()
    rural_collected = serializers.IntegerField()
    rural_delivered = serializers.IntegerField()
    rural_share = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        help_text=_("Percent of the parcels collected or delivered that were rural; null when there were none."),
    )
    carriers_reporting = serializers.IntegerField()


class ProvinceParcelTotalSerializer(ParcelTotalSerializer):
    province = serializers.CharField()


class OwnParcelReportSerializer(serializers.Serializer):
    date = serializers.DateField()
    province = serializers.CharField(source="province_id")
    collected = serializers.IntegerField()
    delivered = serializers.IntegerField()
    rural_collected = serializers.IntegerField()
    rural_delivered = serializers.IntegerField()
    reported_at = serializers.DateTimeField()


class ParcelTotalsSerializer(serializers.Serializer):
    national = ParcelTotalSerializer(many=True, help_text=_("Every carrier's reports summed per day."))
    provinces = ProvinceParcelTotalSerializer(many=True, help_text=_("Summed per day and province."))
    own = OwnParcelReportSerializer(
        many=True, required=False, help_text=_("Only for a carrier's key: its own rows matching the filters.")
    )
