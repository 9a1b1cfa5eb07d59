"""A rights holder's export of all its data (GDPR Art. 20): one ZIP, built by a Celery task.

The ZIP holds one JSON file per kind (``KINDS``) and the files behind them
(proof documents, registered images, letters of authorisation, complaint
evidence) under ``files/``. What others said is there as the rights holder
may see it: a case's events meant for the notifier, counter-notices with the
seller's contact masked (takedown.privacy). The progress counts the kinds
written.
"""

import datetime
import json
import logging
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from listings.models import Detection, DetectionDismissal
from rightsholders.models import AgentAuthorisation, Organisation, ProofDocument, Right, RightImage
from takedown.access import access_for
from takedown.errors import DomainError, NotPermitted
from takedown.models import (
    Appeal,
    Case,
    CaseEvent,
    Complaint,
    ComplaintEvidence,
    CounterNotice,
    StatementOfReasons,
)
from takedown.models.background import background_build
from takedown.models.privacy import DataExport
from takedown.privacy import PERSONAL_FIELDS, mask
from takedown.selectors import NOTIFIER_EVENT_ACTIONS
from takedown.states import CaseAction

logger = logging.getLogger(__name__)

# An export is built at most this often per organisation: each reads all its rows.
MIN_MINUTES_BETWEEN = 10
# A build started longer ago than this (the task's hard time limit, 1860 s) was lost
# with its worker: a redelivered task may take it over.
BUILD_STALE = datetime.timedelta(minutes=35)


def may_export(user: Any, organisation: Organisation) -> bool:
    """Members of the rights holder (any role) request and download its exports."""
    return organisation.pk in access_for(user).rights_holder_roles


def data_export_request(*, actor: Any, organisation: Organisation) -> DataExport:
    """Queue an export of ``organisation``'s data, built after commit by a worker."""
    if not may_export(actor, organisation):
        raise NotPermitted("Only the rights holder's members export its data.")
    since = timezone.now() - datetime.timedelta(minutes=MIN_MINUTES_BETWEEN)
    recent = DataExport.objects.filter(organisation=organisation, created_at__gte=since).exclude(
        status=DataExport.Status.FAILED
    )
    if recent.exists():
        raise DomainError(
            f"An export was requested less than {MIN_MINUTES_BETWEEN} minutes ago: "
            "use that one, or wait."
        )
    export = DataExport.objects.create(
        organisation=organisation, requested_by=actor, progress_total=len(KINDS)
    )

    def queue() -> None:
        from takedown.tasks import build_data_export

        build_data_export.delay(export.pk)

    transaction.on_commit(queue)
    return export


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the ZIP of one export; a missing or already claimed export returns as it is."""
    return background_build(
        DataExport, export_id, _build, stale=BUILD_STALE, related=["organisation"]
    )


def _build(export: DataExport) -> None:
    export.mark_progress(0, len(KINDS))
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for number, (name, rows_of) in enumerate(KINDS, start=1):
                rows, files = rows_of(export.organisation)
                archive.writestr(
                    f"{name}.json",
                    json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1),
                )
                for arcname, field_file in files:
                    with field_file.open("rb") as source:
                        archive.writestr(f"files/{arcname}", source.read())
                export.mark_progress(number)
        slug = export.organisation.slug or str(export.organisation_id)
        # A random part: the name is not guessable from the organisation and the id.
        export.mark_ready(handle, f"exports/{slug}-{export.pk}-{secrets.token_hex(8)}.zip")


# One function per kind: (rows as JSON values, [(name in the ZIP, FieldFile)]).
Rows = tuple[list[dict[str, Any]], list[tuple[str, Any]]]


def _organisation(org: Organisation) -> Rows:
    return [
        {
            "id": org.pk,
            "name": org.name,
            "slug": org.slug,
            "kind": org.kind,
            "country": org.country,
            "contact_email": org.contact_email,
        }
    ], []


def _rights(org: Organisation) -> Rows:
    rights = Right.objects.filter(rights_holder=org).order_by("pk")
    rows = [_fields(right, exclude={"rights_holder"}) for right in rights]
    files = []
    for image in RightImage.objects.filter(right__rights_holder=org).order_by("pk"):
        files.append(
            (f"rights/{image.right_id}/images/{image.pk}-{_base(image.file.name)}", image.file)
        )
    for right in rows:
        right["images"] = list(
            RightImage.objects.filter(right_id=right["id"]).values("id", "file", "created_at")
        )
    return rows, files


def _proof_documents(org: Organisation) -> Rows:
    documents = ProofDocument.objects.filter(right__rights_holder=org).order_by("pk")
    rows = [_fields(d, exclude={"uploaded_by"}) for d in documents]
    files = [(f"rights/{d.right_id}/proof/{d.pk}-{_base(d.file.name)}", d.file) for d in documents]
    return rows, files


def _authorisations(org: Organisation) -> Rows:
    authorisations = AgentAuthorisation.objects.filter(
        Q(rights_holder=org) | Q(agent=org)
    ).order_by("pk")
    rows = []
    files = []
    for auth in authorisations.prefetch_related("rights"):
        row = _fields(auth, exclude={"revoked_by", "granted_by"})
        row["rights"] = [r.pk for r in auth.rights.all()]
        rows.append(row)
        if auth.letter:
            files.append((f"authorisations/{auth.pk}-{_base(auth.letter.name)}", auth.letter))
    return rows, files


def _detections(org: Organisation) -> Rows:
    detections = (
        Detection.objects.filter(right__rights_holder=org)
        .select_related("listing__platform__organisation", "listing__seller")
        .order_by("pk")
    )
    rows = []
    for d in detections.iterator(chunk_size=1000):
        listing = d.listing
        rows.append(
            {
                **_fields(d, exclude={"listing", "status_changed_by"}),
                "listing": {
                    "platform": listing.platform.organisation.slug,
                    "external_id": listing.external_id,
                    "title": listing.title,
                    "url": listing.url,
                    "price": listing.price,
                    "currency": listing.currency,
                    "store": listing.seller.name if listing.seller else "",
                },
            }
        )
    return rows, []


def _dismissals(org: Organisation) -> Rows:
    dismissals = DetectionDismissal.objects.filter(right__rights_holder=org).order_by("pk")
    return [_fields(d, exclude={"dismissed_by"}) for d in dismissals], []


def _complaints(org: Organisation) -> Rows:
    complaints = Complaint.objects.filter(rights_holder=org).prefetch_related("rights")
    rows = []
    for complaint in complaints.order_by("pk"):
        row = _fields(complaint, exclude={"filed_by", "rights_holder"})
        row["rights"] = [r.pk for r in complaint.rights.all()]
        rows.append(row)
    evidence = ComplaintEvidence.objects.filter(complaint__rights_holder=org).order_by("pk")
    files = [
        (f"complaints/{e.complaint_id}/{e.pk}-{_base(e.original_name)}", e.file) for e in evidence
    ]
    return rows, files


def _cases(org: Organisation) -> Rows:
    cases = Case.objects.filter(complaint__rights_holder=org).select_related(
        "listing", "platform__organisation"
    )
    notifier_events = Q(action__in=NOTIFIER_EVENT_ACTIONS) | Q(
        action=CaseAction.APPEAL, data__by=Appeal.By.NOTIFIER
    )
    events_of: dict[int, list[dict[str, Any]]] = {}
    for event in (
        CaseEvent.objects.filter(case__complaint__rights_holder=org)
        .filter(notifier_events)
        .order_by("case_id", "created_at", "pk")
    ):
        events_of.setdefault(event.case_id, []).append(
            {
                "action": event.action,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "reason": event.reason,
                "created_at": event.created_at,
            }
        )
    statements_of: dict[int, list[dict[str, Any]]] = {}
    for statement in StatementOfReasons.objects.filter(case__complaint__rights_holder=org):
        statements_of.setdefault(statement.case_id, []).append(_fields(statement))
    rows = []
    for case in cases.order_by("pk"):
        rows.append(
            {
                "id": case.pk,
                "complaint": case.complaint_id,
                "platform": case.platform.organisation.slug,
                "listing": case.listing.external_id,
                "listing_title": case.listing.title,
                "status": case.status,
                "decided_at": case.decided_at,
                "rejection_reason": case.rejection_reason,
                "events": events_of.get(case.pk, []),
                "statements_of_reasons": statements_of.get(case.pk, []),
            }
        )
    return rows, []


def _counter_notices(org: Organisation) -> Rows:
    personal = PERSONAL_FIELDS["takedown.counternotice"]
    rows = []
    for notice in CounterNotice.objects.filter(case__complaint__rights_holder=org).order_by("pk"):
        row = _fields(notice, exclude={"evidence"})
        for name, spec in personal.items():
            row[name] = mask(spec.kind, row[name])
        row["evidence"] = [
            {"name": e.get("name"), "sha256": e.get("sha256")} for e in notice.evidence
        ]
        rows.append(row)
    return rows, []


KINDS: list[tuple[str, Callable[[Organisation], Rows]]] = [
    ("organisation", _organisation),
    ("rights", _rights),
    ("proof_documents", _proof_documents),
    ("authorisations", _authorisations),
    ("detections", _detections),
    ("dismissals", _dismissals),
    ("complaints", _complaints),
    ("cases", _cases),
    ("counter_notices", _counter_notices),
]


def _fields(obj: Any, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The row's concrete fields as JSON values (foreign keys as ids, files as names)."""
    skip = set(exclude)
    row: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in skip:
            continue
        value = getattr(obj, f.attname)
        if hasattr(value, "name") and not isinstance(value, str):
            value = value.name or ""
        row[f.name if not f.is_relation else f.attname.removesuffix("_id")] = value
    return row


def _base(name: str) -> str:
    return name.rsplit("/", 1)[-1]
