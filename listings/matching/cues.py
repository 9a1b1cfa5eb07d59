"""Find the words around a mark that say whether a listing sells the brand or refers to it.

"Case for iPhone" names Apple to describe what the case fits (a referential use
that trademark law allows); "iPhone 15 replica AAA" names it to sell a copy.
Cues are found in folded text (see normalise.py), so "RΕPLICA" with a Greek "Ε"
is still a replica. The effects are added to a match's score in text.py.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

# Cue kinds. A reference cue lowers the score only when it comes shortly before the
# mark ("compatible with Nikon", not "Nikon camera, fits in any bag"); a disclaimer
# and a counterfeit cue count wherever they are in the title or description.
REFERENCE = "reference"
DISCLAIMER = "disclaimer"
COUNTERFEIT = "counterfeit"
LOW_PRICE = "low_price"

# Names of the cues text.py adds itself (a disguised spelling of the mark, a low
# price), beside those found in the text (_CUE_PATTERNS). Names are stored in a
# detection's evidence as they are, in English: pages say them in the reader's
# language (listings.explain.CUE_WORDS), so a name changed here is a new msgid there.
DISGUISED_SPELLING = "disguised spelling"
PRICE_UNDER_REFERENCE = "price under reference"
# The low-price cue stores its figure, ``price / reference price``, as a number
# under this key (rounded to 4 places), not in words. Rows stored before
# 2026-12-03 hold it as text instead ("0.25 of the reference price"), which
# listings.explain still reads.
PRICE_RATIO_KEY = "ratio"

# Why an ordinary-word mark ("Apple", "Shell") counts in a listing, stored in a
# detection's evidence under "ordinary_word_support"; with SUPPORT_CATEGORY_CLASS,
# the Nice classes the listing's category shares with the mark are stored as
# numbers under "ordinary_word_classes". Rows stored before 2026-12-03 hold
# "category in class 18, 25" as the support instead (read by listings.explain).
SUPPORT_BRAND_FIELD = "brand field"
SUPPORT_CATEGORY_CLASS = "category class"
SUPPORT_COUNTERFEIT_CUE = "counterfeit cue"
SUPPORT_NAMES: tuple[str, ...] = (
    SUPPORT_BRAND_FIELD,
    SUPPORT_CATEGORY_CLASS,
    SUPPORT_COUNTERFEIT_CUE,
)

# Effects on a match's score (0..1). A plain mention scores 0.7 (text.MENTION_SCORE):
# one reference cue takes it to 0.35, under the 0.5 a moderator's queue would start
# at; counterfeit cues add 0.1 each up to 0.25, so a mention with "replica AAA" and
# a price under 30 % of the reference reaches 1.0. Hand-set, to be fitted once
# moderators have decided enough cases.
REFERENCE_EFFECT = -0.35
DISCLAIMER_EFFECT = -0.35
COUNTERFEIT_EFFECT = 0.1
COUNTERFEIT_MAX_EFFECT = 0.25
LOW_PRICE_EFFECT = 0.1
# A price under 30 % of the right's reference price: the figure the issue gives;
# genuine goods rarely sell below ~40 % of list even on clearance.
LOW_PRICE_RATIO = 0.3
# How many words may stand between a reference cue and the mark: "case for
# <apple> iphone", "compatible with the <nikon>", "fits most <dyson> v11 models".
REFERENCE_MAX_GAP_WORDS = 3

_NOT = r"(?<!\bnot )(?<!\bno )(?<!\bnot a )(?<!\bnon[- ])"
_ACCESSORIES = (
    r"case|cover|sleeve|skin|strap|band|charger|cable|adapter|holder|stand|mount"
    r"|protector|refill|filter|battery|bag|box|lens|remote|dock|keyboard|mouse|pad"
)

# (name, needle, kind, pattern) over folded text: lower case, Latin letters, no
# accents. The needle is a literal every match contains: a substring test skips the
# regular expression for the cues a text cannot hold (nearly all of them).
_CUE_PATTERNS: tuple[tuple[str, str, str, str], ...] = (
    ("compatible with", "compatible", REFERENCE, r"\bcompatible\s+(?:with|for|to)\b"),
    ("accessory for", "for", REFERENCE, rf"\b(?:{_ACCESSORIES})(?:e?s)?\s+for\b"),
    ("fits", "fit", REFERENCE, r"\bfits?\b"),
    ("for use with", "use", REFERENCE, r"\bfor\s+use\s+(?:with|in|on)\b"),
    ("replacement for", "replacement", REFERENCE, r"\breplacements?\s+(?:for|of)\b"),
    ("suitable for", "suitable", REFERENCE, r"\bsuitable\s+for\b"),
    ("works with", "with", REFERENCE, r"\bworks?\s+with\b"),
    ("designed for", "designed", REFERENCE, r"\bdesigned\s+for\b"),
    (
        "not affiliated",
        "not",
        DISCLAIMER,
        r"\bnot\s+(?:affiliated|endorsed|sponsored|associated)\b",
    ),
    ("unaffiliated", "unaffiliated", DISCLAIMER, r"\bunaffiliated\b"),
    ("replica", "replica", COUNTERFEIT, rf"{_NOT}\breplicas?\b"),
    # "AAA" grades copies ("AAA quality", "AAA+"), but also names a battery size.
    (
        "AAA",
        "aaa",
        COUNTERFEIT,
        r"\baaa+\b\+?(?!\s*(?:batter|cell|size|alkaline|recharge|nimh|lithium))",
    ),
    ("1:1", ":", COUNTERFEIT, r"(?<![\d:])1\s*:\s*1(?![\d:])"),
    (
        "mirror quality",
        "mirror",
        COUNTERFEIT,
        r"\bmirror\s+(?:quality|grade|copy|image\s+quality)\b",
    ),
    ("super copy", "cop", COUNTERFEIT, r"\bsuper\s*copy\b"),
    (
        "high copy",
        "cop",
        COUNTERFEIT,
        r"\b(?:high|top|best|perfect)\s*(?:quality\s+)?cop(?:y|ies)\b",
    ),
    ("fake", "fake", COUNTERFEIT, rf"{_NOT}\bfakes?\b"),
    ("OEM quality", "oem", COUNTERFEIT, r"\boem\s+(?:quality|grade)\b"),
    # "Inspired by" sells a look-alike on the brand's name: not the brand's goods,
    # and the phrase counterfeit perfume and bag listings use most.
    ("inspired by", "inspired", COUNTERFEIT, r"\binspired\s+by\b"),
    ("dupe", "dupe", COUNTERFEIT, rf"{_NOT}\bdupes?\b"),
    ("knockoff", "knock", COUNTERFEIT, rf"{_NOT}\bknock[\s-]?offs?\b"),
    ("unauthorised copy", "unauthori", COUNTERFEIT, r"\bunauthori[sz]ed\s+cop(?:y|ies)\b"),
)


@dataclass(frozen=True, slots=True)
class CueHit:
    """A cue found in folded text, ``text[start:end]``."""

    name: str
    kind: str
    start: int
    end: int


_CUES: tuple[tuple[str, str, str, re.Pattern[str]], ...] = tuple(
    (name, needle, kind, re.compile(pattern)) for name, needle, kind, pattern in _CUE_PATTERNS
)

# Every cue name a detection's evidence can hold.
CUE_NAMES: tuple[str, ...] = (
    *(name for name, _needle, _kind, _pattern in _CUE_PATTERNS),
    DISGUISED_SPELLING,
    PRICE_UNDER_REFERENCE,
)


def find_cues(folded: str) -> list[CueHit]:
    """Return the cues in ``folded`` text (``normalise(...).text``), in order of position."""
    hits = [
        CueHit(name, kind, match.start(), match.end())
        for name, needle, kind, pattern in _CUES
        if needle in folded
        for match in pattern.finditer(folded)
    ]
    return sorted(hits, key=lambda hit: (hit.start, hit.name))


def price_ratio(
    price: Decimal | float | None, reference_price: Decimal | float | None
) -> float | None:
    """Return ``price / reference_price``, or None when either is missing or not positive."""
    if price is None or reference_price is None or price <= 0 or reference_price <= 0:
        return None
    return float(price) / float(reference_price)


def is_low_price(ratio: float | None) -> bool:
    """Return whether a price ratio is far enough under the reference to suggest a copy."""
    return ratio is not None and ratio < LOW_PRICE_RATIO
