"""The organisers' back office: festival editions, organisers, categories and results."""

import zoneinfo

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_display import ReadOnlyAdmin, StatusHistoryInline, festival_time, status_badge

from . import scoping
from .admin_scoping import ScopedAdminMixin, ScopedInlineMixin
from .backends import forget_team_permissions
from .models import (
    Category,
    DailyResult,
    Festival,
    FestivalEvent,
    Organiser,
    Province,
    SentNotification,
    TeamMembership,
)
from .teams import add_team_member

admin.site.site_header = _("Festival desk back office")
admin.site.site_title = _("Festival desk")
admin.site.index_title = _("Organisers' back office")
admin.site.index_template = "admin/festival/index.html"


@admin.register(Organiser)
class OrganiserAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "name_en", "short_name", "province")
    list_filter = ("province",)
    list_select_related = ("province",)
    search_fields = ("name", "name_en", "short_name")


class FestivalEventInline(ScopedInlineMixin, StatusHistoryInline):
    model = FestivalEvent

    @admin.display(description=_("when (festival time)"))
    def when(self, event):
        return festival_time(event.festival, event.created_at)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("festival")


class FestivalAdminForm(forms.ModelForm):
    user = None  # set per request (FestivalAdmin.get_form)

    def clean(self):
        cleaned = super().clean()
        organisers = cleaned.get("organisers")
        if organisers is None:
            return cleaned
        if cleaned.get("parent") is not None and not organisers:
            self.add_error("organisers", _("A sub-festival is run by its own organiser: choose it."))
        return cleaned


@admin.register(Festival)
class FestivalAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Editions with their windows and honesty rules.

    The change page shows and reads every date and time in the festival's own
    time zone, whatever the organiser's browser or the server uses.
    """

    list_display = (
        "name",
        "edition",
        "parent",
        "status_badge",
        "registration_local",
        "submission_deadline_local",
        "window_local",
        "time_zone",
        "dashboard_link",
    )
    list_filter = ("status", "parent")
    list_select_related = ("parent",)
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    filter_horizontal = ("organisers",)
    form = FestivalAdminForm
    readonly_fields = ("status", "opened_at_local", "closed_at_local", "window_summary")
    inlines = [FestivalEventInline]
    fieldsets = (
        (None, {"fields": ("name", "name_en", "slug", "edition", "parent", "organisers", "description")}),
        (
            _("Windows"),
            {
                "fields": (
                    "time_zone",
                    "window_summary",
                    "registration_opens_at",
                    "registration_closes_at",
                    "submission_deadline",
                    "starts_at",
                    "ends_at",
                ),
                "description": _(
                    "Dates and times are in the festival's time zone. Registration opens before the window, "
                    "the submission deadline is before the start, and the festival ends after it starts."
                ),
            },
        ),
        (
            _("Honesty rules"),
            {
                "fields": (
                    "price_lookback_days",
                    "min_discount_percent",
                    "raise_lookback_days",
                    "raise_tolerance_percent",
                    "stacking_order",
                    "stackable_kinds",
                )
            },
        ),
        (_("Status (moved by the festival clock)"), {"fields": ("status", "opened_at_local", "closed_at_local")}),
    )

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, festival):
        return status_badge(festival)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.parent_id is not None and not request.user.is_superuser:
            # A provincial team may not see the edition: its sub-festival stays where it is.
            fields = (*fields, "parent")
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Festival.objects.filter(parent__isnull=True)  # one level only; scoped by the mixin
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        festival = form.instance
        if (
            not request.user.is_superuser
            and not scoping.visible_festivals(request.user).filter(pk=festival.pk).exists()
        ):
            # A festival its maker could not see would be lost to them: their own organisers run it too.
            own = scoping.organiser_ids(request.user, "festival.add_festival") or frozenset()
            festival.organisers.add(*own)

    @admin.display(description=_("registration (festival time)"), ordering="registration_opens_at")
    def registration_local(self, festival):
        return f"{festival_time(festival, festival.registration_opens_at)} – {festival_time(festival, festival.registration_closes_at)}"

    @admin.display(description=_("submission deadline (festival time)"), ordering="submission_deadline")
    def submission_deadline_local(self, festival):
        return festival_time(festival, festival.submission_deadline)

    @admin.display(description=_("window (festival time)"), ordering="starts_at")
    def window_local(self, festival):
        return f"{festival_time(festival, festival.starts_at)} – {festival_time(festival, festival.ends_at)}"

    @admin.display(description=_("window"))
    def window_summary(self, festival):
        if not festival.pk:
            return "—"
        return f"{self.window_local(festival)} ({festival.time_zone})"

    @admin.display(description=_("opened at"))
    def opened_at_local(self, festival):
        return festival_time(festival, festival.opened_at)

    @admin.display(description=_("closed at"))
    def closed_at_local(self, festival):
        return festival_time(festival, festival.closed_at)

    @admin.display(description=_("dashboard"))
    def dashboard_link(self, festival):
        url = reverse("admin:promotions_dashboard_festival", args=[festival.pk])
        return format_html('<a href="{}">{}</a>', url, _("Dashboard"))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form's dates are in the festival's own zone: the zone the form
        # names when it is posted, else the saved festival's, else the default.
        festival = self.get_object(request, unquote(object_id)) if object_id else None
        zone = _posted_time_zone(request) or (festival.tz if festival else None)
        if zone is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # render inside the zone: the template formats the dates
            return response


def _posted_time_zone(request):
    if request.method != "POST":
        return None
    try:
        return zoneinfo.ZoneInfo(request.POST.get("time_zone", ""))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@admin.register(Category)
class CategoryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "name_en", "slug", "position", "required_certificate_kind")
    list_select_related = ("parent",)
    list_filter = ("required_certificate_kind",)
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(DailyResult)
class DailyResultAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = (
        "festival",
        "date",
        "gmv",
        "orders",
        "merchants_reporting",
        "promotions_live",
        "promotions_started",
        "promotions_ended",
        "parcels_collected",
        "rural_parcels_collected",
        "carriers_reporting",
    )
    list_filter = ("festival",)
    list_select_related = ("festival",)
    date_hierarchy = "date"


@admin.register(SentNotification)
class SentNotificationAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ("sent_at", "recipient", "subject", "key")
    search_fields = ("recipient", "subject", "key")
    list_filter = ("sent_at",)  # not date_hierarchy, which reads every row's date (one row per email)


@admin.register(Province)
class ProvinceAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    """GB/T 2260 reference table, loaded by a migration: read-only."""

    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")


class TeamMemberAddForm(forms.ModelForm):
    """Add a person to a team by username; a new username makes a new staff account."""

    username = forms.CharField(label=_("username"), max_length=150)
    email = forms.EmailField(
        label=_("email address"), required=False, help_text=_("For a new account: digests go there.")
    )
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("For a new account only; an existing person keeps their password."),
    )

    class Meta:
        model = TeamMembership
        fields = ["organiser", "role"]

    user = None  # who adds (set per request)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.change = add_team_member(
                    username=cleaned["username"],
                    organiser=cleaned["organiser"],
                    role=cleaned["role"],
                    password=cleaned.get("password") or None,
                    email=cleaned.get("email") or "",
                    by=self.user,
                )
                transaction.set_rollback(True)  # validated only: saved by save_model
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, error)
        return cleaned


@admin.register(TeamMembership)
class TeamMembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Organisers' teams: an organiser admin adds people to their team and sets their role."""

    list_display = ("user", "user_email", "organiser", "role", "added_by", "created_at")
    list_filter = ("organiser", "role")
    list_select_related = ("user", "organiser", "added_by")
    search_fields = ("user__username", "user__email", "user__first_name", "organiser__name", "organiser__short_name")
    readonly_fields = ("user", "added_by", "created_at")

    @admin.display(description=_("email address"), ordering="user__email")
    def user_email(self, membership):
        return membership.user.email or "—"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TeamMemberAddForm
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "email", "password", "organiser", "role"]
        return ["user", "organiser", "role", "added_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return ("user", "organiser", "added_by", "created_at") if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organiser" and not request.user.is_superuser:
            # Only the teams the user administers.
            own = scoping.organiser_ids(request.user, "festival.add_teammembership") or frozenset()
            kwargs["queryset"] = Organiser.objects.filter(pk__in=list(own))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            forget_team_permissions(obj.user)
            return
        result = add_team_member(
            username=form.cleaned_data["username"],
            organiser=form.cleaned_data["organiser"],
            role=form.cleaned_data["role"],
            password=form.cleaned_data.get("password") or None,
            email=form.cleaned_data.get("email") or "",
            by=request.user,
        )
        obj.pk = result.membership.pk
        obj.user = result.membership.user
        obj._state.adding = False
