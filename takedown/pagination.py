"""Page-number pagination that refuses a `page` it cannot read instead of guessing.

DRF's own class reads the last of several `page` values and treats an empty one
as page 1; a client that sent either has a bug worth hearing about.
"""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


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
