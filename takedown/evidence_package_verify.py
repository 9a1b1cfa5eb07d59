"""Check an evidence package offline: python verify_package.py package.zip

Standalone on purpose: only Python's standard library, no Django, no database.
The same file ships inside every package as ``verify_package.py`` and runs
from the repository as ``python -m takedown.evidence_package_verify``.

It checks, and stops at the first failure with exit status 1:

1. every file listed in ``manifest.json`` is in the ZIP with its size and
   SHA-256, and the ZIP holds no file the manifest does not list;
2. each snapshot's and case event's content (the JSON under ``content``)
   hashes to the ``content_sha256`` of its ledger entry, and the entry's own
   hash is SHA-256(prev_hash + content_sha256 + canonical JSON of sequence,
   kind, object_id, recorded_at), as takedown/services/evidence.py computes
   it; a sealed reason matches its salted digest; a snapshot's personal part,
   when included, matches its hash; every image copy a snapshot names is in
   the package; where two entries are neighbours in the chain (a decision's
   snapshot and its event), the second's prev_hash is the first's hash.

Canonical JSON is sorted keys, no spaces, UTF-8. The entries of one package
are not consecutive links of the ledger (it holds every case's); each one's
``entry_hash`` can be looked up in the workbench's ledger, whose head at
build time is in the manifest.
"""

import hashlib
import json
import sys
import zipfile
from typing import Any

MANIFEST = "manifest.json"
REASON_SALT = "reason_salt"
REASON_SHA256 = "reason_sha256"


class PackageInvalid(Exception):
    """The first thing in the package that does not verify."""


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_hash(ledger: dict[str, Any]) -> str:
    metadata = canonical(
        {
            "sequence": ledger["sequence"],
            "kind": ledger["kind"],
            "object_id": ledger["object_id"],
            "recorded_at": ledger["recorded_at"],
        }
    )
    return sha256_hex(ledger["prev_hash"].encode() + ledger["content_sha256"].encode() + metadata)


def check_files(archive: zipfile.ZipFile) -> dict[str, dict[str, Any]]:
    """Every manifest file present, whole and unaltered; nothing unlisted. Return the manifest's files."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise PackageInvalid(f"{MANIFEST} is missing.") from None
    except ValueError as exc:
        raise PackageInvalid(f"{MANIFEST} is not valid JSON: {exc}.") from None
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    present = {name for name in archive.namelist() if not name.endswith("/")}
    for path, entry in sorted(listed.items()):
        if path not in present:
            raise PackageInvalid(f"{path}: listed in the manifest but missing from the package.")
        data = archive.read(path)
        if len(data) != entry["size"]:
            raise PackageInvalid(
                f"{path}: {len(data)} bytes, the manifest says {entry['size']}: the file was changed."
            )
        digest = sha256_hex(data)
        if digest != entry["sha256"]:
            raise PackageInvalid(
                f"{path}: SHA-256 {digest[:16]}…, the manifest says {entry['sha256'][:16]}…: "
                "the file was changed."
            )
    unlisted = sorted(present - set(listed) - {MANIFEST})
    if unlisted:
        raise PackageInvalid(f"{unlisted[0]}: in the package but not in the manifest.")
    return listed


def check_record(path: str, record: dict[str, Any], files: dict[str, dict[str, Any]]) -> str:
    """Check one snapshot or event record against its ledger entry; return its kind."""
    ledger = record.get("ledger")
    content = record.get("content")
    if not isinstance(ledger, dict) or not isinstance(content, dict):
        raise PackageInvalid(f"{path}: no content or ledger entry in it.")
    digest = sha256_hex(canonical(content))
    if digest != ledger["content_sha256"]:
        raise PackageInvalid(
            f"{path}: its content hashes to {digest[:16]}…, its ledger entry "
            f"#{ledger['sequence']} recorded {ledger['content_sha256'][:16]}…: "
            "the content was changed."
        )
    if ledger.get("object_id") != content.get("id"):
        raise PackageInvalid(f"{path}: its ledger entry is for another object.")
    if entry_hash(ledger) != ledger["entry_hash"]:
        raise PackageInvalid(
            f"{path}: ledger entry #{ledger['sequence']} does not hash to its entry_hash: "
            "the entry was changed."
        )
    if ledger["kind"] == "case_event":
        sealed = content.get("data", {}).get(REASON_SHA256)
        salt = record.get(REASON_SALT)
        if (
            sealed
            and salt
            and sha256_hex(salt.encode() + record.get("reason", "").encode()) != sealed
        ):
            raise PackageInvalid(f"{path}: its reason does not match the recorded digest.")
    elif ledger["kind"] == "snapshot":
        personal = record.get("personal")
        if personal is not None and sha256_hex(canonical(personal)) != content.get(
            "personal_sha256"
        ):
            raise PackageInvalid(f"{path}: its personal part does not match the recorded hash.")
        copies = {entry["sha256"] for entry in files.values()}
        for image in content.get("body", {}).get("images", []):
            wanted = (image.get("thumbnail") or {}).get("sha256")
            if wanted and wanted not in copies:
                raise PackageInvalid(
                    f"{path}: its image copy {wanted[:16]}… is not in the package."
                )
    else:
        raise PackageInvalid(f"{path}: unknown ledger kind {ledger['kind']!r}.")
    return str(ledger["kind"])


def check_links(by_sequence: dict[int, tuple[str, dict[str, Any]]]) -> None:
    """Where two entries of the package are neighbours in the chain, check their link."""
    for sequence, (name, ledger) in sorted(by_sequence.items()):
        previous = by_sequence.get(sequence - 1)
        if previous is not None and ledger["prev_hash"] != previous[1]["entry_hash"]:
            raise PackageInvalid(
                f"{name}: ledger entry #{sequence} does not follow #{sequence - 1} "
                f"({previous[0]}): the chain link is broken."
            )


def verify(path: str) -> str:
    """Verify the package at ``path``; return a summary or raise PackageInvalid."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageInvalid(f"{path}: not a readable ZIP file ({exc}).") from None
    with archive:
        files = check_files(archive)
        counts = {"snapshot": 0, "case_event": 0}
        by_sequence: dict[int, tuple[str, dict[str, Any]]] = {}
        for name in sorted(files):
            if not name.endswith(".json") or ("/snapshots/" not in name and "/events/" not in name):
                continue
            try:
                record = json.loads(archive.read(name))
            except ValueError as exc:
                raise PackageInvalid(f"{name}: not valid JSON ({exc}).") from None
            counts[check_record(name, record, files)] += 1
            by_sequence[record["ledger"]["sequence"]] = (name, record["ledger"])
        check_links(by_sequence)
    return (
        f"Package verified: {len(files)} files, {counts['snapshot']} snapshots and "
        f"{counts['case_event']} case events match their ledger entries."
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python verify_package.py package.zip", file=sys.stderr)
        return 2
    try:
        print(verify(argv[0]))
    except PackageInvalid as exc:
        print(f"Package does NOT verify: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
