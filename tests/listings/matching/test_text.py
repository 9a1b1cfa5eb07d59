"""The text half of the matching engine: marks found however they are spelt, and explained."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from listings.matching import cues
from listings.matching.text import MENTION_SCORE, ListingContext, MarkSpec, TextIndex

ROOT = Path(__file__).resolve().parents[3]
NIKE, LOUIS_VUITTON, ADIDAS, APPLE, BALENCIAGA, PUMA, SWATCH = 1, 2, 3, 4, 5, 6, 7


@pytest.fixture(scope="module")
def index() -> TextIndex:
    return TextIndex.build(
        [
            MarkSpec(NIKE, "Nike"),
            MarkSpec(LOUIS_VUITTON, "Louis Vuitton"),
            MarkSpec(ADIDAS, "Adidas"),
            MarkSpec(APPLE, "Apple", ordinary_word=True, classes=frozenset({9})),
            MarkSpec(BALENCIAGA, "Balenciaga"),
            MarkSpec(PUMA, "PUMA"),
            MarkSpec(SWATCH, "Swatch"),
        ]
    )


def only(matches):
    assert len(matches) == 1, matches
    return matches[0]


def test_the_library_imports_without_django():
    # given an environment where Django is not configured
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import sys, listings.matching.text, listings.matching.normalise, "
        "listings.matching.cues, listings.matching.confusables; "
        "assert 'django' not in sys.modules, 'django'"
    )
    # when the text modules are imported in a fresh interpreter
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    # then they import and Django was never loaded
    assert result.returncode == 0, result.stderr


def test_an_exact_mention_inside_a_long_title_is_found_and_explained(index):
    # given a long title naming Louis Vuitton in the middle
    title = "Women's vintage monogram canvas Louis Vuitton Speedy 30 handbag with dust bag, brown"
    # when it is matched
    match = only(index.match(title))
    # then the right is found at the plain-mention score, with the words it matched
    assert match.right_id == LOUIS_VUITTON
    assert match.score == MENTION_SCORE
    assert match.evidence["mark"] == "Louis Vuitton"
    assert match.evidence["span"]["text"] == "Louis Vuitton"
    assert match.evidence["normalised"]["text"] == "louis vuitton"
    assert match.evidence["edit"] == {"kind": "exact", "folds": [], "edits": 0, "operations": []}


@pytest.mark.parametrize(
    ("spelling", "operation"),
    [
        ("Balenciga", "omission"),
        ("Balenciagxa", "insertion"),
        ("Balenciaha", "replacement"),
        ("Balencaiga", "transposition"),
        ("Balennciaga", "repetition"),
        ("Balenciega", "vowel swap"),
    ],
)
def test_each_one_edit_typo_of_a_long_mark_is_found(index, spelling, operation):
    # given a title with a one-edit misspelling of a 10-letter mark
    title = f"{spelling} Triple S sneakers size 42 white"
    # when it is matched
    match = only(index.match(title))
    # then the mark is found as a typo, the operation named, scored under an exact mention
    assert match.right_id == BALENCIAGA
    assert match.evidence["edit"]["kind"] == "typo"
    assert [op["op"] for op in match.evidence["edit"]["operations"]] == [operation]
    assert match.evidence["span"]["text"] == spelling
    assert 0.5 < match.score < MENTION_SCORE


def test_a_typo_in_a_six_letter_mark_is_found(index):
    # given "Addidas", the commonest misspelling of a six-letter mark
    # when it is matched
    match = only(index.match("Addidas Superstar trainers"))
    # then it is Adidas with a repeated letter
    assert match.right_id == ADIDAS
    assert match.evidence["edit"]["operations"][0]["op"] == "repetition"


def test_a_typo_in_a_two_word_mark_is_found(index):
    # given "Louis Vuiton" with one "t"
    # when it is matched
    match = only(index.match("Louis Vuiton Neverfull MM tote"))
    # then it is Louis Vuitton over both words
    assert match.right_id == LOUIS_VUITTON
    assert match.evidence["span"]["text"] == "Louis Vuiton"


@pytest.mark.parametrize(
    ("title", "folds"),
    [
        ("Nіke Air Max 90", ["homoglyph"]),  # Cyrillic і
        ("Lоuis Vuittоn wallet", ["homoglyph"]),  # Cyrillic о twice
        ("ΝΙΚΕ Air Max 90", ["homoglyph"]),  # Greek capitals
        ("Ｎｉｋｅ Air Max 90", ["compatibility"]),  # fullwidth
        ("Ni\u200bke Air Max 90", ["format"]),  # zero-width space inside the word
    ],
)
def test_look_alike_characters_are_read_as_the_mark(index, title, folds):
    # given a mark written with characters from other scripts or invisible ones
    # when it is matched
    match = only(index.match(title))
    # then the mark is found as a confusable spelling, the fold named
    assert match.evidence["edit"]["kind"] == "confusable"
    assert match.evidence["edit"]["folds"] == folds


@pytest.mark.parametrize("spelling", ["N I K E", "N.I.K.E", "N-I-K-E"])
def test_spaced_out_letters_are_read_as_the_mark(index, spelling):
    # given a mark spelt out letter by letter
    # when it is matched
    match = only(index.match(f"{spelling} running shoes"))
    # then it is found as spaced, quoting the spaced letters
    assert match.right_id == NIKE
    assert match.evidence["edit"]["kind"] == "spaced"
    assert match.evidence["span"]["text"] == spelling


def test_leetspeak_is_read_as_the_mark(index):
    # given "N1KE" with a one for the i
    # when it is matched
    match = only(index.match("N1KE Air Force 1 low"))
    # then it is Nike, the look-alike named
    assert match.right_id == NIKE
    assert match.evidence["edit"]["kind"] == "leet"
    assert match.evidence["edit"]["operations"] == [
        {"op": "look-alike", "at": 1, "found": "1", "expected": "i"}
    ]


def test_a_mark_written_as_one_word_or_split_is_found(index):
    # given Louis Vuitton run together, and split inside a word
    # when each is matched
    joined = only(index.match("louisvuitton keepall 55"))
    split = only(index.match("Lou is Vuitton keepall 55"))
    # then both are found, named as such, a little under an exact mention
    assert joined.evidence["edit"]["kind"] == "joined"
    assert split.evidence["edit"]["kind"] == "split"
    assert split.evidence["span"]["text"] == "Lou is Vuitton"
    assert split.score < joined.score < MENTION_SCORE


def test_a_short_mark_needs_its_exact_letters(index):
    # given a four-letter mark, one edit away and spelt exactly
    # when each is matched
    # then only the exact spelling matches
    assert index.match("Pump action water gun") == []
    assert index.match("Pumma sneakers") == []
    assert only(index.match("PUMA Suede classic")).right_id == PUMA


def test_a_compatible_with_phrase_lowers_the_score(index):
    # given a plain mention and an accessory that says what it fits
    plain = only(index.match("Nike Air Max 90 shoes"))
    # when the accessory is matched
    accessory = only(index.match("Shoe cleaning kit compatible with Nike Air Max"))
    # then its score is lower, and the evidence says which phrase lowered it
    assert accessory.score < plain.score
    assert accessory.evidence["cues"] == [
        {
            "name": "compatible with",
            "kind": "reference",
            "field": "title",
            "text": "compatible with",
            "effect": -0.35,
        }
    ]


def test_a_reference_phrase_far_from_the_mark_does_not_lower_it(index):
    # given "fits" at the end of a title, after the product
    # when it is matched
    match = only(index.match("Nike Air Max 90 running shoes in black, fits true to size"))
    # then the score is a plain mention's
    assert match.score == MENTION_SCORE


def test_replica_aaa_raises_the_score(index):
    # given a mention with counterfeit grades
    # when it is matched
    match = only(index.match("Nike Air Jordan 1 replica AAA quality"))
    # then the score is above a plain mention, each cue listed with its effect
    assert match.score > MENTION_SCORE
    assert [(c["name"], c["effect"]) for c in match.evidence["cues"]] == [
        ("replica", 0.1),
        ("AAA", 0.1),
    ]


def test_a_price_far_under_the_reference_raises_the_score(index):
    # given a mention at a tenth of the right's reference price
    context = ListingContext(price=20.0, reference_prices={NIKE: 200.0})
    # when it is matched with that context
    match = only(index.match("Nike Air Max 90", context=context))
    # then the low price is a cue
    assert match.score > MENTION_SCORE
    assert match.evidence["cues"][0]["kind"] == "low_price"
    # stored as a number, not as words a page would have to parse back
    assert match.evidence["cues"][0][cues.PRICE_RATIO_KEY] == 0.1
    assert "text" not in match.evidence["cues"][0]


def test_an_ordinary_word_mark_needs_context(index):
    # given a cookbook title with the word "apple" and no context
    title = "apple pie recipe book"
    # when it is matched without context, then with the category in the mark's class
    without = index.match(title)
    with_class = index.match(title, context=ListingContext(category_classes=frozenset({9, 16})))
    # then only the second is a match, saying what supported it
    assert without == []
    assert only(with_class).right_id == APPLE
    assert only(with_class).evidence["ordinary_word_support"] == cues.SUPPORT_CATEGORY_CLASS
    assert only(with_class).evidence["ordinary_word_classes"] == [9]


def test_an_ordinary_word_mark_is_supported_by_the_brand_field_or_a_counterfeit_cue(index):
    # given the ordinary word in a title, with the brand field or a counterfeit cue
    # when each is matched
    by_brand = only(index.match("iPhone 15 case apple", brand="Apple"))
    by_cue = only(index.match("apple iphone 15 pro max 1:1"))
    # then each is a match with its support named
    assert by_brand.evidence["ordinary_word_support"] == cues.SUPPORT_BRAND_FIELD
    assert by_cue.evidence["ordinary_word_support"] == cues.SUPPORT_COUNTERFEIT_CUE
    assert "ordinary_word_classes" not in by_brand.evidence


def test_an_ordinary_word_mark_in_another_class_is_not_a_match(index):
    # given the ordinary word in a listing of a category outside the mark's classes
    # when it is matched
    # then it is not a match
    assert (
        index.match(
            "Fresh apple juice 1l", context=ListingContext(category_classes=frozenset({32}))
        )
        == []
    )


@pytest.mark.parametrize(
    "title",
    [
        "Women's leather crossbody bag adjustable strap black",
        "Stainless steel water bottle 750ml insulated, keeps cold 24h",
        "Kids wooden building blocks set of 100 pcs",
        "Men's running shoes breathable mesh size 44",
        "Sports watch waterproof digital",
    ],
)
def test_brand_free_titles_match_nothing(title):
    # given an index that knows "watch" is a common word, and a title without a brand
    index = TextIndex.build(
        [MarkSpec(NIKE, "Nike"), MarkSpec(SWATCH, "Swatch"), MarkSpec(BALENCIAGA, "Balenciaga")],
        common_words=["watch", "bag", "shoes"],
    )
    # when it is matched
    # then nothing is found
    assert index.match(title) == []


def test_a_common_word_is_not_read_as_a_typo_of_a_mark():
    # given "watch", one letter from Swatch: no common words, a platform's own, and the default list
    marks = [MarkSpec(SWATCH, "Swatch")]
    plain = TextIndex.build(marks, common_words=())
    knowing = TextIndex.build(marks, common_words=["watch"])
    default = TextIndex.build(marks)
    # when a sports watch is matched by each
    # then only the index without common words reads it as Swatch; all find Swatch itself
    assert only(plain.match("Sports watch waterproof")).right_id == SWATCH
    assert knowing.match("Sports watch waterproof") == []
    assert default.match("Sports watch waterproof") == []
    assert only(knowing.match("Swatch Sistem51 watch")).right_id == SWATCH
    assert only(default.match("Swatch Sistem51 watch")).right_id == SWATCH


def test_the_default_common_words_leave_misspellings_readable_as_typos():
    # given the default list of common words
    index = TextIndex.build([MarkSpec(1, "Adidas"), MarkSpec(2, "Balenciaga")])
    # when misspelt brands are matched, then they are still read as typos
    assert only(index.match("Addidas running shoes")).right_id == 1
    assert only(index.match("Balenciga city bag")).right_id == 2


def test_typos_are_not_looked_for_in_the_description(index):
    # given a misspelling in the description and the mark spelt right in another
    # when each is matched
    typo = index.match("Trainers size 42", "Like Addidas superstar")
    exact = only(index.match("Trainers size 42", "Like Adidas superstar"))
    # then only the exact one matches, from the description, weaker than in a title
    assert typo == []
    assert exact.evidence["field"] == "description"
    assert exact.score < MENTION_SCORE


def test_evidence_spans_map_back_to_the_original_text(index):
    # given a title mixing fullwidth, Cyrillic and a zero-width joiner before the mark
    title = "Ｎｅｗ ２０２４ Lоuis\u200d Vuittоn Alma BB"
    # when it is matched
    match = only(index.match(title))
    # then the span indexes the original title and quotes what the seller wrote
    span = match.evidence["span"]
    assert title[span["start"] : span["end"]] == span["text"] == "Lоuis\u200d Vuittоn"
    assert match.evidence["normalised"]["text"] == "louis vuitton"


def test_evidence_is_json(index):
    # given a match with cues and an edit
    match = only(
        index.match(
            "Addidas replica 1:1", context=ListingContext(price=5, reference_prices={ADIDAS: 100})
        )
    )
    # when its evidence is serialised and read back
    # then nothing is lost
    assert json.loads(json.dumps(match.evidence)) == match.evidence


def test_the_best_mark_of_a_right_is_kept():
    # given a right with two marks, both in the title
    index = TextIndex.build([MarkSpec(1, "Yves Saint Laurent"), MarkSpec(1, "YSL")])
    # when it is matched
    matches = index.match("YSL Yves Saint Laurent Kate bag")
    # then the right appears once
    assert [m.right_id for m in matches] == [1]


def test_marks_without_letters_are_skipped_not_indexed():
    # given a figurative mark with no words
    # when the index is built
    index = TextIndex.build([MarkSpec(1, "★ ★"), MarkSpec(2, "Nike")])
    # then it is set aside and the rest indexed
    assert [spec.right_id for spec in index.skipped] == [1]
    assert len(index) == 1


def test_a_disguised_spelling_raises_the_score_but_fullwidth_alone_does_not(index):
    # given the mark with a Cyrillic letter, and in fullwidth as East Asian keyboards type it
    # when each is matched
    homoglyph = only(index.match("Nіke Air Max 90"))
    fullwidth = only(index.match("Ｎｉｋｅ Air Max 90"))
    # then only the homoglyph counts as a counterfeit cue
    assert [c["name"] for c in homoglyph.evidence["cues"]] == ["disguised spelling"]
    assert homoglyph.score > MENTION_SCORE
    assert fullwidth.evidence["cues"] == []
    assert fullwidth.score == MENTION_SCORE


def test_a_disclaimer_anywhere_lowers_the_score(index):
    # given a mention whose description disclaims any link with the brand
    # when it is matched
    match = only(
        index.match("Sneaker cleaning foam for Nike shoes", "Not affiliated with Nike Inc.")
    )
    # then the disclaimer lowers the score
    assert [c["kind"] for c in match.evidence["cues"]] == ["disclaimer"]
    assert match.score < MENTION_SCORE
