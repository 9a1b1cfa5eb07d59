"""Fold listing text to the form a reader sees, undoing the tricks that hide a brand name.

Counterfeit listings spell marks so that a substring search misses them while a
shopper still reads the brand: fullwidth or Cyrillic letters, zero-width spaces
inside the word, "N.I.K.E", "N1KE". Folding text and marks the same way turns
those into plain lookups. Every folded character remembers the original
character it came from, so evidence can quote what the seller actually wrote.

Two forms per word: ``plain`` (Unicode folds only: NFKC, format characters,
homoglyphs, case, accents) and ``skeleton`` (plain plus the look-alike folds
0->o, 1->l, rn->m ...). A match on the plain form is a spelling of the mark; a
match only on the skeleton is leetspeak.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from listings.matching.confusables import HOMOGLYPHS

# What a fold did to an original character; evidence lists them per match.
NOTE_COMPATIBILITY = "compatibility"  # NFKC changed it: fullwidth, ligature, mathematical letter
NOTE_FORMAT = "format"  # an invisible format character (zero-width space, joiner, soft hyphen)
NOTE_HOMOGLYPH = "homoglyph"  # a Cyrillic/Greek/Armenian look-alike of a Latin letter
NOTE_ACCENT = "accent"  # a diacritic stripped

# A word: letters and digits, joined by apostrophes ("levi's" reads "levis") or by
# the symbols leetspeak puts between letters ("n!ke", "adid@s"); "$" also ends a
# word ("loui$"). "|" is not among them: titles use it as a separator.
_WORD = re.compile(r"[^\W_]+(?:(?:['’ʼ]|[$@!]+)[^\W_]+)*(?:(?<=[^\W\d_])\$(?![^\W_]))?")
_APOSTROPHES = str.maketrans("", "", "'’ʼ")
# Characters that may separate the letters of a spaced-out word: "N I K E",
# "N.I.K.E", "N-I-K-E", "N. I. K. E.". At most two of them between letters.
_LETTER_SEPARATORS = frozenset(" .-_*·•~")
# Look-alike folds of leetspeak, applied only to words with at least one letter so
# that sizes and model numbers stay numbers. "1", "!", "i" and "l" all fold to "l"
# as in TR39's skeleton, so "N1KE" and "App1e" both read as their marks.
_LEET = str.maketrans({"0": "o", "1": "l", "!": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a"})  # fmt: skip
# Letter pairs that read as one letter at a glance (TR39 lists both).
_LOOKALIKE_PAIRS = (("rn", "m"), ("vv", "w"))


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """``text`` folded character by character; ``origin[i]`` is the index in ``original``
    of the character that produced ``text[i]`` (``None`` when they are the same string
    positions: each character folded to one, as ASCII and most titles do). ``notes`` holds
    (original index, NOTE_*) pairs."""

    original: str
    text: str
    origin: tuple[int, ...] | None
    notes: tuple[tuple[int, str], ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Return the span of ``original`` that produced ``text[start:end]`` (``end`` > ``start``)."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1

    def notes_between(self, start: int, end: int) -> set[str]:
        """Return the folds applied to original characters ``start`` to ``end``."""
        return {note for index, note in self.notes if start <= index < end}


@dataclass(frozen=True, slots=True)
class Token:
    """A word of a NormalisedText: ``text[start:end]`` and its two folded forms."""

    start: int
    end: int
    plain: str
    skeleton: str
    spaced: bool = False  # collapsed from single characters: "N I K E"


def _fold_step(char: str) -> tuple[str, tuple[str, ...]]:
    """Fold one character once: NFKC, drop format characters, homoglyphs, casefold, accents."""
    notes: list[str] = []
    compatible = unicodedata.normalize("NFKC", char)
    if compatible != char:
        notes.append(NOTE_COMPATIBILITY)
    folded: list[str] = []
    for c in compatible:
        if unicodedata.category(c) == "Cf":
            notes.append(NOTE_FORMAT)
            continue
        latin = HOMOGLYPHS.get(c)
        if latin is not None:
            notes.append(NOTE_HOMOGLYPH)
            c = latin
        for d in unicodedata.normalize("NFD", c.casefold()):
            if unicodedata.category(d) == "Mn":
                notes.append(NOTE_ACCENT)
            else:
                folded.append(d)
    return "".join(folded), tuple(notes)


# Rounds of _fold_step after the first: one reaches the fixed point of every code
# point in Python 3.11's Unicode 14 (tests/listings/test_fold_idempotent.py checks
# them all); the spare rounds are for later Unicode versions.
_MAX_EXTRA_ROUNDS = 3


def _fold_char(char: str) -> tuple[str, tuple[str, ...]]:
    """Fold one character to a fixed point, so that folded text folds to itself.

    One step is not enough: stripping the accent of Cyrillic "Ё" leaves Cyrillic
    "е", case folding Greek "Σ" gives "σ", and both are homoglyphs of a Latin
    letter that only a further step maps ("NIKЁ" reads "nike"). The notes of every
    step are kept: "Ё" was both accented and a look-alike.
    """
    folded, notes = _fold_step(char)
    if folded == char or (folded.isascii() and folded == folded.lower()):
        # A step changes ASCII only by case: nearly every character ends here.
        return folded, notes
    for _ in range(_MAX_EXTRA_ROUNDS):
        steps = [_fold_step(c) for c in folded]
        again = "".join(part for part, _ in steps)
        if again == folded:
            return folded, notes
        folded = again
        notes += tuple(note for _, step_notes in steps for note in step_notes)
    raise AssertionError(f"folding {char!r} reaches no fixed point")  # pragma: no cover


# How many folded characters the table keeps; past it a new character is folded
# each time it is seen. A worker meets a few thousand distinct characters, a
# hostile feed at most every code point (1,114,112, 170 MB if all were kept).
_FOLDS_KEPT = 65536


class _FoldTable(dict[int, str]):
    """Code point -> folded text, for ``str.translate``; folded when first asked for.

    Characters whose fold leaves a note or does not give exactly one character
    are also entered in ``_MARKED`` (never trimmed: about 19,000 code points can
    be), so a text none of whose characters are there keeps its positions and
    needs no walk in Python.
    """

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded, notes = _fold_char(char)
        if notes or len(folded) != 1:
            _MARKED[char] = (folded, notes)
        if len(self) < _FOLDS_KEPT:
            self[code] = folded
        return folded


_FOLDS = _FoldTable()
_MARKED: dict[str, tuple[str, tuple[str, ...]]] = {}


def normalise(text: str) -> NormalisedText:
    """Fold ``text``: NFKC, drop format characters, map homoglyphs, casefold, strip accents.

    Folding is idempotent: ``normalise(normalise(t).text).text == normalise(t).text``.
    """
    if text.isascii():
        # Nothing above changes ASCII except case; most titles take this path.
        return NormalisedText(text, text.lower(), None, ())
    # str.translate asks the table for each character (filling it on first sight),
    # so every marked character of ``text`` is in _MARKED once it returns.
    folded = text.translate(_FOLDS)
    if _MARKED.keys().isdisjoint(text):
        # One character for each, nothing to note: Chinese titles, most others.
        return NormalisedText(text, folded, None, ())
    notes: list[tuple[int, str]] = []
    same_positions = True
    for index, char in enumerate(text):
        marked = _MARKED.get(char)
        if marked is not None:
            notes.extend((index, note) for note in marked[1])
            same_positions = same_positions and len(marked[0]) == 1
    origin = None
    if not same_positions:
        origin = tuple(
            index
            for index, char in enumerate(text)
            for _ in range(len(_MARKED[char][0]) if char in _MARKED else 1)
        )
    return NormalisedText(text, folded, origin, tuple(notes))


@lru_cache(maxsize=65536)
def skeleton(plain: str) -> str:
    """Return the look-alike fold of a plain word: "n1ke" -> "nlke", "modern" -> "modem"."""
    if not any(c.isalpha() for c in plain):
        return plain
    folded = plain.translate(_LEET)
    for pair, single in _LOOKALIKE_PAIRS:
        folded = folded.replace(pair, single)
    return folded


def tokenise(normalised: NormalisedText) -> list[Token]:
    """Split folded text into words, joining spaced-out letters ("n.i.k.e") into one word."""
    text = normalised.text
    words = [(m.start(), m.end(), m.group().translate(_APOSTROPHES)) for m in _WORD.finditer(text)]
    tokens: list[Token] = []
    i = 0
    while i < len(words):
        j = i
        while (
            j + 1 < len(words)
            and len(words[j][2]) == 1
            and len(words[j + 1][2]) == 1
            and _separates_letters(text[words[j][1] : words[j + 1][0]])
        ):
            j += 1
        if j > i:
            plain = "".join(word[2] for word in words[i : j + 1])
            tokens.append(Token(words[i][0], words[j][1], plain, skeleton(plain), spaced=True))
        else:
            start, end, plain = words[i]
            tokens.append(Token(start, end, plain, skeleton(plain)))
        i = j + 1
    return tokens


def _separates_letters(gap: str) -> bool:
    return 1 <= len(gap) <= 2 and all(c in _LETTER_SEPARATORS for c in gap)
