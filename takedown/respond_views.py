"""The seller's private page: read the statement of reasons, object or appeal, no account needed.

The link in the seller's email is signed and expires; anyone holding it acts
for the seller of that one case, nothing else. Pages are not cached and not
indexed.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from listings.models import Platform
from takedown.errors import DomainError
from takedown.models.remedies import Appeal, CounterNotice
from takedown.services.remedies import (
    DMCA_JURISDICTION_STATEMENT,
    DMCA_PERJURY_STATEMENT,
    CounterNoticeData,
    appeal_file,
    counter_notice_file,
    seller_case,
)
from takedown.states import CASE_ALLOWED, CaseAction

# What the seller may do from each status is what the transitions allow.
OBJECTABLE = CASE_ALLOWED[CaseAction.COUNTER_NOTICE][0]
APPEALABLE = CASE_ALLOWED[CaseAction.REVERSE_MEASURE][0]


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    try:
        case = seller_case(token)
    except DomainError as exc:
        response = render(
            request, "takedown/respond_invalid.html", {"message": exc.message}, status=404
        )
        add_never_cache_headers(response)
        return response
    errors: dict[str, str] = {}
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("what") == "counter_notice":
                counter_notice_file(
                    case=case,
                    evidence=request.FILES.getlist("evidence"),
                    data=CounterNoticeData(
                        seller_name=post.get("seller_name", ""),
                        seller_email=post.get("seller_email", ""),
                        seller_address=post.get("seller_address", ""),
                        seller_phone=post.get("seller_phone", ""),
                        statement=post.get("statement", ""),
                        good_faith=post.get("good_faith") == "on",
                        consent_to_jurisdiction=post.get("consent_to_jurisdiction") == "on",
                        signature=post.get("signature", ""),
                    ),
                )
                messages.success(request, _("Your objection was sent to the notifier."))
            elif post.get("what") == "appeal":
                appeal_file(
                    case=case,
                    by=Appeal.By.SELLER,
                    statement=post.get("appeal", ""),
                    evidence=request.FILES.getlist("evidence"),
                )
                messages.success(
                    request, _("Your appeal was received; another moderator decides it.")
                )
            else:
                raise DomainError(_("Choose what to send."))
        except DomainError as exc:
            errors[exc.field or "page"] = exc.message
        else:
            return redirect("respond", token=token)
    response = render(
        request,
        "takedown/respond.html",
        {
            "case": case,
            "listing": case.listing,
            "statements": case.statements.all(),
            "counter_notice": CounterNotice.objects.filter(case=case).first(),
            "appeals": Appeal.objects.filter(case=case, by=Appeal.By.SELLER),
            "may_object": case.status in OBJECTABLE,
            "may_appeal": case.status in APPEALABLE,
            # Under the DMCA the counter-notice needs a telephone number and these statements.
            "dmca": case.platform.counter_notice_regime == Platform.CounterNoticeRegime.DMCA,
            "dmca_perjury": DMCA_PERJURY_STATEMENT,
            "dmca_jurisdiction": DMCA_JURISDICTION_STATEMENT,
            "errors": errors,
            "values": request.POST,
        },
        status=400 if errors else 200,
    )
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
    # The token in the address never leaves for another site; "no-referrer" would also
    # make browsers send "Origin: null" with the page's own forms, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    return response
