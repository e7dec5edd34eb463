"""Consumer reports as partners see them: never the tracking code, the consumer's email, IP hash or screenshot."""

from rest_framework import serializers

from reports.models import PriceReport


class PriceReportSerializer(serializers.ModelSerializer):
    promotion = serializers.IntegerField(source="promotion_id", read_only=True)
    merchant = serializers.IntegerField(source="merchant_id", read_only=True)
    item = serializers.IntegerField(source="item_id", read_only=True)
    product_sku = serializers.CharField(source="item.product.sku", read_only=True)
    seen_price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True, read_only=True)

    class Meta:
        model = PriceReport
        fields = [
            "id",
            "promotion",
            "merchant",
            "item",
            "product_sku",
            "reason",
            "seen_price",
            "seen_at",
            "proposed_finding",
            "status",
            "created_at",
            "decided_at",
            "decision_note",
            "merchant_warned",
            "cancellation_requested",
            "evidence",
        ]
        read_only_fields = fields
