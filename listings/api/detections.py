"""The rights holders' detection API: what the scanners found, and dismissing or reopening it.

Scoped to the caller like the inbox page (session login); writes go through
the same services, so an agent without a fitting authorisation is refused
the same way.
"""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from takedown.errors import DomainError, NotPermitted
from takedown.pagination import CappedCountPagination
from takedown.states import DetectionStatus, DismissReason

from .. import explain
from ..models import Detection
from ..selectors import DetectionFilters, detection_get, detections_filtered
from ..services.detections import HAND_OVER_MAX, detections_dismiss, detections_reopen

NOT_LOGGED_IN = OpenApiResponse(description="Not logged in, or no CSRF token with a session.")


class DetectionListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    platform = serializers.CharField(source="platform.name")
    title = serializers.CharField()
    url = serializers.CharField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    store = serializers.SerializerMethodField()

    def get_store(self, listing: Any) -> str:
        seller = listing.seller
        return (seller.name or seller.external_id) if seller is not None else ""


class DetectionRightSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class DetectionSerializer(serializers.ModelSerializer):
    """A detection with every signal's evidence and the same in words (``why``)."""

    listing = DetectionListingSerializer(read_only=True)
    right = DetectionRightSerializer(read_only=True)
    signals = serializers.ListField(child=serializers.DictField(), read_only=True)
    why = serializers.SerializerMethodField()

    class Meta:
        model = Detection
        fields = [
            "id",
            "listing",
            "right",
            "score",
            "text_score",
            "image_score",
            "status",
            "signals",
            "why",
            "engine_version",
            "created_at",
            "last_matched_at",
        ]
        read_only_fields = fields

    def get_why(self, detection: Detection) -> list[str]:
        return [explain.signal_sentence(signal) for signal in detection.signals]


def _float(value: str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise ValidationError({name: "must be a number from 0 to 1"}) from exc
    if not 0 <= number <= 1:
        raise ValidationError({name: "must be a number from 0 to 1"})
    return number


def _int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationError({name: "must be an integer"}) from exc


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=DetectionStatus.values),
            OpenApiParameter("right", int),
            OpenApiParameter("signal", str, enum=["text", "image", "both"]),
            OpenApiParameter("min_score", float),
            OpenApiParameter("platform", int),
            OpenApiParameter("q", str, description="Title, listing id or store name"),
        ],
        responses={
            200: DetectionSerializer(many=True),
            400: OpenApiResponse(description="A filter value is invalid; the body names it."),
            403: NOT_LOGGED_IN,
            404: OpenApiResponse(description="No such page."),
        },
    )
)
class DetectionList(generics.ListAPIView):
    """Detections of the caller's rights, best first (open ones unless ``?status=``)."""

    serializer_class = DetectionSerializer
    # A brand's detections run to millions: count up to the cap, as the inbox does.
    pagination_class = CappedCountPagination

    def get_queryset(self) -> QuerySet[Detection]:
        params = self.request.query_params
        detection_status = params.get("status") or DetectionStatus.OPEN
        if detection_status not in DetectionStatus.values:
            raise ValidationError({"status": f"must be one of {', '.join(DetectionStatus.values)}"})
        signal = params.get("signal", "")
        if signal not in ("", "text", "image", "both"):
            raise ValidationError({"signal": "must be text, image or both"})
        filters = DetectionFilters(
            status=detection_status,
            right_id=_int(params.get("right"), "right"),
            signal=signal,
            min_score=_float(params.get("min_score"), "min_score"),
            platform_id=_int(params.get("platform"), "platform"),
            q=params.get("q", "").strip(),
        )
        return detections_filtered(self.request.user, filters)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: DetectionSerializer,
            403: NOT_LOGGED_IN,
            404: OpenApiResponse(description="No such detection, or another tenant's."),
        }
    )
)
class DetectionDetail(generics.RetrieveAPIView):
    serializer_class = DetectionSerializer

    def get_object(self) -> Detection:
        return detection_get(self.request.user, self.kwargs["pk"])


class DetectionIdsSerializer(serializers.Serializer):
    detections = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=HAND_OVER_MAX
    )


class DismissSerializer(DetectionIdsSerializer):
    reason = serializers.ChoiceField(choices=DismissReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DetectionsChangedSerializer(serializers.Serializer):
    changed = serializers.ListField(child=serializers.IntegerField())


WRITE_ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names the field."),
    403: OpenApiResponse(description="Not logged in, no CSRF token, or not allowed to act."),
}


def _domain_error(exc: DomainError) -> ValidationError:
    return ValidationError({exc.field or "detections": [exc.message]})


class DetectionDismiss(APIView):
    """Dismiss detections with a reason; the dismissal is remembered for each listing and right."""

    @extend_schema(
        request=DismissSerializer,
        responses={200: DetectionsChangedSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = DismissSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            done = detections_dismiss(
                actor=request.user,
                detection_ids=body.validated_data["detections"],
                reason=body.validated_data["reason"],
                note=body.validated_data.get("note", ""),
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            raise _domain_error(exc) from exc
        return Response({"changed": [d.pk for d in done]}, status=status.HTTP_200_OK)


class DetectionReopen(APIView):
    """Take dismissed detections back to the inbox and forget their dismissal."""

    @extend_schema(
        request=DetectionIdsSerializer,
        responses={200: DetectionsChangedSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = DetectionIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            done = detections_reopen(
                actor=request.user, detection_ids=body.validated_data["detections"]
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            raise _domain_error(exc) from exc
        return Response({"changed": [d.pk for d in done]}, status=status.HTTP_200_OK)
