"""Pagination: the API's page numbers, and pages' counts capped for big lists.

The API's class refuses a `page` it cannot read instead of guessing: DRF's own
reads the last of several `page` values and treats an empty one as page 1; a
client that sent either has a bug worth hearing about.

Pages over lists that grow without bound (a brand's detections, the open
cases) count at most COUNT_CAP rows: an exact count reads every row on every
view; past the cap the page says "more than" and asks for filters.
"""

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

COUNT_CAP = 10_000


def count_capped(queryset: QuerySet[Any], cap: int | None = None) -> int:
    """The number of rows of ``queryset``, or ``cap + 1`` when there are more than ``cap``."""
    cap = COUNT_CAP if cap is None else cap
    return queryset.order_by()[: cap + 1].count()


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap + 1`` rows; past the cap pages stop there.

    ``capped`` tells templates to say "more than" and "Page 50" without a total
    (includes/pagination.html does).
    """

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        assert isinstance(self.object_list, QuerySet)  # capped pages are over querysets
        return count_capped(self.object_list, self.cap)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class Pagination(PageNumberPagination):
    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if len(values) > 1:
            raise NotFound(
                f"Invalid page: give `{self.page_query_param}` once, not {len(values)} times."
            )
        if values and not values[0].strip():
            raise NotFound(
                f"Invalid page: `{self.page_query_param}` is empty; give a page number from 1."
            )
        return super().get_page_number(request, paginator)


class CappedCountPagination(Pagination):
    """API pages of lists that grow without bound: ``count`` stops at COUNT_CAP + 1.

    ``count_capped`` is true when there are more than COUNT_CAP rows (``count``
    is then COUNT_CAP + 1, not the total); ``next`` still leads on, page by page.
    """

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        paginator = self.page.paginator if self.page is not None else None
        response.data["count_capped"] = isinstance(paginator, CappedPaginator) and paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"true when there are more than {COUNT_CAP} items; count is then "
            f"{COUNT_CAP + 1}, not the total",
        }
        schema["required"] = [*schema.get("required", []), "count_capped"]
        return schema
