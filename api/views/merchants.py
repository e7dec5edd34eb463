"""Approved participants (merchants)."""

from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from api import selectors
from api.filters import MerchantFilter, stated_limits
from api.serializers.merchants import MerchantSerializer
from api.views.base import ID_PATTERN, ApiView
from merchants.selectors import visible_merchants


@extend_schema_view(
    list=extend_schema(summary="Approved participants", parameters=stated_limits(MerchantFilter)),
    retrieve=extend_schema(summary="An approved participant"),
)
class MerchantViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = MerchantSerializer
    filterset_class = MerchantFilter
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        merchants = selectors.approved_merchants()
        if self.actor.is_organiser:
            # Whether the caller's teams see each merchant (contact details), in the list's one query.
            merchants = merchants.annotate(
                contact_visible=Exists(visible_merchants(self.actor.team).filter(pk=OuterRef("pk")))
            )
        return merchants
