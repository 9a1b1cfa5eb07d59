"""Reading a listing feed: JSON Lines or CSV, record by record, with per-line errors.

Nothing here touches the database: ``iter_records`` turns a binary stream
into ``(line, record)`` pairs or ``LineError`` values, and ``validate`` turns a
record into a ``ListingLine`` or errors naming the line and field. The
ingestion service (listings.services.feeds) applies them in chunks.
"""

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from takedown.geo import country_codes, is_currency

JSONL_CONTENT_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)
CSV_CONTENT_TYPES = frozenset({"text/csv"})
REQUIRED_COLUMNS = ("external_id", "title")
LIST_FIELDS = ("images", "ship_to")
# In CSV, list fields are one column with values separated by this character.
CSV_LIST_SEPARATOR = "|"
MAX_IMAGES = 20


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str


class FeedFormatError(ValueError):
    """The feed as a whole cannot be read (not JSON Lines / CSV, no usable header)."""


def _number_to_text(value: Any) -> Any:
    # Platforms often send numeric ids; an id is text here, so 123 and "123" are one listing.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Identifier = Annotated[str, BeforeValidator(_number_to_text), Field(min_length=1, max_length=255)]
OptionalText = Annotated[str, BeforeValidator(_number_to_text)]


MAX_IMAGE_URL_BYTES = 2000


class ListingLine(BaseModel):
    """One listing as a platform sends it; unknown fields are kept in ``model_extra``."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    external_id: Identifier
    title: str = Field(min_length=1, max_length=500)
    url: str = Field(default="", max_length=2000)
    description: str = Field(default="", max_length=20_000)
    price: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    currency: str = ""
    seller_id: OptionalText = Field(default="", max_length=255)
    seller_name: str = Field(default="", max_length=255)
    images: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=MAX_IMAGES
    )
    category: str = Field(default="", max_length=255)
    ship_to: list[str] = Field(default_factory=list, max_length=300)
    brand: str = Field(default="", max_length=255)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not _is_http_url(value):
            raise ValueError("must be an http or https URL")
        return value

    @field_validator("images")
    @classmethod
    def _image_urls(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values if v.strip()]
        bad = [v for v in cleaned if not _is_http_url(v)]
        if bad:
            raise ValueError(f"must be http or https URLs; {bad[0][:80]!r} is not")
        # Characters outside ASCII take up to 4 bytes: 2,000 of them would not fit
        # the database's index of (listing, image URL), and a whole batch would fail.
        long = [v for v in cleaned if len(v.encode()) > MAX_IMAGE_URL_BYTES]
        if long:
            raise ValueError(
                f"an image URL may be at most {MAX_IMAGE_URL_BYTES} bytes in UTF-8; "
                f"{long[0][:80]!r}... is {len(long[0].encode())}"
            )
        return list(dict.fromkeys(cleaned))

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        value = value.upper()
        if value and not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @field_validator("ship_to")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        codes = [v.strip().upper() for v in values if v.strip()]
        bad = [c for c in codes if c not in country_codes()]
        if bad:
            raise ValueError(f"{', '.join(bad[:5])} not ISO 3166 alpha-2 country code(s)")
        return sorted(set(codes))

    def content(self) -> dict[str, Any]:
        """The listing's content as stored and compared: every field plus the unknown ones."""
        return {
            "title": self.title,
            "url": self.url,
            "description": self.description,
            "price": None if self.price is None else str(self.price),
            "currency": self.currency,
            "seller_id": self.seller_id,
            "seller_name": self.seller_name,
            "images": self.images,
            "category": self.category,
            "ship_to": self.ship_to,
            "brand": self.brand,
            "extra": dict(sorted((self.model_extra or {}).items())),
        }


HTTP_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


def _is_http_url(value: str) -> bool:
    # A scheme, a host and no white space: a full urlsplit per line cost 35 us.
    return HTTP_URL.fullmatch(value) is not None


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a listing's content: equal content, equal hash."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate(line: int, record: dict[str, Any]) -> ListingLine | list[LineError]:
    """Return the valid listing of ``record``, or the errors naming its line and fields."""
    try:
        listing = ListingLine.model_validate(record)
    except ValidationError as exc:
        return [
            LineError(line, ".".join(str(p) for p in err["loc"][:1]), _message(err))
            for err in exc.errors(include_url=False)
        ]
    if listing.price is not None and not listing.currency:
        return [
            LineError(line, "currency", "is required when a price is given (ISO 4217, e.g. EUR)")
        ]
    return listing


def _message(err: Any) -> str:
    if err["type"] == "missing":
        return "is required"
    message = str(err["msg"])
    # pydantic prefixes custom errors with "Value error, ".
    return message.removeprefix("Value error, ")


# Reading records -----------------------------------------------------------


def format_for_content_type(content_type: str) -> str | None:
    """Return "jsonl" or "csv" for a request's Content-Type, or None when it is neither."""
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    charset = ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset and charset not in ("utf-8", "utf8"):
        return None
    if media_type in JSONL_CONTENT_TYPES:
        return "jsonl"
    if media_type in CSV_CONTENT_TYPES:
        return "csv"
    return None


def sniff(head: bytes, fmt: str) -> None:
    """Raise FeedFormatError when the start of a body shows it is not a feed of ``fmt`` at all."""
    if not head.strip():
        raise FeedFormatError("The feed is empty.")
    if b"\x00" in head:
        raise FeedFormatError("The body is binary data, not UTF-8 text.")
    text = _decode_prefix(head)
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    if fmt == "jsonl":
        if not first_line.lstrip().startswith("{"):
            raise FeedFormatError(
                "The body is not JSON Lines: each line must be one JSON object ({...})."
            )
    else:
        _check_header(next(csv.reader([first_line])))


def _decode_prefix(head: bytes) -> str:
    # The prefix may end inside a multi-byte character: decode incrementally.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(head.removeprefix(codecs.BOM_UTF8), final=False)
    except UnicodeDecodeError as exc:
        raise FeedFormatError(
            f"The body is not UTF-8 text ({exc.reason} at byte {exc.start})."
        ) from exc


def _check_header(header: list[str]) -> list[str]:
    names = [h.strip().lower().removeprefix("\ufeff") for h in header]
    if any("\x00" in name for name in names):
        raise FeedFormatError(f"The CSV header {NUL_MESSAGE}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        shown = ", ".join(h for h in names if h)[:200] or "nothing"
        raise FeedFormatError(
            f"The CSV header must name the columns {' and '.join(REQUIRED_COLUMNS)}; "
            f"it lacks {', '.join(missing)} (it has: {shown})."
        )
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise FeedFormatError(f"The CSV header names {', '.join(duplicates)} more than once.")
    return names


Item = tuple[int, dict[str, Any]] | LineError


def iter_records(stream: IO[bytes], fmt: str, *, max_line_bytes: int) -> Iterator[Item]:
    """Yield each record of the feed with its line number, or a LineError for a bad line.

    Blank lines are skipped. The order and number of items is the same every
    time a feed is read, so ingestion can resume after the N-th item.
    """
    if fmt == "jsonl":
        yield from _iter_jsonl(stream, max_line_bytes)
    else:
        yield from _iter_csv(stream, max_line_bytes)


def _iter_jsonl(stream: IO[bytes], max_line_bytes: int) -> Iterator[Item]:
    line = 0
    while raw := stream.readline(max_line_bytes + 1):
        line += 1
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            while (rest := stream.readline(1024 * 1024)) and not rest.endswith(b"\n"):
                pass
            yield LineError(line, "", f"the line is longer than {max_line_bytes} bytes")
            continue
        if line == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield LineError(line, "", f"is not valid UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            yield LineError(line, "", f"is not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        except ValueError as exc:
            # Python refuses integers of more than 4,300 digits with a plain ValueError
            # (sys.get_int_max_str_digits): one such number must not stop the feed.
            # The advice after ";" is for Python programmers, not for the platform.
            yield LineError(line, "", f"is not valid JSON: {str(exc).split(';')[0]}")
            continue
        except RecursionError:
            yield LineError(line, "", "is not valid JSON: arrays or objects nested too deeply")
            continue
        if not isinstance(record, dict):
            yield LineError(line, "", f"must be a JSON object, not {type(record).__name__}")
            continue
        # A NUL can only arrive escaped (a raw control character is not JSON), so
        # the search through the record runs only for the rare line that has one.
        if "\\u0000" in text and (field := _field_with_nul(record)) is not None:
            yield LineError(line, field, NUL_MESSAGE)
            continue
        yield line, record


def _iter_csv(stream: IO[bytes], max_line_bytes: int) -> Iterator[Item]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    csv.field_size_limit(max_line_bytes)
    reader = csv.reader(text)
    try:
        header = _check_header(next(reader))
    except StopIteration as exc:
        raise FeedFormatError("The feed is empty.") from exc
    except csv.Error as exc:
        raise FeedFormatError(f"The CSV header cannot be read: {exc}.") from exc
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield LineError(reader.line_num, "", f"cannot be read as CSV: {exc}")
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield LineError(line, "", f"has {len(row)} fields; the header has {len(header)}")
            continue
        if any(_has_undecodable(cell) for cell in row):
            yield LineError(line, "", "is not valid UTF-8")
            continue
        if any("\x00" in cell for cell in row):
            field = next(name for name, cell in zip(header, row, strict=True) if "\x00" in cell)
            yield LineError(line, field, NUL_MESSAGE)
            continue
        record: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            if not name or not cell.strip():
                continue
            if name in LIST_FIELDS:
                record[name] = [part for part in cell.split(CSV_LIST_SEPARATOR) if part.strip()]
            else:
                record[name] = cell
        yield line, record


# PostgreSQL text and jsonb cannot hold U+0000: one such character made the whole
# chunk's insert fail, and the feed never finished.
NUL_MESSAGE = "contains a NUL character (\\u0000), which cannot be stored"


def _field_with_nul(record: dict[str, Any]) -> str | None:
    """Return the top-level field whose key or value holds U+0000 anywhere, or None."""
    for key, value in record.items():
        pending: list[Any] = [key, value]
        while pending:  # a stack, not recursion: the value may be nested ~1,000 deep
            item = pending.pop()
            if isinstance(item, str):
                if "\x00" in item:
                    return key.replace("\x00", "")[:100]
            elif isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
    return None


def _has_undecodable(cell: str) -> bool:
    # surrogateescape turns each byte that is not UTF-8 into a lone surrogate.
    return any("\udc80" <= ch <= "\udcff" for ch in cell)
