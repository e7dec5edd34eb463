"""Festivals, the category tree and a festival's aggregated results."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.parcels import ParcelTotalSerializer
from festival.models import Festival


class FestivalSerializer(serializers.ModelSerializer):
    """A festival edition: window, time zone, status and honesty rules."""

    organisers = serializers.SerializerMethodField()
    parent = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The parent edition's slug for a sub-festival (分会场); null for an edition."),
    )
    min_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    raise_tolerance_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)

    class Meta:
        model = Festival
        fields = [
            "slug",
            "name",
            "name_en",
            "edition",
            "parent",
            "time_zone",
            "starts_at",
            "ends_at",
            "registration_opens_at",
            "registration_closes_at",
            "submission_deadline",
            "status",
            "price_lookback_days",
            "min_discount_percent",
            "raise_lookback_days",
            "raise_tolerance_percent",
            "stacking_order",
            "stackable_kinds",
            "organisers",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_organisers(self, festival) -> list[str]:
        # .all() uses the prefetch the views make; a lone festival (webhook payload) queries once.
        return [organiser.name for organiser in festival.organisers.all()]


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "description": "A child category, of the same shape (slug, name, name_en, required_certificate_kind, children).",
        },
    }
)
class CategoryChildrenField(serializers.ReadOnlyField):
    pass


class CategoryTreeSerializer(serializers.Serializer):
    """One node of the category tree; ``children`` nests nodes of the same shape."""

    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)
    parent = serializers.CharField(read_only=True, allow_null=True, help_text=gettext_lazy("Slug of the parent."))
    required_certificate_kind = serializers.CharField(read_only=True)
    children = CategoryChildrenField()


# Results ----------------------------------------------------------------------------------------


class SalesDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    gmv = serializers.DecimalField(max_digits=18, decimal_places=2)
    orders = serializers.IntegerField()


class SalesTotalSerializer(serializers.Serializer):
    gmv = serializers.DecimalField(max_digits=18, decimal_places=2)
    orders = serializers.IntegerField()


class SalesResultSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["daily_results", "sales_reports"])
    by_day = SalesDaySerializer(many=True)
    total = SalesTotalSerializer()


class MerchantResultSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())
    by_category = serializers.DictField(child=serializers.IntegerField())


class PromotionResultSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())


class ParcelDaySerializer(ParcelTotalSerializer):
    """A day of the festival's parcels: the same figures as ``GET /api/v1/parcels/`` gives
    per day (its own name in the schema, as part of the results)."""


class ParcelTotalResultSerializer(serializers.Serializer):
    collected = serializers.IntegerField()
    delivered = serializers.IntegerField()
    rural_collected = serializers.IntegerField()
    rural_delivered = serializers.IntegerField()
    rural_share = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)


class ParcelResultSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["daily_results", "parcel_reports"])
    by_day = ParcelDaySerializer(
        many=True, help_text=gettext_lazy("Festival days some carrier reported; a day nobody reported is left out.")
    )
    total = ParcelTotalResultSerializer()


class FestivalResultsSerializer(serializers.Serializer):
    festival = serializers.SlugField()
    merchants = MerchantResultSerializer()
    promotions = PromotionResultSerializer()
    sales = SalesResultSerializer()
    parcels = ParcelResultSerializer(help_text=gettext_lazy("Express carriers' parcels per festival day."))
