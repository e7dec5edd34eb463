"""The merchant portal at /merchant/ (namespace ``merchant``): the portal's home and
promotion pages (under promotions/) from this app, with merchants' account, company,
certificate and product pages (merchants/urls.py) joined in. Composed here, the layer
above merchants, so merchants never imports promotions; the root URLconf includes it
by name."""

from django.urls import include, path

from merchants import urls as merchant_urls

from . import views

app_name = "merchant"

promotion_patterns = [
    path("", views.promotion_list, name="promotion_list"),
    path("new/", views.promotion_new, name="promotion_new"),
    path("new/<int:festival_pk>/", views.promotion_create, name="promotion_create"),
    path("new/<int:festival_pk>/price/", views.promotion_price_hint, name="promotion_price_hint"),
    path("<int:pk>/", views.promotion_detail, name="promotion_detail"),
    path("<int:pk>/edit/", views.promotion_edit, name="promotion_edit"),
    path("<int:pk>/preview/", views.promotion_preview, name="promotion_preview"),
    path("<int:pk>/submit/", views.promotion_submit, name="promotion_submit"),
    path("<int:pk>/withdraw/", views.promotion_withdraw, name="promotion_withdraw"),
    path("<int:pk>/delete/", views.promotion_delete, name="promotion_delete"),
]

urlpatterns = [
    path("", views.home, name="home"),  # the home lists the merchant's promotions
    *merchant_urls.urlpatterns,
    path("promotions/", include(promotion_patterns)),
]
