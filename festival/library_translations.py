"""Chinese for the names libraries show in our admin without a catalogue of their own.

django-axes (login lockouts) has no zh-Hans translation; its model names appear in the
admin's sidebar and its "System settings" section. Marking the same msgids here puts them
in our catalogue, which Django consults first (LOCALE_PATHS).
"""

from django.utils.translation import gettext_noop

LIBRARY_MSGIDS = (
    gettext_noop("Axes"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
)
