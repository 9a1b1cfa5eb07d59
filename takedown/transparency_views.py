"""The transparency report: the public page (counts only), the moderators' page with its CSV
and JSON, and the moderators' export of statements of reasons (DSA Transparency Database schema).
"""

import csv
import io
import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from takedown.dsa_sor import CSV_FIELDS, statement_csv_row, statements_export
from takedown.errors import DomainError, NotPermitted
from takedown.transparency import (
    PUBLIC_CACHE_SECONDS,
    ReportPeriod,
    ReportScope,
    moderator_scope,
    period_parse,
    platforms_for_report,
    public_scope,
    transparency_report,
)

REPORT_FORMATS = ("html", "csv", "json")
STATEMENT_FORMATS = ("jsonl", "csv")


def _form_values(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip() for key in ("from", "to", "platform")}


def _format(request: HttpRequest, allowed: tuple[str, ...]) -> str:
    value = request.GET.get("format", allowed[0]).strip() or allowed[0]
    if value not in allowed:
        raise DomainError(
            f"'format' must be one of {', '.join(allowed)}, not '{value[:20]}'.", field="format"
        )
    return value


def _refused(error: DomainError, fmt: str) -> HttpResponse:
    if fmt == "json":
        return JsonResponse({"error": error.message, "field": error.field}, status=400)
    return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")


def _file_name(kind: str, scope: ReportScope, period: ReportPeriod, extension: str) -> str:
    return (
        f"{kind}-{scope.platform_slug or 'all'}-"
        f"{period.first.isoformat()}-{period.last.isoformat()}.{extension}"
    )


@require_GET
def public_report(request: HttpRequest) -> HttpResponse:
    """The report of the whole workbench or one platform, for anyone: counts only."""
    values = _form_values(request)
    context: dict[str, object] = {
        "values": values,
        "platforms": platforms_for_report(),
        "report": None,
        "cache_minutes": PUBLIC_CACHE_SECONDS // 60,
    }
    try:
        period = period_parse(values["from"], values["to"])
    except DomainError as error:
        context["error"] = error
        return render(request, "takedown/transparency_public.html", context, status=400)
    scope = public_scope(values["platform"])
    context["report"] = transparency_report(period=period, scope=scope, cached=True)
    return render(request, "takedown/transparency_public.html", context)


def _moderator_scope(request: HttpRequest, values: dict[str, str]) -> ReportScope:
    try:
        return moderator_scope(request.user, values["platform"])
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """The moderators' report of their platforms (the operator's: any or all), as a page, CSV or JSON."""
    values = _form_values(request)
    scope = _moderator_scope(request, values)
    context: dict[str, object] = {
        "values": values,
        "platforms": platforms_for_report(request.user),
        "scope": scope,
        "report": None,
    }
    try:
        fmt = _format(request, REPORT_FORMATS)
    except DomainError as error:
        return _refused(error, "")
    try:
        period = period_parse(values["from"], values["to"])
    except DomainError as error:
        if fmt != "html":
            return _refused(error, fmt)
        context["error"] = error
        return render(request, "takedown/transparency_report.html", context, status=400)
    result = transparency_report(period=period, scope=scope)
    if fmt == "json":
        response: HttpResponse = JsonResponse(
            result.as_dict(), json_dumps_params={"ensure_ascii": False, "indent": 2}
        )
    elif fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(result.csv_rows())
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        context["report"] = result
        context["period"] = period
        return render(request, "takedown/transparency_report.html", context)
    name = _file_name("transparency", scope, period, fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _json_lines(statements: Iterator[dict]) -> Iterator[str]:
    for statement in statements:
        yield json.dumps(statement, ensure_ascii=False) + "\n"


def _csv_lines(statements: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for statement in statements:
        writer.writerow(statement_csv_row(statement))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@login_required
@require_GET
def statements(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The period's statements of reasons in the DSA Transparency Database's schema.

    JSON lines (one statement a line, as the API's bodies) or CSV; streamed.
    """
    values = _form_values(request)
    scope = _moderator_scope(request, values)
    try:
        fmt = _format(request, STATEMENT_FORMATS)
        period = period_parse(values["from"], values["to"])
    except DomainError as error:
        return _refused(error, "")
    rows = statements_export(period, scope)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(
            _json_lines(rows), content_type="application/x-ndjson; charset=utf-8"
        )
    name = _file_name("statements-of-reasons", scope, period, fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
