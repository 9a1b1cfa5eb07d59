"""The platform's decision feed: poll decisions in order, confirm carrying them out.

``GET /api/v1/decisions?since=<sequence>`` lists the calling platform's
decisions numbered above ``since``, oldest first; ``cursor`` is the number to
send next time. The same decisions are pushed as signed webhooks (see
takedown.services.webhooks); ``id`` is the same in both, for deduplication.
"""

import uuid

from django.shortcuts import get_object_or_404
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from takedown.errors import DomainError
from takedown.services.decisions import decision_confirm_executed, decisions_for

from .views import PLATFORM_ERRORS, PlatformAPIView

# Decisions a page holds by default and at most.
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# The largest number a database integer holds: a larger cursor is refused, not a 500.
MAX_SEQUENCE = 2**63 - 1


class StatementOfReasonsSerializer(serializers.Serializer):
    """The DSA Art. 17 statement, in the EU transparency database's terms."""

    decision_visibility = serializers.CharField()
    decision_ground = serializers.CharField()
    illegal_content_legal_ground = serializers.CharField(allow_blank=True)
    illegal_content_explanation = serializers.CharField(allow_blank=True)
    incompatible_content_ground = serializers.CharField(allow_blank=True)
    incompatible_content_explanation = serializers.CharField(allow_blank=True)
    category = serializers.CharField()
    category_specification = serializers.ListField(child=serializers.CharField())
    decision_facts = serializers.CharField()
    source_type = serializers.CharField()
    automated_detection = serializers.BooleanField()
    automated_decision = serializers.CharField()
    territorial_scope = serializers.ListField(child=serializers.CharField())
    content_type = serializers.ListField(child=serializers.CharField())
    application_date = serializers.DateTimeField()
    end_date_visibility_restriction = serializers.DateTimeField(allow_null=True)
    puid = serializers.CharField()


class DecisionTakenSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="remove, restrict, reject, request_info, restore")
    needs_execution = serializers.BooleanField(
        help_text="The platform must carry this out and confirm it (POST .../executed)."
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text="A rejection's reason.")


class PlatformDecisionSerializer(serializers.Serializer):
    """A decision as the webhook carries it, with what the platform confirmed since."""

    id = serializers.UUIDField(
        source="event_id", help_text="The event id, also sent as X-Takedown-Event-Id."
    )
    sequence = serializers.IntegerField(help_text="Increasing per platform: the feed's cursor.")
    type = serializers.CharField(help_text="case.removed, case.restricted, case.rejected, ...")
    occurred_at = serializers.DateTimeField()
    platform = serializers.CharField(source="payload.platform")
    case_id = serializers.IntegerField()
    case_status = serializers.CharField(source="payload.case_status")
    complaint_reference = serializers.CharField(source="payload.complaint_reference")
    listing_external_id = serializers.CharField(source="payload.listing_external_id")
    decision = DecisionTakenSerializer(source="payload.decision")
    statement_of_reasons = StatementOfReasonsSerializer(
        source="payload.statement_of_reasons", allow_null=True
    )
    executed_at = serializers.DateTimeField(allow_null=True)
    execution_confirmed_at = serializers.DateTimeField(allow_null=True)
    execution_note = serializers.CharField(allow_blank=True)


class DecisionPageSerializer(serializers.Serializer):
    results = PlatformDecisionSerializer(many=True)
    cursor = serializers.IntegerField(
        help_text="The sequence of the last decision listed (or since): send it as since next."
    )
    has_more = serializers.BooleanField(help_text="More decisions are waiting: call next now.")
    next = serializers.URLField(help_text="This endpoint with since=cursor.")


class DecisionFeedQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SEQUENCE,
        default=0,
        help_text="List decisions with a sequence above this (0: from the start).",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE, help_text="At most this many."
    )


class ExecutedSerializer(serializers.Serializer):
    executed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the measure took effect on the platform; default: now.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class NothingToExecute(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "nothing_to_execute"


class DecisionFeed(PlatformAPIView):
    """This platform's decisions after ``since``, oldest first."""

    @extend_schema(
        parameters=[DecisionFeedQuerySerializer],
        responses={
            200: DecisionPageSerializer,
            400: OpenApiResponse(description="since or limit is not a number in range."),
            **PLATFORM_ERRORS,
        },
        description=(
            "Poll the decisions on this platform's listings in the order they were made. "
            "Keep the cursor of the last answer and send it as since: no decision is "
            "skipped or listed twice. The same decisions arrive as signed webhooks if one "
            "is registered; id is the same in both."
        ),
    )
    def get(self, request: Request) -> Response:
        query = DecisionFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since: int = query.validated_data["since"]
        limit: int = query.validated_data["limit"]
        rows = list(decisions_for(request.user).filter(sequence__gt=since)[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        cursor = rows[-1].sequence if rows else since
        page = {
            "results": rows,
            "cursor": cursor,
            "has_more": has_more,
            "next": request.build_absolute_uri(
                f"{request.path}?{urlencode({'since': cursor, 'limit': limit})}"
            ),
        }
        return Response(DecisionPageSerializer(page).data)


class DecisionExecuted(PlatformAPIView):
    """Confirm that the platform carried out a decision (removed or restricted the listing)."""

    @extend_schema(
        request=ExecutedSerializer,
        responses={
            200: PlatformDecisionSerializer,
            400: OpenApiResponse(description="executed_at in the future or before the decision."),
            404: OpenApiResponse(description="No such decision of this platform."),
            409: OpenApiResponse(description="The decision asks nothing of the platform."),
            **PLATFORM_ERRORS,
        },
        description=(
            "Record that the measure was carried out. Idempotent: confirming again "
            "answers 200 with the first confirmation unchanged."
        ),
    )
    def post(self, request: Request, event_id: uuid.UUID) -> Response:
        decision = get_object_or_404(decisions_for(request.user), event_id=event_id)
        body = ExecutedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            decision, _ = decision_confirm_executed(
                actor=request.user,
                decision=decision,
                executed_at=body.validated_data.get("executed_at"),
                note=body.validated_data.get("note", ""),
            )
        except DomainError as exc:
            if exc.field == "decision":
                raise NothingToExecute(exc.message) from exc
            raise ValidationError({exc.field or "non_field_errors": [exc.message]}) from exc
        return Response(PlatformDecisionSerializer(decision).data)
