"""Filing a complaint: one notice relying on verified rights, covering many listings.

The notice carries what DSA Art. 16(2), E-Commerce Law Art. 42 and DMCA
512(c)(3) ask of it: the rights relied on, the listings (exact locations), a
substantiated explanation, the notifier's name and email, the good-faith and
accuracy statements and a signature. Everything is checked before anything is
written; each refusal names the listing, right or field it is about. Each
listing becomes a case in the moderators' queue, and the notifier is sent an
acknowledgement with the complaint's reference.
"""

import csv
import datetime
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from listings.models import Detection, Listing, Platform
from listings.services.detections import detections_take
from rightsholders.models import AuthorisedSeller, Organisation, Right
from takedown.access import access_for, can_file_complaints_for
from takedown.errors import DomainError, NotPermitted
from takedown.geo import expand_territories
from takedown.models import Case, CaseEvent, Complaint, ComplaintEvidence, CounterNotice
from takedown.states import CaseAction, CaseStatus, ComplaintReason
from takedown.uploads import check_uploads, files_removed_on_error

from .evidence import case_events_record_bulk
from .outbox import email_queue
from .remedies import MEASURE_STANDS, check_may_file, signature_matches

# Listings one complaint may cover: a notice is read by people.
COMPLAINT_MAX_LISTINGS = 1000
EXPLANATION_MIN_CHARS = 30
# Priority: how far each signal brings a case's place in the queue forward
# (negative) or back, in hours against its deadline. A trusted flagger's
# notice (DSA Art. 22) goes ahead of a day's ordinary ones at a 24 h SLA; a
# certain detection by half that; reach (price) by up to four hours; a
# notifier whose complaints were mostly rejected sinks by up to half a day.
TRUSTED_FLAGGER_HOURS = 12.0
CONFIDENCE_HOURS = 6.0
REACH_MAX_HOURS = 4.0
POOR_RECORD_HOURS = 12.0
# A notifier's record counts once this many of its cases were decided in the last year.
RECORD_MIN_DECIDED = 10


@dataclass(frozen=True)
class ComplaintData:
    """What the notifier states; checked by complaint_file."""

    reason: str
    explanation: str
    notifier_name: str
    notifier_email: str
    good_faith: bool
    accurate: bool
    signature: str
    reason_other: str = ""


def _check_data(data: ComplaintData) -> None:
    if data.reason not in ComplaintReason.values:
        raise DomainError(f"Choose a reason: {', '.join(ComplaintReason.values)}.", field="reason")
    if data.reason == ComplaintReason.OTHER and not data.reason_other.strip():
        raise DomainError("Say what the other reason is.", field="reason_other")
    if len(data.explanation.strip()) < EXPLANATION_MIN_CHARS:
        raise DomainError(
            "Explain why the listings infringe the rights relied on "
            f"(at least {EXPLANATION_MIN_CHARS} characters).",
            field="explanation",
        )
    if not data.notifier_name.strip():
        raise DomainError("Give the notifier's name.", field="notifier_name")
    try:
        validate_email(data.notifier_email)
    except ValidationError as exc:
        raise DomainError(
            "Give a valid email address for the notifier.", field="notifier_email"
        ) from exc
    if not data.good_faith:
        raise DomainError(
            "Confirm that you believe in good faith that the use is not authorised.",
            field="good_faith",
        )
    if not data.accurate:
        raise DomainError(
            "Confirm that the notice is accurate and that you may act for the rights holder.",
            field="accurate",
        )
    if not signature_matches(data.signature, data.notifier_name):
        raise DomainError("Sign with the notifier's name as given above.", field="signature")


def _check_rights(actor, rights_holder: Organisation, right_ids: Iterable[int]) -> list[Right]:
    ids = sorted(set(right_ids))
    if not ids:
        raise DomainError("Choose the rights the complaint relies on.", field="rights")
    rights = {r.pk: r for r in Right.objects.filter(pk__in=ids)}
    access = access_for(actor)
    for pk in ids:
        right = rights.get(pk)
        if right is None or right.rights_holder_id != rights_holder.pk:
            raise DomainError(f"Right {pk} is not a right of {rights_holder}.", field="rights")
        if not can_file_complaints_for(
            access, rights_holder_id=rights_holder.pk, right_id=right.pk
        ):
            raise NotPermitted(
                f"You have no valid authorisation to file complaints relying on {right.name}."
            )
        if not right.is_in_force():
            today = timezone.localdate()
            if right.status == "verified" and right.valid_until < today:
                problem = f"expired on {right.valid_until:%Y-%m-%d}"
            elif right.status == "verified":
                problem = f"is in force only from {right.valid_from:%Y-%m-%d}"
            else:
                problem = f"is {right.get_status_display().lower()}, not verified"
            raise DomainError(f"{right.name} {problem}; it cannot be relied on.", field="rights")
    return [rights[pk] for pk in ids]


def complaint_listings_resolve(text: str) -> list[int]:
    """Listing ids from listing URLs or ``platform:external_id`` references, one a line or CSV.

    Accepts what a notifier pastes or uploads: one reference per line, or a CSV
    whose first column (or a column named ``url`` / ``listing``) holds it.
    Refuses with the line number of the first reference that names no listing.
    """
    rows = list(csv.reader(io.StringIO(text)))
    column = 0
    if rows and any(h.strip().lower() in ("url", "listing", "listing_url") for h in rows[0]):
        header = [h.strip().lower() for h in rows[0]]
        column = next(i for i, h in enumerate(header) if h in ("url", "listing", "listing_url"))
        rows = [[]] + rows[1:]  # keep line numbers
    refs = [
        (number, row[column].strip())
        for number, row in enumerate(rows, start=1)
        if len(row) > column and row[column].strip()
    ]
    if not refs:
        raise DomainError("Give at least one listing URL or platform:id.", field="listings")
    urls = {ref for _, ref in refs if "://" in ref}
    by_url = dict(Listing.objects.filter(url__in=urls).values_list("url", "pk"))
    slugs = {ref.split(":", 1)[0] for _, ref in refs if "://" not in ref and ":" in ref}
    platforms = dict(
        Platform.objects.filter(organisation__slug__in=slugs).values_list(
            "organisation__slug", "pk"
        )
    )
    ids: list[int] = []
    for number, ref in refs:
        if "://" in ref:
            pk = by_url.get(ref)
        elif ":" in ref:
            slug, external_id = ref.split(":", 1)
            pk = (
                Listing.objects.filter(platform_id=platforms[slug], external_id=external_id)
                .values_list("pk", flat=True)
                .first()
                if slug in platforms
                else None
            )
        else:
            raise DomainError(
                f"Line {number}: {ref[:80]!r} is neither a listing URL nor platform:id.",
                field="listings",
            )
        if pk is None:
            raise DomainError(
                f"Line {number}: no listing is known at {ref[:200]}.", field="listings"
            )
        ids.append(pk)
    return list(dict.fromkeys(ids))


def _check_listings(
    listing_ids: Sequence[int], rights: list[Right], rights_holder: Organisation
) -> list[Listing]:
    listings = {
        listing.pk: listing
        for listing in Listing.objects.filter(pk__in=listing_ids).select_related(
            "seller", "platform__organisation"
        )
    }
    covered = set().union(*(expand_territories(r.territories) for r in rights))
    authorised = _authorised_sellers(rights_holder, rights)
    waiting = _waiting(list(listings), rights_holder)
    out: list[Listing] = []
    for pk in listing_ids:
        listing = listings.get(pk)
        if listing is None:
            raise DomainError(f"Listing {pk} does not exist.", field="listings")
        name = f"Listing {listing.external_id} on {listing.platform}"
        if listing.delisted_at is not None:
            raise DomainError(f"{name} was taken down by the platform already.", field="listings")
        ships = {c.upper() for c in listing.ship_to}
        if ships and not ships & covered:
            raise DomainError(
                f"{name} ships to {', '.join(sorted(ships))}, where none of the rights relied "
                f"on is registered ({', '.join(sorted(covered))}).",
                field="listings",
            )
        seller = listing.seller
        if seller is not None:
            for right in rights:
                if (listing.platform_id, seller.external_id) in authorised.get(right.pk, set()):
                    raise DomainError(
                        f"{name} is sold by {seller.name or seller.external_id}, an authorised "
                        f"seller of {right.name}: leave it out, or remove the seller from "
                        "your authorised sellers first.",
                        field="listings",
                    )
        if pk in waiting:
            raise DomainError(
                f"{name} is already in complaint {waiting[pk]}, waiting for a decision.",
                field="listings",
            )
        out.append(listing)
    return out


def _waiting(listing_ids: Sequence[int], rights_holder: Organisation) -> dict[int, str]:
    """Listings of these with a case of this rights holder still waiting, and its complaint."""
    return dict(
        Case.objects.filter(
            listing_id__in=list(listing_ids),
            complaint__rights_holder=rights_holder,
            status__in=[CaseStatus.OPEN, CaseStatus.INFO_REQUESTED],
        ).values_list("listing_id", "complaint__reference")
    )


def _refuse_waiting(listing_ids: Sequence[int], rights_holder: Organisation) -> None:
    waiting = _waiting(listing_ids, rights_holder)
    if waiting:
        pk, reference = next(iter(waiting.items()))
        raise DomainError(
            f"Listing {pk} is already in complaint {reference}, waiting for a decision.",
            field="listings",
        )


def _authorised_sellers(
    rights_holder: Organisation, rights: list[Right]
) -> dict[int, set[tuple[int, str]]]:
    """(platform, seller external id) pairs authorised for each right."""
    out: dict[int, set[tuple[int, str]]] = {r.pk: set() for r in rights}
    for seller in AuthorisedSeller.objects.filter(rights_holder=rights_holder).prefetch_related(
        "rights"
    ):
        scope = {r.pk for r in seller.rights.all()} or set(out)
        for right_id in scope & set(out):
            out[right_id].add((seller.platform_id, seller.seller_external_id))
    return out


def notifier_cases_q(organisation: Organisation, prefix: str = "") -> Q:
    """Cases of the notices filed on ``organisation``'s behalf or by it.

    A rights holder's record holds every notice relying on its rights, whether
    its own staff or an agent filed it; an agent's record holds the notices it
    filed, for whichever rights holder.
    """
    return Q(**{f"{prefix}complaint__rights_holder": organisation}) | Q(
        **{f"{prefix}complaint__agent": organisation}
    )


def notice_upheld_q() -> Q:
    """Cases (queried from ``Case``) whose notice was upheld: the measure stands.

    One definition of a notice's outcome for the queue's priority, trusted
    flaggers' accuracy, the dashboard and the transparency report.
    """
    return Q(status__in=MEASURE_STANDS)


def notice_not_upheld_q() -> Q:
    """Cases (queried from ``Case``) whose notice was found wrong: rejected, or reversed on appeal.

    A listing restored only because the notifier reported no court action
    after a counter-notice counts neither way (nobody found the notice wrong).
    """
    restored_after_window = Exists(
        CounterNotice.objects.filter(case=OuterRef("pk"), restored_at__isnull=False)
    )
    return Q(status=CaseStatus.REJECTED) | Q(~restored_after_window, status=CaseStatus.RESTORED)


def notifier_acceptance(
    organisation: Organisation, *, minimum: int = RECORD_MIN_DECIDED
) -> float | None:
    """Share of the decided cases of the last year, on notices filed for or by ``organisation``,
    that were upheld.

    A rejection, and a measure reversed on appeal, count against; a listing
    restored only because the notifier reported no court action after a
    counter-notice counts neither way (``notice_not_upheld_q``). None while
    fewer than ``minimum`` were decided: no record yet.
    """
    since = timezone.now() - datetime.timedelta(days=365)
    counts = Case.objects.filter(notifier_cases_q(organisation), decided_at__gte=since).aggregate(
        upheld=Count("pk", filter=notice_upheld_q()),
        not_upheld=Count("pk", filter=notice_not_upheld_q()),
    )
    decided = counts["upheld"] + counts["not_upheld"]
    if decided < minimum or decided == 0:
        return None
    return counts["upheld"] / decided


def case_priority(
    *,
    deadline: datetime.datetime,
    trusted_flagger: bool,
    confidence: float | None,
    price: Decimal | None,
    acceptance: float | None,
) -> tuple[datetime.datetime, list[str]]:
    """Return a case's place in the queue (its deadline moved by the signals) and why."""
    hours = 0.0
    reasons: list[str] = []
    if trusted_flagger:
        hours -= TRUSTED_FLAGGER_HOURS
        reasons.append("trusted flagger")
    if confidence is not None:
        hours -= CONFIDENCE_HOURS * confidence
        reasons.append(f"detection confidence {round(confidence * 100)}%")
    if price is not None and price > 0:
        # log10: a 10x dearer listing reaches further, and a mistake costs more.
        shift = min(REACH_MAX_HOURS, math.log10(1 + float(price)))
        hours -= shift
        reasons.append(f"price {price}")
    if acceptance is not None and acceptance < 1:
        hours += POOR_RECORD_HOURS * (1 - acceptance)
        reasons.append(f"notifier's acceptance {round(acceptance * 100)}%")
    return deadline + datetime.timedelta(hours=hours), reasons


def complaint_file(
    *,
    actor,
    rights_holder: Organisation,
    data: ComplaintData,
    right_ids: Sequence[int] = (),
    listing_ids: Sequence[int] = (),
    detection_ids: Sequence[int] = (),
    evidence: Sequence[UploadedFile] = (),
) -> Complaint:
    """File one complaint covering the chosen listings and detections; return it.

    Detections bring their listing and their right; the detections are taken
    into this complaint (no other complaint takes them). One case per listing
    opens in the platform's queue.
    """
    _check_data(data)
    if not (listing_ids or detection_ids):
        raise DomainError("Choose the listings the complaint is about.", field="listings")
    detections = list(
        Detection.objects.filter(pk__in=detection_ids).values_list("pk", "listing_id", "right_id")
    )
    all_right_ids = set(right_ids) | {right_id for _, _, right_id in detections}
    rights = _check_rights(actor, rights_holder, all_right_ids)
    wanted = list(dict.fromkeys([*listing_ids, *(listing for _, listing, _ in detections)]))
    if len(wanted) > COMPLAINT_MAX_LISTINGS:
        raise DomainError(
            f"One complaint covers at most {COMPLAINT_MAX_LISTINGS} listings; "
            f"{len(wanted)} were chosen. File several.",
            field="listings",
        )
    listings = _check_listings(wanted, rights, rights_holder)
    checked_evidence = check_uploads(
        evidence, allow=frozenset({"pdf", "image"}), field_name="evidence"
    )
    access = access_for(actor)
    agent = None
    if rights_holder.pk not in access.rights_holder_roles:
        agent_ids = [
            rep.agent_id
            for rep in access.representations
            if rep.rights_holder_id == rights_holder.pk and rep.may_file_complaints
        ]
        agent = Organisation.objects.filter(pk__in=agent_ids).first()
    check_may_file(rights_holder)
    if agent is not None:
        check_may_file(agent)
    acceptance = notifier_acceptance(rights_holder)
    now = timezone.now()
    with files_removed_on_error() as stored, transaction.atomic():
        # Checked again under the listings' locks: two notices filed at once
        # (a double submit, two agents) must not open two cases for a listing.
        list(Listing.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
        _refuse_waiting(wanted, rights_holder)
        taken = (
            detections_take(actor=actor, detection_ids=[pk for pk, _, _ in detections])
            if detections
            else None
        )
        confidence: dict[int, float] = {}
        for detection in taken.detections if taken else ():
            confidence[detection.listing_id] = max(
                detection.score, confidence.get(detection.listing_id, 0.0)
            )
        detection_of = {d.listing_id: d.pk for d in taken.detections} if taken else {}
        complaint = Complaint.objects.create(
            rights_holder=rights_holder,
            agent=agent,
            filed_by=actor,
            reason=data.reason,
            reason_other=data.reason_other.strip(),
            explanation=data.explanation.strip(),
            notifier_name=data.notifier_name.strip(),
            notifier_email=data.notifier_email.strip(),
            good_faith=data.good_faith,
            accurate=data.accurate,
            signature=data.signature.strip(),
            trusted_flagger=_is_trusted(rights_holder, agent),
            acknowledged_at=now,
        )
        complaint.rights.set(rights)
        for upload, info in checked_evidence:
            item = ComplaintEvidence(
                complaint=complaint,
                original_name=(upload.name or "")[:255],
                content_type=info.format.content_type,
                size=info.size,
                sha256=info.sha256,
            )
            item.file.save(
                upload.name or f"evidence.{info.format.name.lower()}", upload, save=False
            )
            stored.track(item.file)
            item.save()
        cases = []
        for listing in listings:
            deadline = now + datetime.timedelta(hours=listing.platform.sla_hours(data.reason))
            due, reasons = case_priority(
                deadline=deadline,
                trusted_flagger=complaint.trusted_flagger,
                confidence=confidence.get(listing.pk),
                price=listing.price,
                acceptance=acceptance,
            )
            cases.append(
                Case(
                    complaint=complaint,
                    listing=listing,
                    platform_id=listing.platform_id,
                    detection_id=detection_of.get(listing.pk),
                    deadline_at=deadline,
                    due_at=due,
                    priority_reasons=reasons,
                    status_changed_at=now,
                )
            )
        Case.objects.bulk_create(cases)
        cases = list(complaint.cases.order_by("pk"))
        case_events_record_bulk(
            [
                CaseEvent(
                    case=case,
                    actor=actor,
                    action=CaseAction.FILE,
                    to_status=CaseStatus.OPEN,
                    data={"complaint": complaint.reference, "priority": case.priority_reasons},
                    created_at=now,
                )
                for case in cases
            ]
        )
        email_queue(
            topic="complaint.acknowledged",
            to=complaint.notifier_email,
            subject=f"Complaint {complaint.reference} received",
            body=_acknowledgement(complaint, rights, listings),
            complaint=complaint,
        )
    return complaint


def _is_trusted(rights_holder: Organisation, agent: Organisation | None) -> bool:
    notifier = agent or rights_holder
    return notifier.trusted_flagger_since is not None


def _acknowledgement(complaint: Complaint, rights: list[Right], listings: list[Listing]) -> str:
    lines = [
        f"Dear {complaint.notifier_name},",
        "",
        f"we received your complaint {complaint.reference} on "
        f"{complaint.created_at:%Y-%m-%d %H:%M} UTC for {complaint.rights_holder}.",
        f"It relies on: {', '.join(f'{r.name} ({r.office} {r.registration_number})' for r in rights)}.",
        f"It covers {len(listings)} listing(s); each is decided by a moderator and you will be",
        "told the outcome. Quote the reference in any message about it.",
        "",
        "Listings:",
        *(
            f"  - {listing.platform}: {listing.external_id} {listing.url}".rstrip()
            for listing in listings
        ),
    ]
    return "\n".join(lines)
