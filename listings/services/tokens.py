"""Platform API tokens: created, shown once, stored hashed, revoked."""

from django.db import transaction
from django.utils import timezone

from takedown.access import access_for, can_manage_platform_tokens
from takedown.errors import DomainError, NotPermitted

from ..models import Platform, PlatformToken


def _may_manage_tokens(actor, platform: Platform) -> bool:
    if actor is None:  # management commands act as the operator
        return True
    return can_manage_platform_tokens(access_for(actor), platform.organisation_id)


def platform_token_create(*, actor, platform: Platform, name: str) -> tuple[PlatformToken, str]:
    """Create a token for ``platform``; return it with the secret, which is never shown again."""
    if not _may_manage_tokens(actor, platform):
        raise NotPermitted("Only an administrator of the platform may create API tokens.")
    name = name.strip()
    if not name:
        raise DomainError("Name the token after the system that will use it.", field="name")
    if len(name) > 100:
        raise DomainError("A token name is at most 100 characters.", field="name")
    raw, prefix = PlatformToken.generate()
    token = PlatformToken.objects.create(
        platform=platform,
        name=name,
        prefix=prefix,
        token_hash=PlatformToken.hash(raw),
        created_by=actor,
    )
    return token, raw


def platform_token_revoke(*, actor, token: PlatformToken) -> PlatformToken:
    """Revoke a token: the next request with it gets 401."""
    if not _may_manage_tokens(actor, token.platform):
        raise NotPermitted("Only an administrator of the platform may revoke API tokens.")
    with transaction.atomic():
        locked = PlatformToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise DomainError(f"Token {locked.prefix} was already revoked.")
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at", "updated_at"])
    return locked


def platform_token_authenticate(raw: str) -> PlatformToken | None:
    """Return the active token matching ``raw``, recording its use, or None."""
    token = (
        PlatformToken.objects.active()
        .select_related("platform__organisation")
        .filter(token_hash=PlatformToken.hash(raw), platform__organisation__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Written at most once a minute per token: "last used" needs no finer grain,
    # and a feed push storm must not turn every request into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        PlatformToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
