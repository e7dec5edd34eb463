from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from api import views

app_name = "api"

router = DefaultRouter()
router.register("festivals", views.FestivalViewSet, basename="festival")
router.register("merchants", views.MerchantViewSet, basename="merchant")
router.register("promotions", views.PromotionViewSet, basename="promotion")
router.register("products", views.ProductViewSet, basename="product")
router.register("sales-reports", views.SalesReportViewSet, basename="sales-report")
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns = [
    path("categories/", views.CategoryTreeView.as_view(), name="category-tree"),
    path("prices/", views.BulkPricesView.as_view(), name="bulk-prices"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
