"""Context the engine reads from a listing and a mark: category classes, everyday words."""

import numpy as np
import pytest

from listings.matching import IMAGE_HASH_VERSION
from listings.matching.categories import category_classes
from listings.matching.common_words import is_ordinary_word
from listings.matching.stored import (
    decode_registered,
    decode_views,
    encode_registered,
    encode_views,
)


@pytest.mark.parametrize(
    ("category", "classes"),
    [
        ("Clothing, Shoes & Jewelry > Women > Handbags", {14, 18, 25}),
        ("Cell Phones & Accessories", {9}),
        ("Watches", {14}),
        ("Beauty > Perfume", {3}),
        ("Toys & Games", {9, 28}),
    ],
)
def test_a_category_path_falls_in_the_classes_of_its_words(category, classes):
    assert category_classes(category) == frozenset(classes)


@pytest.mark.parametrize("category", ["", "Miscellaneous", "Other > Stuff"])
def test_an_unknown_category_is_unknown_context_not_no_class(category):
    assert category_classes(category) is None


@pytest.mark.parametrize("mark", ["Apple", "Shell", "Coach", "Orange", "Box"])
def test_everyday_words_are_ordinary_word_marks(mark):
    assert is_ordinary_word(mark)


@pytest.mark.parametrize(
    "mark", ["Nike", "Sony", "Gucci", "The North Face", "Ray-Ban", "Louis Vuitton", "", "!!"]
)
def test_names_and_phrases_are_not(mark):
    assert not is_ordinary_word(mark)


def test_registered_hashes_survive_storage_bit_for_bit():
    variants = np.array([0, 1, 8, 21], dtype=np.uint8)
    hashes = np.array([[2**64 - 1, 0, 12345, 2**63], [1, 2, 3, 4]], dtype=np.uint64)
    back_variants, back_hashes = decode_registered(encode_registered(variants, hashes))
    assert back_variants.tolist() == variants.tolist()
    assert back_hashes.tolist() == hashes.tolist()
    with pytest.raises(ValueError, match="multiple of 17"):
        decode_registered(b"\x00" * 18)


def test_view_hashes_survive_storage_and_another_engine_s_are_ignored():
    hashes = np.array([[2**64 - 1, 7], [0, 2**40]], dtype=np.uint64)
    stored = encode_views(["whole", "trimmed"], hashes)
    assert stored["engine"] == IMAGE_HASH_VERSION
    views, back = decode_views(stored)
    assert views == ["whole", "trimmed"] and back.tolist() == hashes.tolist()
    assert decode_views({**stored, "engine": "older"}) is None
    assert decode_views({}) is None
