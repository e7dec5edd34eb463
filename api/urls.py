from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api.exceptions import unmatched_path
from api.views.festivals import CategoryTreeView, FestivalViewSet
from api.views.merchants import MerchantViewSet
from api.views.parcels import ParcelsView
from api.views.products import BulkPricesView, ProductViewSet
from api.views.promotions import PromotionViewSet
from api.views.reports import PriceReportViewSet
from api.views.sales import SalesReportViewSet
from api.views.webhooks import WebhookViewSet

app_name = "api"

router = DefaultRouter()
router.register("festivals", FestivalViewSet, basename="festival")
router.register("merchants", MerchantViewSet, basename="merchant")
router.register("promotions", PromotionViewSet, basename="promotion")
router.register("products", ProductViewSet, basename="product")
router.register("sales-reports", SalesReportViewSet, basename="sales-report")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("reports", PriceReportViewSet, basename="report")

urlpatterns = [
    path("categories/", CategoryTreeView.as_view(), name="category-tree"),
    path("prices/", BulkPricesView.as_view(), name="bulk-prices"),
    path("parcels/", ParcelsView.as_view(), name="parcels"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/docs.html"),
        name="docs",
    ),
    *router.urls,
    # Last: what nothing above matched. Only addresses ending in "/", so one without
    # its slash is still redirected to the address with it (APPEND_SLASH) first.
    re_path(r"^(?P<path>(?s:.*)/)?$", unmatched_path),  # (?s): a newline in an id is not found too,
]
