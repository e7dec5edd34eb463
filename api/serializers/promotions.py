"""Promotions with their items, the fast output path, and the submission refusal."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.selectors import PAGE_CATEGORY_SLUGS, PAGE_ITEMS, attach_promotion_details, cents
from api.serializers.common import MomentField, SlugLookupField, TextModelSerializer, _money
from festival.models import Category, Festival
from promotions.models import (
    KIND_FIELDS,
    CheckStatus,
    Promotion,
    PromotionItem,
    PromotionKind,
    PromotionStatus,
    ReferenceSource,
    fields_for_kind,
)

MAX_PROMOTION_ITEMS = 1_000


class PromotionItemSerializer(serializers.ModelSerializer):
    """An item: the product and its promotional price, with the stored honest-price check (read-only)."""

    product = serializers.IntegerField(source="product_id", min_value=1, max_value=2**63 - 1)
    sku = serializers.CharField(source="product.sku", read_only=True)
    promo_price = _money(min_value=Decimal("0.01"))
    reference_price = _money(read_only=True, allow_null=True)
    reference_source = serializers.SerializerMethodField()
    real_discount_percent = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True, allow_null=True)
    check_status = serializers.SerializerMethodField()
    check_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = PromotionItem
        fields = [
            "product",
            "sku",
            "promo_price",
            "reference_price",
            "reference_source",
            "real_discount_percent",
            "check_status",
            "check_reasons",
        ]

    @extend_schema_field(
        serializers.ChoiceField(choices=ReferenceSource.choices, allow_null=True, help_text="null until checked")
    )
    def get_reference_source(self, item):
        return item.reference_source or None

    @extend_schema_field(
        serializers.ChoiceField(choices=CheckStatus.choices, allow_null=True, help_text="null until checked")
    )
    def get_check_status(self, item):
        return item.check_status or None


KIND_FIELD_HELP = gettext_lazy("Only for some kinds; see the partner guide. Omitted from output for other kinds.")


class PromotionSerializer(TextModelSerializer):
    """A promotion with its items. Output carries only the kind fields of its kind."""

    festival = SlugLookupField(slug_field="slug", queryset=Festival.objects.all())
    merchant = serializers.IntegerField(source="merchant_id", read_only=True)
    merchant_name = serializers.CharField(source="merchant.name", read_only=True)
    kind = serializers.ChoiceField(choices=PromotionKind.choices)
    status = serializers.ChoiceField(choices=PromotionStatus.choices, read_only=True)
    categories = SlugLookupField(slug_field="slug", queryset=Category.objects.all(), many=True, required=False)
    items = PromotionItemSerializer(many=True, required=False, max_length=MAX_PROMOTION_ITEMS)

    percent_off = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("99.99"),
        required=False,
        allow_null=True,
        help_text=KIND_FIELD_HELP,
    )
    amount_off = _money(min_value=Decimal("0.01"), required=False, allow_null=True, help_text=KIND_FIELD_HELP)
    threshold_amount = _money(min_value=Decimal("0.01"), required=False, allow_null=True, help_text=KIND_FIELD_HELP)
    coupon_value = _money(min_value=Decimal("0.01"), required=False, allow_null=True, help_text=KIND_FIELD_HELP)
    coupon_quantity = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True, help_text=KIND_FIELD_HELP
    )
    flash_quantity = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True, help_text=KIND_FIELD_HELP
    )
    stream_url = serializers.URLField(required=False, allow_blank=True, help_text=KIND_FIELD_HELP)
    stream_starts_at = MomentField(required=False, allow_null=True, help_text=KIND_FIELD_HELP)
    starts_at = MomentField()
    ends_at = MomentField()

    class Meta:
        model = Promotion
        fields = [
            "id",
            "festival",
            "merchant",
            "merchant_name",
            "title",
            "description",
            "kind",
            "starts_at",
            "ends_at",
            "categories",
            "status",
            *KIND_FIELDS,
            "items",
            "submitted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "merchant", "merchant_name", "status", "submitted_at", "created_at", "updated_at"]
        # stream_host is the model's field, so it keeps the model's validators (length,
        # control characters) and the schema states them.
        extra_kwargs = {
            "description": {"required": False},
            "stream_host": {"required": False, "help_text": KIND_FIELD_HELP},
        }

    def to_representation(self, promotion):
        # Lists of 100 promotions are the API's hottest path: build the dict
        # directly instead of running ~30 DRF fields per promotion. It must equal
        # field_representation() (tests/api/test_api_serializers.py checks every kind).
        return promotion_representation(promotion)

    def field_representation(self, promotion):
        """The same output through DRF's fields (the reference for the fast path)."""
        data = super().to_representation(promotion)
        for name in set(KIND_FIELDS) - set(fields_for_kind(promotion.kind)):
            data.pop(name, None)
        return data

    def validate_items(self, items):
        products = [item["product_id"] for item in items]
        if len(set(products)) != len(products):
            raise serializers.ValidationError(_("Each product may appear only once."))
        return items

    def validate(self, attrs):
        if self.instance is not None and "festival" in attrs and attrs["festival"] != self.instance.festival:
            raise serializers.ValidationError({"festival": _("A promotion cannot move to another festival.")})
        return attrs


def _moment(value, zone=None):
    """As DRF's DateTimeField shows it: ISO 8601 in the current time zone (``zone``, when
    the caller looked it up once for many values)."""
    if value is None:
        return None
    text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def promotion_representation(promotion) -> dict:
    """PromotionSerializer's output, built directly (see PromotionSerializer.to_representation).

    Categories and items come from api.selectors.attach_promotion_details: a list
    attaches them to its whole page; a single promotion (a detail, a webhook) here."""
    if getattr(promotion, PAGE_ITEMS, None) is None:
        attach_promotion_details([promotion])
    zone = timezone.get_current_timezone()
    data = {
        "id": promotion.pk,
        "festival": promotion.festival.slug,
        "merchant": promotion.merchant_id,
        "merchant_name": promotion.merchant.name,
        "title": promotion.title,
        "description": promotion.description,
        "kind": promotion.kind,
        "starts_at": _moment(promotion.starts_at, zone),
        "ends_at": _moment(promotion.ends_at, zone),
        "categories": getattr(promotion, PAGE_CATEGORY_SLUGS),
        "status": promotion.status,
    }
    allowed = fields_for_kind(promotion.kind)
    for name in KIND_FIELDS:
        if name not in allowed:
            continue
        value = getattr(promotion, name)
        if name in DECIMAL_KIND_FIELDS:
            value = cents(value)
        elif name == "stream_starts_at":
            value = _moment(value, zone)
        data[name] = value
    data["items"] = getattr(promotion, PAGE_ITEMS)
    data["submitted_at"] = _moment(promotion.submitted_at, zone)
    data["created_at"] = _moment(promotion.created_at, zone)
    data["updated_at"] = _moment(promotion.updated_at, zone)
    return data


DECIMAL_KIND_FIELDS = frozenset({"percent_off", "amount_off", "threshold_amount", "coupon_value"})


class PromotionCreateSerializer(PromotionSerializer):
    """POST: ``festival``, ``title``, ``kind``, ``starts_at`` and ``ends_at`` are required."""

    class Meta(PromotionSerializer.Meta):
        pass


class PromotionUpdateSerializer(PromotionSerializer):
    """PATCH: every field optional; ``festival`` cannot change."""

    starts_at = MomentField(required=False)
    ends_at = MomentField(required=False)

    festival = SlugLookupField(slug_field="slug", queryset=Festival.objects.all(), required=False)


class SubmissionRefusedItemSerializer(serializers.Serializer):
    product = serializers.IntegerField(allow_null=True)
    sku = serializers.CharField()
    check_status = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class SubmissionRefusedSerializer(serializers.Serializer):
    """A refused submission: ``items`` when the honest-price check refused it
    (``items_fail_check``); any other refusal (no items, deadline passed) is a plain error."""

    detail = serializers.CharField()
    code = serializers.CharField()
    items = SubmissionRefusedItemSerializer(many=True, required=False)
