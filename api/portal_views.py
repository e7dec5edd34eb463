"""Merchant portal pages where a merchant's owner creates and revokes its own
merchant-bound API keys. The raw key is shown once, on the page answering the
creation, and never stored."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from api import services
from api.models import ApiKey, ApiScope
from merchants.models import MembershipRole


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50, help_text=gettext_lazy("What the key is for."))
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        # parcels:write is for express carriers' keys, never a merchant's.
        choices=[(value, label) for value, label in ApiScope.choices if value != ApiScope.PARCELS_WRITE],
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.READ],
    )


def _owner_merchant(request):
    membership = getattr(request.user, "membership", None)
    if membership is None or membership.role != MembershipRole.OWNER:
        raise PermissionDenied(_("Only the merchant's owner can manage its API keys."))
    # The pages sit inside the portal's shell (navigation, logout), which reads these.
    request.membership = membership
    request.merchant = membership.merchant
    return membership.merchant


@login_required
def key_list(request):
    merchant = _owner_merchant(request)
    keys = ApiKey.objects.filter(merchant=merchant).order_by("revoked", "-created")
    return render(request, "merchant/api_keys.html", {"merchant": merchant, "keys": keys})


@login_required
@require_http_methods(["GET", "POST"])
def key_create(request):
    merchant = _owner_merchant(request)
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            api_key, raw_key = services.create_merchant_api_key(
                user=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            response = render(
                request,
                "merchant/api_keys_created.html",
                {
                    "merchant": merchant,
                    "api_key": api_key,
                    "raw_key": raw_key,
                    "scope_labels": [str(dict(ApiScope.choices).get(s, s)) for s in api_key.scopes or []],
                },
            )
            add_never_cache_headers(response)  # the raw key must not linger in caches
            return response
    return render(request, "merchant/api_keys_form.html", {"merchant": merchant, "form": form})


@login_required
@require_POST
def key_revoke(request, prefix):
    merchant = _owner_merchant(request)
    api_key = get_object_or_404(ApiKey, prefix=prefix, merchant=merchant)
    services.revoke_merchant_api_key(api_key, user=request.user)
    messages.success(request, _("The key “%(name)s” is revoked.") % {"name": api_key.name})
    return redirect("merchant_keys:list")
