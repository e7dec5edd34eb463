"""Who is calling the partner API: an API key, a logged-in user, or nobody.

``Authorization: Api-Key <prefix>.<secret>`` is checked against the hashed key
(djangorestframework-api-key). The session works too for logged-in users (the
browsable API) with CSRF enforced on writes. Every view asks ``actor_for(request)``
what the caller may do, so the rules live in one place.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.models import ApiKey, ApiScope

KEYWORD = "Api-Key"
# last_used_at is written at most this often per key, so reads stay cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)
REVIEW_PERMISSION = "promotions.review_promotion"
ALL_WRITE_SCOPES = frozenset(ApiScope.values) - {ApiScope.READ}


class KeyUser:
    """``request.user`` for key-authenticated calls: authenticated, but not a Django user."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, api_key):
        self.api_key = api_key
        self.username = f"api-key:{api_key.prefix}"

    def __str__(self):
        return self.api_key.name

    def get_username(self):
        return self.username

    def has_perm(self, perm, obj=None):
        return False

    def has_perms(self, perms, obj=None):
        return False

    def team_organiser_ids(self, perm=None) -> frozenset[int]:
        """Scoping (festival/scoping.py): an organiser's key sees what its team sees; other keys no team's."""
        organiser_id = self.api_key.organiser_id
        return frozenset({organiser_id}) if organiser_id is not None else frozenset()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _sep, raw_key = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        raw_key = raw_key.strip()
        if not raw_key or len(raw_key) > 200 or "\x00" in raw_key:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        prefix = raw_key.partition(".")[0]
        api_key = (
            ApiKey.objects.get_usable_keys()
            .select_related("merchant", "carrier", "organiser")
            .filter(prefix=prefix)
            .first()
        )
        if api_key is None or not api_key.is_valid(raw_key):
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        self._touch(api_key)
        return KeyUser(api_key), api_key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to anonymous calls that need a key.
        return KEYWORD

    @staticmethod
    def _touch(api_key):
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now


@dataclass
class Actor:
    """What the caller may do in the API."""

    api_key: ApiKey | None = None
    user: object | None = None  # a Django user for session calls, never for key calls
    key_user: object | None = None  # the KeyUser of key calls

    @property
    def is_authenticated(self):
        return self.api_key is not None or self.user is not None

    @cached_property
    def merchant(self):
        if self.api_key is not None:
            return self.api_key.merchant
        if self.user is not None:
            membership = getattr(self.user, "membership", None)
            return membership.merchant if membership is not None else None
        return None

    @property
    def carrier(self):
        """The express carrier a key is bound to (sessions never act for a carrier)."""
        return self.api_key.carrier if self.api_key is not None else None

    @cached_property
    def scopes(self) -> frozenset:
        if self.api_key is not None:
            return frozenset(self.api_key.scopes or ())
        if self.user is None:
            return frozenset()
        if self.merchant is not None:
            # A merchant's people may do in the browsable API what they may do in the portal.
            return frozenset(ApiScope.values) - {ApiScope.PARCELS_WRITE}
        return frozenset({ApiScope.READ, ApiScope.WEBHOOKS_WRITE})

    def has_scope(self, scope) -> bool:
        return scope in self.scopes

    @cached_property
    def is_organiser(self) -> bool:
        """A reviewer's session or an organiser's key: sees the promotions of its teams' festivals in
        every status (read-only in the API); what those are is ``team`` for the scoping selectors."""
        if self.api_key is not None:
            return self.api_key.organiser_id is not None
        user = self.user
        return bool(user is not None and user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION))

    @property
    def team(self):
        """Whom the scoping selectors (festival/scoping.py) are asked about: the staff user, or the
        organiser key's user; None for merchants, desk-wide keys and anonymous callers."""
        if self.api_key is not None:
            return self.key_user if self.api_key.organiser_id is not None else None
        if self.user is not None and self.user.is_staff:
            return self.user
        return None

    @property
    def is_desk_wide_key(self) -> bool:
        """A key bound to neither a merchant nor an organiser (made by a superuser)."""
        return self.api_key is not None and self.api_key.merchant_id is None and self.api_key.organiser_id is None

    def may_see_contact_of(self, merchant) -> bool:
        if self.merchant is not None and self.merchant.pk == merchant.pk:
            return True
        if not self.is_organiser:
            return False
        annotated = getattr(merchant, "contact_visible", None)  # lists annotate it (api/views/merchants.py)
        if annotated is not None:
            return annotated
        from merchants.selectors import visible_merchants

        return visible_merchants(self.team).filter(pk=merchant.pk).exists()

    @property
    def throttle_ident(self):
        if self.api_key is not None:
            return f"key:{self.api_key.pk}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        return None


def actor_for(request) -> Actor:
    actor = getattr(request, "_api_actor", None)
    if actor is None:
        auth = request.auth
        if isinstance(auth, ApiKey):
            actor = Actor(api_key=auth, key_user=request.user)
        elif request.user is not None and request.user.is_authenticated:
            actor = Actor(user=request.user)
        else:
            actor = Actor()
        request._api_actor = actor
    return actor
