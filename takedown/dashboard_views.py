"""The dashboard: figures of the complaints, detections and cases the viewer may see."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from takedown.dashboard import PERIODS, chart_data, dashboard_figures, period_for


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    period = period_for(request.GET.get("days"))
    figures = dashboard_figures(request.user, period)
    totals = figures["totals"]
    return render(
        request,
        "takedown/dashboard.html",
        {
            "period": period,
            "periods": list(PERIODS),
            "figures": figures,
            "totals": totals,
            "empty": not (totals["complaints"] or totals["detections"] or totals["decided"])
            and not totals["waiting"],
            "chart_data": chart_data(figures, period),
        },
    )
