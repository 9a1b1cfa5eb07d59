"""Context cues: referential phrases, disclaimers, counterfeit vocabulary, prices."""

from decimal import Decimal

from listings.matching.cues import (
    COUNTERFEIT,
    DISCLAIMER,
    REFERENCE,
    find_cues,
    is_low_price,
    price_ratio,
)


def cue_names(text: str) -> list[tuple[str, str]]:
    return [(hit.name, hit.kind) for hit in find_cues(text)]


def test_referential_phrases_are_reference_cues():
    # given titles that name a brand to say what a product fits
    # when cues are found
    # then each phrase is a reference cue
    assert cue_names("compatible with nikon d750") == [("compatible with", REFERENCE)]
    assert cue_names("leather case for iphone") == [("accessory for", REFERENCE)]
    assert cue_names("fits dyson v11") == [("fits", REFERENCE)]
    assert cue_names("for use with nespresso") == [("for use with", REFERENCE)]
    assert cue_names("replacement for philips sonicare heads") == [("replacement for", REFERENCE)]


def test_a_disclaimer_is_its_own_kind():
    # given a seller's disclaimer
    # when cues are found
    # then it is a disclaimer
    assert cue_names("not affiliated with apple inc") == [("not affiliated", DISCLAIMER)]


def test_counterfeit_vocabulary_is_found_with_its_position():
    # given a title full of copy grades
    text = "rolex replica aaa 1:1 mirror quality super copy"
    # when cues are found
    hits = find_cues(text)
    # then each is a counterfeit cue, in order, with its span
    assert [(h.name, h.kind) for h in hits] == [
        ("replica", COUNTERFEIT),
        ("AAA", COUNTERFEIT),
        ("1:1", COUNTERFEIT),
        ("mirror quality", COUNTERFEIT),
        ("super copy", COUNTERFEIT),
    ]
    assert text[hits[0].start : hits[0].end] == "replica"


def test_batteries_and_denials_are_not_counterfeit_cues():
    # given a battery size, a denial and a scale
    # when cues are found
    # then none is a counterfeit cue
    assert cue_names("duracell aaa batteries 12 pack") == []
    assert cue_names("100% genuine, not fake, no replica") == []
    assert cue_names("model car 1:18 scale") == []


def test_price_ratio_compares_with_the_reference_price():
    # given prices against a reference
    # when the ratio is taken
    # then it is the fraction of the reference, or None without a usable reference
    assert price_ratio(Decimal("20"), Decimal("200")) == 0.1
    assert price_ratio(150.0, 200.0) == 0.75
    assert price_ratio(20.0, None) is None
    assert price_ratio(None, 200.0) is None
    assert price_ratio(20.0, 0) is None


def test_only_a_price_far_under_the_reference_is_low():
    # given ratios either side of 0.3
    # when they are judged
    # then only the one under 0.3 is low
    assert is_low_price(0.1)
    assert not is_low_price(0.5)
    assert not is_low_price(None)
