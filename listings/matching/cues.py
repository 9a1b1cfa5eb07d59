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

# (name, kind, pattern) over folded text: lower case, Latin letters, no accents.
_CUES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (name, kind, re.compile(pattern))
    for name, kind, pattern in (
        ("compatible with", REFERENCE, r"\bcompatible\s+(?:with|for|to)\b"),
        ("accessory for", REFERENCE, rf"\b(?:{_ACCESSORIES})(?:e?s)?\s+for\b"),
        ("fits", REFERENCE, r"\bfits?\b"),
        ("for use with", REFERENCE, r"\bfor\s+use\s+(?:with|in|on)\b"),
        ("replacement for", REFERENCE, r"\breplacements?\s+(?:for|of)\b"),
        ("suitable for", REFERENCE, r"\bsuitable\s+for\b"),
        ("works with", REFERENCE, r"\bworks?\s+with\b"),
        ("designed for", REFERENCE, r"\bdesigned\s+for\b"),
        ("not affiliated", DISCLAIMER, r"\bnot\s+(?:affiliated|endorsed|sponsored|associated)\b"),
        ("unaffiliated", DISCLAIMER, r"\bunaffiliated\b"),
        ("replica", COUNTERFEIT, rf"{_NOT}\breplicas?\b"),
        # "AAA" grades copies ("AAA quality", "AAA+"), but also names a battery size.
        (
            "AAA",
            COUNTERFEIT,
            r"\baaa+\b\+?(?!\s*(?:batter|cell|size|alkaline|recharge|nimh|lithium))",
        ),
        ("1:1", COUNTERFEIT, r"(?<![\d:])1\s*:\s*1(?![\d:])"),
        ("mirror quality", COUNTERFEIT, r"\bmirror\s+(?:quality|grade|copy|image\s+quality)\b"),
        ("super copy", COUNTERFEIT, r"\bsuper\s*copy\b"),
        ("high copy", COUNTERFEIT, r"\b(?:high|top|best|perfect)\s*(?:quality\s+)?cop(?:y|ies)\b"),
        ("fake", COUNTERFEIT, rf"{_NOT}\bfakes?\b"),
        ("OEM quality", COUNTERFEIT, r"\boem\s+(?:quality|grade)\b"),
        # "Inspired by" sells a look-alike on the brand's name: not the brand's goods,
        # and the phrase counterfeit perfume and bag listings use most.
        ("inspired by", COUNTERFEIT, r"\binspired\s+by\b"),
        ("dupe", COUNTERFEIT, rf"{_NOT}\bdupes?\b"),
        ("knockoff", COUNTERFEIT, rf"{_NOT}\bknock[\s-]?offs?\b"),
        ("unauthorised copy", COUNTERFEIT, r"\bunauthori[sz]ed\s+cop(?:y|ies)\b"),
    )
)


@dataclass(frozen=True, slots=True)
class CueHit:
    """A cue found in folded text, ``text[start:end]``."""

    name: str
    kind: str
    start: int
    end: int


# One alternation of every cue, so a text is scanned once rather than once per cue.
_ANY_CUE = re.compile("|".join(f"(?P<c{i}>{p.pattern})" for i, (_, _, p) in enumerate(_CUES)))


def find_cues(folded: str) -> list[CueHit]:
    """Return the cues in ``folded`` text (``normalise(...).text``), in order of position."""
    hits: list[CueHit] = []
    for match in _ANY_CUE.finditer(folded):
        name, kind, _ = _CUES[int((match.lastgroup or "c0")[1:])]
        hits.append(CueHit(name, kind, match.start(), match.end()))
    return hits


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
