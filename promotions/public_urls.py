"""Public consumer pages at / (namespace ``public``)."""

from django.urls import path

from . import public_views

app_name = "public"

urlpatterns = [
    path("", public_views.index, name="index"),
    path("festivals/<slug:slug>/", public_views.festival_detail, name="festival"),
    path("promotions/<int:pk>/", public_views.promotion_detail, name="promotion"),
]
