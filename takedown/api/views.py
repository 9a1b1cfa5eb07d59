"""API of complaints (notifiers) and of the case queue (moderators), scoped like the pages.

Writes go through the services: a DomainError becomes a 400 naming the field,
NotPermitted a 403, another tenant's object a 404.
"""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rightsholders.models import Organisation
from takedown.errors import DomainError, NotPermitted
from takedown.models import Case, Complaint
from takedown.pagination import CappedCountPagination
from takedown.selectors import case_get, cases_for, complaint_get, complaints_for, queue_for
from takedown.services.cases import (
    Decision,
    case_answer_info,
    case_claim_next,
    case_decide,
    case_release,
    cases_decide_bulk,
)
from takedown.services.complaints import (
    ComplaintData,
    complaint_file,
    complaint_listings_resolve,
)
from takedown.states import CaseStatus

from .serializers import (
    AnswerSerializer,
    BulkDecisionSerializer,
    BulkOutcomeSerializer,
    CaseDetailSerializer,
    CaseSerializer,
    ComplaintFileSerializer,
    ComplaintSerializer,
    DecisionSerializer,
)

ERRORS = {
    400: OpenApiResponse(description="Refused; the body names the field and says why."),
    403: OpenApiResponse(description="Not logged in, no CSRF token, or not allowed."),
}
NOT_FOUND = {404: OpenApiResponse(description="No such object, or another tenant's.")}
READ_ERRORS = {
    403: OpenApiResponse(description="Not logged in."),
    404: OpenApiResponse(description="No such object or page, or another tenant's."),
}


# A complaint's cases with what their brief shows, in one query (no N+1 per case).
_CASES = Prefetch("cases", Case.objects.select_related("listing", "platform__organisation"))


def _refused(exc: DomainError) -> ValidationError:
    return ValidationError({exc.field or "non_field_errors": [exc.message]})


def _call(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        raise _refused(exc) from exc


@extend_schema_view(
    get=extend_schema(responses={200: ComplaintSerializer(many=True), **READ_ERRORS})
)
class ComplaintListCreate(generics.ListAPIView):
    """Complaints of the rights holders the caller files for; POST files a new one."""

    serializer_class = ComplaintSerializer

    def get_queryset(self) -> QuerySet[Complaint]:
        return (
            complaints_for(self.request.user)
            .prefetch_related("cases__listing")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request=ComplaintFileSerializer,
        responses={201: ComplaintSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = ComplaintFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        holder = Organisation.objects.filter(
            pk=values["rights_holder"], kind=Organisation.Kind.RIGHTS_HOLDER
        ).first()
        if holder is None:
            raise ValidationError({"rights_holder": ["No such rights holder."]})
        listing_ids = list(values["listings"])
        if values.get("listing_references", "").strip():
            listing_ids += _call(complaint_listings_resolve, text=values["listing_references"])
        complaint = _call(
            complaint_file,
            actor=request.user,
            rights_holder=holder,
            right_ids=values["rights"],
            listing_ids=listing_ids,
            detection_ids=values["detections"],
            evidence=request.FILES.getlist("evidence"),
            data=ComplaintData(
                reason=values["reason"],
                reason_other=values.get("reason_other", ""),
                explanation=values["explanation"],
                notifier_name=values["notifier_name"],
                notifier_email=values["notifier_email"],
                good_faith=values["good_faith"],
                accurate=values["accurate"],
                signature=values["signature"],
            ),
        )
        return Response(ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: ComplaintSerializer, **READ_ERRORS})
class ComplaintDetail(generics.RetrieveAPIView):
    serializer_class = ComplaintSerializer

    def get_object(self) -> Complaint:
        return complaint_get(self.request.user, self.kwargs["reference"], cases=_CASES)


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, enum=CaseStatus.values),
        OpenApiParameter("platform", int),
        OpenApiParameter(
            "queue", bool, description="Only cases the caller may decide, most urgent first"
        ),
    ],
    responses={200: CaseSerializer(many=True), 400: ERRORS[400], **READ_ERRORS},
)
class CaseList(generics.ListAPIView):
    """Cases the caller may see; ``?queue=true`` is a moderator's queue, most urgent first."""

    serializer_class = CaseSerializer
    # The open cases of a large marketplace run to hundreds of thousands.
    pagination_class = CappedCountPagination

    def get_queryset(self) -> QuerySet[Case]:
        params = self.request.query_params
        case_status = params.get("status", "")
        if case_status and case_status not in CaseStatus.values:
            raise ValidationError({"status": [f"must be one of {', '.join(CaseStatus.values)}"]})
        platform = params.get("platform", "")
        if platform and not platform.isdigit():
            raise ValidationError({"platform": ["must be a platform id"]})
        platform_id = int(platform) if platform else None
        if params.get("queue", "").lower() in ("1", "true", "yes"):
            return queue_for(self.request.user, platform_id=platform_id, status=case_status)
        cases = cases_for(self.request.user)
        if case_status:
            cases = cases.filter(status=case_status)
        if platform_id is not None:
            cases = cases.filter(platform_id=platform_id)
        return cases.order_by("due_at", "pk")


@extend_schema(responses={200: CaseDetailSerializer, **READ_ERRORS})
class CaseDetail(generics.RetrieveAPIView):
    serializer_class = CaseDetailSerializer

    def get_object(self) -> Case:
        return case_get(self.request.user, self.kwargs["pk"])


class CaseClaimNext(APIView):
    """Claim the most urgent case the moderator may decide (204 when the queue is empty)."""

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("platform", int)],
        responses={
            200: CaseSerializer,
            204: OpenApiResponse(description="Nothing waiting."),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        platform = request.query_params.get("platform", "")
        if platform and not platform.isdigit():
            raise ValidationError({"platform": ["must be a platform id"]})
        case = _call(
            case_claim_next, actor=request.user, platform_id=int(platform) if platform else None
        )
        if case is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            CaseSerializer(case_get(request.user, case.pk), context={"request": request}).data
        )


class CaseRelease(APIView):
    @extend_schema(request=None, responses={200: CaseSerializer, **ERRORS, **NOT_FOUND})
    def post(self, request: Request, pk: int) -> Response:
        case = _call(case_release, actor=request.user, case=case_get(request.user, pk))
        return Response(
            CaseSerializer(case_get(request.user, case.pk), context={"request": request}).data
        )


def _decision(values: dict) -> Decision:
    return Decision(
        action=values["action"],
        explanation=values["explanation"],
        territorial_scope=values.get("territorial_scope") or (),
        restriction_days=values.get("restriction_days"),
    )


class CaseDecide(APIView):
    """Remove, restrict, reject, or ask the notifier for information."""

    @extend_schema(
        request=DecisionSerializer,
        responses={200: CaseDetailSerializer, **ERRORS, **NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = case_get(request.user, pk)
        _call(case_decide, actor=request.user, case=case, decision=_decision(body.validated_data))
        return Response(
            CaseDetailSerializer(case_get(request.user, pk), context={"request": request}).data
        )


class CaseDecideBulk(APIView):
    """One decision on many cases; each succeeds or fails on its own."""

    @extend_schema(
        operation_id="cases_decide_bulk",
        request=BulkDecisionSerializer,
        responses={200: BulkOutcomeSerializer(many=True), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = BulkDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visible = list(
            cases_for(request.user)
            .filter(pk__in=body.validated_data["cases"])
            .values_list("pk", flat=True)
        )
        outcomes = _call(
            cases_decide_bulk,
            actor=request.user,
            case_ids=visible,
            decision=_decision(body.validated_data),
        )
        missing = sorted(set(body.validated_data["cases"]) - set(visible))
        rows = [vars(o) for o in outcomes] + [
            {"case_id": pk, "ok": False, "message": "No such case, or another tenant's."}
            for pk in missing
        ]
        return Response(BulkOutcomeSerializer(rows, many=True).data)


class CaseAnswer(APIView):
    """The notifier answers a request for information; the case returns to the queue."""

    @extend_schema(request=AnswerSerializer, responses={200: CaseSerializer, **ERRORS, **NOT_FOUND})
    def post(self, request: Request, pk: int) -> Response:
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = case_get(request.user, pk)
        _call(case_answer_info, actor=request.user, case=case, answer=body.validated_data["answer"])
        return Response(
            CaseSerializer(case_get(request.user, pk), context={"request": request}).data
        )
