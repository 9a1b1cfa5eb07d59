"""Ordinary words of the listings' language, never read as a typo of a mark.

Without them one word in four of a brand-free title is one letter from some
mark among 10,000 ("watch" from Swatch, "cover" from Conver). wordfreq ships
word frequency lists built from large corpora, offline; the 50,000 most
frequent English words cover ordinary product titles while leaving out the
misspellings counterfeiters use ("addidas", "balenciga"), which must stay
readable as typos. A platform can pass its own frequent title words instead.
"""

from functools import cache

from wordfreq import tokenize, top_n_list, zipf_frequency

DEFAULT_LANGUAGE = "en"
# Measured against 10,000 marks with bench/text_quality.py's titles: with the
# top 20,000 words 3.9% of brand-free titles matched ("beanie" read as a typo),
# with 50,000 none did and one-edit typo recall was 99.4%; 100,000 and 200,000
# words start to swallow misspellings (typo recall 98.8%, 98.2%).
DEFAULT_COUNT = 50_000


@cache
def default_common_words(
    language: str = DEFAULT_LANGUAGE, count: int = DEFAULT_COUNT
) -> frozenset[str]:
    return frozenset(top_n_list(language, count))


# Zipf frequency (log10 of uses per billion words) from which a mark's word is
# an everyday word: "apple" 4.8, "shell" 4.4, "coach" 5.0, "box" 5.0 are; brand
# names that are only names sit under it ("sony" 4.2, "nike" 3.9, "gucci" 3.3).
ORDINARY_WORD_ZIPF = 4.3


def is_ordinary_word(mark: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Is ``mark`` one everyday word, so that it needs context to be a match?

    Marks of several words ("The North Face", "Ray-Ban") are distinctive as a
    sequence even when each word is ordinary.
    """
    words = [w for w in tokenize(mark, language) if any(c.isalnum() for c in w)]
    return len(words) == 1 and zipf_frequency(words[0], language) >= ORDINARY_WORD_ZIPF
