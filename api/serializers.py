"""Serializers of the partner API (/api/v1/): the payload shapes of issue 6.

Output shapes are the contract partners code against, and webhook payloads
reuse them ("the object as the API shows it"), so every serializer here works
without a request in its context: ``PromotionSerializer(promotion).data``.

Writes are only *validated* here; views hand validated data to the services
(promotions.services, merchants.services), which own every state change.
"""

import re
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.models import ApiScope, WebhookEvent, WebhookSubscription
from festival.models import Category, Festival
from merchants.models import Merchant, ParticipationStatus, PricePoint, Product, SalesReport
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

MAX_BULK_PRICES = 10_000
MAX_PROMOTION_ITEMS = 1_000
CENT = Decimal("0.01")
MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


def _money(**kwargs):
    return serializers.DecimalField(**MONEY, **kwargs)


FIRST_YEAR, LAST_YEAR = 1970, 2999


class MomentField(serializers.DateTimeField):
    """An ISO 8601 moment (with offset; without one, Asia/Shanghai) between 1970 and 2999.

    Far-off years are refused: they overflow time-zone arithmetic and, before
    1901, come back with local mean time offsets such as +08:05:43.
    """

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not (FIRST_YEAR <= moment.year <= LAST_YEAR):
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

    def to_internal_value(self, data):
        if not isinstance(data, str) or not self.SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:60])
        return super().to_internal_value(data)


# Festivals and categories -------------------------------------------------------


class FestivalSerializer(serializers.ModelSerializer):
    """A festival edition: window, time zone, status and honesty rules."""

    organisers = serializers.SerializerMethodField()
    min_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    raise_tolerance_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)

    class Meta:
        model = Festival
        fields = [
            "slug",
            "name",
            "name_en",
            "edition",
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


# Merchants ---------------------------------------------------------------------


class MerchantContactSerializer(serializers.Serializer):
    contact_name = serializers.CharField(read_only=True)
    contact_email = serializers.CharField(read_only=True)
    contact_phone = serializers.CharField(read_only=True)
    website = serializers.CharField(read_only=True)


class MerchantSerializer(serializers.ModelSerializer):
    """An approved participant. Contact details only for organisers and the merchant itself."""

    categories = serializers.SerializerMethodField()
    festivals = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()

    class Meta:
        model = Merchant
        fields = ["id", "name", "kind", "country", "uscc", "categories", "festivals", "contact"]
        read_only_fields = fields

    def _approved(self, merchant):
        # Views prefetch the approved participations as ``approved_participations``.
        participations = getattr(merchant, "approved_participations", None)
        if participations is None:
            participations = merchant.participations.filter(status=ParticipationStatus.APPROVED).prefetch_related(
                "categories", "festival"
            )
        return participations

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_categories(self, merchant) -> list[str]:
        slugs = {c.slug for p in self._approved(merchant) for c in p.categories.all()}
        return sorted(slugs)

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_festivals(self, merchant) -> list[str]:
        return sorted({p.festival.slug for p in self._approved(merchant)})

    @extend_schema_field(MerchantContactSerializer(allow_null=True))
    def get_contact(self, merchant):
        viewer = self.context.get("actor")
        if viewer is None or not viewer.may_see_contact_of(merchant):
            return None
        return MerchantContactSerializer(merchant).data


# Products and prices ---------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    category = SlugLookupField(slug_field="slug", queryset=Category.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "category", "unit", "description", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # SKU uniqueness per merchant is checked by the service (the merchant is not a field here).
        validators = []
        extra_kwargs = {"description": {"required": False}, "unit": {"required": False}}


class PricePointSerializer(serializers.ModelSerializer):
    """A price point; ``product`` is the product id (from the URL on POST /products/{id}/prices/)."""

    product = serializers.IntegerField(source="product_id", read_only=True)
    price = _money(min_value=Decimal("0.01"))
    recorded_at = MomentField()

    class Meta:
        model = PricePoint
        fields = ["id", "product", "price", "recorded_at", "source"]
        read_only_fields = ["id", "product", "source"]


class BulkPricePointSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    price = _money(min_value=Decimal("0.01"))
    recorded_at = MomentField()


class BoundedListField(serializers.ListField):
    """Refuses an over-long list before validating its items (no CPU burnt on 100,000 rows)."""

    def to_internal_value(self, data):
        if self.max_length is not None and isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class BulkPricesSerializer(serializers.Serializer):
    prices = BoundedListField(
        child=BulkPricePointSerializer(), allow_empty=False, max_length=MAX_BULK_PRICES, min_length=1
    )


class BulkPricesResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(read_only=True)


# Promotions -------------------------------------------------------------------------


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


class PromotionSerializer(serializers.ModelSerializer):
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
    stream_host = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text=KIND_FIELD_HELP)
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
        extra_kwargs = {"description": {"required": False}}

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


def _moment(value):
    """As DRF's DateTimeField shows it: ISO 8601 in the current time zone."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _decimal(value):
    """As DRF's DecimalField(decimal_places=2, coerce_to_string=True) shows it."""
    return None if value is None else f"{value.quantize(CENT):f}"


def _prefetched(instance, attribute, relation):
    """The list api.selectors prefetched, or the relation itself (e.g. for a webhook payload)."""
    found = getattr(instance, attribute, None)
    return found if found is not None else getattr(instance, relation).all()


def promotion_item_representation(item) -> dict:
    return {
        "product": item.product_id,
        "sku": item.product.sku,
        "promo_price": _decimal(item.promo_price),
        "reference_price": _decimal(item.reference_price),
        "reference_source": item.reference_source or None,
        "real_discount_percent": _decimal(item.real_discount_percent),
        "check_status": item.check_status or None,
        "check_reasons": [str(reason) for reason in item.check_reasons or ()],
    }


def promotion_representation(promotion) -> dict:
    """PromotionSerializer's output, built directly (see PromotionSerializer.to_representation)."""
    data = {
        "id": promotion.pk,
        "festival": promotion.festival.slug,
        "merchant": promotion.merchant_id,
        "merchant_name": promotion.merchant.name,
        "title": promotion.title,
        "description": promotion.description,
        "kind": promotion.kind,
        "starts_at": _moment(promotion.starts_at),
        "ends_at": _moment(promotion.ends_at),
        "categories": [category.slug for category in _prefetched(promotion, "prefetched_categories", "categories")],
        "status": promotion.status,
    }
    allowed = fields_for_kind(promotion.kind)
    for name in KIND_FIELDS:
        if name not in allowed:
            continue
        value = getattr(promotion, name)
        if name in DECIMAL_KIND_FIELDS:
            value = _decimal(value)
        elif name == "stream_starts_at":
            value = _moment(value)
        data[name] = value
    data["items"] = [
        promotion_item_representation(item) for item in _prefetched(promotion, "prefetched_items", "items")
    ]
    data["submitted_at"] = _moment(promotion.submitted_at)
    data["created_at"] = _moment(promotion.created_at)
    data["updated_at"] = _moment(promotion.updated_at)
    return data


DECIMAL_KIND_FIELDS = frozenset({"percent_off", "amount_off", "threshold_amount", "coupon_value"})


class PromotionCreateSerializer(PromotionSerializer):
    """POST: ``festival``, ``title``, ``kind``, ``starts_at`` and ``ends_at`` are required."""

    class Meta(PromotionSerializer.Meta):
        extra_kwargs = {"description": {"required": False}}


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
    detail = serializers.CharField()
    code = serializers.CharField()
    items = SubmissionRefusedItemSerializer(many=True)


# Sales reports --------------------------------------------------------------------------


class SalesReportSerializer(serializers.ModelSerializer):
    festival = SlugLookupField(slug_field="slug", queryset=Festival.objects.all())
    gmv = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0"), coerce_to_string=True)
    orders = serializers.IntegerField(min_value=0, max_value=2**31 - 1)

    class Meta:
        model = SalesReport
        fields = ["id", "festival", "date", "gmv", "orders", "reported_at"]
        read_only_fields = ["id", "reported_at"]
        validators = []  # the service replaces the day's earlier figure instead of refusing it


# Webhooks ------------------------------------------------------------------------------------


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """A webhook subscription; ``secret`` is only in the answer to the POST that created it."""

    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, max_length=len(WebhookEvent)
    )
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "active", "state", "created_at"]
        read_only_fields = ["id", "active", "state", "created_at"]

    def validate_url(self, url):
        from django.core.exceptions import ValidationError as DjangoValidationError

        from api.webhook_targets import validate_webhook_url

        try:
            validate_webhook_url(url)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return url

    def validate_events(self, events):
        return list(dict.fromkeys(events))


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text=gettext_lazy("Shown once; store it to check signatures."))

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSubscriptionSerializer.Meta.read_only_fields, "secret"]


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


class FestivalResultsSerializer(serializers.Serializer):
    festival = serializers.SlugField()
    merchants = MerchantResultSerializer()
    promotions = PromotionResultSerializer()
    sales = SalesResultSerializer()


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
