"""Connecting a platform to the workbench."""

from django.db import transaction

from rightsholders.models import Organisation
from rightsholders.services import organisation_create
from takedown.errors import DomainError

from ..models import Platform


def platform_ensure(*, name: str, slug: str, website: str = "") -> tuple[Platform, bool]:
    """Return the platform with this slug, creating its organisation and platform if missing.

    Idempotent: running set-up twice connects one platform, not two. A given
    ``website`` replaces the stored one. Return (platform, created).
    """
    with transaction.atomic():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is not None and organisation.kind != Organisation.Kind.PLATFORM:
            raise DomainError(
                f"The organisation {slug!r} is a {organisation.get_kind_display().lower()}, "
                "not a platform.",
                field="slug",
            )
        if organisation is None:
            organisation = organisation_create(
                name=name, kind=Organisation.Kind.PLATFORM, slug=slug
            )
        platform, created = Platform.objects.get_or_create(
            organisation=organisation, defaults={"website": website}
        )
        if not created and website and platform.website != website:
            platform.website = website
            platform.save(update_fields=["website", "updated_at"])
    return platform, created
