"""Admin for partner API keys: organisers create keys (the raw key is shown
once, in a message), choose scopes and an optional merchant or express carrier, see when each key
was last used, and revoke keys (which cannot be undone)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from api import services
from api.models import ApiKey, ApiScope
from festival import scoping
from festival.admin_scoping import ScopedAdminMixin
from festival.models import Organiser

# The key library registers its own (unused) APIKey model: one API-keys entry is ours.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple, initial=[ApiScope.READ]
    )

    class Meta:
        model = ApiKey
        fields = ["name", "merchant", "carrier", "organiser", "scopes", "expiry_date", "revoked"]
        # The key library's own labels and help are English only.
        labels = {"name": _("name"), "expiry_date": _("expires"), "revoked": _("revoked")}
        help_texts = {
            "name": _("Who uses the key, e.g. the partner's system (at most 50 characters; need not be unique)."),
            "expiry_date": _("Once it has expired the key no longer works."),
            "revoked": _("A revoked key no longer works; this cannot be undone."),
            "organiser": _("An organiser's key sees what that organiser's team sees: its festivals and sub-festivals."),
        }

    user = None  # set per request (ApiKeyAdmin.get_form)

    def clean(self):
        cleaned = super().clean()
        merchant, carrier, organiser = cleaned.get("merchant"), cleaned.get("carrier"), cleaned.get("organiser")
        if sum(bound is not None for bound in (merchant, carrier, organiser)) > 1:
            self.add_error("organiser", _("Bind the key to one merchant, one carrier or one organiser, not more."))
        elif merchant is carrier is organiser is None and self.user is not None and not self.user.is_superuser:
            # A key bound to nobody sees every festival's reports: only superusers make those.
            self.add_error("organiser", _("Bind the key to your organiser or to a merchant."))
        return cleaned


class RevokedFilter(admin.BooleanFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("revoked")  # the key library's field names are English only


class CreatedFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("created")


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedAdminMixin, APIKeyModelAdmin):
    form = ApiKeyForm
    list_display = (
        "name",
        "prefix",
        "merchant",
        "carrier",
        "organiser",
        "scopes_display",
        "created",
        "last_used_at",
        "expiry_date",
        "revoked",
    )
    list_filter = (("revoked", RevokedFilter), ("created", CreatedFilter), "last_used_at")
    search_fields = ("name", "prefix", "merchant__name", "merchant__uscc")
    autocomplete_fields = ("merchant",)  # offers only the merchants the user's teams see
    list_select_related = ("merchant", "carrier", "organiser")
    actions = ["revoke_keys"]

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "last_used_at", "created_by", "created")
        if obj is not None:
            fields = (
                *fields,
                "merchant",
                "carrier",
                "organiser",
                "scopes",
            )  # a key's powers are fixed: revoke it, make another
        return fields

    def get_fields(self, request, obj=None):
        fields = ["name", "merchant", "carrier", "organiser", "scopes", "expiry_date"]
        if obj is not None:
            fields = ["prefix", *fields, "revoked", "created", "created_by", "last_used_at"]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organiser" and not request.user.is_superuser:
            # Only organisers whose team the user may make keys for.
            own = scoping.organiser_ids(request.user, "api.add_apikey") or frozenset()
            kwargs["queryset"] = Organiser.objects.filter(pk__in=list(own))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("scopes"))
    def scopes_display(self, obj):
        labels = dict(ApiScope.choices)
        return ", ".join(str(labels.get(scope, scope)) for scope in obj.scopes or [])

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        api_key, raw_key = services.create_api_key(
            name=obj.name,
            scopes=form.cleaned_data["scopes"],
            merchant=obj.merchant,
            carrier=obj.carrier,
            organiser=obj.organiser,
            by=request.user,
            expiry_date=obj.expiry_date,
        )
        obj.pk = api_key.pk
        obj.id = api_key.id
        obj._state.adding = False
        messages.warning(
            request,
            _("The API key for “%(name)s” is: %(key)s — store it now: it cannot be shown again.")
            % {"name": api_key.name, "key": raw_key},
        )

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke_keys(self, request, queryset):
        count = 0
        for api_key in queryset.filter(revoked=False):
            services.revoke_api_key(api_key, by=request.user)
            count += 1
        self.message_user(
            request, ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count}
        )
