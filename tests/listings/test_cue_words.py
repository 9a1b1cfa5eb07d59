"""Why a listing matched is said in the reader's words: the engine's names pass through gettext.

The engine stores its cue, field and spelling-change names in English inside a
detection's evidence; the pages translate them when they show them. A fake
catalogue that wraps every translated string in 《》 shows which words of a
sentence went through gettext: each engine name must come out wrapped.
"""

from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import trans_real

from listings import explain
from listings.matching import cues
from listings.matching.text import ListingContext, MarkSpec, TextIndex
from listings.templatetags.detections import engine_words, signal_name

NIKE, APPLE, BALENCIAGA = 1, 2, 3


@pytest.fixture(scope="module")
def index() -> TextIndex:
    return TextIndex.build(
        [
            MarkSpec(NIKE, "Nike"),
            MarkSpec(APPLE, "Apple", ordinary_word=True, classes=frozenset({9})),
            MarkSpec(BALENCIAGA, "Balenciaga"),
        ]
    )


@pytest.fixture
def wrapped_chinese(monkeypatch):
    """Chinese whose catalogue answers every string wrapped in 《》, context dropped."""
    catalogue = trans_real.translation("zh-hans")
    monkeypatch.setattr(
        catalogue,
        "gettext",
        lambda message: f"《{message.split(trans_real.CONTEXT_SEPARATOR)[-1]}》",
    )
    with translation.override("zh-hans"):
        yield


def evidence_of(matches, right_id):
    return next(m.evidence for m in matches if m.right_id == right_id)


def test_every_cue_the_engine_stores_has_words_to_say_it():
    # given every cue name the engine can put in a detection's evidence
    # then each has a translatable name, and nothing else is listed
    assert set(explain.CUE_WORDS) == set(cues.CUE_NAMES)


def test_the_cues_the_matcher_adds_itself_are_among_the_known_names(index):
    # given a disguised spelling sold far under the reference price, with "replica"
    context = ListingContext(price=Decimal("20"), reference_prices={NIKE: Decimal("100")})
    # when it is matched
    evidence = evidence_of(index.match("Nіke replica sneakers", context=context), NIKE)
    # then every cue it stores is a name the pages can say, kept in English in the evidence
    names = [cue["name"] for cue in evidence["cues"]]
    assert names == ["disguised spelling", "replica", "price under reference"]
    assert set(names) <= set(cues.CUE_NAMES)


def test_every_spelling_change_the_matcher_describes_has_words_to_say_it(index):
    # given the mark misspelt in each of the typo classes, and in leetspeak
    titles = ["Balenciga", "Balencciaga", "Balenciazga", "Balenxiaga", "Balenicaga",
              "Balenceaga", "Ba1enciaga"]  # fmt: skip
    # when each is matched
    operations = {
        op["op"]
        for title in titles
        for op in evidence_of(index.match(title), BALENCIAGA)["edit"]["operations"]
    }
    # then each change is one the pages can say
    assert operations == set(explain.OPERATION_WORDS)


def test_cue_and_field_names_go_through_the_catalogue(index, wrapped_chinese):
    # given a detection's text evidence with cues of each kind the matcher adds
    context = ListingContext(price=Decimal("20"), reference_prices={NIKE: Decimal("100")})
    evidence = evidence_of(index.match("Nіke replica sneakers", context=context), NIKE)
    # when it is said in (wrapped) Chinese
    said = explain.text_sentence(evidence)
    # then the field, the cues and the price ratio are translated, the seller's words are not
    for english in ("Title", "disguised spelling", "replica", "price under reference",
                    "0.20 of the reference price"):  # fmt: skip
        assert f"《{english}》" in said, (english, said)
    assert "“Nіke”" in said


def test_spelling_changes_and_everyday_word_support_go_through_the_catalogue(
    index, wrapped_chinese
):
    # given a misspelt mark and an everyday-word mark counted for its category
    typo = evidence_of(index.match("Balenciga bag"), BALENCIAGA)
    everyday = evidence_of(
        index.match("Apple charger", context=ListingContext(category_classes=frozenset({9}))),
        APPLE,
    )
    # when they are said in (wrapped) Chinese
    said = explain.text_sentence(typo) + explain.text_sentence(everyday)
    # then the change, the support and the sentence around them are translated
    assert "《omission》" in said
    assert "《%(change)s “%(found)s” for “%(expected)s”》" not in said
    assert "《category in class 9》" in said, said


def test_english_sentences_keep_the_engine_s_words(index):
    # given a disguised, cheap listing
    context = ListingContext(price=Decimal("20"), reference_prices={NIKE: Decimal("100")})
    evidence = evidence_of(index.match("Nіke replica sneakers", context=context), NIKE)
    # when it is said in English
    with translation.override("en"):
        said = explain.text_sentence(evidence)
    # then it reads as before the names became translatable
    assert said.startswith('Title "Nіke" is the mark Nike, disguised')
    assert "Context: disguised spelling “Nіke” (+0.10); replica “replica” (+0.10); " in said
    assert "price under reference “0.20 of the reference price” (+0.10)." in said


def test_evidence_stored_before_the_figures_became_data_is_still_said(wrapped_chinese):
    # given text evidence as the engine stored it before 2026-12-03: the price ratio
    # and an everyday word's classes in English words
    old = {
        "mark": "Apple",
        "field": "title",
        "span": {"start": 0, "end": 5, "text": "Apple"},
        "edit": {"kind": "exact", "folds": [], "operations": []},
        "ordinary_word_support": "category in class 9, 16",
        "cues": [
            {
                "name": "price under reference",
                "kind": "low_price",
                "field": "price",
                "text": "0.15 of the reference price",
                "effect": 0.1,
            }
        ],
    }
    # when it is said
    said = explain.text_sentence(old)
    # then it reads as new evidence does, translated, figures kept
    assert "《category in class %(classes)s》" not in said
    assert "《category in class 9, 16》" in said, said
    assert "《price under reference》 “《0.15 of the reference price》” (+0.10)" in said, said


def test_new_and_old_everyday_word_support_read_alike():
    # given the same support stored as data (now) and as words (before)
    new = {"ordinary_word_support": cues.SUPPORT_CATEGORY_CLASS, "ordinary_word_classes": [9]}
    old = {"ordinary_word_support": "category in class 9"}
    # when each is said in English
    with translation.override("en"):
        said = [explain.text_sentence(e) for e in (new, old)]
    # then they are the same sentence
    assert said[0] == said[1]
    assert "An everyday word, counted because: category in class 9." in said[0]


def test_signal_and_image_names_have_filters_for_the_pages(wrapped_chinese):
    # given the signal and variant names a detection page shows
    # when the page's filters say them
    # then they are translated
    assert signal_name("text") == "《Text》"
    assert signal_name("image") == "《Image》"
    assert engine_words("mirror-rot90") == "《mirror》 《rot90》"
