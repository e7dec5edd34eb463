"""Spreadsheet import and export (django-import-export) of merchants and the
official China Time-honoured Brands list.

Merchants are matched on their USCC, so importing the same file again updates
the merchants instead of adding them twice; foreign partners without a USCC
are matched on name and country. Every merchant row is saved through
merchants.services.save_merchant (the same checks as the form), and the admin
imports all or nothing.
"""

from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from festival.models import Province

from . import uscc as uscc_rules
from .models import Merchant, MerchantKind, TimeHonouredBrand
from .selectors import visible_merchants
from .services import save_merchant


class ChoiceWidget(widgets.Widget):
    """Accepts a choice's code or its label (English or Chinese); exports the code."""

    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def _labels(self, label):
        names = {str(label).casefold()}
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names.add(str(label).casefold())
        return names

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if not text:
            return ""
        for code, label in self.choices:
            if text.casefold() == code.casefold() or text.casefold() in self._labels(label):
                return code
        raise ValueError(
            _("“%(value)s” is not a known value; use one of: %(codes)s.")
            % {"value": text, "codes": ", ".join(code for code, _label in self.choices)}
        )

    def render(self, value, obj=None, **kwargs):
        return value or ""


class UsccWidget(widgets.CharWidget):
    """Spaces and lower case are forgiven; an empty cell means "no USCC" (foreign partners)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():  # a spreadsheet turned an all-digit code into a number
            value = int(value)
        return uscc_rules.normalise(super().clean(value, row, **kwargs)) or None


class ProvinceWidget(widgets.ForeignKeyWidget):
    """A province by its GB/T 2260 code or its name (Chinese or English); exports the code."""

    def __init__(self, **kwargs):
        super().__init__(Province, field="code", **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        found = Province.objects.filter(Q(code=text) | Q(name=text) | Q(name_en__iexact=text)).first()
        if found is None:
            raise ValueError(_("“%(value)s” is not a province; use its GB/T 2260 code, e.g. 330000.") % {"value": text})
        return found


class MerchantResource(resources.ModelResource):
    user = None  # who imports (set per import; save_merchant checks their permissions)
    uscc_rows: dict[str, list[int]] = {}  # USCC → its rows when repeated (replaced per import)
    uscc = fields.Field(attribute="uscc", column_name="uscc", widget=UsccWidget())
    kind = fields.Field(attribute="kind", column_name="kind", widget=ChoiceWidget(MerchantKind.choices))
    # The GB/T 2260 code (330000) or the name (浙江省); empty: taken from the USCC when the row is saved.
    province = fields.Field(attribute="province", column_name="province", widget=ProvinceWidget())

    class Meta:
        model = Merchant
        fields = (
            "uscc",
            "name",
            "legal_name",
            "kind",
            "country",
            "province",
            "website",
            "contact_name",
            "contact_email",
            "contact_phone",
            "uscc_override_reason",
        )
        export_order = fields
        import_id_fields = ("uscc",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    @classmethod
    def chinese_headers(cls) -> dict[str, str]:
        """Column name → the Chinese header of the downloadable template (the fields' zh-Hans names)."""
        with translation.override("zh-hans"):
            return {name: str(Merchant._meta.get_field(name).verbose_name) for name in cls._meta.fields}

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        # Chinese column headers (the template's) are read as the field names; English ones still work.
        by_chinese = {header: name for name, header in self.chinese_headers().items()}
        if dataset.headers:
            dataset.headers = [by_chinese.get(str(header or "").strip(), header) for header in dataset.headers]
        column = dataset.headers.index("uscc") if "uscc" in (dataset.headers or []) else None
        self.uscc_rows = {}
        if column is not None:
            codes = [UsccWidget().clean(row[column]) for row in dataset]
            counts = Counter(code for code in codes if code)
            for number, code in enumerate(codes, start=1):
                if code and counts[code] > 1:
                    self.uscc_rows.setdefault(code, []).append(number)

    def before_import_row(self, row, row_number=None, **kwargs):
        # Normalised as Merchant.clean would, so an unchanged row is recognised as unchanged.
        if "country" in row:
            row["country"] = str(row["country"] or "").strip().upper() or "CN"
        code = UsccWidget().clean(row.get("uscc"))
        user = getattr(self, "user", None)
        if code and user is not None and not user.is_superuser:
            # Updating by USCC reaches only merchants the importer's teams see (festival/scoping.py).
            existing = Merchant.objects.filter(uscc=code)
            if existing.exists() and not visible_merchants(user, queryset=existing).exists():
                raise ValidationError(
                    {
                        "uscc": _(
                            "A merchant with this Unified Social Credit Code is registered outside your "
                            "festivals; only its own organisers can change it."
                        )
                    }
                )
        rows = self.uscc_rows.get(code)
        if rows and row_number != rows[0]:
            raise ValidationError(
                {
                    "uscc": _("This Unified Social Credit Code is already in row %(first)d of this file.")
                    % {"first": rows[0]}
                }
            )

    def get_instance(self, instance_loader, row):
        code = UsccWidget().clean(row.get("uscc"))
        if code:
            return Merchant.objects.filter(uscc=code).first()
        name = str(row.get("name") or "").strip()
        country = str(row.get("country") or "").strip().upper()
        if not name:
            return None
        return Merchant.objects.filter(uscc__isnull=True, name=name, country=country).first()

    def do_instance_save(self, instance, is_create):
        try:
            save_merchant(instance, by=getattr(self, "user", None))
        except PermissionDenied as denied:
            raise ValidationError({"uscc_override_reason": str(denied)}) from None


class TimeHonouredBrandResource(resources.ModelResource):
    class Meta:
        model = TimeHonouredBrand
        fields = ("brand", "company", "region", "batch")
        export_order = fields
        import_id_fields = ("brand", "company")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
