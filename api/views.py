"""Views of the partner API (/api/v1/). Thin: reads come from api.selectors,
writes go through promotions.services and merchants.services, who may do what
is api.permissions' job, and errors are shaped by api.exceptions."""

import hashlib
from functools import partial

from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api import selectors, serializers
from api import services as api_services
from api.authentication import actor_for
from api.filters import FestivalFilter, MerchantFilter, PromotionFilter, SalesReportFilter
from api.models import ApiScope
from api.pagination import ApiPagination
from api.permissions import OwnMerchantResource, OwnWebhooks, PublicReadMerchantWrite
from api.throttling import AnonThrottle, KeyThrottle, UserThrottle
from merchants import services as merchant_services
from merchants.models import PriceSource, Product
from promotions import services as promotion_services

ID_PATTERN = r"[0-9]{1,18}"
SLUG_PATTERN = r"[-a-zA-Z0-9_]{1,60}"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "Conflict."


def _with_etag(request, response):
    """After rendering: tag the body and answer 304 when the client already has it."""
    etag = quote_etag(hashlib.md5(response.content, usedforsecurity=False).hexdigest())
    response["ETag"] = etag
    return get_conditional_response(request, etag=etag, response=response)


# What every API view shares: pagination, throttles, ETag/304 and Vary. (A comment,
# not a docstring: drf-spectacular would show a docstring on every operation.)
class ApiView:
    pagination_class = ApiPagination
    throttle_classes = (AnonThrottle, KeyThrottle, UserThrottle)
    filter_backends = (DjangoFilterBackend,)

    @property
    def actor(self):
        return actor_for(self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["actor"] = self.actor
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.add_post_render_callback(partial(_with_etag, request._request))
        return response


# Festivals and categories --------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List festivals"),
    retrieve=extend_schema(summary="A festival: window, time zone, status and honesty rules"),
)
class FestivalViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.FestivalSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filterset_class = FestivalFilter

    def get_queryset(self):
        return selectors.festivals()

    @extend_schema(
        summary="Aggregated results of a festival",
        responses=serializers.FestivalResultsSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None, filter_backends=())
    def results(self, request, slug=None):
        festival = self.get_object()
        data = serializers.FestivalResultsSerializer(selectors.festival_results(festival)).data
        return Response(data)


class CategoryTreeView(ApiView, GenericAPIView):
    serializer_class = serializers.CategoryTreeSerializer
    pagination_class = None
    filter_backends = ()

    @extend_schema(
        summary="The category tree (root nodes with nested children)",
        responses=serializers.CategoryTreeSerializer(many=True),
    )
    def get(self, request):
        tree = selectors.category_tree()
        return Response(serializers.CategoryTreeSerializer(tree, many=True).data)


# Merchants --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Approved participants"),
    retrieve=extend_schema(summary="An approved participant"),
)
class MerchantViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.MerchantSerializer
    filterset_class = MerchantFilter
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.approved_merchants()


# Promotions ---------------------------------------------------------------------------------

ITEM_REFUSED = OpenApiResponse(
    serializers.SubmissionRefusedSerializer, description="Refused: items fail the honest-price check, with reasons."
)


@extend_schema_view(
    list=extend_schema(summary="Promotions you may see"),
    retrieve=extend_schema(summary="A promotion with its items and their honest-price check"),
    create=extend_schema(
        summary="Create a draft",
        request=serializers.PromotionCreateSerializer,
        responses={201: serializers.PromotionSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit a draft (or a promotion whose changes were requested)",
        request=serializers.PromotionUpdateSerializer,
        responses={200: serializers.PromotionSerializer},
    ),
    destroy=extend_schema(summary="Delete a draft (or a promotion whose changes were requested)"),
)
class PromotionViewSet(ApiView, viewsets.ModelViewSet):
    serializer_class = serializers.PromotionSerializer
    permission_classes = (PublicReadMerchantWrite,)
    filterset_class = PromotionFilter
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    ordering_fields = ("starts_at",)
    lookup_value_regex = ID_PATTERN
    http_method_names = ("get", "post", "patch", "delete", "head", "options")

    def get_queryset(self):
        queryset = selectors.visible_promotions(self.actor)
        if self.action in ("list", "retrieve"):
            queryset = selectors.promotions_for_listing(queryset)
        return queryset

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.PromotionCreateSerializer
        if self.action == "partial_update":
            return serializers.PromotionUpdateSerializer
        return serializers.PromotionSerializer

    def _items(self, validated_items):
        """Resolve item product ids to the merchant's own products (one query)."""
        if validated_items is None:
            return None
        ids = [item["product_id"] for item in validated_items]
        products = {p.pk: p for p in selectors.own_products(self.actor.merchant).filter(pk__in=ids)}
        errors = {
            index: {"product": [_("Unknown product %(id)s: choose one of your own products.") % {"id": pk}]}
            for index, pk in enumerate(ids)
            if pk not in products
        }
        if errors:
            raise ValidationError({"items": errors})
        return [
            {"product": products[item["product_id"]], "promo_price": item["promo_price"]} for item in validated_items
        ]

    def _output(self, promotion, status_code=status.HTTP_200_OK):
        promotion = selectors.promotion_for_output(promotion.pk)
        return Response(
            serializers.PromotionSerializer(promotion, context=self.get_serializer_context()).data, status=status_code
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        items = self._items(data.pop("items", []))
        categories = data.pop("categories", [])
        festival = data.pop("festival")
        promotion = promotion_services.create_promotion(
            merchant=self.actor.merchant,
            festival=festival,
            by=self.actor.user,
            items=items,
            categories=categories,
            **data,
        )
        return self._output(promotion, status.HTTP_201_CREATED)

    def _editable_object(self):
        promotion = self.get_object()
        if not promotion.is_editable:
            raise Conflict(
                _("Only drafts and promotions with changes requested can be changed; this one is “%(status)s”.")
                % {"status": promotion.get_status_display()}
            )
        return promotion

    def partial_update(self, request, *args, **kwargs):
        promotion = self._editable_object()
        serializer = self.get_serializer(promotion, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("festival", None)
        items = self._items(data.pop("items", None))
        categories = data.pop("categories", None)
        promotion = promotion_services.update_promotion(
            promotion, by=self.actor.user, items=items, categories=categories, **data
        )
        return self._output(promotion)

    def destroy(self, request, *args, **kwargs):
        promotion = self._editable_object()
        promotion_services.delete_promotion(promotion, by=self.actor.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Submit for review",
        request=None,
        responses={200: serializers.PromotionSerializer, 400: ITEM_REFUSED},
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=())
    def submit(self, request, pk=None):
        promotion = self.get_object()
        try:
            promotion = promotion_services.submit_promotion(promotion, by=self.actor.user)
        except promotion_services.SubmissionRefused as refused:
            return Response(self._refusal(promotion, refused), status=status.HTTP_400_BAD_REQUEST)
        return self._output(promotion)

    @staticmethod
    def _refusal(promotion, refused):
        failing = refused.details
        items = [
            {
                "product": item.product_id,
                "sku": item.product.sku,
                "check_status": item.check_status,
                "reasons": failing[item.product.sku],
            }
            for item in promotion.items.select_related("product").order_by("pk")
            if item.product.sku in failing
        ]
        return {"detail": refused.message, "code": refused.code, "items": items}

    @extend_schema(summary="Withdraw", request=None, responses={200: serializers.PromotionSerializer}, filters=False)
    @action(detail=True, methods=["post"], filter_backends=())
    def withdraw(self, request, pk=None):
        promotion = self.get_object()
        promotion = promotion_services.withdraw_promotion(promotion, by=self.actor.user)
        return self._output(promotion)


# Products and prices -------------------------------------------------------------------------------


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
    serializer_class = serializers.ProductSerializer
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
        responses=serializers.PricePointSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a price of one of your products",
        request=serializers.PricePointSerializer,
        responses={201: serializers.PricePointSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get", "post"], serializer_class=serializers.PricePointSerializer, filter_backends=())
    def prices(self, request, pk=None):
        product = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.price_points(product))
            return self.get_paginated_response(serializers.PricePointSerializer(page, many=True).data)
        serializer = serializers.PricePointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        point = merchant_services.record_price(product, source=PriceSource.API, **serializer.validated_data)
        return Response(serializers.PricePointSerializer(point).data, status=status.HTTP_201_CREATED)


class BulkPricesView(ApiView, GenericAPIView):
    serializer_class = serializers.BulkPricesSerializer
    permission_classes = (OwnMerchantResource,)
    write_scope = ApiScope.PRICES_WRITE
    pagination_class = None
    filter_backends = ()

    @extend_schema(
        summary="Record up to 10,000 prices of your products, all or nothing",
        responses={201: serializers.BulkPricesResultSerializer},
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


# Sales reports ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Your sales reports"),
    retrieve=extend_schema(summary="One of your sales reports"),
    create=extend_schema(
        summary="Report a day's sales (the same festival and day replaces the earlier figure)",
        responses={201: serializers.SalesReportSerializer, 200: serializers.SalesReportSerializer},
    ),
)
class SalesReportViewSet(
    ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = serializers.SalesReportSerializer
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
        merchant, festival = self.actor.merchant, data["festival"]
        if not selectors.is_approved_participant(merchant, festival):
            raise ValidationError({"festival": [_("Your merchant is not an approved participant of this festival.")]})
        report, created = merchant_services.report_sales(
            merchant, festival, date=data["date"], gmv=data["gmv"], orders=data["orders"]
        )
        return Response(
            self.get_serializer(report).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


# Webhooks -----------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Your webhook subscriptions"),
    retrieve=extend_schema(summary="One of your webhook subscriptions"),
    create=extend_schema(
        summary="Subscribe to events (the signing secret is in this answer only)",
        request=serializers.WebhookSubscriptionSerializer,
        responses={201: serializers.WebhookSubscriptionCreatedSerializer},
    ),
    destroy=extend_schema(summary="Delete a subscription"),
)
class WebhookViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.WebhookSubscriptionSerializer
    permission_classes = (OwnWebhooks,)
    lookup_value_regex = ID_PATTERN
    filter_backends = ()

    def get_queryset(self):
        return selectors.own_webhooks(self.actor)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = api_services.create_webhook_subscription(
            url=serializer.validated_data["url"],
            events=serializer.validated_data["events"],
            api_key=self.actor.api_key,
            owner=self.actor.user,
        )
        return Response(
            serializers.WebhookSubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )

    def perform_destroy(self, instance):
        api_services.delete_webhook_subscription(instance)
