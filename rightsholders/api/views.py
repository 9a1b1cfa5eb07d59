"""Read-only API of the registry, scoped to the caller like the pages are."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics

from ..models import Right
from ..selectors import right_get, rights_search
from .serializers import RightSerializer

NOT_LOGGED_IN = OpenApiResponse(description="Not logged in.")


@extend_schema_view(
    get=extend_schema(
        responses={
            200: RightSerializer(many=True),
            403: NOT_LOGGED_IN,
            404: OpenApiResponse(description="No such page of rights."),
        }
    )
)
class RightList(generics.ListAPIView):
    """Rights the caller may see; filter with ``?status=``, ``?kind=``, ``?office=``, ``?q=``."""

    serializer_class = RightSerializer

    def get_queryset(self) -> QuerySet[Right]:
        params = self.request.query_params
        return rights_search(
            self.request.user,
            q=params.get("q", ""),
            status=params.get("status", ""),
            kind=params.get("kind", ""),
            office=params.get("office", ""),
        ).order_by("pk")


@extend_schema_view(
    get=extend_schema(
        responses={
            200: RightSerializer,
            403: NOT_LOGGED_IN,
            404: OpenApiResponse(description="No such right, or another tenant's."),
        }
    )
)
class RightDetail(generics.RetrieveAPIView):
    serializer_class = RightSerializer

    def get_object(self) -> Right:
        return right_get(self.request.user, self.kwargs["pk"])
