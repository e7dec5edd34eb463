"""Festivals, the category tree and a festival's results."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api import selectors
from api.filters import FestivalFilter
from api.serializers.festivals import CategoryTreeSerializer, FestivalResultsSerializer, FestivalSerializer
from api.views.base import SLUG_PATTERN, ApiView


@extend_schema_view(
    list=extend_schema(summary="List festivals"),
    retrieve=extend_schema(summary="A festival: window, time zone, status and honesty rules"),
)
class FestivalViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = FestivalSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filterset_class = FestivalFilter
    carrier_keys_allowed = True  # carriers read the festivals' windows they report for

    def get_queryset(self):
        return selectors.festivals()

    @extend_schema(
        summary="Aggregated results of a festival",
        responses=FestivalResultsSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None, filter_backends=())
    def results(self, request, slug=None):
        festival = self.get_object()
        data = FestivalResultsSerializer(selectors.festival_results(festival)).data
        return Response(data)


class CategoryTreeView(ApiView, GenericAPIView):
    serializer_class = CategoryTreeSerializer
    pagination_class = None
    filter_backends = ()

    @extend_schema(
        summary="The category tree (root nodes with nested children)",
        responses=CategoryTreeSerializer(many=True),
    )
    def get(self, request):
        tree = selectors.category_tree()
        return Response(CategoryTreeSerializer(tree, many=True).data)
