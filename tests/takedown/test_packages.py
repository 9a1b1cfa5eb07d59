"""Evidence packages: built in a task, verifiable offline, filtered per audience, tenant-safe."""

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from pypdf import PdfReader

from listings.models import Detection
from listings.services.scanning import listings_scan
from takedown import evidence_package_verify as package_verifier
from takedown.models import EvidencePackage
from takedown.services import packages as packages_service
from takedown.services.cases import case_claim, case_decide
from takedown.services.complaints import complaint_file
from takedown.services.packages import package_build, package_request
from tests.listings.factories import ListingFactory
from tests.servers import recording_server
from tests.takedown.test_complaints import data
from tests.takedown.test_evidence import REMOVE, _fetched_image, _thumbnail_bytes

pytestmark = pytest.mark.django_db

REPO = Path(django_settings.BASE_DIR)
SELLER = "Jane Doe Store"


@pytest.fixture
def case(world):
    """Holder A's complaint on one listing (with a picture) relying on its mark and design,
    claimed and removed by platform A's moderator."""
    listing = ListingFactory(
        platform=world.platform_a.platform,
        title="BRANDA bag replica",
        description="AAA quality",
        seller__name=SELLER,
    )
    _fetched_image(listing, _thumbnail_bytes())
    listings_scan(listing_ids=[listing.pk])
    mark, design = world.holder_a.rights
    complaint = complaint_file(
        actor=world.holder_a.member,
        rights_holder=world.holder_a.organisation,
        detection_ids=[Detection.objects.get(listing=listing, right=mark).pk],
        right_ids=[design.pk],
        data=data(),
    )
    case = complaint.cases.get()
    case_claim(actor=world.platform_a.moderator, case=case)
    case_decide(actor=world.platform_a.moderator, case=case, decision=REMOVE)
    case.refresh_from_db()
    return case


def build(actor, django_capture_on_commit_callbacks, **scope) -> EvidencePackage:
    with django_capture_on_commit_callbacks(execute=True):
        package = package_request(actor=actor, **scope)
    package.refresh_from_db()
    return package


def unpacked(package: EvidencePackage) -> dict[str, bytes]:
    with package.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def run_verifier(zip_path: Path, cwd: Path) -> subprocess.CompletedProcess:
    """The verifier as a court would run it: the script from the package, isolated (-I),
    in a directory holding nothing of the project."""
    with zipfile.ZipFile(zip_path) as archive:
        (cwd / "verify_package.py").write_bytes(archive.read("verify_package.py"))
    return subprocess.run(
        [sys.executable, "-I", "verify_package.py", str(zip_path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write_zip(path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_a_moderator_builds_a_package_that_verifies_offline(
    world, case, tmp_path, django_capture_on_commit_callbacks
):
    # when platform A's moderator asks for the case's package
    package = build(world.platform_a.moderator, django_capture_on_commit_callbacks, case=case)
    # then the task built it whole, with its progress, hash and size
    assert package.status == EvidencePackage.Status.READY
    assert package.audience == "full"
    assert package.progress_done == package.progress_total > 10
    files = unpacked(package)
    with package.file.open("rb") as handle:
        stored = handle.read()
    assert hashlib.sha256(stored).hexdigest() == package.sha256
    assert len(stored) == package.size
    # the manifest lists every other file with its size and SHA-256, and the ledger's head
    manifest = json.loads(files["manifest.json"])
    assert {entry["path"] for entry in manifest["files"]} == set(files) - {"manifest.json"}
    assert manifest["covers"] == {
        "scope": "case",
        "complaint": case.complaint.reference,
        "cases": [case.pk],
        "audience": "full",
    }
    assert manifest["ledger_head"]["sequence"] > 0
    assert manifest["requested_by"]["username"] == world.platform_a.moderator.username
    # the snapshots at detection, filing and removal, each with its ledger entry
    snapshots = [json.loads(v) for k, v in files.items() if "/snapshots/" in k]
    assert sorted(s["content"]["action"] for s in snapshots) == ["detect", "file", "remove"]
    assert all(s["ledger"]["entry_hash"] for s in snapshots)
    assert all(s["personal"]["seller_name"] == SELLER for s in snapshots)
    # the image copy, the rights with their proof and registered image, the whole history
    thumbnail = hashlib.sha256(_thumbnail_bytes()).hexdigest()
    assert files[f"images/{thumbnail}.jpg"] == _thumbnail_bytes()
    mark, design = world.holder_a.rights
    assert json.loads(files[f"rights/{mark.pk}/right.json"])["registration_number"]
    proof = mark.proof_documents.get()
    with proof.file.open("rb") as handle:
        assert files[f"rights/{mark.pk}/proof/{proof.pk}-certificate.pdf"] == handle.read()
    assert any(name.startswith(f"rights/{design.pk}/images/") for name in files)
    actions = [json.loads(v)["content"]["action"] for k, v in files.items() if "/events/" in k]
    assert sorted(actions) == ["claim", "file", "remove"]
    statements = json.loads(files[f"cases/{case.pk}/statements.json"])
    assert statements[0]["decision_visibility"] == "DECISION_VISIBILITY_CONTENT_REMOVED"
    assert files["report.pdf"].startswith(b"%PDF")
    # and the verifier in the package, on its own, agrees
    zip_path = tmp_path / "package.zip"
    zip_path.write_bytes(stored)
    workdir = tmp_path / "court"
    workdir.mkdir()
    result = run_verifier(zip_path, workdir)
    assert result.returncode == 0, result.stderr
    assert "Package verified: " in result.stdout
    assert "3 snapshots and 3 case events match their ledger entries" in result.stdout
    # and the repository's copy runs as a module too
    module = subprocess.run(
        [sys.executable, "-m", "takedown.evidence_package_verify", str(zip_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert module.returncode == 0, module.stderr


def test_a_changed_file_or_event_fails_the_verifier_naming_it(
    world, case, tmp_path, django_capture_on_commit_callbacks
):
    # given a built package
    package = build(world.platform_a.moderator, django_capture_on_commit_callbacks, case=case)
    files = unpacked(package)
    mark = world.holder_a.rights[0]
    proof = mark.proof_documents.get()
    proof_path = f"rights/{mark.pk}/proof/{proof.pk}-certificate.pdf"
    # when one proof document inside the ZIP is replaced
    tampered = tmp_path / "tampered-file.zip"
    write_zip(tampered, {**files, proof_path: b"%PDF-1.4 another certificate"})
    result = run_verifier(tampered, tmp_path)
    # then the verifier names it and fails
    assert result.returncode == 1
    assert f"{proof_path}: " in result.stderr and "the file was changed" in result.stderr
    # when an event's reason is rewritten and the manifest recomputed to match
    event_path = next(k for k in files if "/events/" in k and b'"remove"' in files[k])
    record = json.loads(files[event_path])
    record["content"]["to_status"] = "rejected"
    edited = json.dumps(record).encode()
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == event_path:
            entry.update(size=len(edited), sha256=hashlib.sha256(edited).hexdigest())
    tampered = tmp_path / "tampered-event.zip"
    write_zip(
        tampered,
        {**files, event_path: edited, "manifest.json": json.dumps(manifest).encode()},
    )
    result = run_verifier(tampered, tmp_path)
    # then the ledger entry gives it away
    assert result.returncode == 1
    assert f"{event_path}: its content hashes to" in result.stderr
    assert "the content was changed" in result.stderr
    # when the removal's entry is re-chained elsewhere, its own hash recomputed to match
    record = json.loads(files[event_path])
    record["ledger"]["prev_hash"] = "f" * 64
    record["ledger"]["entry_hash"] = package_verifier.entry_hash(record["ledger"])
    edited = json.dumps(record).encode()
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == event_path:
            entry.update(size=len(edited), sha256=hashlib.sha256(edited).hexdigest())
    tampered = tmp_path / "tampered-link.zip"
    write_zip(
        tampered,
        {**files, event_path: edited, "manifest.json": json.dumps(manifest).encode()},
    )
    result = run_verifier(tampered, tmp_path)
    # then its link to the removal's snapshot, just before it in the chain, is broken
    assert result.returncode == 1
    assert f"{event_path}: ledger entry #{record['ledger']['sequence']} does not follow" in (
        result.stderr
    )


def test_the_notifiers_package_has_no_personal_data_of_the_seller_nor_internal_events(
    world, case, tmp_path, django_capture_on_commit_callbacks
):
    # when a member of the notifier asks for the case's package
    package = build(world.holder_a.member, django_capture_on_commit_callbacks, case=case)
    # then it is the notifier's: without the seller's name and the moderator's claim
    assert package.audience == "notifier"
    files = unpacked(package)
    text = b"".join(data for name, data in files.items() if name.endswith(".json"))
    assert SELLER.encode() not in text
    snapshots = [json.loads(v) for k, v in files.items() if "/snapshots/" in k]
    assert len(snapshots) == 3 and all("personal" not in s for s in snapshots)
    actions = [json.loads(v)["content"]["action"] for k, v in files.items() if "/events/" in k]
    assert sorted(actions) == ["file", "remove"]
    case_json = json.loads(files[f"cases/{case.pk}/case.json"])
    assert "claimed_by_id" not in case_json and "decided_by_id" not in case_json
    # and it still verifies
    zip_path = tmp_path / "package.zip"
    zip_path.write_bytes(b"".join(package.file.open("rb")))
    assert run_verifier(zip_path, tmp_path).returncode == 0


def test_the_report_renders_markup_in_the_listing_as_text_and_fetches_nothing(world, case):
    # given a listing whose title and url carry markup pointing at a loopback server and a local file
    with recording_server() as server:
        url = server.url("/pixel.png")
        listing = case.listing
        listing.title = f'BRANDA <img src="{url}"/> <a href="file:///etc/passwd">x</a> & <b>'
        listing.url = "file:///etc/passwd"
        listing.save(update_fields=["title", "url"])
        package = EvidencePackage.objects.create(audience="full", case=case)
        contents = packages_service._gather(package)
        # when the report is rendered, uncompressed
        pdf = packages_service.report_pdf(contents, page_compression=0)
    # then it is a PDF showing the markup as text, with the case reference
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f'<img src="{url}"/>' in text
    assert "file:///etc/passwd" in text
    assert case.complaint.reference in text
    # and nothing was fetched
    assert server.requests == []


def test_a_failed_build_says_why_and_offers_no_file(
    world, case, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(contents, **kwargs):
        raise RuntimeError("the report could not be drawn")

    monkeypatch.setattr(packages_service, "report_pdf", broken)
    package = build(world.platform_a.moderator, django_capture_on_commit_callbacks, case=case)
    assert package.status == EvidencePackage.Status.FAILED
    assert package.error == "RuntimeError: the report could not be drawn"
    assert not package.file
    # a redelivered task leaves a finished package alone
    assert package_build(package_id=package.pk).status == EvidencePackage.Status.FAILED


def test_a_complaint_package_covers_every_case(
    world, case, django_capture_on_commit_callbacks, client
):
    # when the notifier builds from the complaint's page
    client.force_login(world.holder_a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/evidence-packages/complaints/{case.complaint.reference}/build/",
            HTTP_HX_REQUEST="true",
        )
    # then the panel comes back polling the package, whose status then offers the download
    assert response.status_code == 200
    package = EvidencePackage.objects.get(complaint=case.complaint)
    assert f'hx-get="/evidence-packages/{package.pk}/status/"' in response.content.decode()
    status = client.get(f"/evidence-packages/{package.pk}/status/").content.decode()
    assert f"/evidence-packages/{package.pk}/download/" in status
    manifest = json.loads(unpacked(package)["manifest.json"])
    assert manifest["covers"]["scope"] == "complaint"
    assert manifest["covers"]["cases"] == [case.pk]


def test_pages_build_poll_and_download(world, case, client, django_capture_on_commit_callbacks):
    client.force_login(world.platform_a.moderator)
    # the case page loads the packages panel
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'hx-get="/evidence-packages/cases/{case.pk}/"' in page
    panel = client.get(f"/evidence-packages/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert "Build evidence package" in panel.content.decode()
    # a queued package is polled with its progress
    package = EvidencePackage.objects.create(
        audience="full", case=case, progress_done=3, progress_total=12
    )
    status = client.get(f"/evidence-packages/{package.pk}/status/").content.decode()
    assert 'hx-trigger="every 2s"' in status and 'value="25"' in status
    assert f"/evidence-packages/{package.pk}/download/" not in status
    assert client.get(f"/evidence-packages/{package.pk}/download/").status_code == 404
    # without htmx, asking for one goes back to the case page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/evidence-packages/cases/{case.pk}/build/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    ready = EvidencePackage.objects.filter(status="ready").get()
    status = client.get(f"/evidence-packages/{ready.pk}/status/").content.decode()
    assert "every 2s" not in status
    # the download streams the ZIP under its name
    download = client.get(f"/evidence-packages/{ready.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert f'filename="evidence-case-{case.pk}-{ready.pk}' in download["Content-Disposition"]
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == ready.sha256
    # with its SHA-256 for the client to check (RFC 9530), and no type sniffing
    digest = base64.b64encode(bytes.fromhex(ready.sha256)).decode()
    assert download["Repr-Digest"] == f"sha-256=:{digest}:"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_other_tenants_and_other_audiences_get_nothing(
    world, case, client, django_capture_on_commit_callbacks
):
    package = build(world.platform_a.moderator, django_capture_on_commit_callbacks, case=case)
    # another rights holder and another platform's moderator: not found
    for outsider in (world.holder_b.admin, world.platform_b.moderator):
        client.force_login(outsider)
        assert client.get(f"/evidence-packages/{package.pk}/download/").status_code == 404
        assert client.get(f"/evidence-packages/{package.pk}/status/").status_code == 404
        assert client.post(f"/evidence-packages/cases/{case.pk}/build/").status_code == 404
    # the notifier does not get the moderators' full package
    client.force_login(world.holder_a.member)
    assert client.get(f"/evidence-packages/{package.pk}/download/").status_code == 404
    # platform A's staff who do not moderate may not build one, and the case page says why
    client.force_login(world.platform_a.admin)
    assert client.post(f"/evidence-packages/cases/{case.pk}/build/").status_code == 403
    assert client.get(f"/evidence-packages/cases/{case.pk}/").status_code == 403
    panel = client.get(f"/evidence-packages/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert "are for the moderators of the case" in panel.content.decode()
    assert "Build evidence package" not in panel.content.decode()
    assert EvidencePackage.objects.count() == 1


def test_the_api_builds_follows_and_downloads_a_package(
    world, case, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(world.platform_a.moderator)
    # when the moderator asks for the case's package
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/cases/{case.pk}/evidence-package")
    # then it is accepted, and once built its status links the file
    assert response.status_code == 202
    assert response.json()["status"] == "queued" and response.json()["audience"] == "full"
    package_id = response.json()["id"]
    detail = api.get(f"/api/v1/evidence-packages/{package_id}").json()
    assert detail["status"] == "ready"
    assert detail["download"] == f"/api/v1/evidence-packages/{package_id}/file"
    download = api.get(detail["download"])
    assert download["Content-Type"] == "application/zip"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == detail["sha256"]
    # another tenant finds nothing; a platform's staff who do not moderate are refused
    api.force_login(world.holder_b.admin)
    assert api.get(f"/api/v1/evidence-packages/{package_id}").status_code == 404
    assert api.post(f"/api/v1/cases/{case.pk}/evidence-package").status_code == 404
    api.force_login(world.platform_a.admin)
    assert api.post(f"/api/v1/cases/{case.pk}/evidence-package").status_code == 403


def test_progress_is_recorded_while_the_package_is_built(
    world, case, monkeypatch, django_capture_on_commit_callbacks
):
    # given progress written after every file, and the report drawn last but the manifest
    seen: list[tuple[str, int, int]] = []
    draw = packages_service.report_pdf

    def watched(contents, **kwargs):
        row = EvidencePackage.objects.get(pk=contents.package.pk)
        seen.append((row.status, row.progress_done, row.progress_total))
        return draw(contents, **kwargs)

    monkeypatch.setattr(packages_service, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(packages_service, "report_pdf", watched)
    # when the package is built
    package = build(world.platform_a.moderator, django_capture_on_commit_callbacks, case=case)
    # then while it was building, the files written so far were on the row
    ((status, done, total),) = seen
    assert status == "building"
    assert 0 < done == total - 2  # the report and the manifest were still to come
    assert package.progress_done == package.progress_total == total


def test_the_report_is_written_in_the_language_the_package_was_asked_in(
    world, case, client, django_capture_on_commit_callbacks
):
    # given a moderator whose pages are in Chinese
    client.force_login(world.platform_a.moderator)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    # when they ask for the case's package
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/evidence-packages/cases/{case.pk}/build/")
    package = EvidencePackage.objects.get()
    # then its report is in Chinese, headings and labels, in a font that has the glyphs
    assert package.language == "zh-hans"
    report = unpacked(package)["report.pdf"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report)).pages)
    assert "所依据的权利" in text and "Rights relied on" not in text
    assert "已下架" in text  # the case's status, removed
    assert b"/BaseFont /STSong-Light" in report
    # and the same package asked in English is in English
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/evidence-packages/cases/{case.pk}/build/")
    english = EvidencePackage.objects.exclude(pk=package.pk).get()
    report = unpacked(english)["report.pdf"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report)).pages)
    assert "Rights relied on" in text and "所依据的权利" not in text
    assert b"STSong-Light" not in report
