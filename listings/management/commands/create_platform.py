"""Connect a marketplace: its organisation, its listings.Platform and a first API token.

Prints the new token's secret alone on the last line of standard output, so a
script can take it with ``TOKEN=$(python manage.py create_platform Foo | tail -1)``.
Everything else it reports comes before that line.

Idempotent on the short name (slug): a second run reuses the organisation and
its platform and only adds a token (and the administrator, when asked).
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator, validate_email, validate_slug
from django.db import transaction
from django.utils.text import slugify

from listings.models import Platform
from listings.services.platforms import platform_ensure
from listings.services.tokens import platform_token_create
from rightsholders.models import Membership
from rightsholders.services import membership_add
from takedown.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create a platform (organisation and listings platform, reused when the slug exists) "
        "and a new API token; the token is printed alone on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The marketplace's name, e.g. 'DemoMart'.")
        parser.add_argument(
            "--slug", default="", help="Short name; defaults to the slugified name."
        )
        parser.add_argument("--website", default="", help="The marketplace's address (https://…).")
        parser.add_argument(
            "--token-name", default="Feed API", help="Name of the token (the system using it)."
        )
        parser.add_argument(
            "--admin-username", default="", help="Make this user (created if new) an administrator."
        )
        parser.add_argument("--admin-email", default="", help="Email of a new administrator.")

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["name"].strip()
        if not name:
            raise CommandError("Give the platform a name.")
        slug: str = options["slug"].strip() or slugify(name)[:80]
        website: str = options["website"].strip()
        username: str = options["admin_username"].strip()
        email: str = options["admin_email"].strip()
        self._check(slug=slug, website=website, username=username, email=email)

        try:
            with transaction.atomic():
                platform, created = self._platform(name=name, slug=slug, website=website)
                admin_note = self._admin(platform, username=username, email=email)
                token, raw = platform_token_create(
                    actor=None, platform=platform, name=options["token_name"]
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        verb = "Created" if created else "Reusing existing"
        self.stdout.write(f"{verb} platform {platform.name!r} (slug {slug!r}, id {platform.pk}).")
        if admin_note:
            self.stdout.write(admin_note)
        self.stdout.write(
            f"New API token {token.name!r} ({token.prefix}…). Its secret is shown once, "
            "on the next line; only its hash is stored."
        )
        self.stdout.write(raw)

    def _check(self, *, slug: str, website: str, username: str, email: str) -> None:
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise CommandError(
                f"--slug {slug!r}: use letters, digits, hyphens and underscores only."
            ) from exc
        if len(slug) > 80:
            raise CommandError("--slug is at most 80 characters.")
        if website:
            try:
                URLValidator(schemes=["http", "https"])(website)
            except ValidationError as exc:
                raise CommandError(f"--website {website!r} is not an http(s) address.") from exc
        if email and not username:
            raise CommandError("--admin-email needs --admin-username.")
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise CommandError(f"--admin-email {email!r} is not an email address.") from exc

    def _platform(self, *, name: str, slug: str, website: str) -> tuple[Platform, bool]:
        try:
            return platform_ensure(name=name, slug=slug, website=website)
        except DomainError as exc:
            raise CommandError(f"{exc.message} Choose another --slug.") from exc

    def _admin(self, platform: Platform, *, username: str, email: str) -> str:
        if not username:
            return ""
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            if not email:
                raise CommandError(f"User {username!r} does not exist: give --admin-email too.")
            user = User.objects.create_user(username=username, email=email)  # no password yet
            note = (
                f"Created user {username!r} without a password: set one with "
                f"'manage.py changepassword {username}'."
            )
        else:
            note = f"User {username!r} exists."
        membership_add(organisation=platform.organisation, user=user, role=Membership.Role.ADMIN)
        return f"{note} They administer {platform.name!r}."
