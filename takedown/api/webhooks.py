"""A platform manages its own webhooks: register, rotate the secret, disable, test, redeliver.

Called with the platform's API token, like the rest of the platform API; every
endpoint sees only the calling platform's webhooks, so another platform's
webhook or delivery is a 404. Writes go through takedown.services.webhooks: a
refused URL is a 400 naming ``url``, an action the webhook's state forbids
(rotating a disabled one, retrying a delivery that arrived) a 409.

A secret is in the answer that made it (create, rotate) and nowhere after:
the workbench keeps it to sign with, but never shows it again.
"""

import uuid

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from listings.api.views import PLATFORM_ERRORS, PlatformAPIView
from takedown.errors import DomainError, NotPermitted
from takedown.models import OutboxAttempt, OutboxMessage, WebhookEndpoint
from takedown.services.webhooks import (
    webhook_deliveries_for,
    webhook_delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_ping,
    webhook_endpoint_rotate_secret,
    webhook_endpoints_for,
)

# Serializers ----------------------------------------------------------------------


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "active",
            "created_at",
            "secret_rotated_at",
            "disabled_at",
            "disabled_reason",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "url": {"help_text": "Where decisions are POSTed, signed with the secret."},
            "active": {"help_text": "False once disabled: nothing is sent to it any more."},
            "disabled_reason": {
                "help_text": "Why the workbench disabled it (the receiver answered 410 Gone); "
                "empty when the platform disabled it."
            },
        }


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    """The endpoint with its signing secret: only in the answer that created or rotated it."""

    secret = serializers.SerializerMethodField(
        help_text="The signing secret (whsec_...). Store it now: it is never shown again."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, endpoint: WebhookEndpoint) -> str:
        return self.context["secret"]


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(
        max_length=500,
        help_text=(
            "The https URL that receives decisions. It must resolve to public addresses "
            "only; it is checked again before each delivery."
        ),
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxAttempt
        fields = [
            "number",
            "started_at",
            "duration_ms",
            "ok",
            "status_code",
            "error",
            "response_excerpt",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "number": {"help_text": "1 for the first attempt; also sent as X-Takedown-Attempt."},
            "status_code": {"help_text": "The receiver's HTTP status; null if none answered."},
            "error": {"help_text": "Why the attempt failed; empty when it succeeded."},
            "response_excerpt": {"help_text": "The start of the receiver's answer."},
        }


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One message to one endpoint, and every attempt at it."""

    id = serializers.UUIDField(
        source="event_id", read_only=True, help_text="The delivery id: X-Takedown-Delivery-Id."
    )
    event_id = serializers.SerializerMethodField(
        help_text="The event id: X-Takedown-Event-Id, the decision's id in the pull feed."
    )
    event_type = serializers.CharField(
        source="topic", read_only=True, help_text="case.removed, ..., or webhook.ping."
    )
    status = serializers.ChoiceField(
        choices=OutboxMessage.Status.choices,
        read_only=True,
        help_text="pending: waiting for its next attempt; sent: received (2xx); failed: given up.",
    )
    next_attempt_at = serializers.SerializerMethodField(
        help_text="When it is tried next; null unless pending."
    )
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "next_attempt_at",
            "sent_at",
            "attempt_log",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.UUID)
    def get_event_id(self, message: OutboxMessage) -> str:
        return str(message.payload.get("id") or message.event_id)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, message: OutboxMessage) -> str | None:
        if message.status != OutboxMessage.Status.PENDING:
            return None
        return serializers.DateTimeField().to_representation(message.next_attempt_at)


class DeliveryFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=OutboxMessage.Status.choices,
        required=False,
        help_text="Only deliveries in this status (failed: the ones to retry).",
    )


# Views ----------------------------------------------------------------------------


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _call(fn, **kwargs):
    """Call a service; turn its refusal into a 400 naming the field, or a 409."""
    try:
        return fn(**kwargs)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        if exc.field:
            raise ValidationError({exc.field: [exc.message]}) from exc
        raise Conflict(exc.message) from exc


NOT_FOUND = {404: OpenApiResponse(description="No such webhook of this platform.")}
DISABLED = {409: OpenApiResponse(description="The webhook is disabled.")}


class WebhookEndpointView(PlatformAPIView):
    """A view of one webhook of the calling platform, ``pk`` in the path."""

    def endpoint(self) -> WebhookEndpoint:
        return get_object_or_404(webhook_endpoints_for(self.request.user), pk=self.kwargs["pk"])


@extend_schema_view(
    get=extend_schema(
        responses={
            200: WebhookEndpointSerializer(many=True),
            404: OpenApiResponse(description="No such page of webhooks."),
            **PLATFORM_ERRORS,
        },
        description="This platform's webhooks, active ones first, newest first.",
    )
)
class WebhookEndpointListCreate(PlatformAPIView, generics.ListAPIView):
    """List this platform's webhooks, or register a new one."""

    serializer_class = WebhookEndpointSerializer

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return webhook_endpoints_for(self.request.user)

    @extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={
            201: WebhookEndpointSecretSerializer,
            400: OpenApiResponse(
                description="The URL is refused (not https, a private or unresolvable host, "
                "registered already, or five webhooks are active); the body names url."
            ),
            **PLATFORM_ERRORS,
        },
        description=(
            "Register an https URL to receive this platform's decisions, signed with the "
            "secret in the answer. The secret is shown only in this answer."
        ),
    )
    def post(self, request: Request) -> Response:
        body = WebhookEndpointCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint, secret = _call(
            webhook_endpoint_create,
            actor=request.user,
            platform=self.principal.platform,
            url=body.validated_data["url"],
        )
        data = WebhookEndpointSecretSerializer(endpoint, context={"secret": secret}).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class WebhookEndpointDetail(WebhookEndpointView):
    @extend_schema(responses={200: WebhookEndpointSerializer, **NOT_FOUND, **PLATFORM_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        """One webhook of this platform."""
        return Response(WebhookEndpointSerializer(self.endpoint()).data)


class WebhookEndpointRotateSecret(WebhookEndpointView):
    @extend_schema(
        request=None,
        responses={
            200: WebhookEndpointSecretSerializer,
            **NOT_FOUND,
            **DISABLED,
            **PLATFORM_ERRORS,
        },
        description=(
            "Give the webhook a new signing secret, shown only in this answer. The old one "
            "stops signing at once; deliveries the receiver refuses until it has the new "
            "secret are retried with backoff."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint, secret = _call(
            webhook_endpoint_rotate_secret, actor=request.user, endpoint=self.endpoint()
        )
        data = WebhookEndpointSecretSerializer(endpoint, context={"secret": secret}).data
        return Response(data, headers={"Cache-Control": "no-store"})


class WebhookEndpointDisable(WebhookEndpointView):
    @extend_schema(
        request=None,
        responses={
            200: WebhookEndpointSerializer,
            **NOT_FOUND,
            409: OpenApiResponse(description="The webhook is disabled already."),
            **PLATFORM_ERRORS,
        },
        description=(
            "Stop sending to the webhook; deliveries still waiting for it are given up. "
            "It stays listed with its delivery log. Decisions stay in the pull feed."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = _call(webhook_endpoint_disable, actor=request.user, endpoint=self.endpoint())
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookEndpointPing(WebhookEndpointView):
    @extend_schema(
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            **NOT_FOUND,
            **DISABLED,
            **PLATFORM_ERRORS,
        },
        description=(
            "Send a test event (type webhook.ping) to the webhook: signed, retried and "
            "logged like a decision, so it shows in the webhook's deliveries. A receiver "
            "answers it with 2xx and acts on nothing."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        message = _call(webhook_endpoint_ping, actor=request.user, endpoint=self.endpoint())
        return Response(WebhookDeliverySerializer(message).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    get=extend_schema(
        parameters=[DeliveryFilterSerializer],
        responses={
            200: WebhookDeliverySerializer(many=True),
            400: OpenApiResponse(description="status is not pending, sent or failed."),
            404: OpenApiResponse(description="No such webhook of this platform, or page."),
            **PLATFORM_ERRORS,
        },
        description=(
            "What was sent to the webhook, newest first: each delivery with its status and "
            "every attempt (when, the receiver's HTTP status, the error)."
        ),
    )
)
class WebhookDeliveryList(WebhookEndpointView, generics.ListAPIView):
    """The webhook's delivery log."""

    serializer_class = WebhookDeliverySerializer

    def get_queryset(self) -> QuerySet[OutboxMessage]:
        query = DeliveryFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        deliveries = webhook_deliveries_for(self.request.user).filter(endpoint=self.endpoint())
        if "status" in query.validated_data:
            deliveries = deliveries.filter(status=query.validated_data["status"])
        return deliveries


class WebhookDeliveryRetry(WebhookEndpointView):
    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "delivery_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Its id."
            )
        ],
        responses={
            202: WebhookDeliverySerializer,
            404: OpenApiResponse(description="No such delivery of this platform's webhook."),
            409: OpenApiResponse(
                description="The delivery was received already, or the webhook is disabled."
            ),
            **PLATFORM_ERRORS,
        },
        description=(
            "Attempt a delivery again now: one given up, or one waiting for its next "
            "attempt. It is signed anew; the event id stays the same."
        ),
    )
    def post(self, request: Request, pk: int, delivery_id: uuid.UUID) -> Response:
        message = get_object_or_404(
            webhook_deliveries_for(request.user).filter(endpoint=self.endpoint()),
            event_id=delivery_id,
        )
        message = _call(webhook_delivery_retry, actor=request.user, message=message)
        return Response(WebhookDeliverySerializer(message).data, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("webhooks", WebhookEndpointListCreate.as_view(), name="api-webhook-list"),
    path("webhooks/<int:pk>", WebhookEndpointDetail.as_view(), name="api-webhook-detail"),
    path(
        "webhooks/<int:pk>/rotate-secret",
        WebhookEndpointRotateSecret.as_view(),
        name="api-webhook-rotate-secret",
    ),
    path("webhooks/<int:pk>/disable", WebhookEndpointDisable.as_view(), name="api-webhook-disable"),
    path("webhooks/<int:pk>/ping", WebhookEndpointPing.as_view(), name="api-webhook-ping"),
    path(
        "webhooks/<int:pk>/deliveries",
        WebhookDeliveryList.as_view(),
        name="api-webhook-delivery-list",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<uuid:delivery_id>/retry",
        WebhookDeliveryRetry.as_view(),
        name="api-webhook-delivery-retry",
    ),
]
