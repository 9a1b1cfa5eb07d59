"""Every write to the rights registry: one function per change, in a transaction.

Each checks that the acting user may do it, validates its input with messages
naming the field, checks uploads before storing anything, writes an audit
event where the registry has one, and leaves nothing half-saved on failure.
"""

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from listings.matching import IMAGE_HASH_VERSION
from listings.matching.common_words import is_ordinary_word
from listings.matching.image_index import registered_hashes
from listings.matching.stored import encode_registered
from takedown.access import (
    access_for,
    can_administer,
    can_edit_right,
    can_manage_rights_of,
    can_moderate_rights,
    can_revoke_authorisation,
    forget_access,
)
from takedown.errors import DomainError, NotPermitted
from takedown.geo import is_currency, parse_territories
from takedown.services.outbox import email_queue
from takedown.states import RightAction, RightStatus, right_target
from takedown.uploads import (
    Kind,
    StoredFiles,
    check_uploads,
    files_removed_on_error,
)

from .models import (
    AgentAuthorisation,
    AuthorisedSeller,
    Membership,
    Organisation,
    ProofDocument,
    Right,
    RightEvent,
    RightImage,
    RightsRevision,
)
from .signals import right_came_into_force

# The outbox topic of the e-mails telling a rights holder its right's status changed.
RIGHT_STATUS_TOPIC = "right.status"

LOCARNO_RE = re.compile(r"^(\d{2})-(\d{2})$")
# Nice classification: 34 classes of goods and 11 of services.
NICE_CLASSES = range(1, 46)
# Locarno classification: 32 classes of industrial designs.
LOCARNO_CLASSES = range(1, 33)
IMAGE: frozenset[Kind] = frozenset({"image"})
PDF_OR_IMAGE: frozenset[Kind] = frozenset({"pdf", "image"})


# Organisations and memberships ---------------------------------------------


def organisation_create(
    *, name: str, kind: str, slug: str = "", country: str = "", contact_email: str = ""
) -> Organisation:
    name = name.strip()
    if not name:
        raise DomainError("An organisation needs a name.", field="name")
    if kind not in Organisation.Kind.values:
        raise DomainError(f"Unknown organisation kind {kind!r}.", field="kind")
    slug = slug or slugify(name)[:80]
    if Organisation.objects.filter(slug=slug).exists():
        raise DomainError(f"An organisation with the short name {slug!r} exists.", field="slug")
    return Organisation.objects.create(
        name=name, kind=kind, slug=slug, country=country.upper(), contact_email=contact_email
    )


def membership_add(*, organisation: Organisation, user, role: str) -> Membership:
    """Add ``user`` to ``organisation`` with ``role``; moderators only at platforms and operators."""
    if role not in Membership.Role.values:
        raise DomainError(f"Unknown role {role!r}.", field="role")
    if role == Membership.Role.MODERATOR and organisation.kind not in (
        Organisation.Kind.PLATFORM,
        Organisation.Kind.OPERATOR,
    ):
        raise DomainError(
            "Moderators belong to a platform or to the operator, not to a "
            f"{organisation.get_kind_display().lower()}.",
            field="role",
        )
    membership, _created = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    forget_access(user)
    return membership


# Rights --------------------------------------------------------------------


@dataclass
class RightData:
    """What a rights holder says about a right, as typed in the form or sent to the API."""

    kind: str
    name: str
    registration_number: str
    office: str
    goods_description: str
    territories: list[str] | str
    valid_from: datetime.date
    valid_until: datetime.date
    mark_text: str = ""
    nice_classes: list[int] = field(default_factory=list)
    locarno_class: str = ""
    reference_price: Decimal | None = None
    reference_currency: str = ""


def _clean_right_data(data: RightData) -> dict[str, object]:
    """Return the model fields for ``data``, or raise DomainError naming the first bad field."""
    if data.kind not in Right.Kind.values:
        raise DomainError(f"Unknown kind of right {data.kind!r}.", field="kind")
    if data.office not in Right.Office.values:
        raise DomainError(f"Unknown office {data.office!r}.", field="office")
    mark_text = data.mark_text.strip()
    if data.kind == Right.Kind.WORD_MARK and not mark_text:
        raise DomainError("A word mark needs the words of the mark.", field="mark_text")
    name = data.name.strip() or mark_text
    if not name:
        raise DomainError("Give the right a name.", field="name")
    registration_number = data.registration_number.strip()
    if not registration_number:
        raise DomainError("Give the registration number.", field="registration_number")
    if not data.goods_description.strip():
        raise DomainError(
            "Describe the goods or products the right covers.", field="goods_description"
        )

    nice_classes: list[int] = []
    locarno_class = ""
    if data.kind == Right.Kind.DESIGN:
        if data.nice_classes:
            raise DomainError(
                "Designs are classified by Locarno class, not Nice classes.", field="nice_classes"
            )
        match = LOCARNO_RE.match(data.locarno_class.strip())
        if not match or int(match.group(1)) not in LOCARNO_CLASSES:
            raise DomainError(
                "Give the Locarno class as class-subclass, e.g. 03-01 (classes 01 to 32).",
                field="locarno_class",
            )
        locarno_class = match.group(0)
    else:
        if data.locarno_class.strip():
            raise DomainError(
                "Marks are classified by Nice class; Locarno classes are for designs.",
                field="locarno_class",
            )
        bad = [c for c in data.nice_classes if c not in NICE_CLASSES]
        if bad:
            raise DomainError(
                f"Nice classes run from 1 to 45; {', '.join(map(str, bad))} is not one.",
                field="nice_classes",
            )
        if not data.nice_classes:
            raise DomainError("Give at least one Nice class.", field="nice_classes")
        nice_classes = sorted(set(data.nice_classes))

    try:
        territories = parse_territories(data.territories)
    except ValueError as exc:
        raise DomainError(str(exc), field="territories") from exc
    if not territories:
        raise DomainError(
            "Name at least one territory where the right is enforced.", field="territories"
        )

    if data.valid_until < data.valid_from:
        raise DomainError("The right cannot end before it starts.", field="valid_until")

    currency = data.reference_currency.strip().upper()
    if data.reference_price is not None:
        if data.reference_price < 0:
            raise DomainError("A reference price cannot be negative.", field="reference_price")
        if not is_currency(currency):
            raise DomainError(
                "Give the ISO 4217 currency of the reference price, e.g. EUR or CNY.",
                field="reference_currency",
            )
    elif currency:
        raise DomainError(
            "A currency without a reference price means nothing; give both or neither.",
            field="reference_price",
        )

    return {
        "kind": data.kind,
        "name": name,
        "mark_text": mark_text,
        "registration_number": registration_number,
        "office": data.office,
        "nice_classes": nice_classes,
        "locarno_class": locarno_class,
        "goods_description": data.goods_description.strip(),
        "territories": territories,
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "reference_price": data.reference_price,
        "reference_currency": currency if data.reference_price is not None else "",
    }


def _store_images(right: Right, checked, role: str, stored: StoredFiles) -> None:
    existing = set(right.images.values_list("sha256", flat=True)) if right.pk else set()
    for upload, info in checked:
        if info.sha256 in existing:
            raise DomainError(f"{upload.name} is already an image of this right.", field="images")
        image = RightImage(
            right=right,
            role=role,
            original_name=(upload.name or "")[:255],
            content_type=info.format.content_type,
            sha256=info.sha256,
            width=info.width,
            height=info.height,
        )
        image.file.save(upload.name or f"image.{info.format.name.lower()}", upload, save=False)
        stored.track(image.file)
        # The scanners' hashes of every variant, computed once here so that
        # building a worker's index decodes no image.
        upload.seek(0)
        image.match_hashes = encode_registered(*registered_hashes(upload.read()))
        image.match_engine = IMAGE_HASH_VERSION
        image.save()


def _store_proof(right: Right, checked, actor, stored: StoredFiles) -> None:
    for upload, info in checked:
        doc = ProofDocument(
            right=right,
            original_name=(upload.name or "")[:255],
            content_type=info.format.content_type,
            size=info.size,
            sha256=info.sha256,
            uploaded_by=actor,
        )
        doc.file.save(upload.name or "proof", upload, save=False)
        stored.track(doc.file)
        doc.save()


# The image a right of each kind must have; word marks have none.
REQUIRED_IMAGE_ROLE: dict[str, str] = {
    Right.Kind.FIGURATIVE_MARK: RightImage.Role.LOGO,
    Right.Kind.DESIGN: RightImage.Role.VIEW,
}


def _required_image_role(kind: str) -> str | None:
    return REQUIRED_IMAGE_ROLE.get(kind)


def _refuse_duplicate_registration(
    fields: dict[str, object], *, rights_holder_id: int, exclude_pk=None
) -> None:
    others = Right.objects.filter(
        office=fields["office"], registration_number=fields["registration_number"]
    ).exclude(status=RightStatus.REJECTED)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if others.filter(rights_holder_id=rights_holder_id).exists():
        raise DomainError(
            f"Registration {fields['office']} {fields['registration_number']} is already in your registry.",
            field="registration_number",
        )
    if others.filter(status=RightStatus.VERIFIED).exists():
        raise DomainError(
            f"Registration {fields['office']} {fields['registration_number']} is held in force by "
            "another rights holder; contact the operator if the register has changed hands.",
            field="registration_number",
        )


def right_submit(
    *,
    actor,
    rights_holder: Organisation,
    data: RightData,
    images: Sequence[UploadedFile] = (),
    proof_documents: Sequence[UploadedFile] = (),
) -> Right:
    """Register a right for verification, with its images and proof of registration."""
    if not can_manage_rights_of(access_for(actor), rights_holder.pk):
        raise NotPermitted("You may not register rights for this rights holder.")
    if rights_holder.kind != Organisation.Kind.RIGHTS_HOLDER:
        raise DomainError("Rights belong to a rights holder.", field="rights_holder")
    fields = _clean_right_data(data)
    fields["ordinary_word"] = is_ordinary_word(str(fields.get("mark_text") or ""))
    if data.valid_until < timezone.localdate():
        raise DomainError(
            f"The registration ended on {data.valid_until:%Y-%m-%d}; only rights in force can be registered.",
            field="valid_until",
        )
    role = _required_image_role(data.kind)
    if role and not images:
        what = "the logo" if role == RightImage.Role.LOGO else "at least one view of the design"
        raise DomainError(f"Upload {what}.", field="images")
    if not role and images:
        raise DomainError(
            "A word mark has no images; register a figurative mark for a logo.", field="images"
        )
    if not proof_documents:
        raise DomainError(
            "Upload proof of the right (registration certificate or register extract).",
            field="proof_documents",
        )
    checked_images = check_uploads(images, allow=IMAGE, field_name="images")
    checked_proof = check_uploads(proof_documents, allow=PDF_OR_IMAGE, field_name="proof_documents")
    _refuse_duplicate_registration(fields, rights_holder_id=rights_holder.pk)

    with files_removed_on_error() as stored, transaction.atomic():
        right = Right.objects.create(
            rights_holder=rights_holder, submitted_by=actor, status=RightStatus.SUBMITTED, **fields
        )
        if role:
            _store_images(right, checked_images, role, stored)
        _store_proof(right, checked_proof, actor, stored)
        RightEvent.objects.create(
            right=right, actor=actor, action=RightAction.SUBMIT, to_status=RightStatus.SUBMITTED
        )
    return right


def _jsonable(value: object) -> object:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def right_update(
    *,
    actor,
    right: Right,
    data: RightData,
    add_images: Sequence[UploadedFile] = (),
    add_proof_documents: Sequence[UploadedFile] = (),
) -> Right:
    """Change what a right says; a change to a reviewed right sends it back for verification.

    The kind of a right cannot change: register a new right instead.
    """
    if not can_edit_right(
        access_for(actor), rights_holder_id=right.rights_holder_id, right_id=right.pk
    ):
        raise NotPermitted("You may not edit this right.")
    if data.kind != right.kind:
        raise DomainError("The kind of a right cannot change; register a new right.", field="kind")
    fields = _clean_right_data(data)
    role = _required_image_role(right.kind)
    if add_images and not role:
        raise DomainError("A word mark has no images.", field="images")
    checked_images = check_uploads(add_images, allow=IMAGE, field_name="images")
    checked_proof = check_uploads(
        add_proof_documents, allow=PDF_OR_IMAGE, field_name="proof_documents"
    )
    _refuse_duplicate_registration(
        fields, rights_holder_id=right.rights_holder_id, exclude_pk=right.pk
    )

    with files_removed_on_error() as stored, transaction.atomic():
        locked = Right.objects.select_for_update().get(pk=right.pk)
        changes = {
            name: [_jsonable(getattr(locked, name)), _jsonable(value)]
            for name, value in fields.items()
            if getattr(locked, name) != value
        }
        if checked_images:
            changes["images"] = [None, [u.name for u, _ in checked_images]]
        if checked_proof:
            changes["proof_documents"] = [None, [u.name for u, _ in checked_proof]]
        if not changes:
            return locked
        for name, value in fields.items():
            setattr(locked, name, value)
        update_fields = list(fields)
        if "mark_text" in changes:
            locked.ordinary_word = is_ordinary_word(locked.mark_text)
            update_fields.append("ordinary_word")
        if role:
            _store_images(locked, checked_images, role, stored)
        _store_proof(locked, checked_proof, actor, stored)
        _record_edit(locked, actor=actor, changes=changes, update_fields=update_fields)
    return locked


def _record_edit(right: Right, *, actor, changes: dict, update_fields: list[str]) -> None:
    """Save an edit of a locked right; a reviewed right goes back to the verification queue."""
    from_status = right.status
    to_status: str = RightStatus.SUBMITTED
    if from_status == RightStatus.SUBMITTED:
        action = RightAction.EDIT
    else:
        action = RightAction.RESUBMIT
        to_status = right_target(RightAction.RESUBMIT, from_status)
        right.status = to_status
        right.status_reason = ""
        right.status_changed_at = timezone.now()
        update_fields += ["status", "status_reason", "status_changed_at"]
    right.save(update_fields=[*update_fields, "updated_at"])
    RightEvent.objects.create(
        right=right,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        changes=changes,
    )
    if from_status == RightStatus.VERIFIED:
        rights_revision_bump()


def right_image_remove(*, actor, right: Right, image: RightImage) -> Right:
    """Remove an image; the last logo or design view cannot go."""
    if not can_edit_right(
        access_for(actor), rights_holder_id=right.rights_holder_id, right_id=right.pk
    ):
        raise NotPermitted("You may not edit this right.")
    with transaction.atomic():
        locked = Right.objects.select_for_update().get(pk=right.pk)
        images = list(locked.images.all())
        if image.pk not in {i.pk for i in images}:
            raise DomainError("That image does not belong to this right.", field="images")
        if len(images) == 1:
            raise DomainError(
                "A right of this kind needs at least one image; add another first.", field="images"
            )
        name = image.original_name
        storage, path = image.file.storage, image.file.name
        image.delete()
        _record_edit(locked, actor=actor, changes={"images": [name, None]}, update_fields=[])
        transaction.on_commit(lambda: storage.delete(path))
    return locked


def rights_revision_bump() -> None:
    """Bump the rights revision in the caller's transaction (the scanners rebuild their index)."""
    if not RightsRevision.objects.filter(pk=1).update(number=F("number") + 1):
        RightsRevision.objects.get_or_create(pk=1, defaults={"number": 1})


def _right_transition(*, actor, right: Right, action: str, reason: str = "") -> Right:
    """Move a right along the verification workflow: lock, check the map, save, audit."""
    if actor is not None and not can_moderate_rights(access_for(actor)):
        raise NotPermitted("Only the operator's moderators verify, reject or suspend rights.")
    with transaction.atomic():
        locked = Right.objects.select_for_update().get(pk=right.pk)
        from_status = locked.status
        to_status = right_target(action, from_status)
        if to_status == RightStatus.VERIFIED:
            _check_verifiable(locked)
        locked.status = to_status
        locked.status_reason = reason
        locked.status_changed_at = timezone.now()
        update_fields = ["status", "status_reason", "status_changed_at", "updated_at"]
        if actor is not None:
            locked.reviewed_by = actor
            update_fields.append("reviewed_by")
        try:
            with transaction.atomic():
                locked.save(update_fields=update_fields)
        except IntegrityError as exc:
            raise DomainError(
                "Another right with this registration is already verified.",
                field="registration_number",
            ) from exc
        event = RightEvent.objects.create(
            right=locked,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
        )
        rights_revision_bump()
        if locked.is_in_force():
            right_came_into_force.send(sender=Right, right=locked)
        right_event_notify(event)
    return locked


def right_event_notify(event: RightEvent) -> int:
    """Queue e-mails to the submitter and the rights holder's contact about ``event``.

    Written to the outbox in the caller's transaction, so a notice goes out
    after commit even when the broker is down then (the outbox sweep sends
    it), and nothing goes out for a change rolled back. Return how many
    addresses are written to.
    """
    right = event.right
    recipients = sorted(
        {
            address
            for address in (
                right.submitted_by.email if right.submitted_by else "",
                right.rights_holder.contact_email,
            )
            if address
        }
    )
    status = RightStatus(event.to_status).label.lower()
    lines = [
        f"Your right {right.name} ({right.office} {right.registration_number}) is now {status}.",
    ]
    if event.reason:
        lines.append(f"Reason: {event.reason}")
    if event.to_status != RightStatus.VERIFIED:
        lines.append("Only verified rights are scanned for and can back a complaint.")
    for address in recipients:
        email_queue(
            topic=RIGHT_STATUS_TOPIC,
            to=address,
            subject=f"[Takedown workbench] {right.name}: {status}",
            body="\n\n".join(lines),
        )
    return len(recipients)


def _check_verifiable(right: Right) -> None:
    if right.valid_until < timezone.localdate():
        raise DomainError(
            f"The right ended on {right.valid_until:%Y-%m-%d}; it cannot be verified."
        )
    if not right.proof_documents.exists():
        raise DomainError("The right has no proof document; it cannot be verified.")
    if (
        Right.objects.filter(
            office=right.office,
            registration_number=right.registration_number,
            status=RightStatus.VERIFIED,
        )
        .exclude(pk=right.pk)
        .exists()
    ):
        raise DomainError(
            f"Registration {right.office} {right.registration_number} is already verified for another right."
        )


def _require_reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(
            f"Say why the right is {what}; the rights holder is shown the reason.", field="reason"
        )
    return reason


def right_verify(*, actor, right: Right, note: str = "") -> Right:
    return _right_transition(
        actor=actor, right=right, action=RightAction.VERIFY, reason=note.strip()
    )


def right_reject(*, actor, right: Right, reason: str) -> Right:
    return _right_transition(
        actor=actor,
        right=right,
        action=RightAction.REJECT,
        reason=_require_reason(reason, "rejected"),
    )


def right_suspend(*, actor, right: Right, reason: str) -> Right:
    return _right_transition(
        actor=actor,
        right=right,
        action=RightAction.SUSPEND,
        reason=_require_reason(reason, "suspended"),
    )


def right_reinstate(*, actor, right: Right, reason: str = "") -> Right:
    return _right_transition(
        actor=actor, right=right, action=RightAction.REINSTATE, reason=reason.strip()
    )


def rights_expire_due(*, today: datetime.date | None = None) -> int:
    """Mark every right whose validity has ended as expired; return how many were.

    Idempotent: a right already expired is not touched again, so the sweep can
    run on several workers or twice in a row.
    """
    day = today or timezone.localdate()
    sources = [RightStatus.SUBMITTED, RightStatus.VERIFIED, RightStatus.SUSPENDED]
    due = list(
        Right.objects.filter(status__in=sources, valid_until__lt=day).values_list("pk", flat=True)
    )
    expired = 0
    for pk in due:
        with transaction.atomic():
            locked = Right.objects.select_for_update().filter(pk=pk, status__in=sources).first()
            if locked is None:
                continue
            from_status = locked.status
            locked.status = RightStatus.EXPIRED
            locked.status_reason = f"Registration ended on {locked.valid_until:%Y-%m-%d}."
            locked.status_changed_at = timezone.now()
            locked.save(
                update_fields=["status", "status_reason", "status_changed_at", "updated_at"]
            )
            event = RightEvent.objects.create(
                right=locked,
                action=RightAction.EXPIRE,
                from_status=from_status,
                to_status=RightStatus.EXPIRED,
                reason=locked.status_reason,
            )
            rights_revision_bump()
            right_event_notify(event)
            expired += 1
    return expired


# Agents' authorisations ----------------------------------------------------


def agent_authorisation_grant(
    *,
    actor,
    rights_holder: Organisation,
    agent: Organisation,
    letter: UploadedFile,
    valid_from: datetime.date,
    valid_until: datetime.date,
    all_rights: bool = True,
    rights: Iterable[Right] = (),
    may_manage_rights: bool = True,
    may_file_complaints: bool = True,
) -> AgentAuthorisation:
    """Let ``agent`` act for ``rights_holder`` under an uploaded letter of authorisation."""
    access = access_for(actor)
    if not (access.is_operator or can_administer(access, rights_holder.pk)):
        raise NotPermitted("Only an administrator of the rights holder may authorise an agent.")
    if rights_holder.kind != Organisation.Kind.RIGHTS_HOLDER:
        raise DomainError("Only a rights holder grants authorisations.", field="rights_holder")
    if agent.kind != Organisation.Kind.AGENT or not agent.is_active:
        raise DomainError("Choose an active agent (law firm).", field="agent")
    if valid_until < valid_from:
        raise DomainError("The authorisation cannot end before it starts.", field="valid_until")
    if valid_until < timezone.localdate():
        raise DomainError("The authorisation would already have ended.", field="valid_until")
    rights = list(rights)
    if not all_rights:
        if not rights:
            raise DomainError(
                "Choose the rights it covers, or let it cover all rights.", field="rights"
            )
        foreign = [r for r in rights if r.rights_holder_id != rights_holder.pk]
        if foreign:
            raise DomainError(f"{foreign[0]} is not a right of {rights_holder}.", field="rights")
    if not (may_manage_rights or may_file_complaints):
        raise DomainError("An authorisation must allow something.", field="may_file_complaints")
    [(upload, info)] = check_uploads([letter], allow=PDF_OR_IMAGE, field_name="letter")

    with files_removed_on_error() as stored, transaction.atomic():
        auth = AgentAuthorisation(
            agent=agent,
            rights_holder=rights_holder,
            letter_name=(upload.name or "")[:255],
            letter_sha256=info.sha256,
            all_rights=all_rights,
            may_manage_rights=may_manage_rights,
            may_file_complaints=may_file_complaints,
            valid_from=valid_from,
            valid_until=valid_until,
            granted_by=actor,
        )
        auth.letter.save(upload.name or "letter", upload, save=False)
        stored.track(auth.letter)
        auth.save()
        if not all_rights:
            auth.rights.set(rights)
    return auth


def agent_authorisation_revoke(
    *, actor, authorisation: AgentAuthorisation, reason: str
) -> AgentAuthorisation:
    """End an authorisation now; the agent loses access to the rights holder at once."""
    if not can_revoke_authorisation(
        access_for(actor),
        rights_holder_id=authorisation.rights_holder_id,
        agent_id=authorisation.agent_id,
    ):
        raise NotPermitted("Only an administrator of the rights holder or the agent may revoke it.")
    with transaction.atomic():
        locked = AgentAuthorisation.objects.select_for_update().get(pk=authorisation.pk)
        if locked.revoked_at is not None:
            raise DomainError(
                f"This authorisation was already revoked on {locked.revoked_at:%Y-%m-%d}."
            )
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.revoke_reason = reason.strip()
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    return locked


# Authorised sellers --------------------------------------------------------


def authorised_seller_add(
    *,
    actor,
    rights_holder: Organisation,
    platform,
    seller_external_id: str,
    seller_name: str = "",
    is_own_store: bool = False,
    rights: Iterable[Right] = (),
    note: str = "",
) -> AuthorisedSeller:
    """Allow a seller account to sell the rights holder's goods: it is never flagged for them."""
    if not can_manage_rights_of(access_for(actor), rights_holder.pk):
        raise NotPermitted("You may not manage authorised sellers of this rights holder.")
    seller_external_id = seller_external_id.strip()
    if not seller_external_id:
        raise DomainError("Give the seller's id on the platform.", field="seller_external_id")
    rights = list(rights)
    foreign = [r for r in rights if r.rights_holder_id != rights_holder.pk]
    if foreign:
        raise DomainError(f"{foreign[0]} is not a right of {rights_holder}.", field="rights")
    with transaction.atomic():
        if AuthorisedSeller.objects.filter(
            rights_holder=rights_holder, platform=platform, seller_external_id=seller_external_id
        ).exists():
            raise DomainError(
                f"Seller {seller_external_id} on {platform} is already authorised.",
                field="seller_external_id",
            )
        seller = AuthorisedSeller.objects.create(
            rights_holder=rights_holder,
            platform=platform,
            seller_external_id=seller_external_id,
            seller_name=seller_name.strip(),
            is_own_store=is_own_store,
            note=note.strip(),
            added_by=actor,
        )
        seller.rights.set(rights)
    return seller


def authorised_seller_remove(*, actor, authorised_seller: AuthorisedSeller) -> None:
    if not can_manage_rights_of(access_for(actor), authorised_seller.rights_holder_id):
        raise NotPermitted("You may not manage authorised sellers of this rights holder.")
    authorised_seller.delete()


def right_data_of(right: Right) -> RightData:
    """Return what ``right`` says now, as RightData (the starting point of an edit)."""
    values = {k: getattr(right, k) for k in RightData.__dataclass_fields__}
    return RightData(**values)


# Scanning preferences ------------------------------------------------------


def right_set_detection_min_score(
    *, actor, right: Right, min_score: Decimal | str | float
) -> Right:
    """Tune a right's sensitivity: detections scoring under ``min_score`` are hidden.

    A preference of the rights holder, not part of the registration: it does
    not send the right back for verification, and nothing is rescanned (every
    detection is kept; the inbox filters).
    """
    if not can_edit_right(
        access_for(actor), rights_holder_id=right.rights_holder_id, right_id=right.pk
    ):
        raise NotPermitted("You may not change this right's settings.")
    try:
        value = Decimal(str(min_score)).quantize(Decimal("0.01"))
    except ArithmeticError as exc:
        raise DomainError(
            "The minimum score is a number from 0 to 1.", field="detection_min_score"
        ) from exc
    if not Decimal(0) <= value <= Decimal(1):
        raise DomainError("The minimum score is a number from 0 to 1.", field="detection_min_score")
    Right.objects.filter(pk=right.pk).update(detection_min_score=value, updated_at=timezone.now())
    right.detection_min_score = value
    return right
