"""A rights holder exports all its data: a ZIP built by a task, downloaded by its members only."""

import base64
import hashlib
import importlib
import io
import json
import zipfile

import pytest
from django.apps import apps as django_apps

from takedown.models import DataExport
from takedown.services.remedies import counter_notice_file
from tests.listings.factories import SellerFactory
from tests.takedown.test_remedies import objection, removed_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def objected_case(world):
    seller = SellerFactory(platform=world.platform_a.platform, contact_email="shop@seller.example")
    case = removed_case(world, seller)
    counter_notice_file(case=case, data=objection())
    return case


def request_export(client, user, organisation, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/", {"organisation": organisation.pk})
    assert response.status_code == 302
    return DataExport.objects.get(organisation=organisation)


def test_a_member_exports_its_organisation_s_data_and_downloads_the_zip(
    client, world, objected_case, django_capture_on_commit_callbacks
):
    holder = world.holder_a
    # when a member requests an export (the task runs after commit)
    export = request_export(
        client, holder.member, holder.organisation, django_capture_on_commit_callbacks
    )
    # then it is built, every kind written
    assert export.status == DataExport.Status.READY
    assert (export.progress_done, export.progress_total) == (9, 9)
    # and the list shows the download link
    assert f"/exports/{export.pk}/download/" in client.get("/exports/").content.decode()
    # and the ZIP holds one JSON per kind and the files behind them
    response = client.get(f"/exports/{export.pk}/download/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    # with its SHA-256 (RFC 9530) and no type sniffing
    assert export.sha256 == hashlib.sha256(body).hexdigest() and export.size == len(body)
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{holder.organisation.slug}-data-{export.pk}.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = set(archive.namelist())
    assert {
        "organisation.json",
        "rights.json",
        "proof_documents.json",
        "authorisations.json",
        "detections.json",
        "dismissals.json",
        "complaints.json",
        "cases.json",
        "counter_notices.json",
    } <= names
    assert any(n.startswith(f"files/rights/{holder.rights[0].pk}/proof/") for n in names)
    rights = json.loads(archive.read("rights.json"))
    assert {r["name"] for r in rights} == {r.name for r in holder.rights}
    # and the cases carry only the steps meant for the notifier
    (case,) = json.loads(archive.read("cases.json"))
    assert {e["action"] for e in case["events"]} == {"file", "remove", "counter_notice"}
    # and the counter-notice's sender is masked
    (notice,) = json.loads(archive.read("counter_notices.json"))
    assert notice["seller_email"] == "s***@s***.example"
    assert notice["seller_address"] == "***, FR"
    assert "Sam Seller" not in archive.read("counter_notices.json").decode()
    # and nothing of the other rights holder is in it
    assert "BRANDB" not in "".join(archive.read(n).decode() for n in names if n.endswith(".json"))


def test_only_the_organisation_s_members_see_or_download_its_export(
    client, world, objected_case, django_capture_on_commit_callbacks
):
    export = request_export(
        client,
        world.holder_a.admin,
        world.holder_a.organisation,
        django_capture_on_commit_callbacks,
    )
    # the other rights holder's member: not found
    client.force_login(world.holder_b.admin)
    assert client.get(f"/exports/{export.pk}/download/").status_code == 404
    assert client.get(f"/exports/{export.pk}/progress/").status_code == 404
    # the agent for holder A and the platform's moderator: not members, not theirs
    for user in (world.agent.admin, world.platform_a.moderator, world.operator_moderator):
        client.force_login(user)
        assert client.get(f"/exports/{export.pk}/download/").status_code == 404
    # a platform's user cannot request one
    client.force_login(world.platform_a.admin)
    assert (
        client.post("/exports/", {"organisation": world.holder_a.organisation.pk}).status_code
        == 403
    )


def test_the_progress_row_polls_while_the_export_is_built_and_a_second_request_waits(client, world):
    holder = world.holder_a
    client.force_login(holder.member)
    # given a requested export not yet built (its task not run: no commit)
    client.post("/exports/", {"organisation": holder.organisation.pk})
    export = DataExport.objects.get()
    # then its row polls itself
    row = client.get(f"/exports/{export.pk}/progress/").content.decode()
    assert f'hx-get="/exports/{export.pk}/progress/"' in row and "0 of 9 kinds written" in row
    # and a second request within minutes is refused with the reason
    response = client.post("/exports/", {"organisation": holder.organisation.pk}, follow=True)
    assert "An export was requested less than 10 minutes ago" in response.content.decode()
    assert DataExport.objects.count() == 1


def test_the_migration_gives_old_exports_the_shared_status_names(world):
    migration = importlib.import_module("takedown.migrations.0014_background_files")
    # given exports saved under the old names
    export = DataExport.objects.create(organisation=world.holder_a.organisation)
    old_to_new = {"pending": "queued", "running": "building", "done": "ready", "failed": "failed"}
    for old, new in old_to_new.items():
        DataExport.objects.filter(pk=export.pk).update(status=old)
        # when the migration maps them
        migration.exports_forward(django_apps, None)
        # then each has the name evidence packages use
        assert DataExport.objects.get(pk=export.pk).status == new
