"""Folding is a fixed point for every character, so a disguise folded once reads as the mark.

A fold that needed a second pass left "NIKЁ" as "nikе" with a Cyrillic "е": the
accent stripped, the look-alike not mapped, and the mark missed. Every code
point is checked, not a sample: the fold is per character, so folding any text
twice changes nothing more than folding it once exactly when no character's
fold holds a character that folds again.
"""

import sys

from listings.matching.normalise import NOTE_ACCENT, NOTE_HOMOGLYPH, normalise
from listings.matching.text import MarkSpec, TextIndex

NIKE, ADIDAS = 1, 2


def test_what_any_code_point_folds_to_folds_to_itself():
    # given every code point, lone surrogates included, folded in one text
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    once = normalise(every)
    assert once.origin is not None  # some characters fold to several (ligatures)
    folds = [""] * len(every)
    for position, index in enumerate(once.origin):
        folds[index] += once.text[position]
    # when each character a fold produced is folded itself
    # then it is already folded
    not_fixed = sorted({c for folded in folds for c in folded if folds[ord(c)] != c})
    assert not_fixed == []


def test_an_accented_look_alike_folds_to_the_latin_letter_in_one_pass():
    # given "NIKЁ" with a Cyrillic capital "Ё" (an "Е" with a diaeresis)
    # when it is folded
    folded = normalise("NIKЁ")
    # then it reads "nike", the "Ё" noted as accented and as a look-alike
    assert folded.text == "nike"
    assert folded.notes_between(3, 4) == {NOTE_ACCENT, NOTE_HOMOGLYPH}
    assert normalise(folded.text).text == "nike"


def test_capitals_whose_lower_case_is_a_look_alike_fold_like_it():
    # given Greek and Cyrillic capitals with no look-alike of their own, next to
    # the lower-case letters the homoglyph table maps
    # when both are folded
    # then the capitals read as their lower case does
    assert normalise("Σ Γ Г").text == normalise("σ γ г").text == "o y r"


def test_disguises_with_accented_look_alikes_match_the_mark_as_disguised():
    # given marks and titles spelling them with accented Cyrillic and Greek letters
    index = TextIndex.build([MarkSpec(NIKE, "Nike"), MarkSpec(ADIDAS, "Adidas")])
    titles = {
        "NIKЁ Air Max 90 men's running shoes": NIKE,  # Cyrillic Ё
        "Nїke socks 3 pairs": NIKE,  # Cyrillic ї
        "Adidάs Superstar white": ADIDAS,  # Greek ά
    }
    for title, right_id in titles.items():
        # when each is matched
        (match,) = index.match(title)
        # then the mark is found as a disguised spelling, not as a typo
        assert match.right_id == right_id
        assert match.evidence["edit"]["kind"] == "confusable"
        assert match.evidence["edit"]["edits"] == 0
        assert "disguised spelling" in [cue["name"] for cue in match.evidence["cues"]]
