"""A merchant's products, their price points and the bulk price upload."""

from decimal import Decimal

from rest_framework import serializers

from api.serializers.common import MomentField, SlugLookupField, TextModelSerializer, _money
from festival.models import Category
from merchants.models import PricePoint, Product

MAX_BULK_PRICES = 10_000


class ProductSerializer(TextModelSerializer):
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
