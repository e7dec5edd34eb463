"""Query filters of the list endpoints (django-filter). Bad values answer 400, never 500."""

import datetime

from django import forms
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from festival.models import Festival, FestivalStatus
from merchants.models import MerchantKind, Participation, ParticipationStatus
from promotions.models import PromotionKind, PromotionStatus

MAX_ID = 2**63 - 1


class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class SaneDateTimeField(forms.DateTimeField):
    """An ISO 8601 moment between the years 1970 and 2999 (far dates overflow time-zone maths)."""

    def to_python(self, value):
        if value == "":  # ?active_at= is a malformed moment, not "no filter" (the schema says date-time)
            raise forms.ValidationError(_("Enter a valid date/time."), code="invalid")
        result = super().to_python(value)
        if result is None:
            return None
        if not (1970 <= result.year <= 2999):
            raise forms.ValidationError(_("Enter a moment between the years 1970 and 2999."), code="out_of_range")
        # In UTC: Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59.
        return result.astimezone(datetime.UTC)


class GivenDateField(forms.DateField):
    """A date; ``?date=`` (empty) is refused, not read as "no filter" (the schema says format date)."""

    def to_python(self, value):
        if value == "":
            raise forms.ValidationError(_("Enter a valid date."), code="invalid")
        return super().to_python(value)


class DateFilter(filters.DateFilter):
    field_class = GivenDateField


class MomentFilter(filters.IsoDateTimeFilter):
    field_class = SaneDateTimeField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra.setdefault("input_formats", ["iso-8601"])


class SlugFilter(filters.CharFilter):
    """A slug; anything else simply matches nothing."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 60)
        super().__init__(*args, **kwargs)


class FestivalFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=FestivalStatus.choices)
    parent = SlugFilter(
        method="filter_parent",
        help_text=_("Parent edition's slug: its sub-festivals. “none”: the editions themselves (no parent)."),
    )

    def filter_parent(self, queryset, name, value):
        if value.lower() in ("none", "null"):
            return queryset.filter(parent__isnull=True)
        return queryset.filter(parent__slug=value)


class MerchantFilter(filters.FilterSet):
    festival = SlugFilter(method="filter_festival", help_text=_("Festival slug."))
    kind = filters.ChoiceFilter(choices=MerchantKind.choices)
    category = SlugFilter(method="filter_category", help_text=_("Category slug."))
    country = filters.CharFilter(
        method="filter_country", max_length=2, help_text=_("ISO 3166-1 alpha-2 code, e.g. CN.")
    )
    province = filters.CharFilter(
        field_name="province_id", max_length=6, help_text=_("GB/T 2260 province code, e.g. 330000.")
    )
    q = filters.CharFilter(method="filter_q", max_length=100, help_text=_("Search in name and USCC."))

    @staticmethod
    def _approved(**conditions):
        return Exists(
            Participation.objects.filter(merchant=OuterRef("pk"), status=ParticipationStatus.APPROVED, **conditions)
        )

    def filter_festival(self, queryset, name, value):
        return queryset.filter(self._approved(festival__slug=value))

    def filter_category(self, queryset, name, value):
        return queryset.filter(self._approved(categories__slug=value))

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(legal_name__icontains=value) | Q(uscc__iexact=value))


class PromotionFilter(filters.FilterSet):
    festival = SlugFilter(method="filter_festival", help_text=_("Festival slug."))
    merchant = IdFilter(field_name="merchant_id", help_text=_("Merchant id."))
    category = SlugFilter(method="filter_category", help_text=_("Category slug (its sub-categories included)."))
    kind = filters.ChoiceFilter(choices=PromotionKind.choices)
    status = filters.ChoiceFilter(choices=PromotionStatus.choices)
    active_at = MomentFilter(
        method="filter_active_at", help_text=_("ISO 8601 moment: promotions running then (start ≤ t < end).")
    )

    def filter_festival(self, queryset, name, value):
        # The festival's id as a subquery, not a join on its slug: the planner then reads
        # that festival's promotions in the list's order from the (festival, status, start) index.
        return queryset.filter(festival_id=Subquery(Festival.objects.filter(slug=value).order_by().values("pk")[:1]))

    def filter_category(self, queryset, name, value):
        return queryset.filter(Q(categories__slug=value) | Q(categories__parent__slug=value)).distinct()

    def filter_active_at(self, queryset, name, value):
        return queryset.active_at(value)


class SalesReportFilter(filters.FilterSet):
    festival = SlugFilter(field_name="festival__slug", help_text=_("Festival slug."))
    date = DateFilter()


def stated_limits(filterset_class):
    """OpenAPI parameters stating the limits each filter of ``filterset_class`` enforces
    (maximum length, whole-number range), so the schema refuses what the server refuses.

    drf-spectacular reads each filter's type and choices but not these limits; without
    them a client (or schemathesis) takes ``country=CHN`` or ``merchant=0`` for valid.
    """
    from drf_spectacular.utils import OpenApiParameter

    parameters = []
    for name, filter_ in filterset_class.base_filters.items():
        extra = filter_.extra
        if "max_length" in extra:
            schema = {"type": "string", "maxLength": extra["max_length"]}
        elif isinstance(filter_, IdFilter):
            schema = {"type": "integer", "minimum": extra["min_value"], "maximum": extra["max_value"]}
        else:
            continue
        parameters.append(
            OpenApiParameter(
                name, type=schema, location=OpenApiParameter.QUERY, description=str(extra.get("help_text", ""))
            )
        )
    return parameters
