"""Products and their price points: records kept by the merchants, read-only here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from core.admin_display import ReadOnlyAdmin
from festival.admin_scoping import ScopedAdminMixin

from ..models import PricePoint, Product


@admin.register(Product)
class ProductAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ("sku", "name", "merchant", "category", "unit")
    list_select_related = ("merchant", "category__parent")
    list_filter = ("category",)
    search_fields = ("sku", "name", "merchant__name")


@admin.register(PricePoint)
class PricePointAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    """Price history is the evidence behind the honest-price check: never edited here."""

    list_display = ("product", "merchant", "price", "recorded_at", "source")
    list_select_related = ("product__merchant",)
    # A date filter, not date_hierarchy: the hierarchy reads every row's date to draw its
    # links (1.7 s over 5 million price points, issue 17); the filter's choices are fixed.
    list_filter = ("source", "recorded_at")
    search_fields = ("product__sku", "product__merchant__name")

    @admin.display(description=gettext_lazy("merchant"))
    def merchant(self, point):
        return point.product.merchant
