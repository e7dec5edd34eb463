"""Permission rules of the partner API.

- Public resources (festivals, categories, merchants, public promotions):
  anyone may read; keys only raise the throttle rate.
- Writes need a key with the scope (or a merchant member's session), and the
  writes that act for a merchant (promotions, products, prices, sales reports)
  need a merchant-bound key: an unbound key gets 403.
- Parcels are reported with a carrier-bound key holding ``parcels:write``; a
  carrier-bound key is refused everywhere but parcels and festivals (api.views.base).
- Own resources (products, prices, sales reports) are read with a
  merchant-bound key holding ``read`` or the resource's write scope.
- A merchant-bound key acts only for its merchant: foreign objects it cannot
  see are 404, foreign objects it can see (public promotions) are 403 to change.
"""

from django.utils.translation import gettext as _
from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from api.authentication import actor_for
from api.models import ApiScope


def _require_authenticated(actor):
    if not actor.is_authenticated:
        raise NotAuthenticated(_("Send an API key: Authorization: Api-Key <key>."))


def _require_merchant(actor):
    if actor.merchant is None:
        raise PermissionDenied(_("This needs an API key bound to a merchant."))


def _require_carrier(actor):
    if actor.carrier is None:
        raise PermissionDenied(_("Reporting parcels needs an API key bound to a carrier."))


def _require_scope(actor, *scopes):
    if not any(actor.has_scope(scope) for scope in scopes):
        raise PermissionDenied(
            _("This API key lacks the scope for this call (needs %(scopes)s).") % {"scopes": " or ".join(scopes)}
        )


class PublicReadMerchantWrite(permissions.BasePermission):
    """Promotions: anyone reads (visibility is the queryset's job); writes need a merchant and the scope."""

    write_scope = ApiScope.PROMOTIONS_WRITE

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        actor = actor_for(request)
        _require_authenticated(actor)
        _require_merchant(actor)
        _require_scope(actor, self.write_scope)
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        if obj.merchant_id != actor_for(request).merchant.pk:
            raise PermissionDenied(_("This belongs to another merchant."))
        return True


class OwnMerchantResource(permissions.BasePermission):
    """Products, prices and sales reports: only the merchant's own, with a merchant-bound key."""

    def has_permission(self, request, view):
        actor = actor_for(request)
        _require_authenticated(actor)
        _require_merchant(actor)
        scope = view.write_scope
        if request.method in permissions.SAFE_METHODS:
            _require_scope(actor, ApiScope.READ, scope)
        else:
            _require_scope(actor, scope)
        return True


class OwnWebhooks(permissions.BasePermission):
    """Webhook subscriptions belong to the key (or session user) that created them."""

    def has_permission(self, request, view):
        actor = actor_for(request)
        _require_authenticated(actor)
        if request.method in permissions.SAFE_METHODS:
            _require_scope(actor, ApiScope.READ, ApiScope.WEBHOOKS_WRITE)
        else:
            _require_scope(actor, ApiScope.WEBHOOKS_WRITE)
        return True


class ParcelReporting(permissions.BasePermission):
    """Parcels: anyone reads the totals (a carrier's key also its own rows); reporting needs
    a key bound to a carrier and holding ``parcels:write``."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        actor = actor_for(request)
        _require_authenticated(actor)
        _require_carrier(actor)
        _require_scope(actor, ApiScope.PARCELS_WRITE)
        return True
