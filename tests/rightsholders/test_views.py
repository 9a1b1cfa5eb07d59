"""The rights registry pages, driven through Django's test client as a user would."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from rightsholders.models import AgentAuthorisation, Right
from takedown.states import RightStatus
from tests.files import pdf_upload, png_bomb_bytes, png_bytes, png_upload, upload


def _files_under(root) -> set:
    return {p for p in root.rglob("*") if p.is_file()}


def _design_form(rights_holder, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "rights_holder": rights_holder.pk,
        "kind": Right.Kind.DESIGN,
        "name": "Quilted shoulder bag",
        "mark_text": "",
        "registration_number": "015000123-0001",
        "office": Right.Office.EU,
        "nice_classes": "",
        "locarno_class": "03-01",
        "goods_description": "Handbags",
        "territories": "EU, CN",
        "valid_from": (today - datetime.timedelta(days=30)).isoformat(),
        "valid_until": (today + datetime.timedelta(days=5 * 365)).isoformat(),
        "reference_price": "1200.00",
        "reference_currency": "EUR",
        "images": [png_upload("front.png")],
        "proof_documents": [pdf_upload("certificate.pdf")],
    }
    data.update(overrides)
    return data


def test_rights_holder_sees_its_own_rights_listed_and_not_the_other_holders(client, world):
    # given the member of holder A is logged in
    client.force_login(world.holder_a.member)
    # when it opens the rights list
    response = client.get(reverse("rightsholders:right-list"))
    # then A's verified rights are listed and B's are not
    page = response.content.decode()
    assert response.status_code == 200
    assert "BRANDA" in page
    assert "Bag design A" in page
    assert "BRANDB" not in page
    assert "Bag design B" not in page


def test_rights_list_filters_by_status_and_text(client, world, right_factory):
    # given holder A also has a submitted right
    right_factory(rights_holder=world.holder_a.organisation, name="PENDINGMARK", status="submitted")
    client.force_login(world.holder_a.member)
    # when it filters by status submitted and by text
    by_status = client.get(reverse("rightsholders:right-list"), {"status": "submitted"})
    by_text = client.get(reverse("rightsholders:right-list"), {"q": "bag design"})
    # then only the matching rights show
    assert "PENDINGMARK" in by_status.content.decode()
    assert "BRANDA" not in by_status.content.decode()
    assert "Bag design A" in by_text.content.decode()
    assert "PENDINGMARK" not in by_text.content.decode()


def test_registering_a_design_with_image_and_pdf_creates_a_submitted_right(client, world):
    # given the admin of holder A on the registration form
    client.force_login(world.holder_a.admin)
    # when it submits a design with a view and a certificate
    response = client.post(
        reverse("rightsholders:right-create"), _design_form(world.holder_a.organisation)
    )
    # then a submitted right exists with its files, and its page shows it
    right = Right.objects.get(name="Quilted shoulder bag")
    assert response.status_code == 302
    assert response["Location"] == right.get_absolute_url()
    assert right.status == RightStatus.SUBMITTED
    assert right.rights_holder == world.holder_a.organisation
    assert right.images.count() == 1
    assert right.proof_documents.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Quilted shoulder bag" in page
    assert "Submitted" in page
    assert "certificate.pdf" in page
    assert "waits for verification" in page


def test_the_proof_document_downloads_as_an_attachment_and_the_image_inline(client, world):
    # given holder A's design with an image and a proof document
    client.force_login(world.holder_a.member)
    design = world.holder_a.rights[1]
    doc = design.proof_documents.get()
    image = design.images.get()
    # when both are fetched
    doc_response = client.get(reverse("rightsholders:proof-document", args=[design.pk, doc.pk]))
    image_response = client.get(reverse("rightsholders:right-image", args=[design.pk, image.pk]))
    # then the document is an attachment of its stored type and the image shows inline
    assert doc_response["Content-Type"] == "application/pdf"
    assert doc_response["Content-Disposition"].startswith("attachment")
    assert doc_response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(doc_response.streaming_content).startswith(b"%PDF-")
    assert image_response["Content-Type"] == "image/png"
    assert image_response["Content-Disposition"].startswith("inline")
    assert b"".join(image_response.streaming_content) == png_bytes()


@pytest.mark.parametrize(
    ("field", "file"),
    [
        pytest.param(
            "proof_documents",
            lambda: upload("certificate.pdf", png_bytes(), "application/pdf"),
            id="png-named-pdf",
        ),
        pytest.param(
            "proof_documents", lambda: upload("certificate.pdf", b"", "application/pdf"), id="empty"
        ),
        pytest.param(
            "images", lambda: upload("front.png", png_bomb_bytes(), "image/png"), id="png-bomb"
        ),
    ],
)
def test_a_refused_upload_shows_a_form_error_naming_the_file_and_stores_nothing(
    client, world, settings, field, file
):
    # given the admin of holder A and a file the registry must refuse
    client.force_login(world.holder_a.admin)
    bad = file()
    files_before = _files_under(settings.MEDIA_ROOT)
    # when it submits the form with it
    response = client.post(
        reverse("rightsholders:right-create"),
        _design_form(world.holder_a.organisation, **{field: [bad]}),
    )
    # then the form comes back with an error naming the file, and nothing is stored
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(bad.name in error for error in errors)
    assert bad.name in response.content.decode()
    assert not Right.objects.filter(name="Quilted shoulder bag").exists()
    assert _files_under(settings.MEDIA_ROOT) == files_before


def test_a_form_error_of_the_service_is_shown_next_to_its_field(client, world):
    # given the admin of holder A
    client.force_login(world.holder_a.admin)
    # when it types an unknown territory
    response = client.post(
        reverse("rightsholders:right-create"),
        _design_form(world.holder_a.organisation, territories="EU, XX"),
    )
    # then the territories field carries the service's message
    assert response.status_code == 200
    assert "XX" in " ".join(response.context["form"].errors["territories"])
    assert 'aria-invalid="true"' in response.content.decode()


def test_editing_a_verified_right_warns_and_sends_it_back_for_verification(client, world):
    # given holder A's verified word mark
    mark = world.holder_a.rights[0]
    client.force_login(world.holder_a.admin)
    form_page = client.get(reverse("rightsholders:right-edit", args=[mark.pk]))
    data = {**form_page.context["form"].initial, "goods_description": "Bags and belts"}
    data = {k: v for k, v in data.items() if v is not None and k != "kind"}
    # when it changes the goods description
    response = client.post(reverse("rightsholders:right-edit", args=[mark.pk]), data)
    # then the page had warned, and the right waits for verification again
    mark.refresh_from_db()
    assert "sends it back to the verification queue" in form_page.content.decode()
    assert response.status_code == 302
    assert mark.goods_description == "Bags and belts"
    assert mark.status == RightStatus.SUBMITTED


def test_operator_moderator_verifies_a_right_and_the_history_shows_it(
    client, world, right_factory, proof_document_factory
):
    # given a submitted right with proof, in the verification queue
    right = right_factory(
        rights_holder=world.holder_a.organisation, name="NEWMARK", status="submitted"
    )
    proof_document_factory(right=right)
    client.force_login(world.operator_moderator)
    queue = client.get(reverse("rightsholders:verification-queue"))
    # when the moderator verifies it from the queue
    response = client.post(
        reverse("rightsholders:right-verify", args=[right.pk]),
        {"next": reverse("rightsholders:verification-queue")},
    )
    # then it is verified, the queue was where it came back to, and the history says so
    right.refresh_from_db()
    assert "NEWMARK" in queue.content.decode()
    assert response["Location"] == reverse("rightsholders:verification-queue")
    assert right.status == RightStatus.VERIFIED
    detail = client.get(right.get_absolute_url()).content.decode()
    assert "Submitted → Verified" in detail
    assert "operator-moderator" in detail


def test_operator_moderator_must_give_a_reason_to_reject(
    client, world, right_factory, proof_document_factory
):
    # given a submitted right
    right = right_factory(
        rights_holder=world.holder_a.organisation, name="NEWMARK", status="submitted"
    )
    proof_document_factory(right=right)
    client.force_login(world.operator_moderator)
    url = reverse("rightsholders:right-reject", args=[right.pk])
    # when the moderator rejects it first without and then with a reason
    without = client.post(url, {"reason": "  "}, follow=True)
    right.refresh_from_db()
    status_after_first = right.status
    client.post(url, {"reason": "The certificate names another owner."})
    right.refresh_from_db()
    # then the first is refused with a message, the second rejects and is in the history
    assert status_after_first == RightStatus.SUBMITTED
    assert "Say why the right is rejected" in without.content.decode()
    assert right.status == RightStatus.REJECTED
    detail = client.get(right.get_absolute_url()).content.decode()
    assert "Submitted → Rejected" in detail
    assert "The certificate names another owner." in detail


def test_detail_page_offers_a_moderator_only_the_allowed_actions(client, world):
    # given holder A's verified mark
    mark = world.holder_a.rights[0]
    client.force_login(world.operator_moderator)
    # when the moderator opens it
    page = client.get(mark.get_absolute_url()).content.decode()
    # then it can suspend it but not verify or reject it again
    assert reverse("rightsholders:right-suspend", args=[mark.pk]) in page
    assert reverse("rightsholders:right-verify", args=[mark.pk]) not in page
    assert reverse("rightsholders:right-reject", args=[mark.pk]) not in page


def test_a_non_moderator_is_refused_the_queue_and_the_transitions(client, world, right_factory):
    # given holder A's admin and one of its submitted rights
    right = right_factory(rights_holder=world.holder_a.organisation, status="submitted")
    client.force_login(world.holder_a.admin)
    # when it opens the queue and tries each transition on its own right
    queue = client.get(reverse("rightsholders:verification-queue"))
    transitions = {
        action: client.post(
            reverse(f"rightsholders:right-{action}", args=[right.pk]), {"reason": "because"}
        ).status_code
        for action in ("verify", "reject", "suspend", "reinstate")
    }
    # then all are forbidden and nothing changed
    right.refresh_from_db()
    assert queue.status_code == 403
    assert transitions == {"verify": 403, "reject": 403, "suspend": 403, "reinstate": 403}
    assert right.status == RightStatus.SUBMITTED


def test_agent_sees_the_represented_holders_rights_until_its_authorisation_is_revoked(
    client, world
):
    # given the agent authorised for holder A
    client.force_login(world.agent.member)
    a_right, b_right = world.holder_a.rights[0], world.holder_b.rights[0]
    listed = client.get(reverse("rightsholders:right-list")).content.decode()
    before = client.get(a_right.get_absolute_url()).status_code
    other = client.get(b_right.get_absolute_url()).status_code
    # when holder A's admin revokes the authorisation through the page
    auth = AgentAuthorisation.objects.get(agent=world.agent.organisation)
    client.force_login(world.holder_a.admin)
    revoke = client.post(
        reverse("rightsholders:authorisation-revoke", args=[auth.pk]),
        {"reason": "Mandate ended"},
    )
    client.force_login(world.agent.member)
    after = client.get(a_right.get_absolute_url()).status_code
    # then the agent saw A's rights and not B's, and sees none of A's after the revocation
    assert "BRANDA" in listed
    assert "BRANDB" not in listed
    assert before == 200
    assert other == 404
    assert revoke.status_code == 302
    assert after == 404


def test_rights_holder_admin_grants_an_authorisation_with_a_letter(
    client, world, organisation_factory
):
    # given a second law firm and holder B's admin
    firm = organisation_factory(kind="agent", name="Second Firm")
    client.force_login(world.holder_b.admin)
    today = timezone.localdate()
    # when it grants the firm an authorisation with a letter
    response = client.post(
        reverse("rightsholders:authorisation-create"),
        {
            "rights_holder": world.holder_b.organisation.pk,
            "agent": firm.pk,
            "letter": pdf_upload("mandate.pdf"),
            "valid_from": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=365)).isoformat(),
            "all_rights": "on",
            "may_manage_rights": "on",
            "may_file_complaints": "on",
        },
    )
    # then the authorisation is listed with its letter to download
    auth = AgentAuthorisation.objects.get(agent=firm)
    listing = client.get(reverse("rightsholders:authorisation-list")).content.decode()
    letter = client.get(reverse("rightsholders:authorisation-letter", args=[auth.pk]))
    assert response.status_code == 302
    assert "Second Firm" in listing
    assert "mandate.pdf" in listing
    assert letter["Content-Type"] == "application/pdf"
    assert letter["Content-Disposition"].startswith("attachment")


def test_rights_holder_adds_and_removes_an_authorised_seller(client, world):
    # given holder A's admin on the authorised sellers page
    client.force_login(world.holder_a.admin)
    url = reverse("rightsholders:authorised-seller-list")
    # when it adds its own store on platform A
    added = client.post(
        url,
        {
            "rights_holder": world.holder_a.organisation.pk,
            "platform": world.platform_a.platform.pk,
            "seller_external_id": "brand-a-official",
            "seller_name": "Brand A Official",
            "is_own_store": "on",
        },
    )
    listed = client.get(url).content.decode()
    seller = world.holder_a.organisation.authorised_sellers.get()
    removed = client.post(reverse("rightsholders:authorised-seller-remove", args=[seller.pk]))
    # then it was listed, and is gone after the removal
    assert added.status_code == 302
    assert "Brand A Official" in listed
    assert removed.status_code == 302
    assert not world.holder_a.organisation.authorised_sellers.exists()


def test_rights_list_query_count_does_not_grow_with_the_number_of_rights(
    client, world, right_factory, right_image_factory, django_assert_max_num_queries
):
    # given holder A with sixty designs, each with an image
    for n in range(60):
        right_image_factory(
            right=right_factory(rights_holder=world.holder_a.organisation, design=True),
            sha256=f"{n:064x}",
        )
    client.force_login(world.holder_a.member)
    # when the rights list is opened
    # then it takes a fixed number of queries (session, user, memberships, rights holders,
    # count, page, images, can-register check), however many rights there are
    with django_assert_max_num_queries(8):
        response = client.get(reverse("rightsholders:right-list"))
    assert response.status_code == 200
    assert len(response.context["rights"]) == 50


def test_rights_list_explains_a_rejection_but_not_a_verification_note(client, world, right_factory):
    # given a rejected right with its reason and a verified one with a moderator's note
    right_factory(
        rights_holder=world.holder_a.organisation,
        status="rejected",
        status_reason="The certificate is illegible.",
    )
    right_factory(
        rights_holder=world.holder_a.organisation, status_reason="Checked against the register."
    )
    client.force_login(world.holder_a.member)
    # when the list is opened
    page = client.get(reverse("rightsholders:right-list")).content.decode()
    # then the rejection reason is shown and the note is not
    assert "The certificate is illegible." in page
    assert "Checked against the register." not in page


def test_verifying_from_the_queue_with_htmx_swaps_the_card_for_the_outcome(
    client, world, right_factory, proof_document_factory
):
    # given two submitted rights with proof in the queue
    first, second = right_factory.create_batch(
        2, rights_holder=world.holder_a.organisation, status="submitted"
    )
    for right in (first, second):
        proof_document_factory(right=right)
    client.force_login(world.operator_moderator)
    # when the moderator verifies the first from the queue page (htmx request)
    response = client.post(
        reverse("rightsholders:right-verify", args=[first.pk]), headers={"HX-Request": "true"}
    )
    # then the answer is the outcome fragment with the badge now counting one
    page = response.content.decode()
    first.refresh_from_db()
    assert response.status_code == 200
    assert first.status == RightStatus.VERIFIED
    assert f'id="queue-item-{first.pk}"' in page
    assert "is now verified" in page
    assert 'id="queue-count"' in page
    assert 'hx-swap-oob="true">1<' in page
    assert "<html" not in page


def test_rejecting_from_the_queue_without_a_reason_keeps_the_card_with_the_error(
    client, world, right_factory, proof_document_factory
):
    # given a submitted right in the queue
    right = right_factory(rights_holder=world.holder_a.organisation, status="submitted")
    proof_document_factory(right=right)
    client.force_login(world.operator_moderator)
    # when the moderator rejects it in place without a reason
    response = client.post(
        reverse("rightsholders:right-reject", args=[right.pk]),
        {"reason": ""},
        headers={"HX-Request": "true"},
    )
    # then the card comes back with the service's message and the right is unchanged
    right.refresh_from_db()
    assert right.status == RightStatus.SUBMITTED
    assert "Say why the right is rejected" in response.content.decode()
    assert f'id="queue-item-{right.pk}"' in response.content.decode()
