"""Spreadsheet cells that a spreadsheet program cannot run as formulae.

A merchant may call itself ``=HYPERLINK("http://x","y")``; an organiser opening the
export in Excel or LibreOffice would run it. A text cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is written with a leading ``'``,
which spreadsheet programs read as "this is text" (OWASP's advice for CSV
injection). Plain numbers (``-12.50``) are left alone, so they stay numbers.

django-import-export's own switch, ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT``, is on
in the settings; its built-in escaping only drops one leading ``=`` (so ``==…``, ``+…``,
``@…`` still run, and the text is changed) and turns every cell into a string
(an empty cell becomes ``None``). The formats below keep the switch and escape with
``escape_formula`` instead; every admin export uses them.
"""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from import_export import resources
from import_export.formats import base_formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def escape_formula(value):
    """``value`` as a spreadsheet shows it as text; anything but text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _FormulaSafe:
    def _escape_formulae(self, dataset):
        for index, row in enumerate(dataset):
            dataset[index] = [escape_formula(cell) for cell in row]


class CSV(_FormulaSafe, base_formats.CSV):
    pass


class XLSX(_FormulaSafe, base_formats.XLSX):
    pass


SPREADSHEET_FORMATS = [CSV, XLSX]


class BoundedExportMixin:
    """An admin export reads at most ``ADMIN_EXPORT_MAX_ROWS`` rows: above, it is refused with
    a message asking for a narrower selection, instead of building a file of a national
    festival's million rows in memory while a web worker times out. django-import-export's
    export form shows the message (it reports a ValueError) and nothing is written.
    Resources stream their rows in chunks (``ChunkedExportResource``)."""

    def get_export_data(self, file_format, request, queryset, **kwargs):
        limit = settings.ADMIN_EXPORT_MAX_ROWS
        if queryset.order_by().values("pk")[: limit + 1].count() > limit:
            raise ValueError(
                _(
                    "This export would hold more than %(limit)s rows. Filter the list first (by festival, "
                    "status or date) and export again; the API pages through every row."
                )
                % {"limit": number_format(limit, force_grouping=True)}
            )
        if not self.has_export_permission(request):
            raise PermissionDenied
        # django-import-export writes native cells (dates, numbers) only for its own binary
        # formats' exact classes; ours subclass them, so XLSX cells were all text.
        data = self.get_data_for_export(request, queryset, force_native_type=file_format.is_binary(), **kwargs)
        exported = file_format.export_data(data)
        encoding = kwargs.get("encoding")
        return exported.encode(encoding) if encoding and not file_format.is_binary() else exported


class ChunkedExportResource(resources.ModelResource):
    """Rows read in chunks with a server-side cursor where the database has one, and their
    prefetches made per chunk (``QuerySet.iterator(chunk_size=…)``), instead of
    django-import-export's pages of ``LIMIT … OFFSET`` whenever the queryset prefetches."""

    def iter_queryset(self, queryset):
        if not isinstance(queryset, QuerySet):
            yield from queryset
            return
        yield from queryset.iterator(chunk_size=self.get_chunk_size())
