"""Personal data of sellers and notifiers: masked for rights holders, shown to moderators, logged."""

import pytest
from django.contrib.auth.models import Permission

from rightsholders.models import Membership, Organisation
from takedown.models import CounterNotice, ErasureRecord, PersonalDataAccess
from takedown.privacy import (
    PERSONAL_FIELDS,
    mask_address,
    mask_email,
    mask_name,
    mask_phone,
)
from takedown.services.evidence import ledger_verify
from takedown.services.remedies import counter_notice_file
from tests.listings.factories import SellerFactory
from tests.rightsholders.factories import MembershipFactory
from tests.takedown.test_remedies import objection, removed_case

pytestmark = pytest.mark.django_db


def test_each_kind_of_personal_value_is_masked_as_the_inventory_says():
    assert mask_email("jane.doe@example.com") == "j***@e***.com"
    assert mask_phone("+49 30 1234 5612") == "+49 *** *** 12"
    assert mask_phone("030 1234 5612") == "*** *** 12"
    assert mask_address("1 Market Street, 69001 Lyon, FR") == "***, FR"
    assert mask_address("Hauptstraße 5") == "***"
    assert mask_name("jane van doe") == "J. V. D."


def test_the_registry_names_the_fields_of_real_models():
    from django.apps import apps

    for label, fields in PERSONAL_FIELDS.items():
        model = apps.get_model(label)
        for name in fields:
            model._meta.get_field(name)


@pytest.fixture
def objected_case(world):
    seller = SellerFactory(
        platform=world.platform_a.platform,
        contact_name="Sam Seller",
        contact_email="shop@seller.example",
    )
    case = removed_case(world, seller)
    counter_notice_file(case=case, data=objection(seller_phone="+33 4 78 00 00 42"))
    return case


def test_a_moderator_sees_the_case_s_personal_data_and_the_view_is_logged_once(
    client, world, objected_case
):
    # given the platform's moderator
    client.force_login(world.platform_a.moderator)
    # when it opens the case page
    response = client.get(f"/cases/{objected_case.pk}/")
    # then the seller's contact and the counter-notice's sender are shown in full
    body = response.content.decode()
    assert response.status_code == 200
    for value in ("shop@seller.example", "Sam Seller", "1 Market Street, Lyon, FR"):
        assert value in body
    assert "+33 4 78 00 00 42" in body
    # and exactly one access row names who, which page and which fields
    access = PersonalDataAccess.objects.get()
    assert access.user == world.platform_a.moderator
    assert access.path == f"/cases/{objected_case.pk}/"
    assert access.view_name == "cases:detail"
    assert {(o["model"], tuple(o["fields"])) for o in access.shown} == {
        ("listings.seller", ("contact_email", "contact_name")),
        (
            "takedown.counternotice",
            ("seller_address", "seller_email", "seller_name", "seller_phone"),
        ),
    }


def test_the_notifier_sees_the_same_case_masked_and_nothing_is_logged(client, world, objected_case):
    # given the rights holder who filed the complaint
    client.force_login(world.holder_a.member)
    # when it opens the case page
    response = client.get(f"/cases/{objected_case.pk}/")
    # then the store's contact and the counter-notice's sender are masked
    body = response.content.decode()
    assert response.status_code == 200
    for value in ("shop@seller.example", "Sam Seller", "1 Market Street", "00 00 42"):
        assert value not in body
    for masked in ("s***@s***.example", "S. S.", "***, FR", "+33 *** *** 42"):
        assert masked in body
    # and no access is logged
    assert PersonalDataAccess.objects.count() == 0


def test_a_moderator_of_another_platform_never_gets_the_page(client, world, objected_case):
    client.force_login(world.platform_b.moderator)
    response = client.get(f"/cases/{objected_case.pk}/")
    assert response.status_code == 404
    assert PersonalDataAccess.objects.count() == 0


def test_the_notifier_sees_its_own_notice_and_the_operator_moderator_s_view_is_logged(
    client, world, objected_case
):
    reference = objected_case.complaint.reference
    # given the notifier's own organisation: its own notice, unmasked, not logged
    client.force_login(world.holder_a.admin)
    assert "ada@holder-a.example" in client.get(f"/complaints/{reference}/").content.decode()
    assert PersonalDataAccess.objects.count() == 0
    # when the operator's moderator opens the notice
    client.force_login(world.operator_moderator)
    body = client.get(f"/complaints/{reference}/").content.decode()
    # then it sees the notifier and the view is logged
    assert "ada@holder-a.example" in body
    access = PersonalDataAccess.objects.get()
    assert access.user == world.operator_moderator
    assert access.shown == [
        {
            "model": "takedown.complaint",
            "id": objected_case.complaint_id,
            "fields": ["notifier_email", "notifier_name", "signature"],
        }
    ]


def test_the_access_log_is_shown_read_only_to_the_operator_s_moderators_only(
    client, world, objected_case
):
    # given a logged view of the case by its platform's moderator
    client.force_login(world.platform_a.moderator)
    client.get(f"/cases/{objected_case.pk}/")
    operator, platform_moderator = world.operator_moderator, world.platform_a.moderator
    for user in (operator, platform_moderator):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    # when the operator's moderator opens the log in the admin
    client.force_login(operator)
    response = client.get("/admin/takedown/personaldataaccess/")
    # then it lists the view, without a way to add or delete entries
    assert response.status_code == 200
    assert f"/cases/{objected_case.pk}/" in response.content.decode()
    assert client.get("/admin/takedown/personaldataaccess/add/").status_code == 403
    # and a platform's moderator, staff or not, cannot read it
    client.force_login(platform_moderator)
    assert client.get("/admin/takedown/personaldataaccess/").status_code == 403


def test_the_operator_s_moderator_erases_a_counter_notice_sender_from_the_admin(
    client, world, objected_case
):
    # given the operator's moderator, staff allowed to read counter-notices in the admin
    operator = world.operator_moderator
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    operator.user_permissions.add(Permission.objects.get(codename="view_counternotice"))
    notice = CounterNotice.objects.get(case=objected_case)
    client.force_login(operator)
    # when it picks the action, then gives the reason on the page that asks for it
    form = {"action": "erase_counter_notice_senders", "_selected_action": [notice.pk]}
    asked = client.post("/admin/takedown/counternotice/", form)
    assert "Why (the request, its date, who made it)" in asked.content.decode()
    client.post(
        "/admin/takedown/counternotice/",
        {**form, "apply": "1", "reason": "Sender's request of 2026-12-02"},
    )
    # then the sender's fields are tombstones, the erasure is recorded, the ledger verifies
    notice.refresh_from_db()
    assert notice.seller_email.startswith("[erased ")
    assert notice.seller_phone.startswith("[erased ")
    record = ErasureRecord.objects.get()
    assert (record.erased_by, record.reason) == (operator, "Sender's request of 2026-12-02")
    assert ledger_verify().ok


def test_the_api_masks_the_notifier_for_operator_staff_who_are_not_moderators(
    client, world, objected_case
):
    reference = objected_case.complaint.reference
    path = f"/api/v1/complaints/{reference}"
    # the notifier's own organisation: its notice as filed, not logged
    client.force_login(world.holder_a.member)
    assert client.get(path).json()["notifier_email"] == "ada@holder-a.example"
    # the operator's staff who do not moderate: masked
    clerk = MembershipFactory(
        organisation=Organisation.objects.get(slug="operator"), role=Membership.Role.MEMBER
    ).user
    client.force_login(clerk)
    answer = client.get(path).json()
    assert (answer["notifier_name"], answer["notifier_email"]) == ("A. B.", "a***@h***.example")
    assert PersonalDataAccess.objects.count() == 0
    # the operator's moderator: in full, and logged once
    client.force_login(world.operator_moderator)
    assert client.get(path).json()["notifier_email"] == "ada@holder-a.example"
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.path) == (world.operator_moderator, path)


def test_staff_reading_counter_notices_in_the_admin_is_logged(client, world, objected_case):
    # given staff allowed to read counter-notices in the admin
    operator = world.operator_moderator
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    operator.user_permissions.add(Permission.objects.get(codename="view_counternotice"))
    notice = CounterNotice.objects.get(case=objected_case)
    client.force_login(operator)
    # when it opens the list and then the counter-notice
    assert client.get("/admin/takedown/counternotice/").status_code == 200
    assert client.get(f"/admin/takedown/counternotice/{notice.pk}/change/").status_code == 200
    # then each page is logged, naming the object when there is one
    shown = [a.shown for a in PersonalDataAccess.objects.order_by("pk")]
    fields = sorted(["seller_name", "seller_email", "seller_address", "seller_phone", "signature"])
    assert shown == [
        [{"model": "takedown.counternotice", "id": None, "fields": fields}],
        [{"model": "takedown.counternotice", "id": notice.pk, "fields": fields}],
    ]
