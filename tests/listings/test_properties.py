"""Property tests: feed reading and text folding survive any input (hypothesis).

A feed is whatever a platform's system sends: the reader must answer every
line with a record or a ``LineError`` naming that line, and refuse a body as a
whole only with ``FeedFormatError``. Listing titles are whatever sellers type:
folding must never raise, must keep its map back to the original text, and
stays within a fixed factor of the input's length.
"""

import csv
import io
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from listings.feeds import (
    FeedFormatError,
    LineError,
    ListingLine,
    content_hash,
    format_for_content_type,
    iter_records,
    sniff,
    validate,
)
from listings.matching.normalise import normalise, skeleton, tokenise

PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_LINE_BYTES = 2000
# The longest NFKC expansion of one character (U+FDFA, 18 characters); every
# other fold (case, accents, format characters) only keeps or shortens.
MAX_FOLD_GROWTH = 18

# Any character, lone surrogates included: JSON's \ud800 escapes produce them.
any_char = st.characters(exclude_categories=())
any_text = st.text(alphabet=any_char, max_size=80)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["external_id", "title", "url", "description", "price", "currency", "seller_id",
          "seller_name", "images", "category", "ship_to", "brand"]  # fmt: skip
# Records shaped like listings, each known field holding any JSON value (plus unknown ones).
listing_like = st.dictionaries(st.sampled_from(FIELDS) | any_text, json_values, max_size=8)


def json_line(value: object) -> bytes:
    # ensure_ascii escapes lone surrogates (\udXXX) as a platform's encoder would.
    return json.dumps(value, allow_nan=True).encode()


feed_lines = st.lists(
    st.one_of(
        st.binary(max_size=120),
        listing_like.map(json_line),
        json_values.map(json_line),
        st.text(alphabet=any_char, max_size=60).map(
            lambda t: t.encode("utf-8", errors="surrogatepass")
        ),
    ),
    max_size=12,
)


def check_items(items: list, physical_lines: int) -> None:
    """Each item is a record or an error naming a line of the body, in increasing order."""
    lines = []
    for item in items:
        if isinstance(item, LineError):
            assert item.message
            lines.append(item.line)
        else:
            line, record = item
            assert isinstance(record, dict)
            lines.append(line)
    assert lines == sorted(lines)
    assert all(1 <= line <= max(1, physical_lines) for line in lines)


# Feeds -----------------------------------------------------------------------------


@PROPERTIES
@given(body=st.binary(max_size=3000))
@example(body=b'{"external_id": ' + b"1" * 5000 + b"}\n")
@example(body=b"[" * 5000 + b"\n")
@example(body=b'{"a": "\\u0000"}\n{"b": "\\ud800"}\n')
def test_jsonl_reading_answers_any_bytes_line_by_line(body):
    # given any bytes as a JSON Lines body
    # when it is read
    items = list(iter_records(io.BytesIO(body), "jsonl", max_line_bytes=MAX_LINE_BYTES))
    # then every item is a record or an error naming a line of the body
    check_items(items, body.count(b"\n") + 1)


@PROPERTIES
@given(lines=feed_lines)
def test_jsonl_reading_answers_any_mix_of_lines_with_their_numbers(lines):
    # given JSON Lines mixing listings, other JSON values, text and binary
    body = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    # when it is read
    items = list(iter_records(io.BytesIO(body), "jsonl", max_line_bytes=MAX_LINE_BYTES))
    # then no line is lost: each non-blank line is one item, in the body's order
    non_blank = [n for n, line in enumerate(body.split(b"\n"), 1) if line.strip()]
    numbers = [i.line if isinstance(i, LineError) else i[0] for i in items]
    assert numbers == non_blank[: len(numbers)]
    assert len(items) == len(non_blank)


@PROPERTIES
@given(body=st.binary(max_size=3000))
@example(body=b"external_id,title\n1,a\x00b\n")
@example(body=b'external_id,title\n"1,\n')
def test_csv_reading_raises_only_its_format_error(body):
    # given any bytes as a CSV body
    # when it is read
    try:
        items = list(iter_records(io.BytesIO(body), "csv", max_line_bytes=MAX_LINE_BYTES))
    except FeedFormatError as exc:
        # then a body that is not CSV at all is refused as a whole, saying why
        assert str(exc)
        return
    # or every item is a record or an error naming a line of the body
    check_items(items, body.count(b"\n") + body.count(b"\r") + 1)


@PROPERTIES
@given(
    header=st.lists(st.sampled_from(FIELDS) | any_text, min_size=1, max_size=6),
    rows=st.lists(st.lists(any_text, max_size=7), max_size=8),
)
def test_csv_reading_answers_any_rows(header, rows):
    # given a CSV body written by Python's own writer, with any header and cells
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    body = out.getvalue().encode("utf-8", errors="surrogatepass")
    # when it is read
    try:
        items = list(iter_records(io.BytesIO(body), "csv", max_line_bytes=MAX_LINE_BYTES))
    except FeedFormatError as exc:
        assert str(exc)
        return
    # then each item is a record or an error naming a line
    check_items(items, body.count(b"\n") + body.count(b"\r") + 1)


@PROPERTIES
@given(record=listing_like, line=st.integers(min_value=1, max_value=10**9))
@example(record={"external_id": 10**4400, "title": "t", "price": 1e308}, line=1)
@example(record={"external_id": "1", "title": "t", "images": ["http://a\x00b"]}, line=7)
def test_validation_answers_any_record_with_errors_naming_its_line(record, line):
    # given any JSON object on some line
    # when it is validated
    result = validate(line, record)
    # then it is a listing whose content can be hashed, or errors that name the line
    if isinstance(result, ListingLine):
        assert len(content_hash(result.content())) == 64
    else:
        assert result
        assert all(isinstance(e, LineError) and e.line == line and e.message for e in result)


@PROPERTIES
@given(head=st.binary(max_size=500), fmt=st.sampled_from(["jsonl", "csv"]))
def test_sniffing_a_body_raises_only_its_format_error(head, fmt):
    # given the start of any body
    # when it is sniffed
    try:
        sniff(head, fmt)
    except FeedFormatError as exc:
        # then a refusal says why
        assert str(exc)


@PROPERTIES
@given(content_type=any_text)
def test_any_content_type_is_a_feed_format_or_none(content_type):
    assert format_for_content_type(content_type) in ("jsonl", "csv", None)


# Text folding ----------------------------------------------------------------------


@PROPERTIES
@given(text=st.text(alphabet=any_char, max_size=200))
@example(text="\ufdfa")  # NFKC's longest expansion
@example(text="N\u200bІ\u200bK\u200bЕ ｒｅｐｌｉｃａ")
def test_folding_never_fails_and_maps_back_to_the_original(text):
    # given any text a seller could type
    # when it is folded and split into words
    folded = normalise(text)
    tokens = tokenise(folded)
    # then the folded text is at most 18 characters an input character,
    assert len(folded.text) <= MAX_FOLD_GROWTH * len(text)
    # each folded character maps back to a character of the original, in order,
    if folded.origin is not None:
        assert len(folded.origin) == len(folded.text)
        assert list(folded.origin) == sorted(folded.origin)
        assert all(0 <= i < len(text) for i in folded.origin)
    # and every word is a non-empty span of the folded text with spans back to the original
    for token in tokens:
        assert 0 <= token.start < token.end <= len(folded.text)
        assert token.plain and token.skeleton
        start, end = folded.original_span(token.start, token.end)
        assert 0 <= start < end <= len(text)


@PROPERTIES
@given(text=st.text(alphabet=any_char, max_size=200))
def test_folded_ascii_text_folds_to_itself(text):
    # given the folded form of any text, when it is ASCII (most titles)
    folded = normalise(text).text
    if folded.isascii():
        # then folding it again changes nothing
        assert normalise(folded).text == folded


@PROPERTIES
@given(word=st.text(alphabet=any_char, min_size=1, max_size=30))
def test_the_look_alike_skeleton_is_idempotent(word):
    # given any folded word
    plain = normalise(word).text
    # when its skeleton is taken twice
    # then the second time changes nothing
    assert skeleton(skeleton(plain)) == skeleton(plain)


@PROPERTIES
@given(text=st.text(alphabet=any_char, max_size=200))
@example(text="NIKЁ")
@example(text="ΣΟΝΥ Adidάs \ufdfa ﬁ ß")
def test_folding_is_idempotent(text):
    # given the folded form of any text (every single character: test_fold_idempotent.py)
    folded = normalise(text).text
    # when it is folded again
    # then nothing changes
    assert normalise(folded).text == folded
