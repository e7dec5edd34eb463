"""Approved participants (merchants)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from api import selectors
from api.filters import MerchantFilter
from api.serializers.merchants import MerchantSerializer
from api.views.base import ID_PATTERN, ApiView


@extend_schema_view(
    list=extend_schema(summary="Approved participants"),
    retrieve=extend_schema(summary="An approved participant"),
)
class MerchantViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = MerchantSerializer
    filterset_class = MerchantFilter
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.approved_merchants()
