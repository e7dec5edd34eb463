from django.urls import path

from api import portal_views

app_name = "merchant_keys"

urlpatterns = [
    path("", portal_views.key_list, name="list"),
    path("new/", portal_views.key_create, name="create"),
    path("<str:prefix>/revoke/", portal_views.key_revoke, name="revoke"),
]
