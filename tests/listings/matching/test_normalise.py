"""Folding listing text: Unicode tricks undone, look-alike skeletons, spans back to the original."""

from listings.matching.normalise import (
    NOTE_ACCENT,
    NOTE_COMPATIBILITY,
    NOTE_FORMAT,
    NOTE_HOMOGLYPH,
    normalise,
    skeleton,
    tokenise,
)


def test_fullwidth_zero_width_and_cyrillic_fold_to_latin_with_their_origin():
    # given "Nike" in fullwidth letters, a zero-width space and a Cyrillic "і"
    original = "Buy Ｎ\u200bіke"
    # when it is normalised
    folded = normalise(original)
    # then it reads "buy nike", and the folded word maps back to what the seller wrote
    assert folded.text == "buy nike"
    start, end = folded.original_span(4, 8)
    assert original[start:end] == "Ｎ\u200bіke"
    assert folded.notes_between(start, end) == {NOTE_COMPATIBILITY, NOTE_FORMAT, NOTE_HOMOGLYPH}


def test_greek_capitals_read_as_latin_capitals_not_as_their_lower_case():
    # given "NIKE" in Greek capitals (lower-case Greek nu would read "v")
    # when it is normalised
    folded = normalise("ΝΙΚΕ")
    # then it reads "nike"
    assert folded.text == "nike"


def test_accents_are_stripped():
    # given a mark with an accent
    # when it is normalised
    folded = normalise("Hermès")
    # then the accent is gone and noted
    assert folded.text == "hermes"
    assert folded.notes_between(0, 6) == {NOTE_ACCENT}


def test_letters_spaced_out_with_any_separator_become_one_word():
    # given a brand spelt out letter by letter in four ways
    titles = ["N I K E shoes", "N.I.K.E shoes", "N-I-K-E shoes", "N. I. K. E. shoes"]
    # when each is tokenised
    words = [[t.plain for t in tokenise(normalise(title))] for title in titles]
    # then each reads "nike shoes", the first word marked as spaced
    assert words == [["nike", "shoes"]] * 4
    assert tokenise(normalise("N I K E shoes"))[0].spaced


def test_apostrophes_join_a_word_and_leet_symbols_stay_inside_it():
    # given a mark with an apostrophe and leetspeak with symbols
    # when they are tokenised
    words = [t.plain for t in tokenise(normalise("Levi's ADID@S N!KE LOUI$ 20$"))]
    # then the apostrophe disappears, the symbols stay in their words, a price stays apart
    assert words == ["levis", "adid@s", "n!ke", "loui$", "20"]


def test_skeleton_folds_leetspeak_and_letter_pairs_but_leaves_numbers():
    # given leet and look-alike spellings, and a model number
    # when their skeletons are taken
    # then each equals the skeleton of the word it imitates; numbers stay numbers
    assert skeleton("n1ke") == skeleton("nike")
    assert skeleton("l0u1s") == skeleton("louis")
    assert skeleton("4d1d45") == skeleton("adidas")
    assert skeleton("rnodern") == skeleton("modem")
    assert skeleton("vvhite") == skeleton("white")
    assert skeleton("501") == "501"


def test_ascii_text_keeps_its_positions():
    # given a plain ASCII title
    folded = normalise("Nike Air Max 90")
    # when a folded span is mapped back
    # then it is the same span
    assert folded.text == "nike air max 90"
    assert folded.original_span(5, 12) == (5, 12)
