"""The merchant portal's account, company, certificate, product and price pages.

promotions/portal_urls.py puts them under /merchant/ in the ``merchant`` namespace,
beside its promotion pages, so the portal is one place for the merchant while
merchants never imports promotions.
"""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

account_patterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/password_change_form.html",
            success_url=reverse_lazy("merchant:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/password_reset_form.html",
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("merchant:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("merchant:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("setup/<uidb64>/<token>/", views.AccountSetupView.as_view(), name="account_setup"),
]

urlpatterns = [
    *account_patterns,
    path("festivals/<int:festival_pk>/apply/", views.apply, name="apply"),
    path("profile/", views.profile, name="profile"),
    path("certificates/", views.certificates, name="certificates"),
    path("products/", views.products, name="products"),
    path("products/add/", views.product_form, name="product_add"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_form, name="product_edit"),
    path("prices/upload/", views.price_upload, name="price_upload"),
    path("prices/upload/confirm/", views.price_upload_confirm, name="price_upload_confirm"),
    path("prices/template.csv", views.price_template, name="price_template"),
]
