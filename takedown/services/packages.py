"""Evidence packages: who may have one, asking for one, building it (in a Celery task).

A package is a ZIP of one case's or one complaint's evidence that a court or
an authority can check without the workbench:

    manifest.json          what it covers, when and by whom built, the ledger's
                           head and last anchor, every file's size and SHA-256
    verify_package.py      the standalone verifier (takedown/evidence_package_verify.py)
    report.pdf             a readable report (ReportLab)
    complaint/complaint.json, complaint/evidence/...
    rights/<id>/right.json, rights/<id>/proof/..., rights/<id>/images/...
    cases/<id>/case.json, counter_notices.json, appeals.json, statements.json
    cases/<id>/events/<seq>-event-<id>.json        content + ledger entry
    cases/<id>/snapshots/<seq>-snapshot-<id>.json  content + ledger entry
    images/<sha256>.<ext>  the image copies the snapshots name

Who gets what is decided once, in ``package_audience``: moderators of the
case's platform and the operator's get everything; the notifier's members
and agents get their complaint's cases without the seller's personal data
(snapshots' ``personal`` part, the counter-notice's contact details) and
without the events meant for moderators only (takedown.selectors).

The ZIP is written to a temporary file and moved into storage whole; the
package's ``file`` is set only then, so a half-written package is never
offered for download.
"""

import datetime
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from rightsholders.models import ProofDocument, Right, RightImage
from takedown.access import access_for, can_moderate_platform
from takedown.errors import NotPermitted
from takedown.models import (
    Appeal,
    Case,
    CaseEvent,
    Complaint,
    CounterNotice,
    EvidenceFile,
    EvidencePackage,
    EvidenceSnapshot,
    LedgerAnchor,
    LedgerEntry,
    LedgerHead,
    StatementOfReasons,
)
from takedown.models.background import background_build
from takedown.selectors import _notifier_events_q, _notifier_q, case_get, complaint_get
from takedown.services.evidence import (
    REASON_SALT,
    case_event_content,
    snapshot_content,
)

logger = logging.getLogger(__name__)

Audience = EvidencePackage.Audience
VERIFIER_SOURCE = Path(__file__).resolve().parent.parent / "evidence_package_verify.py"
# Progress is written at most this often (files added between two updates).
PROGRESS_EVERY = 10
# A build claimed longer ago than this (the task's hard time limit) was lost
# with its worker: a redelivered task may take it over.
BUILD_STALE = datetime.timedelta(minutes=35)
# Counter-notice fields that are the seller's contact details.
SELLER_CONTACT_FIELDS = ("seller_name", "seller_email", "seller_address", "seller_phone")


# Who may have what ----------------------------------------------------------------


def package_audience(user, *, case: Case | None = None, complaint: Complaint | None = None) -> str:
    """What ``user`` may have of this case's or complaint's evidence; raise NotPermitted if nothing.

    The case or complaint was read through the user's tenancy already
    (``case_get`` / ``complaint_get``): another tenant's is a 404 before this.
    """
    access = access_for(user)
    if case is not None:
        if can_moderate_platform(access, case.platform_id):
            return Audience.FULL
        complaint = case.complaint
    elif complaint is not None and access.is_operator_moderator:
        # A complaint's cases may be on several platforms: the operator's moderators see all.
        return Audience.FULL
    if (
        complaint is not None
        and Complaint.objects.filter(_notifier_q(user), pk=complaint.pk).exists()
    ):
        return Audience.NOTIFIER
    raise NotPermitted(
        _("Evidence packages are for the moderators of the case and the notifier's organisation.")
    )


def packages_for(
    user, *, case: Case | None = None, complaint: Complaint | None = None
) -> QuerySet[EvidencePackage]:
    """The packages of this case or complaint ``user`` may download: those of its own audience."""
    audience = package_audience(user, case=case, complaint=complaint)
    packages = EvidencePackage.objects.filter(audience=audience)
    if case is not None:
        return packages.filter(case=case)
    return packages.filter(complaint=complaint)


def package_get(user, pk: int) -> EvidencePackage:
    """One package, if ``user`` may have it; another tenant's or audience's is a 404."""
    package = EvidencePackage.objects.filter(pk=pk).first()
    if package is None:
        raise Http404
    try:
        if package.case_id is not None:
            case = case_get(user, package.case_id)
            audience = package_audience(user, case=case)
        else:
            assert package.complaint_id is not None  # the check constraint: one of the two
            complaint = Complaint.objects.only("reference").get(pk=package.complaint_id)
            audience = package_audience(user, complaint=complaint_get(user, complaint.reference))
    except NotPermitted:
        raise Http404 from None
    if audience != package.audience:
        raise Http404
    return package


# Asking for one -------------------------------------------------------------------


def package_request(
    *, actor, case: Case | None = None, complaint: Complaint | None = None
) -> EvidencePackage:
    """Queue a package of ``case`` or ``complaint`` for ``actor``; the task builds it after commit."""
    if (case is None) == (complaint is None):
        raise ValueError("Give a case or a complaint.")
    audience = package_audience(actor, case=case, complaint=complaint)
    with transaction.atomic():
        package = EvidencePackage.objects.create(
            requested_by=actor,
            audience=audience,
            case=case,
            complaint=complaint,
            # The page's language (the user's choice): the report is written in it.
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        transaction.on_commit(lambda: _enqueue(package.pk))
    return package


def _enqueue(package_id: int) -> None:
    from takedown.tasks import build_evidence_package

    try:
        build_evidence_package.delay(package_id)
    except Exception:
        logger.exception("could not queue the build of evidence package %s", package_id)
        EvidencePackage.objects.filter(pk=package_id, status=EvidencePackage.Status.QUEUED).update(
            status=EvidencePackage.Status.FAILED,
            error="The build could not be queued; ask for a new package.",
            finished_at=timezone.now(),
        )


# Building -------------------------------------------------------------------------


@dataclass
class Contents:
    """Everything a package holds, read before the ZIP is written."""

    package: EvidencePackage
    complaint: Complaint
    cases: list[Case]
    rights: list[Right]
    # (path in the ZIP, a function returning the bytes)
    files: list[tuple[str, Callable[[], bytes]]] = field(default_factory=list)
    snapshots: dict[int, list[tuple[EvidenceSnapshot, LedgerEntry | None]]] = field(
        default_factory=dict
    )
    events: dict[int, list[tuple[CaseEvent, LedgerEntry | None]]] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)


def package_build(*, package_id: int) -> EvidencePackage | None:
    """Build the package (the task's body): claim it, write the ZIP, store it, mark it ready.

    Idempotent: a package already built, or being built by a live worker, is
    left alone. A failure is recorded on the package with its reason.
    """
    return background_build(
        EvidencePackage,
        package_id,
        _build,
        stale=BUILD_STALE,
        related=["case__complaint", "complaint", "requested_by"],
    )


def _build(package: EvidencePackage) -> None:
    contents = _gather(package)
    records = _records(contents)
    total = len(contents.files) + len(records) + len(contents.images) + 3
    package.mark_progress(0, total)
    tmp_dir = Path(tempfile.mkdtemp(prefix="evidence-package-"))
    try:
        zip_path = tmp_dir / "package.zip"
        manifest_files: list[dict[str, Any]] = []
        done = 0

        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:

            def add(path: str, data: bytes) -> None:
                nonlocal done
                archive.writestr(path, data)
                manifest_files.append(
                    {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                )
                done += 1
                if done % PROGRESS_EVERY == 0:
                    package.mark_progress(done)

            for path, data in records:
                add(path, data)
            for digest, data in sorted(contents.images.items()):
                add(_image_path(digest, data), data)
            for path, read in contents.files:
                add(path, read())
            add("verify_package.py", VERIFIER_SOURCE.read_bytes())
            add("report.pdf", report_pdf(contents))
            manifest = _manifest(package, contents, manifest_files)
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            done += 1
        name = f"evidence-{_scope_label(package)}-{package.pk}.zip"
        with zip_path.open("rb") as handle:
            package.mark_ready(handle, name)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    logger.info(
        "evidence package %s ready: %s files, %s bytes, sha256 %s",
        package.pk,
        total,
        package.size,
        package.sha256,
    )


def _scope_label(package: EvidencePackage) -> str:
    if package.case_id is not None:
        return f"case-{package.case_id}"
    return get_valid_filename(package.complaint.reference if package.complaint else "complaint")


def _image_path(digest: str, data: bytes) -> str:
    kind = "jpg" if data[:3] == b"\xff\xd8\xff" else "png" if data[:4] == b"\x89PNG" else "bin"
    return f"images/{digest}.{kind}"


def _reader(file_field: Any) -> Callable[[], bytes]:
    def read() -> bytes:
        with file_field.open("rb") as handle:
            return bytes(handle.read())

    return read


def _gather(package: EvidencePackage) -> Contents:
    if package.case_id is not None:
        assert package.case is not None
        complaint = package.case.complaint
        cases = [package.case]
    else:
        assert package.complaint is not None
        complaint = package.complaint
        cases = list(complaint.cases.order_by("pk"))
    cases = list(
        Case.objects.filter(pk__in=[c.pk for c in cases])
        .select_related("listing__seller", "platform__organisation", "detection")
        .order_by("pk")
    )
    rights = list(complaint.rights.select_related("rights_holder").order_by("pk"))
    contents = Contents(package=package, complaint=complaint, cases=cases, rights=rights)
    full = package.audience == Audience.FULL
    for evidence in complaint.evidence.order_by("pk"):
        contents.files.append(
            (
                f"complaint/evidence/{evidence.pk}-{get_valid_filename(evidence.original_name)}",
                _reader(evidence.file),
            )
        )
    for document in ProofDocument.objects.filter(right__in=rights).order_by("right", "pk"):
        contents.files.append(
            (
                f"rights/{document.right_id}/proof/{document.pk}-"
                f"{get_valid_filename(document.original_name)}",
                _reader(document.file),
            )
        )
    for image in RightImage.objects.filter(right__in=rights).order_by("right", "pk"):
        contents.files.append(
            (
                f"rights/{image.right_id}/images/{image.pk}-"
                f"{get_valid_filename(image.original_name)}",
                _reader(image.file),
            )
        )
    case_ids = [case.pk for case in cases]
    detection_of = {case.detection_id: case.pk for case in cases if case.detection_id}
    snapshots = EvidenceSnapshot.objects.filter(
        Q(case__in=case_ids) | Q(detection__in=list(detection_of))
    ).order_by("taken_at", "pk")
    if not full:
        snapshots = snapshots.defer("personal")
    events = CaseEvent.objects.filter(case__in=case_ids).order_by("created_at", "pk")
    if not full:
        events = events.filter(_notifier_events_q())
    snapshot_list, event_list = list(snapshots), list(events)
    entries = _entries(LedgerEntry.Kind.SNAPSHOT, [s.pk for s in snapshot_list]) | _entries(
        LedgerEntry.Kind.CASE_EVENT, [e.pk for e in event_list]
    )
    for snapshot in snapshot_list:
        # A snapshot at detection belongs to the case its detection opened.
        case_id = snapshot.case_id or detection_of[snapshot.detection_id or 0]
        contents.snapshots.setdefault(case_id, []).append(
            (snapshot, entries.get((LedgerEntry.Kind.SNAPSHOT, snapshot.pk)))
        )
    for event in event_list:
        contents.events.setdefault(event.case_id, []).append(
            (event, entries.get((LedgerEntry.Kind.CASE_EVENT, event.pk)))
        )
    wanted = {
        (image.get("thumbnail") or {}).get("sha256")
        for snapshot in snapshot_list
        for image in snapshot.body.get("images", [])
    } - {None}
    for copy in EvidenceFile.objects.filter(sha256__in=wanted):
        contents.images[copy.sha256] = _reader(copy.file)()
    return contents


def _entries(kind: str, ids: list[int]) -> dict[tuple[str, int], LedgerEntry]:
    return {
        (entry.kind, entry.object_id): entry
        for entry in LedgerEntry.objects.filter(kind=kind, object_id__in=ids)
    }


def _ledger_json(entry: LedgerEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "sequence": entry.sequence,
        "kind": entry.kind,
        "object_id": entry.object_id,
        "content_sha256": entry.content_sha256,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
        "recorded_at": _iso(entry.recorded_at),
    }


def _iso(moment: datetime.datetime | datetime.date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime.datetime):
        return moment.astimezone(datetime.UTC).isoformat()
    return moment.isoformat()


def _row(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A row's own columns as JSON values (files by name, dates in ISO 8601 UTC)."""
    skipped = set(exclude)
    out: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.name in skipped or isinstance(model_field, models.BinaryField):
            continue
        value = getattr(obj, model_field.attname)
        if isinstance(value, (datetime.datetime, datetime.date)):
            value = _iso(value)
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(model_field, models.FileField):
            value = value.name if value else ""
        out[model_field.attname] = value
    return out


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True).encode()


def _records(contents: Contents) -> list[tuple[str, bytes]]:
    """The package's JSON files: complaint, rights, cases with their history and snapshots."""
    full = contents.package.audience == Audience.FULL
    out: list[tuple[str, bytes]] = [
        (
            "complaint/complaint.json",
            _json(
                {
                    **_row(contents.complaint),
                    "rights": [right.pk for right in contents.rights],
                    "evidence": [
                        _row(e, exclude=["file"])
                        for e in contents.complaint.evidence.order_by("pk")
                    ],
                }
            ),
        )
    ]
    for right in contents.rights:
        out.append(
            (
                f"rights/{right.pk}/right.json",
                _json(
                    {
                        **_row(right, exclude=["submitted_by", "reviewed_by"]),
                        "rights_holder_name": right.rights_holder.name,
                    }
                ),
            )
        )
    case_ids = [case.pk for case in contents.cases]
    counter_notices = {c.case_id: c for c in CounterNotice.objects.filter(case__in=case_ids)}
    appeals = Appeal.objects.filter(case__in=case_ids).order_by("created_at", "pk")
    if not full:
        appeals = appeals.filter(by=Appeal.By.NOTIFIER)
    appeals_of: dict[int, list[Appeal]] = {}
    for appeal in appeals:
        appeals_of.setdefault(appeal.case_id, []).append(appeal)
    statements_of: dict[int, list[StatementOfReasons]] = {}
    for statement in StatementOfReasons.objects.filter(case__in=case_ids).order_by("pk"):
        statements_of.setdefault(statement.case_id, []).append(statement)
    internal = ["claimed_by", "claim_expires_at", "decided_by", "priority_reasons", "due_at"]
    for case in contents.cases:
        prefix = f"cases/{case.pk}"
        out.append(
            (
                f"{prefix}/case.json",
                _json(
                    {
                        **_row(case, exclude=[] if full else internal),
                        "complaint_reference": contents.complaint.reference,
                        "platform": case.platform.organisation.name,
                        "listing_external_id": case.listing.external_id,
                    }
                ),
            )
        )
        notice = counter_notices.get(case.pk)
        out.append(
            (
                f"{prefix}/counter_notices.json",
                _json(
                    []
                    if notice is None
                    else [_row(notice, exclude=[] if full else SELLER_CONTACT_FIELDS)]
                ),
            )
        )
        out.append(
            (
                f"{prefix}/appeals.json",
                _json(
                    [
                        _row(a, exclude=[] if full else ["decided_by", "filed_by"])
                        for a in appeals_of.get(case.pk, [])
                    ]
                ),
            )
        )
        out.append(
            (
                f"{prefix}/statements.json",
                _json([_row(s) for s in statements_of.get(case.pk, [])]),
            )
        )
        for snapshot, entry in contents.snapshots.get(case.pk, []):
            record: dict[str, Any] = {
                "content": snapshot_content(snapshot),
                "ledger": _ledger_json(entry),
            }
            if full:
                record["personal"] = snapshot.personal
            label = entry.sequence if entry else "unrecorded"
            out.append((f"{prefix}/snapshots/{label}-snapshot-{snapshot.pk}.json", _json(record)))
        for event, entry in contents.events.get(case.pk, []):
            record = {
                "content": case_event_content(event),
                "ledger": _ledger_json(entry),
                "reason": event.reason,
            }
            if REASON_SALT in event.data:
                record[REASON_SALT] = event.data[REASON_SALT]
            label = entry.sequence if entry else "unrecorded"
            out.append((f"{prefix}/events/{label}-event-{event.pk}.json", _json(record)))
    return out


def _manifest(
    package: EvidencePackage, contents: Contents, files: list[dict[str, Any]]
) -> dict[str, Any]:
    head = LedgerHead.objects.filter(pk=1).first()
    anchor = LedgerAnchor.objects.order_by("-sequence", "-pk").first()
    builder = package.requested_by
    return {
        "package": package.pk,
        "covers": {
            "scope": "case" if package.case_id else "complaint",
            "complaint": contents.complaint.reference,
            "cases": [case.pk for case in contents.cases],
            "audience": package.audience,
        },
        "built_at": _iso(timezone.now()),
        "requested_by": None
        if builder is None
        else {"user": builder.pk, "username": builder.get_username()},
        "ledger_head": None
        if head is None
        else {"sequence": head.sequence, "entry_hash": head.entry_hash},
        "latest_anchor": None
        if anchor is None
        else {
            "sequence": anchor.sequence,
            "entry_hash": anchor.entry_hash,
            "anchored_at": _iso(anchor.anchored_at),
        },
        "canonical_json": "sorted keys, no spaces, UTF-8",
        "entry_hash": "SHA-256(prev_hash + content_sha256 + canonical JSON of "
        "{sequence, kind, object_id, recorded_at})",
        "verify": "python verify_package.py <this zip>",
        "files": files,
    }


# The report ------------------------------------------------------------------------


def _p(text: Any) -> str:
    """Paragraph markup of plain text: escaped, so nothing in it is read as a tag."""
    return escape(str(text if text is not None else "")).replace("\n", "<br/>")


# Languages whose report needs a CJK font: ReportLab's built-in CID font, no file needed.
CJK_FONT = "STSong-Light"
CJK_LANGUAGES = ("zh",)


def _report_font(language: str) -> str | None:
    """The font the report is written in for ``language``; None for ReportLab's default."""
    if not language.lower().startswith(CJK_LANGUAGES):
        return None
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def report_pdf(contents: Contents, *, page_compression: int = 1) -> bytes:
    """A readable report of the package: what it covers, each case, its history and pictures.

    Written in the language the package was asked in (``EvidencePackage.language``).
    Every text from the database is escaped before it reaches ReportLab's
    Paragraph markup, and pictures are passed as in-memory bytes from the
    package: nothing is fetched from a URL or read from a path named in the data.
    """
    language = contents.package.language or settings.LANGUAGE_CODE
    with translation.override(language):
        return _report_pdf(contents, font=_report_font(language), page_compression=page_compression)


def _report_pdf(contents: Contents, *, font: str | None, page_compression: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table

    styles = getSampleStyleSheet()
    if font is not None:
        for name in ("Title", "Normal", "Heading2", "Heading3", "Italic"):
            styles[name].fontName = font
    table_style = [("FONTNAME", (0, 0), (-1, -1), font)] if font is not None else []
    buffer = io.BytesIO()
    package = contents.package
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        pageCompression=page_compression,
        title=_("Evidence package %(number)s") % {"number": package.pk},
        author=_("Counterfeit takedown workbench"),
        lang=package.language or settings.LANGUAGE_CODE,
    )
    complaint = contents.complaint
    story: list[Any] = [
        Paragraph(_p(_("Evidence package %(number)s") % {"number": package.pk}), styles["Title"]),
        Paragraph(
            _p(
                _("Complaint %(reference)s by %(holder)s, filed %(filed)s. Reason: %(reason)s.")
                % {
                    "reference": complaint.reference,
                    "holder": complaint.rights_holder.name,
                    "filed": _iso(complaint.created_at),
                    "reason": complaint.get_reason_display(),
                }
            ),
            styles["Normal"],
        ),
        Paragraph(_p(complaint.explanation), styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph(_p(_("Rights relied on")), styles["Heading2"]),
    ]
    for right in contents.rights:
        story.append(
            Paragraph(
                _p(
                    _(
                        "%(name)s (%(kind)s), %(office)s no. %(number)s, valid %(start)s to "
                        "%(end)s; holder %(holder)s."
                    )
                    % {
                        "name": right.name,
                        "kind": right.get_kind_display(),
                        "office": right.get_office_display(),
                        "number": right.registration_number,
                        "start": right.valid_from,
                        "end": right.valid_until,
                        "holder": right.rights_holder.name,
                    }
                ),
                styles["Normal"],
            )
        )
    for case in contents.cases:
        listing = case.listing
        story += [
            Spacer(1, 4 * mm),
            Paragraph(
                _p(
                    _("Case %(number)s: %(status)s")
                    % {"number": case.pk, "status": case.get_status_display()}
                ),
                styles["Heading2"],
            ),
            Paragraph(
                _p(
                    _("Listing %(id)s on %(platform)s: %(title)s")
                    % {
                        "id": listing.external_id,
                        "platform": case.platform.organisation.name,
                        "title": listing.title,
                    }
                ),
                styles["Normal"],
            ),
            Paragraph(
                _p(_("URL (as received, not visited): %(url)s") % {"url": listing.url}),
                styles["Normal"],
            ),
        ]
        rows = [[_("Ledger #"), _("Taken at"), _("Step"), _("Content SHA-256")]]
        for snapshot, entry in contents.snapshots.get(case.pk, []):
            rows.append(
                [
                    str(entry.sequence) if entry else "-",
                    _iso(snapshot.taken_at) or "",
                    snapshot.get_action_display(),
                    (entry.content_sha256[:32] + "…") if entry else _("not in the ledger"),
                ]
            )
        story += [
            Paragraph(_p(_("Snapshots")), styles["Heading3"]),
            Table(rows, repeatRows=1, style=table_style),
        ]
        shown = 0
        for snapshot, _entry in contents.snapshots.get(case.pk, []):
            for image in snapshot.body.get("images", []):
                digest = (image.get("thumbnail") or {}).get("sha256")
                data = contents.images.get(digest or "")
                if data is None or shown >= 4:
                    continue
                shown += 1
                story += [
                    Image(io.BytesIO(data), width=40 * mm, height=40 * mm, kind="proportional"),
                    Paragraph(
                        _p(_("Image copy SHA-256 %(digest)s") % {"digest": digest}),
                        styles["Normal"],
                    ),
                ]
        story.append(Paragraph(_p(_("History")), styles["Heading3"]))
        for event, entry in contents.events.get(case.pk, []):
            line = (
                f"#{entry.sequence if entry else '-'} {_iso(event.created_at)} "
                f"{event.get_action_display()}: {event.from_status or '-'} → {event.to_status}"
            )
            story.append(Paragraph(_p(line), styles["Normal"]))
            if event.reason:
                story.append(Paragraph(_p(event.reason), styles["Italic"]))
    story += [
        Spacer(1, 4 * mm),
        Paragraph(_p(_("How to verify")), styles["Heading2"]),
        Paragraph(
            _p(
                _(
                    "Run: python verify_package.py <package.zip>. It checks every file against "
                    "manifest.json and each snapshot and event against its ledger entry."
                )
            ),
            styles["Normal"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


def package_filename(package: EvidencePackage) -> str:
    """The download's file name: the stored name without its folders."""
    return os.path.basename(package.file.name)
