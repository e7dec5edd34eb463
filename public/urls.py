"""The public festival site at / (namespace ``public``)."""

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.index, name="index"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("festivals/<slug:slug>/", views.festival_detail, name="festival"),
    path("festivals/<slug:slug>/promotions/", views.promotion_list, name="promotions"),
    path("festivals/<slug:slug>/results/", views.results, name="results"),
    path("festivals/<slug:slug>/results.csv", views.results_csv, name="results_csv"),
    path("festivals/<slug:slug>/results.json", views.results_json, name="results_json"),
    path("promotions/<int:pk>/", views.promotion_detail, name="promotion"),
    path("merchants/", views.merchant_list, name="merchants"),
    path("merchants/<int:pk>/", views.merchant_detail, name="merchant"),
]
