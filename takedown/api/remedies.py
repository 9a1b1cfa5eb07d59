"""API of what follows a decision: court actions reported, appeals filed and decided."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from takedown.models.remedies import Appeal
from takedown.selectors import appeals_for, case_get, case_internals_visible
from takedown.services.remedies import (
    appeal_decide,
    appeal_file,
    counter_notice_report_action,
)

from .views import ERRORS, READ_ERRORS, _call


class AppealSerializer(serializers.ModelSerializer):
    """An appeal; ``decided_by`` (a moderator) is null for notifiers."""

    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = [
            "id",
            "case",
            "by",
            "statement",
            "evidence",
            "status",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_evidence(self, appeal: Appeal) -> list[dict]:
        """The files attached: name, sha256, content type and size (not where they are stored)."""
        return [{k: v for k, v in item.items() if k != "path"} for item in appeal.evidence]

    def to_representation(self, instance: Appeal) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not case_internals_visible(request.user, instance.case):
            data["decided_by"] = None
        return data


class AppealFileSerializer(serializers.Serializer):
    statement = serializers.CharField(max_length=20_000)
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=20,
        help_text="PDF or images (multipart/form-data), checked like a notice's evidence.",
    )


class AppealDecideSerializer(serializers.Serializer):
    uphold = serializers.BooleanField()
    reason = serializers.CharField(max_length=20_000)


class ReportActionSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=300, help_text="The authority or court, and the reference of the case filed."
    )


class ReportActionResponseSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    action_reported_at = serializers.DateTimeField()


class CaseReportAction(APIView):
    """The notifier reports, within the counter-notice window, the court action it filed."""

    @extend_schema(
        request=ReportActionSerializer,
        responses={200: ReportActionResponseSerializer, **ERRORS, **READ_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = ReportActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = case_get(request.user, pk)
        notice = _call(
            counter_notice_report_action,
            actor=request.user,
            case=case,
            reference=body.validated_data["reference"],
        )
        return Response({"case": case.pk, "action_reported_at": notice.action_reported_at})


class CaseAppeal(APIView):
    """The notifier appeals a rejection (sellers appeal through their private link)."""

    @extend_schema(
        request=AppealFileSerializer, responses={201: AppealSerializer, **ERRORS, **READ_ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        body = AppealFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = _call(
            appeal_file,
            case=case_get(request.user, pk),
            by=Appeal.By.NOTIFIER,
            actor=request.user,
            statement=body.validated_data["statement"],
            evidence=body.validated_data["evidence"],
        )
        return Response(AppealSerializer(appeal, context={"request": request}).data, status=201)


@extend_schema_view(get=extend_schema(responses={200: AppealSerializer(many=True), **READ_ERRORS}))
class AppealList(generics.ListAPIView):
    """Open appeals first, oldest first: the appeals queue."""

    serializer_class = AppealSerializer

    def get_queryset(self) -> QuerySet[Appeal]:
        status = self.request.query_params.get("status", Appeal.Status.OPEN)
        return appeals_for(self.request.user).filter(status=status)


class AppealDecide(APIView):
    """Uphold (reverse the decision) or dismiss; another moderator than the case's decider."""

    @extend_schema(
        request=AppealDecideSerializer, responses={200: AppealSerializer, **ERRORS, **READ_ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        body = AppealDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = get_object_or_404(appeals_for(request.user), pk=pk)
        decided = _call(
            appeal_decide,
            actor=request.user,
            appeal=appeal,
            uphold=body.validated_data["uphold"],
            reason=body.validated_data["reason"],
        )
        return Response(AppealSerializer(decided, context={"request": request}).data)
