"""A merchant's products, their price history and the bulk price upload."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api import selectors
from api.models import ApiScope
from api.permissions import OwnMerchantResource
from api.serializers.products import (
    BulkPricesResultSerializer,
    BulkPricesSerializer,
    PricePointSerializer,
    ProductSerializer,
)
from api.views.base import ID_PATTERN, ApiView
from merchants import services as merchant_services
from merchants.models import PriceSource, Product


@extend_schema_view(
    list=extend_schema(summary="Your products"),
    retrieve=extend_schema(summary="One of your products"),
    create=extend_schema(summary="Add a product"),
    partial_update=extend_schema(summary="Edit a product"),
)
class ProductViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProductSerializer
    permission_classes = (OwnMerchantResource,)
    write_scope = ApiScope.PRICES_WRITE
    lookup_value_regex = ID_PATTERN
    http_method_names = ("get", "post", "patch", "head", "options")
    filter_backends = ()

    def get_queryset(self):
        return selectors.own_products(self.actor.merchant)

    def perform_create(self, serializer):
        product = Product(merchant=self.actor.merchant, **serializer.validated_data)
        serializer.instance = merchant_services.save_product(product)

    def perform_update(self, serializer):
        product = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(product, name, value)
        serializer.instance = merchant_services.save_product(product)

    @extend_schema(
        methods=["GET"],
        summary="Price history of one of your products",
        responses=PricePointSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a price of one of your products",
        request=PricePointSerializer,
        responses={201: PricePointSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get", "post"], serializer_class=PricePointSerializer, filter_backends=())
    def prices(self, request, pk=None):
        product = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.price_points(product))
            return self.get_paginated_response(PricePointSerializer(page, many=True).data)
        serializer = PricePointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        point = merchant_services.record_price(product, source=PriceSource.API, **serializer.validated_data)
        return Response(PricePointSerializer(point).data, status=status.HTTP_201_CREATED)


class BulkPricesView(ApiView, GenericAPIView):
    serializer_class = BulkPricesSerializer
    permission_classes = (OwnMerchantResource,)
    write_scope = ApiScope.PRICES_WRITE
    pagination_class = None
    filter_backends = ()

    @extend_schema(
        summary="Record up to 10,000 prices of your products, all or nothing",
        responses={201: BulkPricesResultSerializer},
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data["prices"]
        ids = {row["product"] for row in rows}
        products = {p.pk: p for p in selectors.own_products(self.actor.merchant).filter(pk__in=ids)}
        errors = {
            index: {"product": [_("Unknown product %(id)s: choose one of your own products.") % {"id": row["product"]}]}
            for index, row in enumerate(rows)
            if row["product"] not in products
        }
        if errors:
            raise ValidationError({"prices": errors})
        points = merchant_services.record_prices(
            ((products[row["product"]], row["price"], row["recorded_at"]) for row in rows), source=PriceSource.API
        )
        return Response({"created": len(points)}, status=status.HTTP_201_CREATED)
