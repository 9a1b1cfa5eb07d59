"""Recall, precision and speed of listings.matching.text on a generated, labelled set.

Run: .venv/bin/python bench/text_quality.py [--per-class 2000] [--marks 10000] [--seed 7]

Real brand names (BRANDS) are indexed together with synthetic pronounceable marks
up to --marks in all, then written into realistic long titles, spelt one way per
variant class (exact, each one-edit typo class, homoglyphs, mixed scripts,
zero-width characters, fullwidth, spaced letters, leetspeak). Brand-free titles
built from ordinary product words measure false matches. Common words come from a held-out sample of brand-free titles, as a platform
would take them from its own catalogue; the run is repeated without them and
without the typo cache to show both effects. Prints per class:
titles, recall (the brand's right found), precision (matches that are the
brand's right, or a brand named inside its name such as "Chanel" in "Chanel No 5",
/ all matches), and titles/s on one core for the whole set.
Typo classes use brands of at least TYPO_MIN_LENGTH letters: shorter marks need
an exact or look-alike spelling by design.
"""

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listings.matching.text import TYPO_MIN_LENGTH, MarkSpec, TextIndex  # noqa: E402

BRANDS = """
Nike|Adidas|Puma|Reebok|New Balance|Asics|Converse|Vans|Under Armour|Skechers|Fila|Salomon
Hoka|Brooks|Saucony|Mizuno|Timberland|Dr. Martens|Birkenstock|Crocs|UGG|Clarks|Ecco|Geox
Louis Vuitton|Gucci|Prada|Chanel|Hermes|Dior|Fendi|Balenciaga|Givenchy|Versace|Valentino
Burberry|Saint Laurent|Bottega Veneta|Celine|Loewe|Miu Miu|Moncler|Off-White|Stone Island
Dolce Gabbana|Alexander McQueen|Jimmy Choo|Christian Louboutin|Salvatore Ferragamo|Tod's
Michael Kors|Coach|Kate Spade|Tory Burch|Marc Jacobs|Ralph Lauren|Tommy Hilfiger|Calvin Klein
Hugo Boss|Lacoste|Armani|Diesel|Levi's|Wrangler|Lee|Guess|Tommy Jeans|Superdry|Patagonia
The North Face|Columbia|Arc'teryx|Canada Goose|Barbour|Carhartt|Dickies|Champion|Supreme
Stussy|Palace|Bape|Kenzo|Moschino|Vivienne Westwood|Paul Smith|Ted Baker|Hackett|Belstaff
Rolex|Omega|Cartier|Patek Philippe|Audemars Piguet|TAG Heuer|Breitling|IWC|Panerai|Tudor
Longines|Tissot|Hublot|Seiko|Citizen|Casio|G-Shock|Fossil|Swatch|Garmin|Daniel Wellington
Tiffany|Pandora|Swarovski|Bulgari|Van Cleef Arpels|Chopard|Montblanc|Ray-Ban|Oakley|Persol
Apple|Samsung|Sony|Bose|Beats|JBL|Sennheiser|Bang Olufsen|Marshall|Logitech|Razer|Corsair
Canon|Nikon|Fujifilm|Olympus|Panasonic|GoPro|DJI|Xiaomi|Huawei|OnePlus|Oppo|Motorola|Nokia
Lenovo|Dell|Asus|Acer|Microsoft|Nintendo|PlayStation|Xbox|SanDisk|Kingston|Anker|Belkin
Dyson|Philips|Braun|Remington|Bosch|Makita|DeWalt|Milwaukee|Black Decker|Stanley|Karcher
KitchenAid|Nespresso|DeLonghi|Tefal|Le Creuset|Zwilling|Vitamix|Ninja|Instant Pot|Smeg
Lego|Hasbro|Mattel|Barbie|Hot Wheels|Playmobil|Pokemon|Disney|Marvel|Star Wars|Hello Kitty
Chanel No 5|Lancome|Estee Lauder|Clinique|Maybelline|L'Oreal|Nivea|Olaplex|Shiseido|Kiehl's
Givenchy Beauty|Jo Malone|Creed|Tom Ford|Yves Saint Laurent|Paco Rabanne|Jean Paul Gaultier
Oral-B|Gillette|Duracell|Energizer|Tupperware|Yeti|Stanley Cup|Hydro Flask|Contigo|Thermos
Herschel|Samsonite|Rimowa|Tumi|Eastpak|Kipling|Longchamp|Fjallraven|Osprey|Deuter
Moleskine|Parker|Lamy|Faber-Castell|Staedtler|Sharpie|Stabilo|Pilot|Zippo|Victorinox
Wilson|Spalding|Babolat|Yonex|Titleist|Callaway|TaylorMade|Speedo|Arena|Specialized|Shimano
Bugaboo|Cybex|Chicco|Pampers|Huggies|Philips Avent|Tommee Tippee|Fisher-Price|Vtech
Ferrari|Porsche|Lamborghini|BMW|Mercedes-Benz|Audi|Volkswagen|Harley-Davidson|Ducati|Jeep
Red Bull|Monster Energy|Coca-Cola|Pepsi|Starbucks|Heineken|Jack Daniel's|Hennessy|Moet
Louboutin|Goyard|Chloe|Mulberry|Hogan|Golden Goose|Veja|Axel Arigato|Common Projects
Maison Margiela|Acne Studios|Rick Owens|Comme des Garcons|Issey Miyake|Yohji Yamamoto
Ermenegildo Zegna|Brioni|Loro Piana|Brunello Cucinelli|Berluti|Bally|Furla|Liu Jo|Pinko
""".replace("\n", "|").split("|")
BRANDS = [b.strip() for b in BRANDS if b.strip()]

PRODUCT_WORDS = """
women men kids unisex leather canvas cotton wool silk denim suede mesh running walking hiking
shoes sneakers trainers boots sandals slippers loafers heels jacket coat hoodie sweatshirt
t-shirt shirt polo dress skirt jeans trousers shorts leggings socks cap hat beanie scarf gloves
belt wallet purse handbag tote bag backpack crossbody shoulder clutch watch strap bracelet
necklace earrings ring sunglasses glasses case cover charger cable adapter headphones earbuds
speaker keyboard mouse monitor laptop tablet phone camera lens tripod drone battery power bank
kettle toaster blender mixer coffee machine grinder pan pot knife set cutting board bottle mug
cup flask lunch box storage container towel blanket pillow duvet lamp mirror clock candle vase
toy puzzle doll car building blocks board game perfume eau de parfum toilette cologne lipstick
mascara foundation cream serum shampoo conditioner razor toothbrush drill saw screwdriver
hammer tool kit vacuum cleaner hair dryer straightener fan heater black white red blue green
grey navy pink beige brown gold silver large small medium xl xxl size new original classic
vintage slim fit regular oversized waterproof breathable lightweight wireless bluetooth usb
portable stainless steel ceramic glass wooden handmade premium quality gift pack pair piece
set of 2 3 4 6 12 pcs 100ml 50ml 500ml 1l 2023 2024 edition limited sale free shipping fast
delivery summer winter spring autumn outdoor indoor travel sports gym yoga fitness office
school home kitchen garden bathroom bedroom living room baby toddler pet dog cat
""".split()

TITLE_TEMPLATES = (
    "{brand} {w1} {w2} {w3} {w4} - {w5} {w6}, size {n}",
    "New {w1} {brand} {w2} {w3} {w4} {w5} {w6} {w7}",
    "{w1} {w2} {w3} by {brand} | {w4} {w5} {w6} {n}",
    "Original {brand} {w1} {w2} for {w3} {w4}, {w5} {w6} {w7} {w8}",
    "{w1} {w2} {w3} {w4} {brand} {w5} {w6} ({n} pcs)",
)

CYRILLIC = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і", "s": "ѕ", "j": "ј", "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т", "X": "Х"}  # fmt: skip
GREEK = {"o": "ο", "i": "ι", "v": "ν", "u": "υ", "p": "ρ", "a": "α", "A": "Α", "B": "Β", "E": "Ε", "H": "Η", "I": "Ι", "K": "Κ", "M": "Μ", "N": "Ν", "O": "Ο", "P": "Ρ", "T": "Τ", "X": "Χ", "Z": "Ζ"}  # fmt: skip
LEET = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7", "l": "1"}
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
VOWELS = "aeiou"


def letter_positions(brand: str) -> list[int]:
    return [i for i, c in enumerate(brand) if c.isalpha()]


def omission(b: str, rng: random.Random) -> str:
    i = rng.choice(letter_positions(b))
    return b[:i] + b[i + 1 :]


def insertion(b: str, rng: random.Random) -> str:
    i = rng.choice(letter_positions(b))
    return b[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + b[i:]


def replacement(b: str, rng: random.Random) -> str:
    i = rng.choice(letter_positions(b))
    return b[:i] + rng.choice([c for c in "bcdfghjklmnpqrstvwxz" if c != b[i].lower()]) + b[i + 1 :]


def transposition(b: str, rng: random.Random) -> str:
    pairs = [i for i in range(len(b) - 1) if b[i].isalpha() and b[i + 1].isalpha() and b[i].lower() != b[i + 1].lower()]  # fmt: skip
    i = rng.choice(pairs)
    return b[:i] + b[i + 1] + b[i] + b[i + 2 :]


def repetition(b: str, rng: random.Random) -> str:
    i = rng.choice(letter_positions(b))
    return b[:i] + b[i] + b[i:]


def vowel_swap(b: str, rng: random.Random) -> str:
    i = rng.choice([i for i, c in enumerate(b) if c.lower() in VOWELS])
    return b[:i] + rng.choice([v for v in VOWELS if v != b[i].lower()]) + b[i + 1 :]


def substitute(table: dict[str, str], share: float) -> Callable[[str, random.Random], str]:
    def variant(b: str, rng: random.Random) -> str:
        spots = [i for i, c in enumerate(b) if c in table]
        chosen = set(rng.sample(spots, max(1, round(len(spots) * share))))
        return "".join(table[c] if i in chosen else c for i, c in enumerate(b))

    return variant


def mixed_script(b: str, rng: random.Random) -> str:
    # Cyrillic and Greek look-alikes in the same word, next to Latin letters.
    out = []
    for c in b:
        tables = [t for t in (CYRILLIC, GREEK) if c in t]
        out.append(rng.choice(tables)[c] if tables and rng.random() < 0.6 else c)
    return "".join(out)


def zero_width(b: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(b))
    return b[:i] + rng.choice(ZERO_WIDTH) + b[i:]


def fullwidth(b: str, rng: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in b)


def spaced(b: str, rng: random.Random) -> str:
    separator = rng.choice((" ", ".", "-", ". "))
    return separator.join(c for c in b if c.isalnum())


def leetspeak(b: str, rng: random.Random) -> str:
    return substitute(LEET, 0.5)(b, rng)


def applicable(name: str, brand: str) -> bool:
    letters = sum(c.isalpha() for c in brand)
    if name in TYPO_CLASSES:
        if letters < TYPO_MIN_LENGTH:
            return False
        if name == "transposition":
            return any(brand[i].isalpha() and brand[i + 1].isalpha() and brand[i].lower() != brand[i + 1].lower() for i in range(len(brand) - 1))  # fmt: skip
        if name == "vowel_swap":
            return any(c.lower() in VOWELS for c in brand)
    if name == "homoglyph":
        return any(c in CYRILLIC for c in brand)
    if name == "greek":
        return any(c in GREEK for c in brand.upper())
    if name == "mixed_script":
        return any(c in CYRILLIC or c in GREEK for c in brand)
    if name == "leetspeak":
        return any(c in LEET for c in brand)
    return True


TYPO_CLASSES = {
    "omission": omission,
    "insertion": insertion,
    "replacement": replacement,
    "transposition": transposition,
    "repetition": repetition,
    "vowel_swap": vowel_swap,
}
VARIANTS: dict[str, Callable[[str, random.Random], str]] = {
    "exact": lambda b, rng: b,
    "lowercase": lambda b, rng: b.lower(),
    **TYPO_CLASSES,
    "homoglyph": substitute(CYRILLIC, 0.34),
    "greek": lambda b, rng: substitute(GREEK, 1.0)(b.upper(), rng),
    "mixed_script": mixed_script,
    "zero_width": zero_width,
    "fullwidth": fullwidth,
    "spaced": spaced,
    "leetspeak": leetspeak,
}


def synthetic_marks(count: int, rng: random.Random, taken: set[str]) -> list[str]:
    onsets = ["b", "br", "c", "cr", "d", "f", "g", "gl", "k", "l", "m", "n", "p", "pr", "r", "s", "st", "t", "tr", "v", "z"]  # fmt: skip
    nuclei = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
    codas = ["", "", "n", "r", "s", "x", "l", "m", "th"]
    marks: list[str] = []
    while len(marks) < count:
        words = [
            "".join(
                rng.choice(onsets) + rng.choice(nuclei) + rng.choice(codas)
                for _ in range(rng.choice((2, 2, 3)))
            )  # fmt: skip
            for _ in range(rng.choice((1, 1, 1, 2)))
        ]
        mark = " ".join(w.capitalize() for w in words)
        if mark.lower() not in taken:
            taken.add(mark.lower())
            marks.append(mark)
    return marks


def title_with(brand_text: str, rng: random.Random) -> str:
    words = {f"w{i}": rng.choice(PRODUCT_WORDS) for i in range(1, 9)}
    return rng.choice(TITLE_TEMPLATES).format(brand=brand_text, n=rng.randint(1, 48), **words)


def brand_free_title(rng: random.Random) -> str:
    return " ".join(rng.choice(PRODUCT_WORDS) for _ in range(rng.randint(6, 14))).capitalize()


def common_title_words(
    rng: random.Random, titles: int = 2000, min_share: float = 0.001
) -> set[str]:
    """Words in at least ``min_share`` of a held-out sample of brand-free titles: what a
    platform would take from its own catalogue's word counts."""
    counts: Counter[str] = Counter()
    for _ in range(titles):
        counts.update(set(brand_free_title(rng).lower().split()))
    return {word for word, n in counts.items() if n >= titles * min_share}


def acceptable(right_id: int | None) -> set[int]:
    """The brand's right and the brands named inside its name ("Chanel" in "Chanel No 5")."""
    if right_id is None:
        return set()
    words = BRANDS[right_id].lower().replace("-", " ").split()
    return {right_id} | {
        i
        for i, other in enumerate(BRANDS)
        if (w := other.lower().replace("-", " ").split())
        and any(words[j : j + len(w)] == w for j in range(len(words)))
    }


def evaluate(index: TextIndex, cases: list[tuple[str, int | None, str]], *, table: bool) -> None:
    found: Counter[str] = Counter()
    matched: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    false_examples: dict[str, list[str]] = {}
    names = {m.spec.right_id: m.spec.text for m in index._marks}
    match_s = float("inf")
    for _ in range(3):  # best of three: the machine is shared
        started = time.perf_counter()
        results = [index.match(title) for _, _, title in cases]
        match_s = min(match_s, time.perf_counter() - started)
    for (name, right_id, title), matches in zip(cases, results, strict=True):
        total[name] += 1
        ids = {m.right_id for m in matches}
        matched[name] += len(ids)
        if right_id is not None and right_id in ids:
            found[name] += 1
        correct[name] += len(ids & acceptable(right_id))
        wrong = ids - acceptable(right_id)
        if wrong and len(false_examples.setdefault(name, [])) < 2:
            false_examples[name].append(f"{title!r} -> {[names[i] for i in wrong]}")
    if table:
        print("\n| class | titles | recall | precision | titles with a wrong match |")
        print("|---|---|---|---|---|")
    for name in total:
        if not table and name != "brand_free":
            continue
        wrong = matched[name] - correct[name]
        recall = f"{found[name] / total[name]:.1%}" if name != "brand_free" else "-"
        precision = f"{correct[name] / matched[name]:.1%}" if matched[name] else "-"
        print(f"| {name} | {total[name]} | {recall} | {precision} | {wrong} ({wrong / total[name]:.2%}) |")  # fmt: skip
    typo_total = sum(total[n] for n in TYPO_CLASSES)
    typo_found = sum(found[n] for n in TYPO_CLASSES)
    print(f"all typo classes: recall {typo_found / typo_total:.1%}")
    print(f"speed: {len(cases)} titles in {match_s:.2f} s = {len(cases) / match_s:,.0f} titles/s on one core against {len(index)} marks")  # fmt: skip
    for name, examples in false_examples.items():
        for example in examples:
            print(f"  wrong match [{name}]: {example}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=2000)
    parser.add_argument("--marks", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    marks = [MarkSpec(right_id=i, text=b) for i, b in enumerate(BRANDS)]
    extra = synthetic_marks(args.marks - len(marks), rng, {b.lower() for b in BRANDS})
    marks += [MarkSpec(right_id=len(BRANDS) + i, text=m) for i, m in enumerate(extra)]
    common = common_title_words(random.Random(args.seed + 1))
    started = time.perf_counter()
    index = TextIndex.build(marks, common_words=common)
    build_s = time.perf_counter() - started
    print(f"{len(BRANDS)} real brands + {len(extra)} synthetic marks = {len(index)} marks; index built in {build_s:.2f} s")  # fmt: skip

    cases: list[tuple[str, int | None, str]] = []  # (variant class, right id or None, title)
    for name, variant in VARIANTS.items():
        eligible = [i for i, b in enumerate(BRANDS) if applicable(name, b)]
        for _ in range(args.per_class):
            right_id = rng.choice(eligible)
            cases.append((name, right_id, title_with(variant(BRANDS[right_id], rng), rng)))
    cases += [("brand_free", None, brand_free_title(rng)) for _ in range(args.per_class * 5)]

    print(f"\nWith {len(common)} common title words (held-out sample) never read as typos:")
    evaluate(index, cases, table=True)
    print("\nWith the default common words (wordfreq, English top 50,000), as the CLI runs:")
    evaluate(TextIndex.build(marks), cases, table=True)
    print("\nWithout common words, without the typo cache (the worst case):")
    evaluate(TextIndex.build(marks, common_words=(), typo_cache_size=0), cases, table=False)


if __name__ == "__main__":
    main()
