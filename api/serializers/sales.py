"""A merchant's daily sales reports."""

from decimal import Decimal

from rest_framework import serializers

from api.serializers.common import SlugLookupField
from festival.models import Festival
from merchants.models import SalesReport


class SalesReportSerializer(serializers.ModelSerializer):
    festival = SlugLookupField(slug_field="slug", queryset=Festival.objects.all())
    gmv = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0"), coerce_to_string=True)
    orders = serializers.IntegerField(min_value=0, max_value=2**31 - 1)

    class Meta:
        model = SalesReport
        fields = ["id", "festival", "date", "gmv", "orders", "reported_at"]
        read_only_fields = ["id", "reported_at"]
        validators = []  # the service replaces the day's earlier figure instead of refusing it
