"""Read-only API of the registry, scoped to the caller like the pages are."""

from django.db.models import QuerySet
from rest_framework import generics

from ..models import Right
from ..selectors import right_get, rights_for
from .serializers import RightSerializer


class RightList(generics.ListAPIView):
    """Rights the caller may see; filter with ``?status=verified`` and ``?kind=design``."""

    serializer_class = RightSerializer

    def get_queryset(self) -> QuerySet[Right]:
        qs = rights_for(self.request.user).order_by("pk")
        for param in ("status", "kind", "office"):
            value = self.request.query_params.get(param)
            if value:
                qs = qs.filter(**{param: value})
        return qs


class RightDetail(generics.RetrieveAPIView):
    serializer_class = RightSerializer

    def get_object(self) -> Right:
        return right_get(self.request.user, self.kwargs["pk"])
