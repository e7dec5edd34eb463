"""Creating and revoking partner API keys (admin, merchant portal, management command)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from api.models import ApiKey, ApiScope
from merchants.models import MembershipRole


def _clean_scopes(scopes) -> list[str]:
    scopes = [s.strip() for s in scopes if s and s.strip()]
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ValidationError(
            {
                "scopes": _("Unknown scope(s): %(unknown)s. Choose from: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(ApiScope.values)}
            }
        )
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    return [s for s in ApiScope.values if s in scopes]  # canonical order, no duplicates


@transaction.atomic
def create_api_key(
    *, name: str, scopes, merchant=None, carrier=None, organiser=None, by=None, expiry_date=None
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the raw key, which is never stored and shown only now.

    A key is bound to a merchant, to a carrier, or to an organiser (it sees what the
    organiser's team sees), or to none of them (desk-wide: only superusers make those)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name.")})
    if sum(bound is not None for bound in (merchant, carrier, organiser)) > 1:
        raise ValidationError({"organiser": _("Bind the key to one merchant, one carrier or one organiser, not more.")})
    api_key = ApiKey(
        name=name[:50],
        scopes=_clean_scopes(scopes),
        merchant=merchant,
        carrier=carrier,
        organiser=organiser,
        created_by=by,
    )
    api_key.expiry_date = expiry_date
    raw_key = ApiKey.objects.assign_key(api_key)
    api_key.full_clean(exclude=["id", "prefix", "hashed_key"])
    api_key.save()
    return api_key, raw_key


def create_merchant_api_key(*, user, name: str, scopes) -> tuple[ApiKey, str]:
    """A merchant's owner creates a key bound to the merchant."""
    membership = _owner_membership(user)
    return create_api_key(name=name, scopes=scopes, merchant=membership.merchant, by=user)


@transaction.atomic
def revoke_api_key(api_key: ApiKey, *, by=None) -> ApiKey:
    """Revoking cannot be undone; revoking twice is harmless."""
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if not locked.revoked:
        locked.revoked = True
        locked.save(update_fields=["revoked"])
    return locked


def revoke_merchant_api_key(api_key: ApiKey, *, user) -> ApiKey:
    membership = _owner_membership(user)
    if api_key.merchant_id != membership.merchant_id:
        raise PermissionDenied(_("This key belongs to another merchant."))
    return revoke_api_key(api_key, by=user)


def _owner_membership(user):
    membership = getattr(user, "membership", None) if user is not None and user.is_authenticated else None
    if membership is None or membership.role != MembershipRole.OWNER:
        raise PermissionDenied(_("Only the merchant's owner can manage its API keys."))
    return membership


# Webhook subscriptions ------------------------------------------------------------------


@transaction.atomic
def create_webhook_subscription(*, url: str, events, api_key=None, owner=None):
    """Subscribe a key (or a session user) to events; the URL was checked by the caller
    with api.webhook_targets.validate_webhook_url and is checked again at delivery."""
    from api.models import WebhookSubscription

    if api_key is None and owner is None:
        raise PermissionDenied(_("A webhook subscription needs an owner."))
    return WebhookSubscription.objects.create(api_key=api_key, owner=owner, url=url, events=list(events))


@transaction.atomic
def delete_webhook_subscription(subscription) -> None:
    subscription.delete()
