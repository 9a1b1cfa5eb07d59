"""The platform API: push feeds, follow their ingestion, read and delist listings."""

from typing import IO, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import FeedBatch, Listing
from ..selectors import feed_progress, feeds_for, listings_for
from ..services import feeds
from .auth import IsPlatform, PlatformPrincipal, PlatformRateThrottle, PlatformTokenAuthentication
from .serializers import (
    FeedAcceptedSerializer,
    FeedSerializer,
    FeedStatusSerializer,
    ListingSerializer,
)

ERRORS_PAGE_SIZE = 100

# The feed as sent: any bytes, but at least one; an empty body is refused with a 400.
FEED_BODY = {"type": "string", "format": "binary", "minLength": 1}

# Answers every platform endpoint can give, whatever it does.
PLATFORM_ERRORS = {
    401: OpenApiResponse(description="Missing, wrong or revoked token."),
    429: OpenApiResponse(
        description="Over the platform's request rate (TAKEDOWN_PLATFORM_API_RATE); "
        "retry after Retry-After seconds."
    ),
}


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class FeedUploadSchema(AutoSchema):
    """Mark the feed body required: drf-spectacular infers that only from serializers."""

    def _get_request_body(self, direction: str = "request") -> dict | None:
        body = super()._get_request_body(direction)
        if body is not None:
            body["required"] = True
        return body


class PlatformAPIView(APIView):
    authentication_classes = [PlatformTokenAuthentication]
    permission_classes = [IsPlatform]
    throttle_classes = [PlatformRateThrottle]

    @property
    def principal(self) -> PlatformPrincipal:
        return self.request.user  # type: ignore[return-value]


@extend_schema_view(
    get=extend_schema(
        responses={
            200: FeedSerializer(many=True),
            404: OpenApiResponse(description="No such page of feeds."),
            **PLATFORM_ERRORS,
        }
    )
)
class FeedListCreate(PlatformAPIView, generics.ListAPIView):
    """List this platform's feeds, newest first, or push a new one."""

    serializer_class = FeedSerializer
    schema = FeedUploadSchema()
    # The body is streamed to storage by feed_receive, never parsed by DRF.
    parser_classes: list = []

    def get_queryset(self) -> QuerySet[FeedBatch]:
        return feeds_for(self.request.user)

    @extend_schema(
        request={
            "application/x-ndjson": FEED_BODY,
            "text/csv": FEED_BODY,
        },
        responses={
            202: FeedAcceptedSerializer,
            400: OpenApiResponse(description="The body is not JSON Lines / CSV at all."),
            413: OpenApiResponse(description="Larger than TAKEDOWN_FEED_MAX_BYTES."),
            415: OpenApiResponse(description="Content-Type neither JSON Lines nor CSV."),
            **PLATFORM_ERRORS,
        },
        description=(
            "Push a feed of listings: one JSON object per line (application/x-ndjson) or CSV "
            "with a header row (text/csv; list columns separated by |). Answered at once with "
            "202; ingestion runs in the background, follow it at status_url."
        ),
    )
    def post(self, request: Request) -> Response:
        django_request = request._request
        length = django_request.META.get("CONTENT_LENGTH") or ""
        # No Content-Length means no body, unless the server passes a chunked body
        # through (wsgi.input_terminated); then the size is only known by reading.
        chunked = bool(django_request.META.get("wsgi.input_terminated")) and not length
        try:
            batch = feeds.feed_receive(
                platform=self.principal.platform,
                token=self.principal.token,
                body=cast(IO[bytes], django_request),
                content_type=django_request.META.get("CONTENT_TYPE", ""),
                content_length=None if chunked else int(length) if length.isdigit() else 0,
            )
        except feeds.FeedUnsupportedType as exc:
            raise UnsupportedMediaType(
                django_request.META.get("CONTENT_TYPE", ""), exc.message
            ) from exc
        except feeds.FeedTooLarge as exc:
            raise PayloadTooLarge(exc.message) from exc
        except feeds.FeedUnreadable as exc:
            raise ParseError(exc.message) from exc
        status_url = request.build_absolute_uri(reverse("api-feed-detail", args=[batch.pk]))
        body = FeedAcceptedSerializer(
            {"id": batch.pk, "status": batch.status, "status_url": status_url}
        )
        return Response(
            body.data, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url}
        )


class FeedDetail(PlatformAPIView):
    """A feed's status, counts and refused lines (``?errors_page=N``, 100 a page)."""

    @extend_schema(
        parameters=[OpenApiParameter("errors_page", int, description="Page of refused lines")],
        responses={
            200: FeedStatusSerializer,
            404: OpenApiResponse(description="No such feed of this platform"),
            **PLATFORM_ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        batch = get_object_or_404(feeds_for(request.user), pk=pk)
        paginator = Paginator(batch.errors.order_by("line", "id"), ERRORS_PAGE_SIZE)
        page = paginator.get_page(request.query_params.get("errors_page"))
        batch.errors_page = page.object_list  # type: ignore[attr-defined]
        batch.errors_count = paginator.count  # type: ignore[attr-defined]
        batch.progress = feed_progress(batch)  # type: ignore[attr-defined]
        batch.errors_next = (  # type: ignore[attr-defined]
            request.build_absolute_uri(f"?errors_page={page.next_page_number()}")
            if page.has_next()
            else None
        )
        return Response(FeedStatusSerializer(batch).data)


class ListingDetail(PlatformAPIView):
    """One listing of this platform by its external id; DELETE records it delisted."""

    def _listing(self, external_id: str) -> Listing:
        return get_object_or_404(
            listings_for(self.request.user).prefetch_related("images__blob"),
            external_id=external_id,
        )

    @extend_schema(
        responses={
            200: ListingSerializer,
            404: OpenApiResponse(description="No such listing"),
            **PLATFORM_ERRORS,
        }
    )
    def get(self, request: Request, external_id: str) -> Response:
        return Response(ListingSerializer(self._listing(external_id)).data)

    @extend_schema(
        responses={
            204: None,
            404: OpenApiResponse(description="No such listing"),
            **PLATFORM_ERRORS,
        }
    )
    def delete(self, request: Request, external_id: str) -> Response:
        listing = self._listing(external_id)
        feeds.listing_delist(platform=self.principal.platform, external_id=listing.external_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
