"""Tenant A, in every role, reaches nothing of tenant B through any URL of the project.

The URL patterns are read from the resolver, so a URL added later without a
row here fails ``test_every_url_pattern_is_in_the_matrix``. Each object URL is
filled with an object of rights holder B or platform B and requested by every
role of tenant A (people of rights holder A, of its agent, of platform A, and
platform A's API token): each answer is a 403 or a 404. Strangers are sent to
the login page (pages) or refused with 401/403 (API). The owner of the object
opens each GET URL with a 200, so a 404 here is tenancy, not a wrong URL.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from listings.models import ListingImage
from listings.services.scanning import listings_scan
from listings.services.tokens import platform_token_create
from rightsholders.models import Organisation
from takedown.models import Appeal, PlatformDecision
from takedown.services.cases import case_decide
from takedown.services.complaints import complaint_file
from takedown.services.remedies import appeal_file
from takedown.services.webhooks import webhook_endpoint_create, webhook_endpoint_ping
from takedown.states import RightStatus
from tests.listings.factories import ListingFactory
from tests.listings.test_console import FeedBatchFactory
from tests.rightsholders.factories import (
    AgentAuthorisationFactory,
    AuthorisedSellerFactory,
    OrganisationFactory,
    ProofDocumentFactory,
    RightFactory,
)
from tests.takedown.test_complaints import data
from tests.takedown.test_webhooks import REMOVE

pytestmark = pytest.mark.django_db


def url_patterns(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """Every (name, route) of the project, names with their namespaces."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or ''}", prefix + str(entry.pattern)


@dataclass(frozen=True)
class Row:
    """How to reach one object URL of tenant B: method, path and who owns it."""

    method: str
    path: Callable[[dict], str]
    owner: str  # key of the client that may GET it: holder_b, platform_b, token_b, moderator_b


def get(path: Callable[[dict], str], owner: str) -> Row:
    return Row("get", path, owner)


def post(path: Callable[[dict], str]) -> Row:
    return Row("post", path, "")


# name -> request with the objects of tenant B (see ``b_objects``)
OBJECT_URLS: dict[str, Row] = {
    # Rights registry of holder B.
    "rightsholders:right-detail": get(lambda o: f"/rights/{o['right'].pk}/", "holder_b"),
    "rightsholders:right-edit": get(lambda o: f"/rights/{o['right'].pk}/edit/", "holder_b"),
    "rightsholders:right-scanning": get(lambda o: f"/rights/{o['right'].pk}/scanning/", "holder_b"),
    "rightsholders:right-sensitivity": post(lambda o: f"/rights/{o['right'].pk}/sensitivity/"),
    "rightsholders:right-verify": post(lambda o: f"/rights/{o['new'].pk}/verify/"),
    "rightsholders:right-reject": post(lambda o: f"/rights/{o['new'].pk}/reject/"),
    "rightsholders:right-suspend": post(lambda o: f"/rights/{o['right'].pk}/suspend/"),
    "rightsholders:right-reinstate": post(lambda o: f"/rights/{o['suspended'].pk}/reinstate/"),
    "rightsholders:right-image": get(
        lambda o: f"/rights/{o['design'].pk}/images/{o['image'].pk}/", "holder_b"
    ),
    "rightsholders:right-image-remove": post(
        lambda o: f"/rights/{o['design'].pk}/images/{o['image'].pk}/remove/"
    ),
    "rightsholders:proof-document": get(
        lambda o: f"/rights/{o['right'].pk}/documents/{o['document'].pk}/", "holder_b"
    ),
    "rightsholders:authorisation-revoke": post(
        lambda o: f"/rights/authorisations/{o['authorisation'].pk}/revoke/"
    ),
    "rightsholders:authorisation-letter": get(
        lambda o: f"/rights/authorisations/{o['authorisation'].pk}/letter/", "holder_b"
    ),
    "rightsholders:authorised-seller-remove": post(
        lambda o: f"/rights/authorised-sellers/{o['seller'].pk}/remove/"
    ),
    "api-right-detail": get(lambda o: f"/api/v1/rights/{o['right'].pk}", "holder_b"),
    # Listings, feeds, tokens and webhooks of platform B.
    "listings:listing-detail": get(lambda o: f"/listings/{o['listing'].pk}/", "platform_b"),
    "listings:console-token-create": post(
        lambda o: f"/listings/console/platforms/{o['platform'].pk}/tokens/"
    ),
    "listings:console-token-revoke": post(
        lambda o: f"/listings/console/tokens/{o['token'].pk}/revoke/"
    ),
    "listings:console-feed-detail": get(
        lambda o: f"/listings/console/feeds/{o['feed'].pk}/", "platform_b"
    ),
    "listings:console-feed-row": get(
        lambda o: f"/listings/console/feeds/{o['feed'].pk}/row/", "platform_b"
    ),
    "listings:console-webhooks": get(
        lambda o: f"/listings/console/platforms/{o['platform'].pk}/webhooks/", "platform_b"
    ),
    "listings:console-webhook-create": post(
        lambda o: f"/listings/console/platforms/{o['platform'].pk}/webhooks/add/"
    ),
    "listings:console-webhook-rotate": post(
        lambda o: f"/listings/console/webhooks/{o['webhook'].pk}/rotate-secret/"
    ),
    "listings:console-webhook-disable": post(
        lambda o: f"/listings/console/webhooks/{o['webhook'].pk}/disable/"
    ),
    "listings:console-webhook-ping": post(
        lambda o: f"/listings/console/webhooks/{o['webhook'].pk}/test/"
    ),
    "listings:console-delivery-retry": post(
        lambda o: f"/listings/console/deliveries/{o['delivery'].pk}/retry/"
    ),
    "api-feed-detail": get(lambda o: f"/api/v1/feeds/{o['feed'].pk}", "token_b"),
    "api-decision-executed": post(lambda o: f"/api/v1/decisions/{o['decision'].event_id}/executed"),
    "api-listing-detail": get(lambda o: f"/api/v1/listings/{o['listing'].external_id}", "token_b"),
    "api-webhook-detail": get(lambda o: f"/api/v1/webhooks/{o['webhook'].pk}", "token_b"),
    "api-webhook-rotate-secret": post(
        lambda o: f"/api/v1/webhooks/{o['webhook'].pk}/rotate-secret"
    ),
    "api-webhook-disable": post(lambda o: f"/api/v1/webhooks/{o['webhook'].pk}/disable"),
    "api-webhook-ping": post(lambda o: f"/api/v1/webhooks/{o['webhook'].pk}/ping"),
    "api-webhook-delivery-list": get(
        lambda o: f"/api/v1/webhooks/{o['webhook'].pk}/deliveries", "token_b"
    ),
    "api-webhook-delivery-retry": post(
        lambda o: f"/api/v1/webhooks/{o['webhook'].pk}/deliveries/{o['delivery'].event_id}/retry"
    ),
    # Detections of holder B's rights.
    "detections:detail": get(lambda o: f"/detections/{o['detection'].pk}/", "holder_b"),
    # (owner not checked: the image is served only once fetched, which needs a file)
    "detections:listing-image": get(
        lambda o: f"/detections/{o['detection'].pk}/images/{o['listing_image'].pk}/", ""
    ),
    "api-detection-detail": get(lambda o: f"/api/v1/detections/{o['detection'].pk}", "holder_b"),
    # Holder B's complaint and its cases on platform B.
    "complaints:detail": get(lambda o: f"/complaints/{o['complaint'].reference}/", "holder_b"),
    "complaints:case-answer": post(lambda o: f"/complaints/cases/{o['open_case'].pk}/answer/"),
    "api-complaint-detail": get(
        lambda o: f"/api/v1/complaints/{o['complaint'].reference}", "holder_b"
    ),
    "cases:detail": get(lambda o: f"/cases/{o['open_case'].pk}/", "moderator_b"),
    "cases:act": post(lambda o: f"/cases/{o['open_case'].pk}/act/"),
    "api-case-detail": get(lambda o: f"/api/v1/cases/{o['open_case'].pk}", "moderator_b"),
    "api-case-decide": post(lambda o: f"/api/v1/cases/{o['open_case'].pk}/decide"),
    "api-case-release": post(lambda o: f"/api/v1/cases/{o['open_case'].pk}/release"),
    "api-case-answer": post(lambda o: f"/api/v1/cases/{o['open_case'].pk}/answer"),
    "api-case-court-action": post(lambda o: f"/api/v1/cases/{o['decided_case'].pk}/court-action"),
    "api-case-appeal": post(lambda o: f"/api/v1/cases/{o['decided_case'].pk}/appeal"),
    "api-appeal-decide": post(lambda o: f"/api/v1/appeals/{o['appeal'].pk}/decide"),
}


# Evidence packages (takedown/package_urls.py): a case's or a complaint's, for its
# platform's moderators (full) and its notifier (without the seller's personal data).
def _package_b(o: dict):
    """A package of B's open case for platform B's moderators, built once per test."""
    from takedown.models import EvidencePackage
    from takedown.services.packages import package_build

    if "package" not in o:
        package = EvidencePackage.objects.create(audience="full", case=o["open_case"])
        o["package"] = package_build(package_id=package.pk)
    return o["package"]


OBJECT_URLS |= {
    "packages:case-panel": get(
        lambda o: f"/evidence-packages/cases/{o['open_case'].pk}/", "moderator_b"
    ),
    "packages:case-build": post(lambda o: f"/evidence-packages/cases/{o['open_case'].pk}/build/"),
    "packages:complaint-panel": get(
        lambda o: f"/evidence-packages/complaints/{o['complaint'].reference}/", "holder_b"
    ),
    "packages:complaint-build": post(
        lambda o: f"/evidence-packages/complaints/{o['complaint'].reference}/build/"
    ),
    "packages:status": get(
        lambda o: f"/evidence-packages/{_package_b(o).pk}/status/", "moderator_b"
    ),
    "packages:download": get(
        lambda o: f"/evidence-packages/{_package_b(o).pk}/download/", "moderator_b"
    ),
    "api-case-evidence-package": post(
        lambda o: f"/api/v1/cases/{o['open_case'].pk}/evidence-package"
    ),
    "api-evidence-package-detail": get(
        lambda o: f"/api/v1/evidence-packages/{_package_b(o).pk}", "moderator_b"
    ),
    "api-evidence-package-file": get(
        lambda o: f"/api/v1/evidence-packages/{_package_b(o).pk}/file", "moderator_b"
    ),
}

# Private URLs without an object in their path: each role sees only its own
# rows (checked by ``test_lists_show_nothing_of_tenant_b``) or is refused.
PRIVATE_LISTS = {
    "rightsholders:right-list": "/rights/",
    "rightsholders:right-create": "/rights/new/",
    "rightsholders:verification-queue": "/rights/verification/",
    "rightsholders:authorisation-list": "/rights/authorisations/",
    "rightsholders:authorisation-create": "/rights/authorisations/new/",
    "rightsholders:authorised-seller-list": "/rights/authorised-sellers/",
    "listings:listing-list": "/listings/",
    "listings:console": "/listings/console/",
    "detections:inbox": "/detections/",
    "detections:complaint-draft": "/detections/complaint-draft/",
    "complaints:list": "/complaints/",
    "cases:queue": "/cases/",
    "api-right-list": "/api/v1/rights",
    "api-feed-list": "/api/v1/feeds",
    "api-decision-list": "/api/v1/decisions",
    "api-detection-list": "/api/v1/detections",
    "api-complaint-list": "/api/v1/complaints",
    "api-case-list": "/api/v1/cases",
    "api-appeal-list": "/api/v1/appeals",
    "api-webhook-list": "/api/v1/webhooks",
}
# The dashboard: figures of the viewer's own complaints, detections and cases only
# (tests/takedown/test_dashboard.py checks tenant A never sees B's numbers).
PRIVATE_LISTS |= {
    "dashboard:index": "/dashboard/",
}

# Login's second step and its enrolment (takedown/auth_urls.py): the user's own
# device only; not a moderator gets a 404 from enrolment, nothing owed sends home.
PRIVATE_LISTS.update(
    {
        "two-factor-verify": "/accounts/two-factor/",
        "two-factor-setup": "/accounts/two-factor/setup/",
        "two-factor-qr": "/accounts/two-factor/setup/qr.svg",
    }
)


# A rights holder's data exports (takedown/export_urls.py): its members only.
def _export_b(o: dict):
    """A finished data export of rights holder B, made once per test."""
    from django.core.files.base import ContentFile

    from takedown.models import DataExport

    if "data_export" not in o:
        export = DataExport.objects.create(
            organisation=o["right"].rights_holder,
            status="ready",
            progress_done=9,
            progress_total=9,
        )
        export.file.save("b-export.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
        o["data_export"] = export
    return o["data_export"]


OBJECT_URLS |= {
    "exports:progress": get(lambda o: f"/exports/{_export_b(o).pk}/progress/", "holder_b"),
    "exports:download": get(lambda o: f"/exports/{_export_b(o).pk}/download/", "holder_b"),
}
PRIVATE_LISTS["exports:list"] = "/exports/"

# Private POST endpoints without an object in their path: they act on ids in
# the body, each checked against the actor's access by its service.
BODY_ACTIONS = {
    "detections:act": "/detections/act/",
    "cases:claim-next": "/cases/claim-next/",
    "api-detection-dismiss": "/api/v1/detections/dismiss",
    "api-detection-reopen": "/api/v1/detections/reopen",
    "api-case-claim-next": "/api/v1/cases/claim-next",
    "api-case-decide-bulk": "/api/v1/cases/decide",
}

# The moderators' workbench and the user's own preferences (issue 6): one's
# own time zone and language only.
PRIVATE_LISTS.update({"preferences": "/accounts/preferences/"})
# Decides the cases named in the body, each through case_decide (tenancy per case).
BODY_ACTIONS.update({"cases:bulk-decide": "/cases/bulk/"})
# The appeals queue lists only the appeals the moderator may decide; an appeal
# is decided on its case's page (platform B's appeal on its decided case).
PRIVATE_LISTS.update({"cases:appeal-queue": "/cases/appeals/"})
OBJECT_URLS.update(
    {
        "cases:appeal-decide": post(
            lambda o: f"/cases/{o['decided_case'].pk}/appeals/{o['appeal'].pk}/decide/"
        ),
    }
)

# URLs outside the matrix, and why.
NOT_IN_MATRIX = {
    "home": "public: the login prompt for strangers, a greeting with the user's own menu",
    "healthz": "public by design: the load balancer's probe, no tenant data",
    "login": "public by design",
    "logout": "public by design (POST ends one's own session)",
    "set_language": "public by design: sets a language cookie",
    "respond": "a seller's capability link: the signed token is the authorisation "
    "(tests/takedown/test_remedies.py refuses altered and expired tokens)",
    "api-schema": "public by design: the OpenAPI description, no tenant data",
    "api-docs": "public by design: Swagger UI over the schema",
}

# Transparency (issue 7, engineer B): the moderators' report and statements
# export count their own platforms only (tests/takedown/test_transparency.py);
# the public report and the redacted archive are public on purpose.
PRIVATE_LISTS.update(
    {
        "transparency:report": "/transparency/report/",
        "transparency:statements": "/transparency/statements/",
    }
)
NOT_IN_MATRIX.update(
    {
        "transparency:public": "public by design (DSA Art. 24(3)): counts only, no personal data "
        "(tests/takedown/test_transparency.py)",
        "archive:index": "public by design: the redacted archive of notices, no personal data "
        "(tests/takedown/test_archive.py)",
    }
)
ADMIN_PREFIX = "admin/"  # every admin URL: staff only (test_the_admin_is_closed_to_every_tenant)
ADMIN_PUBLIC = {
    "admin:login": "the admin's login form",
    "admin:logout": "ends one's own session",
}


def test_every_url_pattern_is_in_the_matrix():
    # given every URL pattern of the project outside the admin
    names = {name for name, route in url_patterns() if not route.startswith(ADMIN_PREFIX)}
    # then each has a row, and no row names a URL that is gone
    covered = [OBJECT_URLS, PRIVATE_LISTS, BODY_ACTIONS, NOT_IN_MATRIX]
    assert sorted(names - set().union(*covered)) == []
    assert sorted(set().union(*covered) - names) == []
    assert sum(len(c) for c in covered) == len(set().union(*covered))


@pytest.fixture
def b_objects(world, settings) -> dict:
    """One object of rights holder B or platform B for every kind of path parameter."""
    settings.TAKEDOWN_WEBHOOK_ALLOW_NETS = ["127.0.0.0/8"]
    holder_b, platform_b = world.holder_b, world.platform_b
    mark, design = holder_b.rights
    new = RightFactory(rights_holder=holder_b.organisation, status=RightStatus.SUBMITTED)
    ProofDocumentFactory(right=new)
    other_firm = OrganisationFactory(kind=Organisation.Kind.AGENT, name="Other Firm")
    listings = [
        ListingFactory(platform=platform_b.platform, title=f"BRANDB scarf {n}") for n in range(3)
    ]
    listing_image = ListingImage.objects.create(listing=listings[0], url="https://img.test/1.jpg")
    listings_scan(listing_ids=[listing.pk for listing in listings])
    detection = listings[0].detections.get(right=mark)
    complaint = complaint_file(
        actor=holder_b.admin,
        rights_holder=holder_b.organisation,
        right_ids=[mark.pk],
        listing_ids=[listing.pk for listing in listings[1:]],
        data=data(),
    )
    open_case, decided_case = complaint.cases.order_by("pk")
    case_decide(actor=platform_b.moderator, case=decided_case, decision=REMOVE)
    decided_case.refresh_from_db()
    appeal_file(case=decided_case, by="seller", statement="I bought these from the maker.")
    webhook, _ = webhook_endpoint_create(
        actor=platform_b.admin, platform=platform_b.platform, url="http://127.0.0.1:9/hook"
    )
    token, secret = platform_token_create(
        actor=platform_b.admin, platform=platform_b.platform, name="B's export"
    )
    return {
        "right": mark,
        "design": design,
        "image": design.images.get(),
        "document": mark.proof_documents.get(),
        "new": new,
        "suspended": RightFactory(
            rights_holder=holder_b.organisation, status=RightStatus.SUSPENDED
        ),
        "authorisation": AgentAuthorisationFactory(
            agent=other_firm, rights_holder=holder_b.organisation
        ),
        "seller": AuthorisedSellerFactory(
            rights_holder=holder_b.organisation, platform=platform_b.platform
        ),
        "platform": platform_b.platform,
        "listing": listings[0],
        "listing_image": listing_image,
        "token": token,
        "token_secret": secret,
        "feed": FeedBatchFactory(platform=platform_b.platform),
        "webhook": webhook,
        "delivery": webhook_endpoint_ping(actor=platform_b.admin, endpoint=webhook),
        "detection": detection,
        "complaint": complaint,
        "open_case": open_case,
        "decided_case": decided_case,
        "appeal": Appeal.objects.get(case=decided_case),
        "decision": PlatformDecision.objects.get(case=decided_case),
    }


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def tenant_a(world) -> dict[str, APIClient]:
    """Every role of tenant A, and platform A's API token."""
    _, secret = platform_token_create(
        actor=world.platform_a.admin, platform=world.platform_a.platform, name="A's export"
    )
    return {
        "holder A admin": session(world.holder_a.admin),
        "holder A member": session(world.holder_a.member),
        "agent for A (admin)": session(world.agent.admin),
        "agent for A (member)": session(world.agent.member),
        "platform A admin": session(world.platform_a.admin),
        "platform A member": session(world.platform_a.member),
        "platform A moderator": session(world.platform_a.moderator),
        "platform A token": bearer(secret),
    }


def sent_to_log_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def refused(response) -> bool:
    return response.status_code in (401, 403, 404) or sent_to_log_in(response)


def request(client: APIClient, method: str, path: str):
    return getattr(client, method)(path, {}, format="json")


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_no_role_of_tenant_a_reaches_an_object_of_tenant_b(world, b_objects, name):
    row = OBJECT_URLS[name]
    path = row.path(b_objects)
    # when every role of tenant A asks for it
    tenant_clients = tenant_a(world)
    answers = {role: request(c, row.method, path) for role, c in tenant_clients.items()}
    # then each is refused or not found (401: an API asked without the credentials it takes,
    # a session on the platforms' token API; a token on a page is sent to log in). A 400 is
    # a body checked before the object is looked up: the same as for an object that is not
    # there, so it tells nothing.
    missing = re.sub(r"/\d+(/|$)", r"/999999\1", path)
    assert {
        role: response.status_code
        for role, response in answers.items()
        if not (
            refused(response)
            or (
                response.status_code == 400
                and request(tenant_clients[role], row.method, missing).status_code == 400
            )
        )
    } == {}
    # and a stranger is sent to log in (pages) or refused (API)
    anonymous = request(APIClient(), row.method, path)
    if path.startswith("/api/"):
        assert anonymous.status_code in (401, 403)
    else:
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
    # and the owner reaches what it may read (so the 404s above are tenancy, not a wrong URL)
    if row.method == "get" and row.owner:
        owners = {
            "holder_b": session(world.holder_b.admin),
            "platform_b": session(world.platform_b.admin),
            "moderator_b": session(world.platform_b.moderator),
            "token_b": bearer(b_objects["token_secret"]),
        }
        assert request(owners[row.owner], "get", path).status_code == 200


def b_markers(b_objects) -> list[str]:
    """Strings that show one of tenant B's objects on a page or in an answer."""
    return [
        "BRANDB",
        "Bag design B",
        b_objects["complaint"].reference,
        b_objects["listing"].external_id,
        "B&#x27;s export",
        "B's export",
        "127.0.0.1:9/hook",
    ]


@pytest.mark.parametrize("name", sorted(PRIVATE_LISTS))
def test_lists_show_nothing_of_tenant_b(world, b_objects, name):
    path = PRIVATE_LISTS[name]
    for role, client in tenant_a(world).items():
        # when a role of tenant A opens the list
        response = client.get(path)
        # then it is refused, or shows none of B's objects
        # (the complaint draft with nothing selected sends back to the inbox)
        assert response.status_code in (200, 302) or refused(response), (role, response.status_code)
        # (a streamed export is read to its end)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode()
        assert [m for m in b_markers(b_objects) if m in body] == [], role
    anonymous = APIClient().get(path)
    if path.startswith("/api/"):
        assert anonymous.status_code in (401, 403)
    else:
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", sorted(BODY_ACTIONS))
def test_actions_on_ids_in_the_body_are_closed_to_strangers(world, name):
    path = BODY_ACTIONS[name]
    anonymous = APIClient().post(path, {}, format="json")
    if path.startswith("/api/"):
        assert anonymous.status_code in (401, 403)
    else:
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")


def test_the_admin_is_closed_to_every_tenant(world):
    # given every admin URL, its parameters filled with something
    fillers = {"int": "1", "str": "1", "path": "1", "slug": "x", "uuid": "0" * 32}
    paths = []
    for name, route in url_patterns():
        if not route.startswith(ADMIN_PREFIX) or name in ADMIN_PUBLIC:
            continue
        path = route.replace("^", "").replace("$", "").replace("\\Z", "")
        for converter, value in fillers.items():
            while f"<{converter}:" in path:
                start = path.index(f"<{converter}:")
                path = path[:start] + value + path[path.index(">", start) + 1 :]
        while "(?P<" in path:  # regex routes of the admin (app lists, view-on-site)
            start = path.index("(?P<")
            path = path[:start] + "takedown" + path[path.index(")", start) + 1 :]
        paths.append("/" + path)
    clients = {**tenant_a(world), "anonymous": APIClient()}
    for path in paths:
        for role, client in clients.items():
            # when a tenant's user (no staff flag) or a stranger opens it
            response = client.get(path)
            # then it is sent to the admin's login page, never served
            assert response.status_code in (302, 404), (path, role, response.status_code)

            if response.status_code == 302:
                assert "/admin/login/" in response["Location"], (path, role)
