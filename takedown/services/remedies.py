"""After a decision: counter-notices and restoration, appeals, strikes, misuse, trusted flaggers.

The rules followed:

- Counter-notice: the seller's declaration is forwarded to the notifier, who
  has the platform's window to report a complaint to an authority or a
  lawsuit: China's E-Commerce Law Art. 43 (15 days), DMCA 512(g)(2)(C)
  (restore 10 to 14 business days after it; we restore after 10), or the
  platform's own number of days. Without such a report the listing is
  restored by the sweep (idempotent) and everyone is told.
- Appeals (DSA Art. 20): open to the seller against a removal or restriction
  and to the notifier against a rejection, for six months after the decision;
  decided by a moderator other than the one who decided the case. An upheld
  appeal reverses the decision: the listing is restored (and the strike
  withdrawn) or removed (with a statement of reasons and a strike).
- Repeat infringers: a complaint with upheld removals or restrictions is one
  strike on each seller it hit, for TAKEDOWN_STRIKE_MONTHS (fifty listings of
  one store in one notice are one instance of infringement, not fifty). At
  TAKEDOWN_STRIKES_TO_WARN active strikes (default: one below the suspension)
  the seller is warned, by email and through the platform; at
  TAKEDOWN_STRIKES_TO_SUSPEND, and only after that warning (DSA Art. 23(1)),
  the workbench recommends the seller's suspension to the platform.
- Misuse (DSA Art. 23): rejections marked manifestly unfounded count against
  the notifier; TAKEDOWN_MISUSE_WARN of them in a year bring a warning,
  TAKEDOWN_MISUSE_SUSPEND a suspension of filing for TAKEDOWN_MISUSE_SUSPEND_DAYS,
  each told with its reason.
- Trusted flaggers (DSA Art. 22): designated by the operator; their notices
  are decided first; their accuracy is recomputed every day.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from listings.models import Platform, Seller
from rightsholders.models import Organisation
from takedown.access import access_for, can_moderate_platform
from takedown.errors import DomainError, NotPermitted
from takedown.models import Case
from takedown.models.remedies import Appeal, CounterNotice, SellerWarning, Strike
from takedown.states import CASE_ALLOWED, CaseAction, CaseStatus
from takedown.uploads import CheckedFile, Kind, StoredFiles, check_uploads, files_removed_on_error

from .evidence import case_event_record
from .outbox import email_queue

SELLER_LINK_SALT = "takedown.seller-response"
# DSA Art. 20(1): internal complaints open for at least six months after the decision.
APPEAL_PERIOD = datetime.timedelta(days=183)
# The seller's link works for as long as it may appeal, and a little longer.
SELLER_LINK_MAX_AGE = APPEAL_PERIOD + datetime.timedelta(days=30)
DMCA_BUSINESS_DAYS = 10
CHINA_DAYS = 15


def signature_matches(signature: str, name: str) -> bool:
    """A typed signature is the name given, whatever its case and spacing."""
    return " ".join(signature.split()).casefold() == " ".join(name.split()).casefold()


def _policy(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# Seller links ------------------------------------------------------------------


def seller_link(case: Case) -> str:
    """The private path a seller answers a decision at, without an account (signed, expiring)."""
    token = signing.dumps({"case": case.pk}, salt=SELLER_LINK_SALT, compress=True)
    return reverse("respond", args=[token])


def seller_case(token: str) -> Case:
    """The case a seller's link is for, or a DomainError saying the link is bad or too old."""
    try:
        payload = signing.loads(token, salt=SELLER_LINK_SALT, max_age=SELLER_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise DomainError("This link has expired; ask the platform for a new one.") from exc
    except signing.BadSignature as exc:
        raise DomainError("This link is not valid.") from exc
    case = (
        Case.objects.select_related("complaint", "listing__seller", "platform__organisation")
        .filter(pk=payload.get("case"))
        .first()
    )
    if case is None:
        raise DomainError("This link is not valid.")
    return case


# Counter-notices -----------------------------------------------------------------


@dataclass(frozen=True)
class CounterNoticeData:
    seller_name: str
    seller_email: str
    seller_address: str
    statement: str
    good_faith: bool
    consent_to_jurisdiction: bool
    signature: str
    seller_phone: str = ""


def counter_notice_window_end(platform: Platform, start: datetime.datetime) -> datetime.datetime:
    """When the notifier's window to report a court action closes, by the platform's regime."""
    regime = platform.counter_notice_regime
    if regime == Platform.CounterNoticeRegime.DMCA:
        day, counted = start, 0
        while counted < DMCA_BUSINESS_DAYS:  # weekends do not count; public holidays are not known
            day += datetime.timedelta(days=1)
            if day.weekday() < 5:
                counted += 1
        return day
    days = (
        CHINA_DAYS if regime == Platform.CounterNoticeRegime.CHINA else platform.counter_notice_days
    )
    return start + datetime.timedelta(days=days)


# The statements 17 U.S.C. 512(g)(3)(C) and (D) ask of a counter-notice, as the seller signs them.
DMCA_PERJURY_STATEMENT = (
    "I swear, under penalty of perjury, that I have a good faith belief that the material was "
    "removed or disabled as a result of mistake or misidentification of the material to be "
    "removed or disabled."
)
DMCA_JURISDICTION_STATEMENT = (
    "I consent to the jurisdiction of the Federal District Court for the judicial district in "
    "which my address is located or, if my address is outside the United States, for any "
    "judicial district in which the platform may be found, and I will accept service of process "
    "from the person who provided the notification or an agent of such person."
)


def _check_counter_notice(data: CounterNoticeData, regime: str) -> None:
    dmca = regime == Platform.CounterNoticeRegime.DMCA
    required = [
        ("seller_name", "your name"),
        ("seller_address", "your postal address"),
        ("statement", "why the listing does not infringe"),
        ("signature", "your signature"),
    ]
    if dmca:
        # 512(g)(3)(D): the subscriber's name, address and telephone number.
        required[1] = ("seller_address", "your physical address (DMCA 512(g)(3)(D))")
        required.insert(2, ("seller_phone", "your telephone number (DMCA 512(g)(3)(D))"))
    for name, label in required:
        if not str(getattr(data, name)).strip():
            raise DomainError(f"Give {label}.", field=name)
    try:
        validate_email(data.seller_email)
    except ValidationError as exc:
        raise DomainError("Give a valid email address.", field="seller_email") from exc
    if not data.good_faith:
        raise DomainError(
            f"Confirm: “{DMCA_PERJURY_STATEMENT}” (DMCA 512(g)(3)(C))."
            if dmca
            else "Confirm, under penalty of perjury, that the listing was removed by mistake or "
            "misidentification.",
            field="good_faith",
        )
    if not data.consent_to_jurisdiction:
        raise DomainError(
            f"Confirm: “{DMCA_JURISDICTION_STATEMENT}” (DMCA 512(g)(3)(D))."
            if dmca
            else "Consent to the jurisdiction of the courts where you are (or where the platform "
            "is).",
            field="consent_to_jurisdiction",
        )
    if not signature_matches(data.signature, data.seller_name):
        raise DomainError("Sign with your name as given above.", field="signature")


# Evidence a seller or a notifier attaches to a counter-notice or an appeal: PDF or images.
EVIDENCE_KINDS: frozenset[Kind] = frozenset({"pdf", "image"})


def _store_evidence(
    checked: Sequence[tuple[UploadedFile, CheckedFile]], folder: str, stored: StoredFiles
) -> list[dict]:
    """Save checked uploads under ``folder``; return what the JSON ``evidence`` field keeps."""
    items = []
    for upload, info in checked:
        name = upload.name or f"evidence.{info.format.name.lower()}"
        path = default_storage.save(f"{folder}/{timezone.now():%Y/%m}/{name}", upload)
        stored.entries.append((default_storage, path))
        items.append(
            {
                "name": name[:255],
                "sha256": info.sha256,
                "path": path,
                "content_type": info.format.content_type,
                "size": info.size,
            }
        )
    return items


def _evidence_line(evidence: Sequence[dict]) -> str:
    if not evidence:
        return "No files attached."
    return "Files attached: " + ", ".join(
        f"{e['name']} (sha256 {e['sha256'][:16]}…)" for e in evidence
    )


def counter_notice_file(
    *, case: Case, data: CounterNoticeData, evidence: Sequence[UploadedFile] = ()
) -> CounterNotice:
    """The seller objects to a removal or restriction; the notifier is told and the window opens.

    What it must contain depends on the platform's regime: under the DMCA
    also the seller's telephone number and the statements of 512(g)(3)(C)-(D).
    Evidence files are checked like a notice's and forwarded with it.
    """
    _check_counter_notice(data, case.platform.counter_notice_regime)
    checked = check_uploads(evidence, allow=EVIDENCE_KINDS, field_name="evidence")
    now = timezone.now()
    with files_removed_on_error() as stored, transaction.atomic():
        locked = _locked(case.pk)
        from .cases import _move

        _move(
            locked,
            CaseAction.COUNTER_NOTICE,
            actor=None,
            reason=data.statement.strip(),
            data={"by": "seller"},
        )
        notice = CounterNotice.objects.create(
            case=locked,
            seller_name=data.seller_name.strip(),
            seller_email=data.seller_email.strip(),
            seller_address=data.seller_address.strip(),
            seller_phone=data.seller_phone.strip(),
            statement=data.statement.strip(),
            good_faith=data.good_faith,
            consent_to_jurisdiction=data.consent_to_jurisdiction,
            signature=data.signature.strip(),
            evidence=_store_evidence(checked, "counter_notices/evidence", stored),
            regime=locked.platform.counter_notice_regime,
            window_ends_at=counter_notice_window_end(locked.platform, now),
            forwarded_at=now,
        )
        complaint = locked.complaint
        email_queue(
            topic="case.counter_noticed",
            to=complaint.notifier_email,
            subject=f"Complaint {complaint.reference}: the seller objects",
            body=(
                f"The seller of {locked.platform} listing {locked.listing.external_id} "
                f"({locked.listing.title}) objects to its removal:\n\n{notice.statement}\n\n"
                f"Seller: {notice.seller_name}, {notice.seller_address}, {notice.seller_email}"
                f"{', ' + notice.seller_phone if notice.seller_phone else ''}.\n"
                f"{_evidence_line(notice.evidence)}\n\n"
                f"Unless you report a complaint to an authority or a lawsuit by "
                f"{notice.window_ends_at:%Y-%m-%d %H:%M} UTC, the listing will be restored."
            ),
            case=locked,
        )
        email_queue(
            topic="case.counter_notice_received",
            to=notice.seller_email,
            subject=f"Your objection about listing {locked.listing.external_id} was received",
            body=(
                "We forwarded your objection to the notifier. If they do not report a court "
                f"action by {notice.window_ends_at:%Y-%m-%d %H:%M} UTC, the listing is restored."
            ),
            case=locked,
        )
    return notice


def counter_notice_report_action(*, actor, case: Case, reference: str) -> CounterNotice:
    """The notifier reports, within the window, the complaint or lawsuit it filed: the measure stays."""
    reference = reference.strip()
    if not reference:
        raise DomainError(
            "Name the authority or court and the reference of the case filed.", field="reference"
        )
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(case.pk)
        _check_notifier(actor, locked)
        notice = CounterNotice.objects.select_for_update().get(case=locked)
        if now > notice.window_ends_at:
            raise DomainError(
                f"The window closed on {notice.window_ends_at:%Y-%m-%d %H:%M} UTC.",
                field="reference",
            )
        from .cases import _move

        _move(locked, CaseAction.REPORT_ACTION, actor=actor, reason=reference)
        notice.action_reported_at = now
        notice.action_reference = reference
        notice.save(update_fields=["action_reported_at", "action_reference", "updated_at"])
        email_queue(
            topic="case.action_reported",
            to=notice.seller_email,
            subject=f"Listing {locked.listing.external_id}: the notifier went to court",
            body=(
                "The notifier reported a court action or a complaint to an authority "
                f"({reference}); the listing stays removed until it is decided."
            ),
            case=locked,
        )
    return notice


def counter_notices_restore_due(*, now: datetime.datetime | None = None) -> int:
    """Restore listings whose window closed without a reported action (the sweep; idempotent)."""
    now = now or timezone.now()
    due = list(
        CounterNotice.objects.filter(
            case__status=CaseStatus.COUNTER_NOTICED,
            window_ends_at__lt=now,
            action_reported_at__isnull=True,
            restored_at__isnull=True,
        ).values_list("case_id", flat=True)
    )
    restored = 0
    for case_id in due:
        with transaction.atomic():
            locked = _locked(case_id)
            if locked.status != CaseStatus.COUNTER_NOTICED:
                continue  # restored or reported meanwhile
            _restore(
                locked,
                CaseAction.RESTORE,
                actor=None,
                reason="The notifier reported no court action within the window.",
            )
            CounterNotice.objects.filter(case=locked).update(restored_at=now, updated_at=now)
            restored += 1
    return restored


def _restore(case: Case, action: str, *, actor, reason: str) -> None:
    from .cases import _move
    from .decisions import platform_event_queue

    _move(case, action, actor=actor, reason=reason)
    strikes_withdraw(case=case, reason=reason)
    platform_event_queue(case=case, action=action, explanation=reason)
    # A seller's appeal still waiting has what it asked for: close it, saying so.
    Appeal.objects.filter(case=case, by=Appeal.By.SELLER, status=Appeal.Status.OPEN).update(
        status=Appeal.Status.MOOT,
        decided_at=timezone.now(),
        decision_reason=f"The listing was restored: {reason}",
        updated_at=timezone.now(),
    )
    complaint = case.complaint
    listing = case.listing
    email_queue(
        topic="case.restored",
        to=complaint.notifier_email,
        subject=f"Complaint {complaint.reference}: listing {listing.external_id} restored",
        body=f"{listing.platform} listing {listing.external_id} ({listing.title}) is restored: {reason}",
        case=case,
    )
    seller_email = listing.seller.contact_email if listing.seller else ""
    if seller_email:
        email_queue(
            topic="case.restored",
            to=seller_email,
            subject=f"Your listing {listing.external_id} is restored",
            body=f"Your listing {listing.title} is restored: {reason}",
            case=case,
        )


# Appeals ----------------------------------------------------------------------------


def appeal_file(
    *,
    case: Case,
    by: str,
    statement: str,
    actor=None,
    evidence: Sequence[UploadedFile] = (),
) -> Appeal:
    """Appeal a decision: the seller against a measure, the notifier against a rejection.

    Evidence files are checked like a notice's and shown to the moderator who decides.
    """
    statement = statement.strip()
    if not statement:
        raise DomainError("Say why the decision is wrong.", field="statement")
    checked = check_uploads(evidence, allow=EVIDENCE_KINDS, field_name="evidence")
    now = timezone.now()
    with files_removed_on_error() as stored, transaction.atomic():
        locked = _locked(case.pk)
        if by == Appeal.By.SELLER:
            # An appeal can be upheld only from where its reversal may start.
            allowed = CASE_ALLOWED[CaseAction.REVERSE_MEASURE][0]
        elif by == Appeal.By.NOTIFIER:
            _check_notifier(actor, locked)
            allowed = CASE_ALLOWED[CaseAction.REVERSE_REJECTION][0]
        else:
            raise DomainError("An appeal is by the seller or by the notifier.", field="by")
        if locked.status not in allowed:
            raise DomainError(
                f"A case that is {locked.get_status_display().lower()} cannot be appealed "
                f"by the {by}.",
                field="statement",
            )
        if locked.decided_at is not None and now > locked.decided_at + APPEAL_PERIOD:
            raise DomainError(
                f"The decision of {locked.decided_at:%Y-%m-%d} can be appealed for six months; "
                "that time is over.",
                field="statement",
            )
        if Appeal.objects.filter(case=locked, by=by, status=Appeal.Status.OPEN).exists():
            raise DomainError(
                "An appeal of yours on this case is waiting already.", field="statement"
            )
        appeal = Appeal.objects.create(
            case=locked,
            by=by,
            filed_by=actor,
            statement=statement,
            evidence=_store_evidence(checked, "appeals/evidence", stored),
        )
        case_event_record(
            case=locked,
            actor=actor,
            action=CaseAction.APPEAL,
            from_status=locked.status,
            to_status=locked.status,
            reason=statement,
            data={"appeal": appeal.pk, "by": by},
        )
    return appeal


def appeal_decide(*, actor, appeal: Appeal, uphold: bool, reason: str) -> Appeal:
    """Decide an appeal; the moderator must not be the one who decided the case."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Explain the decision on the appeal.", field="reason")
    now = timezone.now()
    with transaction.atomic():
        locked_appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        case = _locked(locked_appeal.case_id)
        if not can_moderate_platform(access_for(actor), case.platform_id):
            raise NotPermitted("Only the platform's moderators and the operator's decide appeals.")
        if case.decided_by_id == actor.pk:
            raise NotPermitted(
                "You decided this case: another moderator decides its appeal (DSA Art. 20(6))."
            )
        if locked_appeal.status != Appeal.Status.OPEN:
            raise DomainError("This appeal is decided already.", field="appeal")
        locked_appeal.status = Appeal.Status.UPHELD if uphold else Appeal.Status.DISMISSED
        locked_appeal.decided_by = actor
        locked_appeal.decided_at = now
        locked_appeal.decision_reason = reason
        locked_appeal.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
        )
        if not uphold:
            case_event_record(
                case=case,
                actor=actor,
                action=CaseAction.APPEAL_DISMISS,
                from_status=case.status,
                to_status=case.status,
                reason=reason,
                data={"appeal": locked_appeal.pk},
            )
        elif locked_appeal.by == Appeal.By.SELLER:
            _restore(case, CaseAction.REVERSE_MEASURE, actor=actor, reason=reason)
        else:
            from .cases import Decision, _move, _notify, _statement

            case.decided_by = actor
            case.decided_at = now
            # The notice was founded after all: it no longer counts toward misuse.
            case.manifestly_unfounded = False
            _move(
                case,
                CaseAction.REVERSE_REJECTION,
                actor=actor,
                reason=reason,
                data={"appeal": locked_appeal.pk},
                fields=["decided_by", "decided_at", "manifestly_unfounded"],
            )
            _statement(case, Decision(action=CaseAction.REMOVE, explanation=reason), reason, now)
            _notify(case, CaseAction.REMOVE, reason)
            strike_add(case=case)
        _tell_appellant(locked_appeal, case, uphold, reason)
    return locked_appeal


def _tell_appellant(appeal: Appeal, case: Case, uphold: bool, reason: str) -> None:
    outcome = "upheld: the decision is reversed" if uphold else "dismissed: the decision stands"
    if appeal.by == Appeal.By.NOTIFIER:
        to = case.complaint.notifier_email
    else:
        notice = CounterNotice.objects.filter(case=case).first()
        to = (
            notice.seller_email
            if notice
            else (case.listing.seller.contact_email if case.listing.seller else "")
        )
    if to:
        email_queue(
            topic=f"appeal.{appeal.status}",
            to=to,
            subject=f"Your appeal about listing {case.listing.external_id} was {appeal.status}",
            body=f"Your appeal was {outcome}.\n\nReason: {reason}",
            case=case,
        )


# Strikes ----------------------------------------------------------------------------

# A measure that stands (a counter-notice or a court action does not lift it):
# the cases a strike rests on, and an upheld notice in the notifier's record.
MEASURE_STANDS = (
    CaseStatus.REMOVED,
    CaseStatus.RESTRICTED,
    CaseStatus.COUNTER_NOTICED,
    CaseStatus.IN_COURT,
)


def _strike_months() -> int:
    return _policy("TAKEDOWN_STRIKE_MONTHS", 12)


def _strikes_to_suspend() -> int:
    return max(1, _policy("TAKEDOWN_STRIKES_TO_SUSPEND", 3))


def _strikes_to_warn() -> int:
    """Active strikes that bring the warning: one below the suspension unless configured."""
    suspend = _strikes_to_suspend()
    configured = getattr(settings, "TAKEDOWN_STRIKES_TO_WARN", None)
    warn = suspend - 1 if configured is None else int(configured)
    return max(1, min(warn, suspend))


def _locked_seller(seller_id: int) -> Seller:
    """Lock the seller's row: its strikes, warning and recommendation change one at a time."""
    return Seller.objects.select_for_update().get(pk=seller_id)


def strike_add(*, case: Case) -> Strike | None:
    """Count an upheld removal or restriction against the seller: once per complaint.

    Several listings of one store in one complaint are one strike; a second
    upheld case of the complaint is covered by the strike already there.
    """
    if case.listing.seller_id is None:
        return None
    seller = _locked_seller(case.listing.seller_id)
    if Strike.objects.filter(
        seller=seller, complaint_id=case.complaint_id, withdrawn_at__isnull=True
    ).exists():
        return None
    strike = Strike.objects.create(
        seller=seller,
        complaint_id=case.complaint_id,
        case=case,
        expires_at=timezone.now() + datetime.timedelta(days=round(30.44 * _strike_months())),
    )
    _seller_policy_check(seller, case)
    return strike


def strikes_withdraw(*, case: Case, reason: str) -> int:
    """Withdraw the strike a reversed or lifted measure rested on, if nothing else holds it up.

    The strike of a complaint stays while another case of that complaint
    against the same seller still stands; it goes with the last of them. Call
    it after the case has left the measure's status.
    """
    if case.listing.seller_id is None:
        return 0
    seller = _locked_seller(case.listing.seller_id)
    still_standing = (
        Case.objects.filter(
            complaint_id=case.complaint_id, listing__seller=seller, status__in=MEASURE_STANDS
        )
        .exclude(pk=case.pk)
        .exists()
    )
    if still_standing:
        return 0
    now = timezone.now()
    withdrawn = Strike.objects.filter(
        seller=seller, complaint_id=case.complaint_id, withdrawn_at__isnull=True
    ).update(withdrawn_at=now, withdrawn_reason=reason[:2000], updated_at=now)
    if withdrawn:
        active = seller_active_strikes(seller)
        if seller.suspension_recommended_at is not None and active < _strikes_to_suspend():
            Seller.objects.filter(pk=seller.pk).update(suspension_recommended_at=None)
        if active < _strikes_to_warn():
            # The warning rested on strikes found wrong: it no longer counts as given.
            SellerWarning.objects.filter(seller=seller, withdrawn_at__isnull=True).update(
                withdrawn_at=now, updated_at=now
            )
    return withdrawn


def seller_active_strikes(seller: Seller) -> int:
    return Strike.objects.filter(
        seller=seller, withdrawn_at__isnull=True, expires_at__gt=timezone.now()
    ).count()


def seller_warning_in_force(seller: Seller) -> SellerWarning | None:
    """The seller's last warning, if given within the strike period and not withdrawn."""
    since = timezone.now() - datetime.timedelta(days=round(30.44 * _strike_months()))
    return (
        SellerWarning.objects.filter(seller=seller, withdrawn_at__isnull=True, created_at__gt=since)
        .order_by("-created_at", "-pk")
        .first()
    )


def _seller_policy_check(seller: Seller, case: Case) -> None:
    """Warn the seller at TAKEDOWN_STRIKES_TO_WARN strikes; recommend its suspension after.

    DSA Art. 23(1): a suspension comes only after a prior warning. A seller
    reaching the suspension threshold without a warning in force is warned
    now; its next strike recommends the suspension.
    """
    active = seller_active_strikes(seller)
    suspend_at = _strikes_to_suspend()
    warning = seller_warning_in_force(seller)
    if active >= suspend_at and warning is not None:
        if seller.suspension_recommended_at is None:
            _recommend_suspension(seller, case, active, warning)
    elif active >= _strikes_to_warn() and warning is None:
        _warn_seller(seller, case, active)


def _warn_seller(seller: Seller, case: Case, active: int) -> None:
    from .decisions import platform_event_queue

    months = _strike_months()
    reason = (
        f"{active} upheld notice(s) against your listings in the last {months} months. "
        f"At {_strikes_to_suspend()} the workbench recommends that {case.platform} suspend "
        "your account (repeat-infringer policy, DSA Art. 23(1)). Each decision can be "
        "objected to or appealed through the link sent with its statement of reasons."
    )
    SellerWarning.objects.create(seller=seller, case=case, active_strikes=active, reason=reason)
    case_event_record(
        case=case,
        action=CaseAction.SELLER_WARNED,
        from_status=case.status,
        to_status=case.status,
        reason=reason,
        data={"seller": seller.external_id, "strikes": active},
    )
    if seller.contact_email:
        email_queue(
            topic="seller.warned",
            to=seller.contact_email,
            subject=f"Warning about your listings on {case.platform}",
            body=reason,
            case=case,
        )
    # The platform relays it when the workbench has no email for the seller.
    platform_event_queue(
        case=case,
        action=CaseAction.SELLER_WARNED,
        explanation=reason,
        seller={"external_id": seller.external_id, "active_strikes": active},
    )


def _recommend_suspension(seller: Seller, case: Case, active: int, warning: SellerWarning) -> None:
    from .decisions import platform_event_queue

    now = timezone.now()
    Seller.objects.filter(pk=seller.pk).update(suspension_recommended_at=now)
    seller.suspension_recommended_at = now
    reason = (
        f"{active} active strikes in {_strike_months()} months (policy: {_strikes_to_suspend()}), "
        f"after a warning of {warning.created_at:%Y-%m-%d}: suspension of the seller's account "
        "recommended."
    )
    case_event_record(
        case=case,
        action=CaseAction.SUSPENSION_RECOMMENDED,
        from_status=case.status,
        to_status=case.status,
        reason=reason,
        data={"seller": seller.external_id, "strikes": active, "warning": warning.pk},
    )
    platform_event_queue(
        case=case,
        action=CaseAction.SUSPENSION_RECOMMENDED,
        explanation=reason,
        seller={
            "external_id": seller.external_id,
            "active_strikes": active,
            "warned_at": warning.created_at.isoformat(),
        },
    )


# Misuse --------------------------------------------------------------------------


def _notifier_org(case: Case) -> Organisation:
    return case.complaint.agent or case.complaint.rights_holder


def notifier_misuse_check(*, case: Case) -> None:
    """After a manifestly unfounded notice: warn, then suspend the notifier's filing."""
    org = _notifier_org(case)
    since = timezone.now() - datetime.timedelta(days=365)
    unfounded = Case.objects.filter(
        Q(complaint__agent=org) | Q(complaint__agent__isnull=True, complaint__rights_holder=org),
        manifestly_unfounded=True,
        decided_at__gte=since,
    ).count()
    now = timezone.now()
    if unfounded >= _policy("TAKEDOWN_MISUSE_SUSPEND", 5):
        days = _policy("TAKEDOWN_MISUSE_SUSPEND_DAYS", 30)
        until = now + datetime.timedelta(days=days)
        reason = (
            f"{unfounded} notices of the last twelve months were manifestly unfounded; "
            f"filing is suspended for {days} days (DSA Art. 23(2))."
        )
        Organisation.objects.filter(pk=org.pk).update(
            filing_suspended_until=until, filing_suspension_reason=reason
        )
        _tell_notifier_org(org, case, "Filing suspended", reason)
    elif unfounded >= _policy("TAKEDOWN_MISUSE_WARN", 3) and (
        org.misuse_warned_at is None or org.misuse_warned_at < since
    ):
        reason = (
            f"{unfounded} notices of the last twelve months were manifestly unfounded; more "
            "will suspend your filing (DSA Art. 23(2))."
        )
        Organisation.objects.filter(pk=org.pk).update(misuse_warned_at=now)
        _tell_notifier_org(org, case, "Warning about unfounded notices", reason)


def _tell_notifier_org(org: Organisation, case: Case, subject: str, reason: str) -> None:
    for to in {org.contact_email, case.complaint.notifier_email} - {""}:
        email_queue(topic="notifier.misuse", to=to, subject=subject, body=reason, case=case)


def check_may_file(org: Organisation) -> None:
    """Refuse a notice from a notifier whose filing is suspended, saying until when and why."""
    if org.filing_suspended_until and org.filing_suspended_until > timezone.now():
        raise NotPermitted(
            f"{org} may not file complaints until {org.filing_suspended_until:%Y-%m-%d}: "
            f"{org.filing_suspension_reason}"
        )


# Trusted flaggers -------------------------------------------------------------------


def trusted_flagger_designate(*, actor, organisation: Organisation, trusted: bool) -> Organisation:
    """Designate (or end the designation of) a trusted flagger: the operator only."""
    if not access_for(actor).is_operator:
        raise NotPermitted("Only the operator designates trusted flaggers.")
    if organisation.kind not in (Organisation.Kind.RIGHTS_HOLDER, Organisation.Kind.AGENT):
        raise DomainError(
            "Rights holders and agents file notices; only they can be trusted flaggers."
        )
    organisation.trusted_flagger_since = timezone.now() if trusted else None
    organisation.save(update_fields=["trusted_flagger_since", "updated_at"])
    return organisation


def trusted_flaggers_recompute_accuracy() -> int:
    """Recompute each trusted flagger's accuracy: upheld share of its decisions of the last year.

    Every notice filed on a rights holder's behalf counts, its agents' too; an
    agent designated a trusted flagger is judged on the notices it filed
    (``notifier_acceptance``).
    """
    from .complaints import notifier_acceptance

    orgs = list(Organisation.objects.filter(trusted_flagger_since__isnull=False))
    for org in orgs:
        Organisation.objects.filter(pk=org.pk).update(
            trusted_flagger_accuracy=notifier_acceptance(org, minimum=1)
        )
    return len(orgs)


# Shared -------------------------------------------------------------------------------


def _locked(case_id: int) -> Case:
    from .cases import _locked as locked

    return locked(case_id)


def _check_notifier(actor, case: Case) -> None:
    from .cases import check_notifier

    check_notifier(actor, case)
