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
