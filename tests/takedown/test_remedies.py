"""After a decision: counter-notices and restoration, appeals, strikes, misuse, trusted flaggers."""

import datetime

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from listings.models import Platform
from rightsholders.models import Organisation
from takedown.errors import DomainError, NotPermitted, TransitionNotAllowed
from takedown.models import Case, CaseEvent, PlatformDecision
from takedown.models.remedies import Appeal, CounterNotice, SellerWarning, Strike
from takedown.services.cases import Decision, case_decide
from takedown.services.complaints import complaint_file
from takedown.services.remedies import (
    CounterNoticeData,
    appeal_decide,
    appeal_file,
    counter_notice_file,
    counter_notice_report_action,
    counter_notice_window_end,
    counter_notices_restore_due,
    seller_case,
    seller_link,
    trusted_flagger_designate,
    trusted_flaggers_recompute_accuracy,
)
from takedown.states import CaseStatus
from tests.files import pdf_bytes, png_bytes
from tests.listings.factories import ListingFactory, SellerFactory
from tests.takedown.test_complaints import data

pytestmark = pytest.mark.django_db

REMOVE = Decision("remove", "Counterfeit: copied logo, sold at a tenth of the price.")


def objection(**overrides) -> CounterNoticeData:
    values = {
        "seller_name": "Sam Seller",
        "seller_email": "sam@shop.example",
        "seller_address": "1 Market Street, Lyon, FR",
        "statement": "These are genuine bags bought from the brand's distributor; invoice attached.",
        "good_faith": True,
        "consent_to_jurisdiction": True,
        "signature": "Sam Seller",
    }
    values.update(overrides)
    return CounterNoticeData(**values)


@pytest.fixture
def seller(world):
    return SellerFactory(platform=world.platform_a.platform, contact_email="shop@seller.example")


def removed_case(world, seller, title="BRANDA bag") -> Case:
    listing = ListingFactory(platform=world.platform_a.platform, seller=seller, title=title)
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
    )
    case = complaint.cases.get()
    return case_decide(actor=world.platform_a.moderator, case=case, decision=REMOVE)


def test_the_seller_is_sent_the_statement_with_a_private_link(
    world, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = removed_case(world, seller)
    (to_seller,) = [m for m in mail.outbox if m.to == ["shop@seller.example"]]
    assert "Regulation (EU) 2017/1001" in to_seller.body
    assert "Facts and circumstances:" in to_seller.body
    link = next(line for line in to_seller.body.splitlines() if "/respond/" in line)
    assert link.startswith("http://127.0.0.1:8000/respond/")
    token = link.rstrip("/").split("/")[-1]
    assert seller_case(token) == case
    with pytest.raises(DomainError, match="not valid"):
        seller_case(token + "x")


def test_a_counter_notice_opens_the_window_and_an_unanswered_window_restores(
    world, seller, django_capture_on_commit_callbacks
):
    case = removed_case(world, seller)
    assert Strike.objects.filter(seller=seller, withdrawn_at=None).count() == 1
    with pytest.raises(DomainError, match="Sign with your name"):
        counter_notice_file(case=case, data=objection(signature="S."))
    with django_capture_on_commit_callbacks(execute=True):
        notice = counter_notice_file(case=case, data=objection())
    # the notifier gets the declaration and the deadline: China's 15 days by default
    assert notice.window_ends_at - notice.created_at == pytest.approx(
        datetime.timedelta(days=15), abs=datetime.timedelta(seconds=5)
    )
    forwarded = [
        m for m in mail.outbox if m.to == ["ada@holder-a.example"] and "objects" in m.subject
    ]
    assert forwarded and "genuine bags" in forwarded[0].body
    assert Case.objects.get(pk=case.pk).status == CaseStatus.COUNTER_NOTICED
    # nothing happens before the window closes; after it, the listing is restored once
    assert counter_notices_restore_due() == 0
    later = timezone.now() + datetime.timedelta(days=16)
    assert counter_notices_restore_due(now=later) == 1
    assert counter_notices_restore_due(now=later) == 0
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESTORED
    # and the strike it caused is withdrawn
    assert Strike.objects.filter(seller=seller, withdrawn_at=None).count() == 0
    assert list(case.events.order_by("created_at", "pk").values_list("action", flat=True))[-2:] == [
        "counter_notice",
        "restore",
    ]


def test_a_reported_court_action_keeps_the_measure(world, seller):
    case = removed_case(world, seller)
    counter_notice_file(case=case, data=objection())
    with pytest.raises(NotPermitted):
        counter_notice_report_action(actor=world.holder_b.member, case=case, reference="x")
    counter_notice_report_action(
        actor=world.holder_a.member, case=case, reference="Tribunal judiciaire de Paris RG 26/1234"
    )
    assert counter_notices_restore_due(now=timezone.now() + datetime.timedelta(days=30)) == 0
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_COURT


def test_the_dmca_window_counts_business_days():
    platform = Platform(counter_notice_regime=Platform.CounterNoticeRegime.DMCA)
    friday = datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)
    # ten business days from a Friday: two weekends skipped
    assert counter_notice_window_end(platform, friday) == datetime.datetime(
        2026, 12, 4, 12, tzinfo=datetime.UTC
    )
    own = Platform(counter_notice_regime=Platform.CounterNoticeRegime.OWN, counter_notice_days=7)
    assert counter_notice_window_end(own, friday) - friday == datetime.timedelta(days=7)


def test_a_seller_s_appeal_is_decided_by_another_moderator_and_reverses_the_removal(world, seller):
    case = removed_case(world, seller)
    appeal = appeal_file(case=case, by="seller", statement="I sell second-hand genuine goods.")
    with pytest.raises(DomainError, match="waiting already"):
        appeal_file(case=case, by="seller", statement="Again.")
    with pytest.raises(NotPermitted, match="another moderator decides"):
        appeal_decide(actor=world.platform_a.moderator, appeal=appeal, uphold=True, reason="x")
    appeal_decide(
        actor=world.operator_moderator, appeal=appeal, uphold=True, reason="Invoice proves resale."
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESTORED
    assert not Strike.objects.filter(case=case, withdrawn_at=None).exists()
    assert Appeal.objects.get(pk=appeal.pk).status == "upheld"


def test_a_notifier_s_appeal_against_a_rejection_removes_the_listing_with_a_strike(world, seller):
    listing = ListingFactory(platform=world.platform_a.platform, seller=seller, title="BRANDA belt")
    case = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
    ).cases.get()
    case_decide(
        actor=world.platform_a.moderator, case=case, decision=Decision("reject", "Looks genuine.")
    )
    with pytest.raises(DomainError, match="cannot be appealed by the seller"):
        appeal_file(case=case, by="seller", statement="?")
    appeal = appeal_file(
        case=case, by="notifier", actor=world.holder_a.member, statement="Test purchase: fake."
    )
    appeal_decide(
        actor=world.operator_moderator, appeal=appeal, uphold=True, reason="The test buy is fake."
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REMOVED and case.decided_by == world.operator_moderator
    assert case.statements.count() == 1
    assert Strike.objects.filter(case=case, withdrawn_at=None).count() == 1


def test_appeals_are_open_for_six_months(world, seller):
    case = removed_case(world, seller)
    Case.objects.filter(pk=case.pk).update(decided_at=timezone.now() - datetime.timedelta(days=200))
    with pytest.raises(DomainError, match="six months"):
        appeal_file(case=Case.objects.get(pk=case.pk), by="seller", statement="Late.")


def test_three_strikes_recommend_the_seller_s_suspension_and_a_reversal_withdraws_it(
    world, seller, settings
):
    settings.TAKEDOWN_STRIKES_TO_SUSPEND = 3
    cases = [removed_case(world, seller, title=f"BRANDA bag {n}") for n in range(3)]
    seller.refresh_from_db()
    assert seller.suspension_recommended_at is not None
    assert CaseEvent.objects.filter(case=cases[2], action="suspension_recommended").exists()
    appeal = appeal_file(case=cases[0], by="seller", statement="Genuine.")
    appeal_decide(actor=world.operator_moderator, appeal=appeal, uphold=True, reason="Genuine.")
    seller.refresh_from_db()
    assert seller.suspension_recommended_at is None
    # two strikes remain: the warning given at two still stands
    assert SellerWarning.objects.get(seller=seller).withdrawn_at is None


def test_manifestly_unfounded_notices_warn_then_suspend_the_notifier(world, seller, settings):
    settings.TAKEDOWN_MISUSE_WARN = 2
    settings.TAKEDOWN_MISUSE_SUSPEND = 3
    unfounded = Decision("reject", "Not the mark at all.", manifestly_unfounded=True)
    for n in range(3):
        listing = ListingFactory(platform=world.platform_a.platform, seller=seller)
        case = complaint_file(
            actor=world.holder_a.member,
            rights_holder=world.holder_a.organisation,
            right_ids=[world.holder_a.rights[0].pk],
            listing_ids=[listing.pk],
            data=data(),
        ).cases.get()
        case_decide(actor=world.platform_a.moderator, case=case, decision=unfounded)
        holder = Organisation.objects.get(pk=world.holder_a.organisation.pk)
        if n == 1:
            assert holder.misuse_warned_at is not None and holder.filing_suspended_until is None
    assert holder.filing_suspended_until > timezone.now()
    assert "manifestly unfounded" in holder.filing_suspension_reason
    with pytest.raises(NotPermitted, match="may not file complaints until"):
        complaint_file(
            actor=world.holder_a.member,
            rights_holder=holder,
            right_ids=[world.holder_a.rights[0].pk],
            listing_ids=[ListingFactory(platform=world.platform_a.platform).pk],
            data=data(),
        )


def test_only_the_operator_designates_trusted_flaggers(world):
    with pytest.raises(NotPermitted):
        trusted_flagger_designate(
            actor=world.holder_a.admin, organisation=world.holder_a.organisation, trusted=True
        )
    org = trusted_flagger_designate(
        actor=world.operator_moderator, organisation=world.holder_a.organisation, trusted=True
    )
    assert org.trusted_flagger_since is not None


def test_the_seller_objects_through_its_link_without_an_account(client, world, seller):
    case = removed_case(world, seller)
    url = seller_link(case)
    page = client.get(url)
    assert page.status_code == 200 and "Statement of reasons" in page.content.decode()
    assert page["X-Robots-Tag"] == "noindex"
    refused = client.post(
        url,
        {
            "what": "counter_notice",
            "seller_name": "Sam",
            "seller_address": "Lyon",
            "statement": "Genuine.",
            "signature": "Sam",
            "seller_email": "sam@",
        },
    )
    assert refused.status_code == 400 and "Give a valid email" in refused.content.decode()
    sent = client.post(
        url,
        {
            "what": "counter_notice",
            "seller_name": "Sam Seller",
            "seller_email": "sam@shop.example",
            "seller_address": "1 Market Street, Lyon",
            "statement": "Genuine goods from the distributor.",
            "good_faith": "on",
            "consent_to_jurisdiction": "on",
            "signature": "Sam Seller",
        },
        follow=True,
    )
    assert "You objected on" in sent.content.decode()
    assert CounterNotice.objects.filter(case=case).exists()
    assert client.get(url + "tampered/").status_code == 404
    assert client.get(reverse("respond", args=["nonsense"])).status_code == 404


def test_a_decided_measure_cannot_be_objected_to_twice(world, seller):
    case = removed_case(world, seller)
    counter_notice_file(case=case, data=objection())
    with pytest.raises(TransitionNotAllowed):
        counter_notice_file(case=Case.objects.get(pk=case.pk), data=objection())


def test_a_notice_upheld_on_appeal_no_longer_counts_as_unfounded(world, seller):
    listing = ListingFactory(platform=world.platform_a.platform, seller=seller)
    case = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
    ).cases.get()
    case_decide(
        actor=world.platform_a.moderator,
        case=case,
        decision=Decision("reject", "Nothing like the mark.", manifestly_unfounded=True),
    )
    appeal = appeal_file(case=case, by="notifier", actor=world.holder_a.member, statement="It is.")
    appeal_decide(actor=world.operator_moderator, appeal=appeal, uphold=True, reason="It is.")
    assert Case.objects.get(pk=case.pk).manifestly_unfounded is False


def test_a_seller_s_waiting_appeal_closes_when_the_window_restores_the_listing(world, seller):
    case = removed_case(world, seller)
    appeal = appeal_file(case=case, by="seller", statement="Genuine goods.")
    counter_notice_file(case=Case.objects.get(pk=case.pk), data=objection())
    counter_notices_restore_due(now=timezone.now() + datetime.timedelta(days=16))
    appeal.refresh_from_db()
    assert appeal.status == "moot" and "restored" in appeal.decision_reason


def test_a_trusted_flagger_s_accuracy_counts_the_notices_its_agents_filed(world, seller):
    # given holder A is a trusted flagger whose agent filed two notices and its staff one
    holder = world.holder_a.organisation
    trusted_flagger_designate(actor=world.operator_moderator, organisation=holder, trusted=True)
    agent = trusted_flagger_designate(
        actor=world.operator_moderator, organisation=world.agent.organisation, trusted=True
    )
    cases = []
    for who in (world.agent.member, world.agent.member, world.holder_a.member):
        listing = ListingFactory(platform=world.platform_a.platform, seller=seller)
        cases.append(
            complaint_file(
                actor=who,
                rights_holder=holder,
                right_ids=[world.holder_a.rights[0].pk],
                listing_ids=[listing.pk],
                data=data(),
            ).cases.get()
        )
    # when the agent's first notice is upheld (then objected to), its second rejected,
    # and the staff's notice upheld
    moderator = world.platform_a.moderator
    case_decide(actor=moderator, case=cases[0], decision=REMOVE)
    counter_notice_file(case=Case.objects.get(pk=cases[0].pk), data=objection())
    case_decide(actor=moderator, case=cases[1], decision=Decision("reject", "Genuine goods."))
    case_decide(actor=moderator, case=cases[2], decision=REMOVE)
    assert trusted_flaggers_recompute_accuracy() == 2
    # then the rights holder's accuracy counts all three notices, the agent's its own two
    holder.refresh_from_db()
    agent.refresh_from_db()
    assert holder.trusted_flagger_accuracy == pytest.approx(2 / 3)
    assert agent.trusted_flagger_accuracy == pytest.approx(1 / 2)


def removed_cases_of_one_complaint(world, seller, count: int) -> list[Case]:
    listings = [
        ListingFactory(platform=world.platform_a.platform, seller=seller, title=f"BRANDA bag {n}")
        for n in range(count)
    ]
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk for listing in listings],
        data=data(),
    )
    return [
        case_decide(actor=world.platform_a.moderator, case=case, decision=REMOVE)
        for case in complaint.cases.order_by("pk")
    ]


def reverse_on_appeal(world, case: Case) -> None:
    appeal = appeal_file(case=Case.objects.get(pk=case.pk), by="seller", statement="Genuine.")
    appeal_decide(actor=world.operator_moderator, appeal=appeal, uphold=True, reason="Genuine.")


def test_one_complaint_against_a_store_is_one_strike_until_its_last_case_is_reversed(
    world, seller, settings
):
    settings.TAKEDOWN_STRIKES_TO_SUSPEND = 3
    # given one complaint covering five listings of one store, all removed
    cases = removed_cases_of_one_complaint(world, seller, 5)
    # then the store has one strike, not five, and nothing is recommended
    assert Strike.objects.filter(seller=seller, withdrawn_at=None).count() == 1
    seller.refresh_from_db()
    assert seller.suspension_recommended_at is None
    assert not SellerWarning.objects.filter(seller=seller).exists()
    # when four of the five are reversed, the strike still rests on the fifth
    for case in cases[:4]:
        reverse_on_appeal(world, case)
    assert Strike.objects.filter(seller=seller, withdrawn_at=None).count() == 1
    # and when the last is reversed too, it is withdrawn
    reverse_on_appeal(world, cases[4])
    assert Strike.objects.filter(seller=seller, withdrawn_at=None).count() == 0


def test_the_seller_is_warned_before_its_suspension_is_recommended(
    world, seller, settings, django_capture_on_commit_callbacks
):
    settings.TAKEDOWN_STRIKES_TO_SUSPEND = 3
    # given a store with one upheld complaint: no warning yet
    removed_case(world, seller, title="BRANDA bag 1")
    assert not SellerWarning.objects.filter(seller=seller).exists()
    # when a second complaint against it is upheld (one below the suspension)
    with django_capture_on_commit_callbacks(execute=True):
        second = removed_case(world, seller, title="BRANDA bag 2")
    # then the seller is warned by email and the platform is told, but no suspension yet
    warning = SellerWarning.objects.get(seller=seller)
    assert warning.active_strikes == 2 and warning.case == second
    (email,) = [m for m in mail.outbox if m.subject.startswith("Warning about your listings")]
    assert email.to == ["shop@seller.example"] and "DSA Art. 23(1)" in email.body
    told = PlatformDecision.objects.filter(case=second).order_by("sequence")
    assert [d.type for d in told] == ["case.removed", "seller.warned"]
    assert told[1].payload["seller"]["external_id"] == seller.external_id
    assert told[1].needs_execution is False
    seller.refresh_from_db()
    assert seller.suspension_recommended_at is None
    # when a third complaint is upheld, the suspension is recommended to the platform
    third = removed_case(world, seller, title="BRANDA bag 3")
    seller.refresh_from_db()
    assert seller.suspension_recommended_at is not None
    recommended = PlatformDecision.objects.get(case=third, type="seller.suspension_recommended")
    assert recommended.payload["seller"]["warned_at"] == warning.created_at.isoformat()
    assert list(
        CaseEvent.objects.filter(action__in=["seller_warned", "suspension_recommended"])
        .order_by("pk")
        .values_list("case", "action")
    ) == [(second.pk, "seller_warned"), (third.pk, "suspension_recommended")]


def test_reaching_the_suspension_without_a_warning_brings_the_warning_first(
    world, seller, settings
):
    # given a policy that warns only at the suspension threshold
    settings.TAKEDOWN_STRIKES_TO_SUSPEND = 2
    settings.TAKEDOWN_STRIKES_TO_WARN = 2
    removed_case(world, seller, title="BRANDA bag 1")
    # when the second strike reaches the threshold, the seller is warned, not suspended
    removed_case(world, seller, title="BRANDA bag 2")
    seller.refresh_from_db()
    assert SellerWarning.objects.filter(seller=seller).count() == 1
    assert seller.suspension_recommended_at is None
    # and the next strike, after the warning, recommends the suspension
    removed_case(world, seller, title="BRANDA bag 3")
    seller.refresh_from_db()
    assert seller.suspension_recommended_at is not None


@pytest.fixture
def dmca(world):
    platform = world.platform_a.platform
    platform.counter_notice_regime = Platform.CounterNoticeRegime.DMCA
    platform.save(update_fields=["counter_notice_regime"])
    return platform


def test_a_dmca_counter_notice_needs_the_phone_and_the_sworn_statements(
    world, seller, dmca, django_capture_on_commit_callbacks
):
    case = removed_case(world, seller)
    # a counter-notice without what 512(g)(3) asks is refused, naming the field
    for missing, field in (
        ({"seller_phone": ""}, "seller_phone"),
        ({"seller_address": " "}, "seller_address"),
        ({"consent_to_jurisdiction": False}, "consent_to_jurisdiction"),
        ({"good_faith": False}, "good_faith"),
    ):
        with pytest.raises(DomainError) as refused:
            counter_notice_file(
                case=case, data=objection(**{"seller_phone": "+1 555 0100", **missing})
            )
        assert refused.value.field == field
    assert not CounterNotice.objects.exists()
    # a complete one, with evidence, is accepted and forwarded with its files named
    invoice = SimpleUploadedFile("invoice.pdf", pdf_bytes(), "application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        notice = counter_notice_file(
            case=case, data=objection(seller_phone="+1 555 0100"), evidence=[invoice]
        )
    (item,) = notice.evidence
    assert item["name"] == "invoice.pdf" and len(item["sha256"]) == 64
    assert default_storage.exists(item["path"])
    (forwarded,) = [m for m in mail.outbox if "objects" in m.subject]
    assert "invoice.pdf" in forwarded.body and "+1 555 0100" in forwarded.body


def test_evidence_that_is_not_a_pdf_or_an_image_is_refused(world, seller):
    case = removed_case(world, seller)
    fake = SimpleUploadedFile("invoice.pdf", b"not a pdf at all", "application/pdf")
    with pytest.raises(DomainError) as refused:
        counter_notice_file(case=case, data=objection(), evidence=[fake])
    assert refused.value.field == "evidence"
    with pytest.raises(DomainError) as refused:
        appeal_file(case=case, by="seller", statement="Genuine.", evidence=[fake])
    assert refused.value.field == "evidence"
    assert not CounterNotice.objects.exists() and not Appeal.objects.exists()


def test_the_seller_page_refuses_a_dmca_counter_notice_without_a_phone_and_takes_evidence(
    client, world, seller, dmca
):
    case = removed_case(world, seller)
    url = seller_link(case)
    form = {
        "what": "counter_notice",
        "seller_name": "Sam Seller",
        "seller_email": "sam@shop.example",
        "seller_address": "1 Main Street, Springfield, IL",
        "statement": "Genuine goods from the distributor.",
        "good_faith": "on",
        "consent_to_jurisdiction": "on",
        "signature": "Sam Seller",
    }
    page = client.get(url).content.decode()
    assert "Federal District Court" in page and "penalty of perjury" in page
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert "telephone number (DMCA 512(g)(3)(D))" in refused.content.decode()
    sent = client.post(
        url,
        {
            **form,
            "seller_phone": "+1 555 0100",
            "evidence": SimpleUploadedFile("invoice.png", png_bytes(), "image/png"),
        },
    )
    assert sent.status_code == 302
    assert CounterNotice.objects.get(case=case).evidence[0]["name"] == "invoice.png"
    # the moderator and the notifier see the objection and its evidence on the case page
    for who in (world.platform_a.moderator, world.holder_a.member):
        client.force_login(who)
        body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert "invoice.png" in body and "Genuine goods from the distributor." in body


def test_the_notifier_appeals_through_the_api_with_evidence(client, world, seller):
    listing = ListingFactory(platform=world.platform_a.platform, seller=seller)
    case = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        right_ids=[world.holder_a.rights[0].pk],
        listing_ids=[listing.pk],
        data=data(),
    ).cases.get()
    case_decide(actor=world.platform_a.moderator, case=case, decision=Decision("reject", "No."))
    client.force_login(world.holder_a.member)
    url = reverse("api-case-appeal", args=[case.pk])
    refused = client.post(
        url,
        {"statement": "Fake.", "evidence": SimpleUploadedFile("buy.pdf", b"x", "application/pdf")},
    )
    assert refused.status_code == 400 and "evidence" in refused.json()
    filed = client.post(
        url,
        {
            "statement": "Our test purchase shows a fake.",
            "evidence": SimpleUploadedFile("test-buy.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    assert filed.status_code == 201, filed.content
    (item,) = filed.json()["evidence"]
    assert item["name"] == "test-buy.pdf" and "path" not in item
    client.force_login(world.operator_moderator)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "test-buy.pdf" in body
