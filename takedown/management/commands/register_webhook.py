"""Register a URL that receives a platform's decisions; print its signing secret last.

``SECRET=$(python manage.py register_webhook example-market https://hooks.example.com/td | tail -1)``
Runs as the operator. The URL is checked like every webhook URL: https, and
public addresses only (unless inside ``TAKEDOWN_WEBHOOK_ALLOW_NETS``).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from listings.models import Platform
from takedown.errors import DomainError
from takedown.services.webhooks import webhook_endpoint_create


class Command(BaseCommand):
    help = "Register a webhook for a platform's decisions; the secret is printed on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("platform", help="The platform's short name (slug).")
        parser.add_argument("url", help="The https URL that receives decisions.")

    def handle(self, *args: Any, **options: Any) -> None:
        platform = (
            Platform.objects.select_related("organisation")
            .filter(organisation__slug=options["platform"])
            .first()
        )
        if platform is None:
            raise CommandError(f"No platform {options['platform']!r}.")
        try:
            endpoint, secret = webhook_endpoint_create(
                actor=None, platform=platform, url=options["url"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Decisions of {platform} go to {endpoint.url}. Signing secret:")
        self.stdout.write(secret)
