"""Evidence packages through the API: ask for a case's package, follow it, download it.

The same rules as the pages (takedown.services.packages.package_audience):
moderators of the case's platform and the operator's get the full package,
the notifier's members and agents theirs without the seller's personal data;
anyone else is refused, another tenant's case or package is a 404.
"""

from django.http import FileResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from takedown.errors import NotPermitted
from takedown.models import EvidencePackage
from takedown.models.background import background_file_response
from takedown.selectors import case_get
from takedown.services.packages import package_filename, package_get, package_request

from .views import ERRORS, NOT_FOUND, READ_ERRORS


class EvidencePackageSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(
        help_text="Where to download the ZIP once ready (null before)."
    )

    class Meta:
        model = EvidencePackage
        fields = [
            "id",
            "case",
            "complaint",
            "audience",
            "status",
            "error",
            "progress_done",
            "progress_total",
            "sha256",
            "size",
            "created_at",
            "started_at",
            "finished_at",
            "download",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, package: EvidencePackage) -> str | None:
        if package.status != EvidencePackage.Status.READY:
            return None
        return reverse("api-evidence-package-file", args=[package.pk])


class CaseEvidencePackage(APIView):
    """Ask for an evidence package of a case; it is built in the background (202)."""

    @extend_schema(
        operation_id="cases_evidence_package_create",
        request=None,
        responses={202: EvidencePackageSerializer, **ERRORS, **NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = case_get(request.user, pk)
        try:
            package = package_request(actor=request.user, case=case)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        package.refresh_from_db()
        return Response(EvidencePackageSerializer(package).data, status=status.HTTP_202_ACCEPTED)


class EvidencePackageDetail(APIView):
    """A package's status and progress; its download link once ready."""

    @extend_schema(responses={200: EvidencePackageSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(EvidencePackageSerializer(package_get(request.user, pk)).data)


class EvidencePackageFile(APIView):
    """The package's ZIP (404 until it is ready)."""

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The evidence package."
            ),
            **READ_ERRORS,
        }
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        package = package_get(request.user, pk)
        return background_file_response(
            package,
            filename=package_filename(package),
            not_ready="This evidence package is not ready.",
        )


urlpatterns = [
    path(
        "cases/<int:pk>/evidence-package",
        CaseEvidencePackage.as_view(),
        name="api-case-evidence-package",
    ),
    path(
        "evidence-packages/<int:pk>",
        EvidencePackageDetail.as_view(),
        name="api-evidence-package-detail",
    ),
    path(
        "evidence-packages/<int:pk>/file",
        EvidencePackageFile.as_view(),
        name="api-evidence-package-file",
    ),
]
