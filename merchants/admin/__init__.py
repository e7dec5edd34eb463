"""The organisers' back office for merchants: registration and spreadsheet
import, staff invitations, certificates and participations with their decisions.

One module per model or concern. Importing them here registers every ModelAdmin
when Django's admin autodiscovers ``merchants.admin``; the names are re-exported
so that ``from merchants.admin import MerchantAdmin`` keeps working.
"""

from .certificates import CertificateAdmin, CertificateEventInline, ExpiryFilter, certificate_validity
from .memberships import MembershipAdmin
from .merchants import (
    CategoryFilter,
    CertificateInline,
    CertificateStatusFilter,
    InviteForm,
    MembershipInline,
    MerchantAdmin,
    MerchantAdminForm,
    ParticipationInline,
    ParticipationStatusFilter,
    ProductInline,
)
from .participations import ParticipationAdmin, ParticipationCategoryFilter, ParticipationEventInline
from .products import PricePointAdmin, ProductAdmin
from .reference import TimeHonouredBrandAdmin, time_honoured_match_html
from .sales import SalesReportAdmin
from .spreadsheets import SPREADSHEET_FORMATS, SpreadsheetAdminMixin

__all__ = [
    "SPREADSHEET_FORMATS",
    "CategoryFilter",
    "CertificateAdmin",
    "CertificateEventInline",
    "CertificateInline",
    "CertificateStatusFilter",
    "ExpiryFilter",
    "InviteForm",
    "MembershipAdmin",
    "MembershipInline",
    "MerchantAdmin",
    "MerchantAdminForm",
    "ParticipationAdmin",
    "ParticipationCategoryFilter",
    "ParticipationEventInline",
    "ParticipationInline",
    "ParticipationStatusFilter",
    "PricePointAdmin",
    "ProductAdmin",
    "ProductInline",
    "SalesReportAdmin",
    "SpreadsheetAdminMixin",
    "TimeHonouredBrandAdmin",
    "certificate_validity",
    "time_honoured_match_html",
]
