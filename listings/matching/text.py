"""Find registered word marks in listing text, however the seller spelt them, and say why.

A TextIndex is built once from the marks of the verified rights. Matching a
listing folds its title (and description and brand field) like the marks (see
normalise.py), looks windows of one to a few words up in dictionaries keyed by
the marks' folded letters, and finds one-letter typos through deletion
neighbourhoods (symmetric delete): a window and a mark within one edit share a
string with at most one letter deleted. Only those candidates are scored with
rapidfuzz, so the cost grows with the length of the title, not with the number
of marks.

Evidence is plain JSON: the mark, the original and folded spans, the kind of
spelling (exact, confusable, leet, spaced, joined, split, typo) with its edit
operations, the cues applied and what each did to the score.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from typing import Any

from rapidfuzz.distance import OSA, Levenshtein

from listings.matching import cues
from listings.matching.common_words import default_common_words
from listings.matching.normalise import (
    NOTE_ACCENT,
    NOTE_COMPATIBILITY,
    NOTE_FORMAT,
    NOTE_HOMOGLYPH,
    NormalisedText,
    Token,
    normalise,
    skeleton,
    tokenise,
)

# Marks of up to 4 letters ("LV", "HP", "Puma", "Dior") match only when their
# folded letters are equal: one edit away from a 4-letter mark lie hundreds of
# English words ("pump", "door"), so edit-tolerant lookups would mostly be noise.
SHORT_MARK_MAX_LENGTH = 4
# Edit-tolerant lookups start at 6 letters: at 5, one edit from "Rolex" or "Prada"
# is "roles" or "prado", and bench/text_quality.py measured brand-free titles
# matched 0.8 % (5) against 0.1 % (6) with the same typo recall on 6+ letters.
TYPO_MIN_LENGTH = 6
# One edit (insertion, omission, replacement, adjacent transposition, counted by
# OSA): the typo classes the issue lists are all one edit, and two edits on a
# 6-8 letter mark reach too many real words ("channel" is one from "Chanel").
MAX_TYPO_EDITS = 1
# A single-word mark may be split in up to 3 pieces ("Lou is Vuit ton" has 4
# words for a 2-word mark): windows are up to the longest mark's words + 2.
MAX_EXTRA_WINDOW_WORDS = 2
# Words whose typo candidates an index remembers (0: none). 100,000 words of
# ~60 bytes of set each stay under ~20 MB per worker process.
TYPO_CACHE_SIZE = 100_000

# A plain, exact mention in the title with no cues: the text says the listing
# names the mark, not that it is counterfeit (resellers of genuine goods name
# it too). Cues move the score from here (see cues.py for the effects).
MENTION_SCORE = 0.7
# Spelling kinds that fold several words into one or one into several are a
# little less certain: "car tier" also reads as two ordinary words.
KIND_WEIGHTS = {
    "exact": 1.0,
    "confusable": 1.0,
    "leet": 1.0,
    "spaced": 1.0,
    "joined": 0.95,
    "split": 0.9,
    "typo": 1.0,  # the similarity (1 - edits / letters) already lowers a typo
}
# A mark in the description only, not in the title or brand field, is weaker
# evidence: descriptions list compatible models and "not X" comparisons.
FIELD_WEIGHTS = {"title": 1.0, "brand": 1.0, "description": 0.85}
# Spellings nobody types by accident: a seller who writes "Nіke" with a Cyrillic
# "і", a zero-width space inside it, "N1KE" or "N I K E" is hiding the mark from
# filters. Counted as a counterfeit cue. Fullwidth alone is not among them: East
# Asian input methods type it.
DISGUISE_FOLDS = frozenset({NOTE_HOMOGLYPH, NOTE_FORMAT, "leet", "spaced"})

_VOWELS = frozenset("aeiouy")


@dataclass(frozen=True, slots=True)
class MarkSpec:
    """A word mark of a right. ``ordinary_word`` marks ("Apple", "Box") are common
    words and match only with supporting context; ``classes`` are its Nice classes."""

    right_id: int
    text: str
    ordinary_word: bool = False
    classes: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class ListingContext:
    """What the caller knows about a listing beyond its text.

    ``category_classes``: Nice classes of the listing's category (None: unknown).
    ``reference_prices``: a right's reference price by right id, in the listing's
    currency; compared with ``price``.
    """

    category_classes: frozenset[int] | None = None
    price: Decimal | float | None = None
    reference_prices: Mapping[int, Decimal | float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextMatch:
    """A right whose mark the listing text names. ``score`` is in 0..1; ``evidence``
    is JSON-serialisable."""

    right_id: int
    score: float
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Mark:
    spec: MarkSpec
    plain: str  # folded letters, words joined
    skeleton: str  # look-alike fold, words joined
    plain_words: tuple[str, ...]
    words: int
    typo_tolerant: bool


@dataclass(frozen=True, slots=True)
class _Hit:
    mark: int  # index into TextIndex._marks
    first: int  # first token of the window
    count: int  # tokens in the window
    edits: int  # OSA edits between the window's and the mark's skeleton


@dataclass(frozen=True)
class _Field:
    name: str
    normalised: NormalisedText
    tokens: list[Token]

    @cached_property
    def cue_hits(self) -> list[cues.CueHit]:
        # Looked for only in listings that name a mark: most listings name none.
        return cues.find_cues(self.normalised.text) if self.tokens else []


class TextIndex:
    """Marks by their folded letters and by every one-letter deletion of them."""

    def __init__(
        self,
        marks: list[_Mark],
        by_letters: dict[str, list[int]],
        by_typo_key: dict[str, list[int]],
        common_words: frozenset[str],
        skipped: tuple[MarkSpec, ...],
        typo_cache_size: int,
    ) -> None:
        self._marks = marks
        self._by_letters = by_letters
        self._by_typo_key = by_typo_key
        self._common_words = common_words
        # Title words repeat across a catalogue ("black", "leather", "women"): their
        # typo candidates are remembered, up to this many words, then forgotten.
        self._typo_cache: dict[str, set[int]] = {}
        self._typo_cache_size = typo_cache_size
        self.skipped = skipped  # marks without a letter or digit: nothing to look for
        self._max_window = max((m.words for m in marks), default=0) + MAX_EXTRA_WINDOW_WORDS
        self._max_letters = max((len(m.skeleton) for m in marks), default=0) + MAX_TYPO_EDITS
        # Window lengths, by words in the window, that can be one edit from a
        # typo-tolerant mark: a one-word window may be the whole mark written as one.
        typo_marks = [m for m in marks if m.typo_tolerant]
        self._typo_mark_words = frozenset(
            skeleton(word) for m in typo_marks if m.words > 1 for word in m.plain_words
        )
        longest = max((len(m.skeleton) for m in typo_marks), default=0) + MAX_TYPO_EDITS
        self._typo_lengths = {1: (TYPO_MIN_LENGTH - MAX_TYPO_EDITS, longest)}
        for m in typo_marks:
            low, high = self._typo_lengths.get(m.words, (len(m.skeleton), len(m.skeleton)))
            self._typo_lengths[m.words] = (
                min(low, len(m.skeleton) - MAX_TYPO_EDITS),
                max(high, len(m.skeleton) + MAX_TYPO_EDITS),
            )

    @classmethod
    def build(
        cls,
        marks: Iterable[MarkSpec],
        *,
        common_words: Iterable[str] | None = None,
        typo_cache_size: int = TYPO_CACHE_SIZE,
    ) -> "TextIndex":
        """Fold every mark and index it; marks with no letters or digits are kept in ``skipped``.

        ``common_words`` are words of the listings' language never read as a typo
        of a mark: "watch" is one letter from "Swatch", "cover" from "Conver".
        The default is the most frequent English words (listings.common_words);
        a platform's most frequent title words are a good source; ``()`` means
        none. Exact and look-alike spellings of a mark still match.
        """
        folded: list[_Mark] = []
        skipped: list[MarkSpec] = []
        by_letters: dict[str, list[int]] = {}
        by_typo_key: dict[str, list[int]] = {}
        for spec in marks:
            tokens = tokenise(normalise(spec.text))
            if not tokens:
                skipped.append(spec)
                continue
            letters = "".join(t.skeleton for t in tokens)
            mark = _Mark(
                spec=spec,
                plain="".join(t.plain for t in tokens),
                skeleton=letters,
                plain_words=tuple(t.plain for t in tokens),
                words=len(tokens),
                typo_tolerant=not spec.ordinary_word and len(letters) >= TYPO_MIN_LENGTH,
            )
            index = len(folded)
            folded.append(mark)
            by_letters.setdefault(letters, []).append(index)
            if mark.typo_tolerant:
                # The mark and each of its one-letter deletions (symmetric delete).
                for key in _deletions(letters) | {letters}:
                    by_typo_key.setdefault(key, []).append(index)
        common = (
            _default_common_skeletons()
            if common_words is None
            else frozenset(t.skeleton for word in common_words for t in tokenise(normalise(word)))
        )
        return cls(folded, by_letters, by_typo_key, common, tuple(skipped), typo_cache_size)

    def __len__(self) -> int:
        return len(self._marks)

    def match(
        self,
        title: str,
        description: str = "",
        *,
        brand: str = "",
        context: ListingContext | None = None,
    ) -> list[TextMatch]:
        """Return the rights whose marks the listing names, best score first.

        Typos are looked for in the title and brand field only: descriptions are
        long and full of ordinary words one edit from some mark.
        """
        context = context or ListingContext()
        fields = [
            self._field("title", title),
            self._field("brand", brand),
            self._field("description", description),
        ]
        best: dict[int, tuple[float, _Field, _Hit]] = {}
        for listing_field in fields:
            for hit in self._lookup(
                listing_field.tokens, typos=listing_field.name != "description"
            ):
                mark = self._marks[hit.mark]
                score = _text_score(mark, hit, listing_field)
                right_id = mark.spec.right_id
                if right_id not in best or score > best[right_id][0]:
                    best[right_id] = (score, listing_field, hit)
        if not best:
            return []
        counterfeit_cues = [
            (f, hit) for f in fields for hit in f.cue_hits if hit.kind in _LISTING_WIDE_CUES
        ]
        brand_marks = {self._marks[h.mark].skeleton for h in self._lookup(fields[1].tokens, False)}
        matches: list[TextMatch] = []
        for right_id, (text_score, listing_field, hit) in best.items():
            match = self._explain(
                right_id, text_score, listing_field, hit, counterfeit_cues, brand_marks, context
            )
            if match is not None:
                matches.append(match)
        return sorted(matches, key=lambda m: (-m.score, m.right_id))

    def _field(self, name: str, text: str) -> _Field:
        normalised = normalise(text)
        return _Field(name, normalised, tokenise(normalised) if normalised.text else [])

    def _lookup(self, tokens: list[Token], typos: bool) -> list[_Hit]:
        hits: dict[tuple[int, int, int], _Hit] = {}
        skeletons = [t.skeleton for t in tokens]
        for first in range(len(tokens)):
            letters = ""
            for count in range(1, min(self._max_window, len(tokens) - first) + 1):
                letters += skeletons[first + count - 1]
                if len(letters) > self._max_letters:
                    break
                for index in self._by_letters.get(letters, ()):
                    if self._fits(index, count, 0):
                        hits[(index, first, count)] = _Hit(index, first, count, 0)
                lengths = self._typo_lengths.get(count)
                if (
                    not typos
                    or lengths is None
                    or not lengths[0] <= len(letters) <= lengths[1]
                    or (count == 1 and letters in self._common_words)
                    or (count > 1 and not self._may_be_typo_of_words(skeletons, first, count))
                ):
                    continue
                for index in self._typo_candidates(letters):
                    key = (index, first, count)
                    if key in hits or not self._fits(index, count, 1):
                        continue
                    edits = OSA.distance(
                        letters, self._marks[index].skeleton, score_cutoff=MAX_TYPO_EDITS
                    )
                    if 0 < edits <= MAX_TYPO_EDITS:
                        hits[key] = _Hit(index, first, count, edits)
        # Words that spell one mark exactly are not a typo of another ("Wilson" is
        # not a typo of "Bilson").
        exact = {(h.first, h.count) for h in hits.values() if not h.edits}
        return [
            h
            for h in hits.values()
            if not h.edits or not any(f <= h.first and h.first + h.count <= f + c for f, c in exact)
        ]

    def _may_be_typo_of_words(self, skeletons: list[str], first: int, count: int) -> bool:
        # One edit changes one word of a several-word mark ("Louis Vuiton"): the
        # window's other words must be words of such marks, spelt right.
        exact = sum(1 for s in skeletons[first : first + count] if s in self._typo_mark_words)
        return exact >= count - 1

    def _typo_candidates(self, letters: str) -> set[int]:
        cached = self._typo_cache.get(letters)
        if cached is not None:
            return cached
        candidates = self._typo_candidates_uncached(letters)
        if self._typo_cache_size:
            if len(self._typo_cache) >= self._typo_cache_size:
                self._typo_cache.clear()
            self._typo_cache[letters] = candidates
        return candidates

    def _typo_candidates_uncached(self, letters: str) -> set[int]:
        # Symmetric delete: the window with a letter left out is a mark (the seller
        # added one), the window is a mark with a letter left out (the seller dropped
        # one), or both with one left out (replaced or swapped letters).
        keys = self._by_typo_key
        candidates = set(keys.get(letters, ()))
        for deleted in _deletions(letters):
            found = keys.get(deleted)
            if found:
                candidates.update(found)
        return candidates

    def _fits(self, index: int, count: int, edits: int) -> bool:
        mark = self._marks[index]
        if mark.spec.ordinary_word:
            # "Apple" as the word it is: no joins or splits of ordinary words.
            return count == mark.words
        if edits:
            # A typo within the mark's own words, or in the mark written as one word.
            return count == mark.words or count == 1
        # A short mark split over words is mostly chance: "de 1l" is not "Dell".
        return count <= mark.words or len(mark.skeleton) > SHORT_MARK_MAX_LENGTH

    def _explain(
        self,
        right_id: int,
        text_score: float,
        listing_field: _Field,
        hit: _Hit,
        counterfeit_cues: list[tuple[_Field, cues.CueHit]],
        brand_marks: set[str],
        context: ListingContext,
    ) -> TextMatch | None:
        mark = self._marks[hit.mark]
        normalised = listing_field.normalised
        tokens = listing_field.tokens[hit.first : hit.first + hit.count]
        start, end = tokens[0].start, tokens[-1].end
        original_start, original_end = normalised.original_span(start, end)
        edit = _edit(mark, tokens, normalised.notes_between(original_start, original_end), hit)

        applied = _applied_cues(
            listing_field, start, original_start, original_end, edit, counterfeit_cues
        )
        ratio = cues.price_ratio(context.price, context.reference_prices.get(right_id))
        if ratio is not None and cues.is_low_price(ratio):
            applied.append(
                {
                    "name": cues.PRICE_UNDER_REFERENCE,
                    "kind": cues.LOW_PRICE,
                    "field": "price",
                    cues.PRICE_RATIO_KEY: round(ratio, 4),
                    "effect": cues.LOW_PRICE_EFFECT,
                }
            )
        explicit_counterfeit_cue = any(c.kind == cues.COUNTERFEIT for _, c in counterfeit_cues)

        support = None
        if mark.spec.ordinary_word:
            support = _ordinary_word_support(mark, context, explicit_counterfeit_cue, brand_marks)
            if support is None:
                return None

        score = min(1.0, max(0.0, text_score + sum(float(a["effect"]) for a in applied)))
        evidence: dict[str, Any] = {
            "mark": mark.spec.text,
            "field": listing_field.name,
            "span": {
                "start": original_start,
                "end": original_end,
                "text": listing_field.normalised.original[original_start:original_end],
            },
            "normalised": {
                "start": start,
                "end": end,
                "text": normalised.text[start:end],
                "mark": mark.plain,
            },
            "edit": edit,
            "text_score": round(text_score, 4),
            "cues": applied,
            "score": round(score, 4),
        }
        if support is not None:
            reason, classes = support
            evidence["ordinary_word_support"] = reason
            if classes:
                evidence["ordinary_word_classes"] = classes
        return TextMatch(right_id=right_id, score=round(score, 4), evidence=evidence)


# Cues that count wherever they are in the listing (reference cues count only
# just before the mark, so they are looked for per match).
_LISTING_WIDE_CUES = frozenset({cues.COUNTERFEIT, cues.DISCLAIMER})


@cache
def _default_common_skeletons() -> frozenset[str]:
    """The default common words, folded once a process: folding 50,000 words was ~0.6 s
    of every index build (a worker rebuilds whenever the rights revision moves)."""
    return frozenset(
        t.skeleton for word in default_common_words() for t in tokenise(normalise(word))
    )


def _deletions(letters: str) -> set[str]:
    return {letters[:i] + letters[i + 1 :] for i in range(len(letters))}


def _text_score(mark: _Mark, hit: _Hit, listing_field: _Field) -> float:
    kind = _kind(mark, listing_field.tokens[hit.first : hit.first + hit.count], hit)
    similarity = 1.0 if hit.edits == 0 else 1.0 - hit.edits / max(len(mark.skeleton), 1)
    return MENTION_SCORE * similarity * KIND_WEIGHTS[kind] * FIELD_WEIGHTS[listing_field.name]


def _kind(mark: _Mark, tokens: list[Token], hit: _Hit) -> str:
    if hit.edits:
        return "typo"
    if len(tokens) < mark.words:
        return "joined"
    if len(tokens) > mark.words:
        return "split"
    if tuple(t.plain for t in tokens) != mark.plain_words:
        return "split" if "".join(t.plain for t in tokens) == mark.plain else "leet"
    if any(t.spaced for t in tokens):
        return "spaced"
    return "exact"


def _edit(mark: _Mark, tokens: list[Token], notes: set[str], hit: _Hit) -> dict[str, Any]:
    kind = _kind(mark, tokens, hit)
    if kind == "exact" and notes & {NOTE_HOMOGLYPH, NOTE_COMPATIBILITY, NOTE_FORMAT}:
        kind = "confusable"
    found = "".join(t.plain for t in tokens)
    folds = sorted(notes & {NOTE_HOMOGLYPH, NOTE_COMPATIBILITY, NOTE_FORMAT, NOTE_ACCENT})
    if any(t.spaced for t in tokens):
        folds.append("spaced")
    if kind != "typo" and found != mark.plain:
        folds.append("leet")
    edit: dict[str, Any] = {"kind": kind, "folds": folds, "edits": hit.edits}
    if kind == "typo":
        edit["operations"] = _operations(found, mark.plain)
    elif "leet" in folds:
        edit["operations"] = [
            {"op": "look-alike", "at": i, "found": a, "expected": b}
            for i, (a, b) in enumerate(zip(found, mark.plain, strict=False))
            if a != b
        ]
    else:
        edit["operations"] = []
    return edit


def _operations(found: str, expected: str) -> list[dict[str, Any]]:
    """Describe how ``found`` differs from ``expected`` in the issue's typo classes."""
    ops = Levenshtein.editops(found, expected)
    if len(ops) == 2 and OSA.distance(found, expected) == 1:
        at = min(op.src_pos for op in ops)
        return [
            {
                "op": "transposition",
                "at": at,
                "found": found[at : at + 2],
                "expected": expected[at : at + 2],
            }
        ]
    described: list[dict[str, Any]] = []
    for op in ops:
        if op.tag == "insert":  # the seller left out expected[dest_pos]
            described.append(
                {"op": "omission", "at": op.src_pos, "found": "", "expected": expected[op.dest_pos]}
            )
        elif op.tag == "delete":  # the seller added found[src_pos]
            extra = found[op.src_pos]
            repeated = (
                found[op.src_pos - 1 : op.src_pos] == extra
                or found[op.src_pos + 1 : op.src_pos + 2] == extra
            )
            described.append(
                {
                    "op": "repetition" if repeated else "insertion",
                    "at": op.src_pos,
                    "found": extra,
                    "expected": "",
                }
            )
        else:
            a, b = found[op.src_pos], expected[op.dest_pos]
            swap = "vowel swap" if a in _VOWELS and b in _VOWELS else "replacement"
            described.append({"op": swap, "at": op.src_pos, "found": a, "expected": b})
    return described


def _applied_cues(
    listing_field: _Field,
    start: int,
    original_start: int,
    original_end: int,
    edit: dict[str, Any],
    counterfeit_cues: list[tuple[_Field, cues.CueHit]],
) -> list[dict[str, Any]]:
    """Return the cues that move this match's score, each with its effect."""
    applied: list[dict[str, Any]] = []
    reference = [
        cue
        for cue in listing_field.cue_hits
        if cue.kind == cues.REFERENCE
        and _words_between(listing_field.tokens, cue.end, start) <= cues.REFERENCE_MAX_GAP_WORDS
        and cue.end <= start
    ][:1]
    for cue in reference:
        applied.append(_cue_evidence(listing_field, cue, cues.REFERENCE_EFFECT))
    disclaimers = [(f, c) for f, c in counterfeit_cues if c.kind == cues.DISCLAIMER][:1]
    for cue_field, cue in disclaimers:
        applied.append(_cue_evidence(cue_field, cue, cues.DISCLAIMER_EFFECT))
    raising = [(f, c) for f, c in counterfeit_cues if c.kind == cues.COUNTERFEIT]
    budget = cues.COUNTERFEIT_MAX_EFFECT
    if DISGUISE_FOLDS.intersection(edit["folds"]):
        applied.append(
            {
                "name": cues.DISGUISED_SPELLING,
                "kind": cues.COUNTERFEIT,
                "field": listing_field.name,
                "text": listing_field.normalised.original[original_start:original_end],
                "effect": cues.COUNTERFEIT_EFFECT,
            }
        )
        budget -= cues.COUNTERFEIT_EFFECT
    seen: set[str] = set()
    for cue_field, cue in raising:
        if cue.name in seen:
            continue
        seen.add(cue.name)
        effect = round(min(cues.COUNTERFEIT_EFFECT, max(budget, 0.0)), 4)
        budget -= effect
        applied.append(_cue_evidence(cue_field, cue, effect))
    return applied


def _words_between(tokens: list[Token], start: int, end: int) -> int:
    return sum(1 for t in tokens if t.start >= start and t.end <= end)


def _cue_evidence(listing_field: _Field, cue: cues.CueHit, effect: float) -> dict[str, Any]:
    start, end = listing_field.normalised.original_span(cue.start, cue.end)
    return {
        "name": cue.name,
        "kind": cue.kind,
        "field": listing_field.name,
        "text": listing_field.normalised.original[start:end],
        "effect": effect,
    }


def _ordinary_word_support(
    mark: _Mark, context: ListingContext, counterfeit_cue: bool, brand_marks: set[str]
) -> tuple[str, list[int]] | None:
    """Return why an ordinary-word mark counts here (a cues.SUPPORT_* name and the Nice
    classes the listing's category shares with the mark), or None when nothing supports it."""
    if mark.skeleton in brand_marks:
        return cues.SUPPORT_BRAND_FIELD, []
    if context.category_classes is not None:
        shared = context.category_classes & mark.spec.classes
        if shared:
            return cues.SUPPORT_CATEGORY_CLASS, sorted(shared)
    if counterfeit_cue:
        return cues.SUPPORT_COUNTERFEIT_CUE, []
    return None
