"""A merchant's daily sales reports."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from api import selectors
from api.filters import SalesReportFilter
from api.models import ApiScope
from api.permissions import OwnMerchantResource
from api.serializers.sales import SalesReportSerializer
from api.views.base import ID_PATTERN, ApiView
from merchants import services as merchant_services


@extend_schema_view(
    list=extend_schema(summary="Your sales reports"),
    retrieve=extend_schema(summary="One of your sales reports"),
    create=extend_schema(
        summary="Report a day's sales (the same festival and day replaces the earlier figure)",
        responses={201: SalesReportSerializer, 200: SalesReportSerializer},
    ),
)
class SalesReportViewSet(
    ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = SalesReportSerializer
    permission_classes = (OwnMerchantResource,)
    write_scope = ApiScope.SALES_WRITE
    filterset_class = SalesReportFilter
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.own_sales_reports(self.actor.merchant)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The service refuses a festival the merchant is not an approved participant of.
        report, created = merchant_services.report_sales(
            self.actor.merchant, data["festival"], date=data["date"], gmv=data["gmv"], orders=data["orders"]
        )
        return Response(
            self.get_serializer(report).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
