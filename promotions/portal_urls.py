"""The merchant portal's promotion pages, under /merchant/promotions/, and the portal's
home at /merchant/ (it lists the merchant's promotions). Included from the root URLconf
in the ``merchant`` namespace, beside merchants/urls.py."""

from django.urls import path

from . import views

home_patterns = [
    path("", views.home, name="home"),
]

urlpatterns = [
    path("new/", views.promotion_new, name="promotion_new"),
    path("new/<int:festival_pk>/", views.promotion_create, name="promotion_create"),
    path("<int:pk>/", views.promotion_detail, name="promotion_detail"),
    path("<int:pk>/edit/", views.promotion_edit, name="promotion_edit"),
    path("<int:pk>/preview/", views.promotion_preview, name="promotion_preview"),
    path("<int:pk>/submit/", views.promotion_submit, name="promotion_submit"),
    path("<int:pk>/withdraw/", views.promotion_withdraw, name="promotion_withdraw"),
    path("<int:pk>/delete/", views.promotion_delete, name="promotion_delete"),
]
