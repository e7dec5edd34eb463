"""Consumer reports (read-only): organiser keys see all, merchant-bound keys their own."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets

from api import selectors
from api.authentication import actor_for
from api.models import ApiScope
from api.permissions import _require_authenticated, _require_scope
from api.serializers.reports import PriceReportSerializer
from api.views.base import ID_PATTERN, ApiView


class ReportsReader(permissions.BasePermission):
    def has_permission(self, request, view):
        actor = actor_for(request)
        _require_authenticated(actor)
        _require_scope(actor, ApiScope.REPORTS_READ)
        return True


@extend_schema_view(
    list=extend_schema(summary="Consumer reports (organiser keys: their festivals'; merchant-bound keys: your own)"),
    retrieve=extend_schema(summary="One consumer report"),
)
class PriceReportViewSet(ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PriceReportSerializer
    permission_classes = (ReportsReader,)
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.visible_reports(self.actor)
