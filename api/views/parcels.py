"""Express carriers' parcel reports: carriers report a batch of days and provinces;
anyone reads the national and per-province totals (never per carrier)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api.permissions import ParcelReporting
from api.serializers.parcels import (
    ParcelBatchSerializer,
    ParcelQuerySerializer,
    ParcelsRefusedSerializer,
    ParcelsStoredSerializer,
    ParcelTotalsSerializer,
)
from api.views.base import ApiView
from core.workflow import DomainError
from logistics import selectors, services
from logistics.models import ReportChannel
from logistics.periods import reporting_period


class ParcelsView(ApiView, GenericAPIView):
    permission_classes = (ParcelReporting,)
    carrier_keys_allowed = True
    pagination_class = None
    filter_backends = ()
    serializer_class = ParcelTotalsSerializer

    @extend_schema(
        summary="Parcel totals per day, nationally and per province (a carrier's key: also its own rows)",
        parameters=[
            OpenApiParameter(
                "festival", OpenApiTypes.STR, description="A festival's slug: its days and 30 on each side."
            ),
            OpenApiParameter("date", OpenApiTypes.DATE, description="One day (YYYY-MM-DD)."),
            OpenApiParameter("province", OpenApiTypes.STR, description="A GB/T 2260 province code, e.g. 330000."),
        ],
        responses=ParcelTotalsSerializer,
    )
    def get(self, request):
        query = ParcelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        festival, day, province = (query.validated_data.get(name) for name in ("festival", "date", "province"))
        period = reporting_period(festival) if festival is not None else None
        data = {
            "national": [t.as_dict() for t in selectors.daily_totals(period, day=day, province=province)],
            "provinces": [t.as_dict() for t in selectors.province_daily_totals(period, day=day, province=province)],
        }
        carrier = self.actor.carrier
        if carrier is not None:
            data["own"] = selectors.own_reports(carrier, period, day=day, province=province)
        return Response(ParcelTotalsSerializer(data).data)

    @extend_schema(
        summary="Report a carrier's parcels: up to 5,000 days × provinces, all or nothing",
        request=ParcelBatchSerializer,
        responses={
            200: ParcelsStoredSerializer,
            400: OpenApiResponse(
                ParcelsRefusedSerializer,
                description="Refused, nothing stored: `errors` lists each refused row's index, field and message.",
            ),
        },
    )
    def post(self, request):
        carrier = self.actor.carrier
        body = request.data
        rows = body.get("reports") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            return Response(
                {"detail": _('Send {"reports": [...]}: a list of rows.'), "code": "invalid_body", "stored": 0},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            outcome = services.report_parcels(
                carrier,
                rows,
                channel=ReportChannel.API,
                reporter=services.reporter_for_key(self.actor.api_key),
            )
        except services.ParcelReportsRefused as refused:
            return Response(
                {
                    "detail": refused.message,
                    "code": refused.code,
                    "stored": 0,
                    "errors": [error.as_dict() for error in refused.errors],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except DomainError as error:
            return Response(
                {"detail": error.message, "code": error.code, "stored": 0}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(outcome.as_dict(), status=status.HTTP_200_OK)
