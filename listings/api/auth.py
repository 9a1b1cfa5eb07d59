"""Who is calling the platform API: a platform, identified by a bearer token."""

import logging
from dataclasses import dataclass

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from redis.exceptions import RedisError
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from ..models import Platform, PlatformToken
from ..services.tokens import platform_token_authenticate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlatformPrincipal:
    """The ``request.user`` of a platform API call: the platform behind a token.

    takedown.access gives it the access of its platform and nothing else.
    """

    platform: Platform
    token: PlatformToken
    is_platform_principal = True
    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    pk = None

    def __str__(self) -> str:
        return f"{self.platform} ({self.token.prefix})"


class PlatformTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``; a wrong or revoked token is a 401."""

    def authenticate(self, request: Request) -> tuple[PlatformPrincipal, PlatformToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the token as: Authorization: Bearer <token>.")
        token = platform_token_authenticate(parts[1].decode("ascii", errors="replace"))
        if token is None:
            raise AuthenticationFailed("The API token is not valid, or it was revoked.")
        return PlatformPrincipal(platform=token.platform, token=token), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="platform-api"'


class PlatformTokenScheme(OpenApiAuthenticationExtension):
    """Describe the bearer token in the OpenAPI schema."""

    target_class = PlatformTokenAuthentication
    name = "platformToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A platform API token (manage.py create_platform, or the console).",
        }


class IsPlatform(BasePermission):
    """Only a platform's token may call this endpoint."""

    message = "This endpoint is for platforms: authenticate with a platform API token."

    def has_permission(self, request: Request, view: object) -> bool:
        return bool(getattr(request.user, "is_platform_principal", False))


class PlatformRateThrottle(SimpleRateThrottle):
    """One budget per platform, whatever token it uses, counted on the shared cache."""

    scope = "platform"

    def get_rate(self) -> str:
        return settings.TAKEDOWN_PLATFORM_API_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        principal = request.user
        if not isinstance(principal, PlatformPrincipal):
            return None
        return f"throttle_platform_{principal.platform.pk}"

    def allow_request(self, request: Request, view: APIView) -> bool:
        """Count on the shared cache; when the cache cannot be reached, let the call through.

        The budget lives in Redis. Without this, a Redis outage answered every
        platform call 500, pushes included, although a push is stored without
        Redis and its ingest is queued by the sweep once Redis is back (seen in
        the fault tests). Not counting for the length of an outage is the lesser harm.
        """
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning(
                "platform rate limit not counted: the cache is unreachable", exc_info=True
            )
            return True
