"""``python -m listings.matching``: scan listings against rights from JSON Lines files.

    python -m listings.matching --rights RIGHTS.jsonl --listings LISTINGS.jsonl [--workers N]

Rights lines: {"id", "kind": "word_mark"|"figurative_mark"|"design", "text"?, "images"?: [paths]}
Listing lines: {"id", "title", "description"?, "images"?: [paths], "price"?, "currency"?}
Image paths are relative to the folder of the JSONL file naming them. Each
match is one JSON object on stdout:
{"listing_id", "right_id", "signal": "text"|"image", "score": 0..1, "evidence": {...}}.
Bad lines are reported on stderr with their line numbers and skipped. The
thresholds are the engine's production defaults.
"""

import argparse
import json
import multiprocessing
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .image_index import ImageIndex, ImageMatch, RegisteredImage
from .text import MarkSpec, TextIndex

RIGHT_KINDS = ("word_mark", "figurative_mark", "design")
# Listings per unit of work handed to a worker process.
CHUNK = 200


class LineRefused(ValueError):
    """A line of an input file that cannot be used; the message says why."""


@dataclass
class Engine:
    """Both indexes and the ids the input files used for rights."""

    text: TextIndex
    images: ImageIndex
    right_ids: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class ListingInput:
    line: int
    id: Any
    title: str
    description: str
    images: tuple[Path, ...]


def _read_jsonl(path: Path, errors: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                print(f"{path}:{number}: not valid JSON ({exc}); skipped", file=errors)
                continue
            if not isinstance(record, dict):
                print(f"{path}:{number}: not a JSON object; skipped", file=errors)
                continue
            yield number, record


def _paths(record: dict[str, Any], base: Path) -> tuple[Path, ...]:
    images = record.get("images", [])
    if not isinstance(images, list) or not all(isinstance(p, str) for p in images):
        raise LineRefused("images must be a list of file paths")
    paths = tuple((base / p) for p in images)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise LineRefused(f"image file not found: {missing[0]}")
    return paths


def load_engine(rights_path: Path, errors: TextIO) -> Engine:
    """Build both indexes from a rights file; report and skip bad lines."""
    marks: list[MarkSpec] = []
    registered: list[RegisteredImage] = []
    right_ids: list[Any] = []
    for number, record in _read_jsonl(rights_path, errors):
        try:
            if "id" not in record:
                raise LineRefused("id is required")
            kind = record.get("kind")
            if kind not in RIGHT_KINDS:
                raise LineRefused(f"kind must be one of {', '.join(RIGHT_KINDS)}")
            text = record.get("text") or ""
            if not isinstance(text, str):
                raise LineRefused("text must be a string")
            if kind == "word_mark" and not text.strip():
                raise LineRefused("a word mark needs its text")
            paths = _paths(record, rights_path.parent)
            if kind != "word_mark" and not paths:
                raise LineRefused(f"a {kind.replace('_', ' ')} needs at least one image")
            datas = [p.read_bytes() for p in paths]
        except (LineRefused, OSError) as exc:
            print(f"{rights_path}:{number}: {exc}; skipped", file=errors)
            continue
        index = len(right_ids)
        right_ids.append(record["id"])
        if text.strip():
            marks.append(MarkSpec(right_id=index, text=text))
        registered.extend(
            RegisteredImage(right_id=index, image_id=index * 1000 + n, data=data)
            for n, data in enumerate(datas)
        )
    return Engine(
        text=TextIndex.build(marks), images=ImageIndex.build(registered), right_ids=right_ids
    )


def read_listings(listings_path: Path, errors: TextIO) -> Iterator[ListingInput]:
    for number, record in _read_jsonl(listings_path, errors):
        try:
            if "id" not in record:
                raise LineRefused("id is required")
            title = record.get("title")
            if not isinstance(title, str) or not title.strip():
                raise LineRefused("title is required")
            description = record.get("description") or ""
            if not isinstance(description, str):
                raise LineRefused("description must be a string")
            paths = _paths(record, listings_path.parent)
        except LineRefused as exc:
            print(f"{listings_path}:{number}: {exc}; skipped", file=errors)
            continue
        yield ListingInput(number, record["id"], title, description, paths)


_ENGINE: Engine | None = None


def scan(engine: Engine, listing: ListingInput) -> list[dict[str, Any]]:
    """Every match of one listing, as output objects: text matches, then the best image per right."""
    out = [
        _result(engine, listing, m.right_id, "text", m.score, m.evidence)
        for m in engine.text.match(listing.title, listing.description)
    ]
    best: dict[int, ImageMatch] = {}
    for path in listing.images:
        try:
            found = engine.images.search(path.read_bytes())
        except OSError as exc:
            print(
                f"listing {listing.id} (line {listing.line}): {path}: {exc}; image skipped",
                file=sys.stderr,
            )
            continue
        for image_match in found:
            held = best.get(image_match.right_id)
            if held is None or image_match.score > held.score:
                best[image_match.right_id] = image_match
    out.extend(
        _result(engine, listing, right_id, "image", m.score, m.evidence)
        for right_id, m in best.items()
    )
    return out


def _result(
    engine: Engine,
    listing: ListingInput,
    right: int,
    signal: str,
    score: float,
    evidence: dict[str, Any],
) -> dict[str, Any]:
    return {
        "listing_id": listing.id,
        "right_id": engine.right_ids[right],
        "signal": signal,
        "score": round(float(score), 4),
        "evidence": evidence,
    }


def _scan_chunk(chunk: list[ListingInput]) -> list[dict[str, Any]]:
    """Scan a chunk in a forked worker, with the engine the parent built."""
    assert _ENGINE is not None, "the engine is set before the worker processes fork"
    return _scan_chunk_with(_ENGINE, chunk)


def _chunks(listings: Iterator[ListingInput]) -> Iterator[list[ListingInput]]:
    chunk: list[ListingInput] = []
    for listing in listings:
        chunk.append(listing)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(rights: Path, listings: Path, *, workers: int, out: TextIO, errors: TextIO) -> int:
    """Scan and write matches; return how many were written."""
    global _ENGINE
    engine = load_engine(rights, errors)
    items = read_listings(listings, errors)
    if workers <= 1:
        batches: Iterator[list[dict[str, Any]]] = (
            _scan_chunk_with(engine, c) for c in _chunks(items)
        )
        return _write(batches, out)
    # Forked workers share the parent's built indexes copy-on-write: built once.
    _ENGINE = engine
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            written = _write(pool.imap(_scan_chunk, _chunks(items)), out)
    finally:
        _ENGINE = None
    return written


def _scan_chunk_with(engine: Engine, chunk: list[ListingInput]) -> list[dict[str, Any]]:
    return [result for listing in chunk for result in scan(engine, listing)]


def _write(batches: Iterator[list[dict[str, Any]]], out: TextIO) -> int:
    written = 0
    for batch in batches:
        for result in batch:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m listings.matching",
        description="Scan listings against rights; one JSON object per match on stdout.",
    )
    parser.add_argument("--rights", type=Path, required=True, help="rights as JSON Lines")
    parser.add_argument("--listings", type=Path, required=True, help="listings as JSON Lines")
    parser.add_argument("--workers", type=int, default=1, help="processes to scan with (default 1)")
    args = parser.parse_args(argv)
    for path in (args.rights, args.listings):
        if not path.is_file():
            parser.error(f"{path} is not a file")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    run(args.rights, args.listings, workers=args.workers, out=sys.stdout, errors=sys.stderr)
    return 0
