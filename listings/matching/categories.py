"""The Nice classes a marketplace category falls in, read from its words.

Platforms name categories in their own words and trees ("Clothing, Shoes &
Jewelry > Women > Handbags"). A mark protects goods in its Nice classes: an
ordinary-word mark ("Apple" in class 9) found in a listing of a category of
the same class is a likely use of the mark, the same word in "Fruit &
Vegetables" is not. Each word of the category path is looked up (singular or
plural); the classes of every word found are returned, None when no word is
known (the context is unknown, not "no class").
"""

import re

# Words of category names and the Nice classes (11th edition headings) of the
# goods they name. Kept to goods counterfeits are found in.
_CLASSES: dict[int, list[str]] = {
    3: (
        "beauty cosmetic cosmetics makeup make-up perfume perfumes fragrance fragrances "
        "skincare skin shampoo soap lipstick nail toiletries deodorant"
    ).split(),
    5: "pharmacy medicine medicines supplement supplements vitamin vitamins drug".split(),
    7: "machine machines machinery appliance appliances vacuum mixer mixers".split(),
    8: "tool tools cutlery razor razors knife knives scissors".split(),
    9: (
        "electronic electronics phone phones smartphone smartphones mobile mobiles computer "
        "computers laptop laptops tablet tablets headphone headphones earphone earphones "
        "earbuds camera cameras charger chargers cable cables software game games console "
        "consoles sunglasses eyewear glasses spectacles audio speaker speakers smartwatch"
    ).split(),
    10: "medical orthopedic orthopaedic".split(),
    11: "lighting lamp lamps light lights heater heaters".split(),
    12: "car cars vehicle vehicles auto automotive bicycle bicycles bike bikes tyre tyres".split(),
    14: (
        "watch watches jewellery jewelry jewel ring rings necklace necklaces bracelet "
        "bracelets earring earrings pendant pendants"
    ).split(),
    16: "stationery paper book books pen pens notebook notebooks poster posters".split(),
    18: (
        "bag bags handbag handbags luggage suitcase suitcases wallet wallets purse purses "
        "backpack backpacks leather umbrella umbrellas"
    ).split(),
    20: "furniture mattress mattresses cushion cushions".split(),
    21: "kitchen cookware tableware mug mugs cup cups bottle bottles houseware".split(),
    24: "textile textiles bedding towel towels blanket blankets linen".split(),
    25: (
        "clothing clothes apparel fashion shoe shoes footwear sneaker sneakers trainer "
        "trainers boot boots sandal sandals hat hats cap caps shirt shirts t-shirt t-shirts "
        "tshirt dress dresses jacket jackets coat coats sock socks sportswear hoodie hoodies "
        "jeans trousers pants scarf scarves glove gloves underwear swimwear belt belts"
    ).split(),
    28: "toy toys sporting sport sports fitness doll dolls puzzle puzzles golf".split(),
    29: "meat dairy cheese".split(),
    30: "coffee tea chocolate confectionery snack snacks sweets candy".split(),
    32: "beverage beverages drink drinks soda juice".split(),
    33: "wine wines spirits whisky whiskey vodka liquor".split(),
    34: "tobacco cigarette cigarettes vape vapes e-cigarette lighter lighters".split(),
}
_BY_WORD: dict[str, frozenset[int]] = {}
for _nice_class, _words in _CLASSES.items():
    for _word in _words:
        _BY_WORD[_word] = _BY_WORD.get(_word, frozenset()) | {_nice_class}

_WORD = re.compile(r"[a-z][a-z-]*[a-z]|[a-z]")


def category_classes(category: str) -> frozenset[int] | None:
    """Return the Nice classes of a category path, or None when none of its words is known."""
    found: set[int] = set()
    for word in _WORD.findall(category.casefold()):
        classes = _BY_WORD.get(word) or (_BY_WORD.get(word[:-1]) if word.endswith("s") else None)
        if classes:
            found |= classes
    return frozenset(found) if found else None
