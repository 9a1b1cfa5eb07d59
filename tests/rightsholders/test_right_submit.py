import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rightsholders.models import ProofDocument, Right, RightEvent, RightImage
from rightsholders.services import RightData, right_submit
from takedown.errors import DomainError, NotPermitted
from takedown.states import RightStatus
from tests.files import pdf_upload, png_bomb_bytes, png_upload, upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def word_mark(**overrides) -> RightData:
    values = dict(
        kind=Right.Kind.WORD_MARK,
        name="",
        mark_text="AURELIA",
        registration_number="018123456",
        office=Right.Office.EU,
        goods_description="Handbags, wallets",
        territories="EU, cn",
        valid_from=TODAY - datetime.timedelta(days=10),
        valid_until=TODAY + datetime.timedelta(days=3650),
        nice_classes=[25, 18, 18],
    )
    values.update(overrides)
    return RightData(**values)


def design(**overrides) -> RightData:
    values = dict(
        kind=Right.Kind.DESIGN,
        mark_text="",
        name="Quilted bag",
        nice_classes=[],
        locarno_class="03-01",
    )
    values.update(overrides)
    return word_mark(**values)


def files_under(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def test_word_mark_is_submitted_with_proof_and_audit(world):
    # given an admin of holder A
    actor = world.holder_a.admin
    # when it registers a word mark with a certificate
    right = right_submit(
        actor=actor,
        rights_holder=world.holder_a.organisation,
        data=word_mark(),
        proof_documents=[pdf_upload()],
    )
    # then the right waits for verification, cleaned and audited
    assert right.status == RightStatus.SUBMITTED
    assert (right.name, right.nice_classes, right.territories) == (
        "AURELIA",
        [18, 25],
        ["EU", "CN"],
    )
    assert right.proof_documents.get().content_type == "application/pdf"
    assert list(right.events.values_list("action", "to_status")) == [("submit", "submitted")]


def test_design_keeps_its_views_with_dimensions_and_hashes(world):
    right = right_submit(
        actor=world.holder_a.admin,
        rights_holder=world.holder_a.organisation,
        data=design(),
        images=[png_upload("front.png", seed=1), png_upload("side.png", seed=2)],
        proof_documents=[pdf_upload()],
    )
    images = list(right.images.order_by("original_name"))
    assert [(i.original_name, i.role, i.width) for i in images] == [
        ("front.png", "view", 64),
        ("side.png", "view", 64),
    ]
    assert images[0].sha256 != images[1].sha256


def test_agent_with_authorisation_registers_for_its_client(world):
    right = right_submit(
        actor=world.agent.member,
        rights_holder=world.holder_a.organisation,
        data=word_mark(),
        proof_documents=[pdf_upload()],
    )
    assert right.rights_holder == world.holder_a.organisation


def test_agent_without_authorisation_is_refused(world):
    with pytest.raises(NotPermitted, match="may not register rights for this rights holder"):
        right_submit(
            actor=world.agent.member,
            rights_holder=world.holder_b.organisation,
            data=word_mark(),
            proof_documents=[pdf_upload()],
        )


def test_platform_user_cannot_register_rights(world):
    with pytest.raises(NotPermitted):
        right_submit(
            actor=world.platform_a.admin,
            rights_holder=world.holder_a.organisation,
            data=word_mark(),
            proof_documents=[pdf_upload()],
        )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (word_mark(mark_text=""), "mark_text", "A word mark needs the words of the mark"),
        (
            word_mark(nice_classes=[9, 46]),
            "nice_classes",
            "Nice classes run from 1 to 45; 46 is not one",
        ),
        (word_mark(nice_classes=[]), "nice_classes", "Give at least one Nice class"),
        (
            word_mark(territories="EU, XX, Narnia"),
            "territories",
            "Unknown territory code.*XX, NARNIA",
        ),
        (word_mark(territories=""), "territories", "at least one territory"),
        (
            word_mark(valid_until=TODAY - datetime.timedelta(days=400)),
            "valid_until",
            "cannot end before it starts",
        ),
        (
            word_mark(
                valid_from=TODAY - datetime.timedelta(days=900),
                valid_until=TODAY - datetime.timedelta(days=1),
            ),
            "valid_until",
            "only rights in force",
        ),
        (
            word_mark(reference_price=Decimal("10"), reference_currency="EURO"),
            "reference_currency",
            "ISO 4217",
        ),
        (
            word_mark(reference_price=Decimal("-1"), reference_currency="EUR"),
            "reference_price",
            "cannot be negative",
        ),
        (word_mark(reference_currency="EUR"), "reference_price", "give both or neither"),
        (word_mark(registration_number="  "), "registration_number", "registration number"),
        (word_mark(locarno_class="03-01"), "locarno_class", "Locarno classes are for designs"),
        (design(locarno_class="3.1"), "locarno_class", "class-subclass"),
        (design(locarno_class="40-01"), "locarno_class", "classes 01 to 32"),
    ],
)
def test_bad_right_data_is_refused_naming_the_field(world, data, field, message):
    with pytest.raises(DomainError, match=message) as raised:
        right_submit(
            actor=world.holder_a.admin,
            rights_holder=world.holder_a.organisation,
            data=data,
            proof_documents=[pdf_upload()],
        )
    assert raised.value.field == field
    assert not Right.objects.filter(
        registration_number=data.registration_number.strip() or "-"
    ).exists()


def test_right_without_proof_is_refused(world):
    with pytest.raises(DomainError, match="Upload proof of the right") as raised:
        right_submit(
            actor=world.holder_a.admin, rights_holder=world.holder_a.organisation, data=word_mark()
        )
    assert raised.value.field == "proof_documents"


def test_design_without_views_is_refused(world):
    with pytest.raises(DomainError, match="at least one view of the design"):
        right_submit(
            actor=world.holder_a.admin,
            rights_holder=world.holder_a.organisation,
            data=design(),
            proof_documents=[pdf_upload()],
        )


def test_same_registration_twice_for_one_holder_is_refused(world):
    right_submit(
        actor=world.holder_a.admin,
        rights_holder=world.holder_a.organisation,
        data=word_mark(),
        proof_documents=[pdf_upload()],
    )
    with pytest.raises(DomainError, match="already in your registry"):
        right_submit(
            actor=world.holder_a.admin,
            rights_holder=world.holder_a.organisation,
            data=word_mark(),
            proof_documents=[pdf_upload()],
        )


def test_registration_verified_for_another_holder_is_refused(world):
    taken = world.holder_b.rights[0]
    with pytest.raises(DomainError, match="held in force by another rights holder"):
        right_submit(
            actor=world.holder_a.admin,
            rights_holder=world.holder_a.organisation,
            data=word_mark(office=taken.office, registration_number=taken.registration_number),
            proof_documents=[pdf_upload()],
        )


@pytest.mark.parametrize(
    ("bad_file", "message"),
    [
        (
            upload("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"x" * 50, "application/pdf"),
            "scan.pdf: the name ends in .pdf",
        ),
        (
            upload("bomb.png", png_bomb_bytes(), "image/png"),
            "bomb.png: the image has more pixels than the limit",
        ),
        (upload("empty.pdf", b"", "application/pdf"), "empty.pdf: the file is empty"),
    ],
)
def test_a_bad_file_leaves_nothing_behind(world, settings, bad_file, message):
    # given a design whose second view is bad
    before = (
        Right.objects.count(),
        RightImage.objects.count(),
        ProofDocument.objects.count(),
        RightEvent.objects.count(),
    )
    files_before = files_under(settings.MEDIA_ROOT)
    # when it is submitted
    with pytest.raises(DomainError, match=message):
        right_submit(
            actor=world.holder_a.admin,
            rights_holder=world.holder_a.organisation,
            data=design(),
            images=[png_upload("front.png"), bad_file]
            if bad_file.name.endswith(".png")
            else [png_upload("front.png")],
            proof_documents=[pdf_upload(), bad_file]
            if not bad_file.name.endswith(".png")
            else [pdf_upload()],
        )
    # then no row and no file was stored
    after = (
        Right.objects.count(),
        RightImage.objects.count(),
        ProofDocument.objects.count(),
        RightEvent.objects.count(),
    )
    assert after == before
    assert files_under(settings.MEDIA_ROOT) == files_before


def test_files_are_removed_when_the_database_write_fails(world, settings, monkeypatch):
    # given a database that fails after the files were written
    def fail(**kwargs):
        raise RuntimeError("database went away")

    files_before = files_under(settings.MEDIA_ROOT)
    monkeypatch.setattr(RightEvent.objects, "create", fail)
    # when a right with an image and a proof document is submitted
    with pytest.raises(RuntimeError, match="database went away"):
        right_submit(
            actor=world.holder_a.admin,
            rights_holder=world.holder_a.organisation,
            data=design(),
            images=[png_upload()],
            proof_documents=[pdf_upload()],
        )
    # then neither rows nor files remain
    assert not Right.objects.filter(name="Quilted bag").exists()
    assert files_under(settings.MEDIA_ROOT) == files_before
