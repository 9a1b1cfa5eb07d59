"""Map Cyrillic, Greek, Armenian and odd Latin look-alikes to the ASCII letter they imitate.

A counterfeit listing writes "Nіke" with a Cyrillic "і" so that a plain substring
search misses it. NFKC already folds fullwidth and mathematical letters; this
table covers the look-alikes NFKC leaves alone.

Derived from Unicode TR39 confusables.txt (https://www.unicode.org/Public/security/latest/confusables.txt)
as shipped in confusable_homoglyphs 3.3.1 (confusables.json): every Cyrillic, Greek,
Armenian or Latin letter in the Basic Multilingual Plane, without diacritics, that
NFKC does not change and that TR39 lists as confusable with a single ASCII letter.
Capital iotas (Greek, Cyrillic, palochka) map to "I" rather than TR39's "l" so the
folded text reads as the word it imitates. The package itself is not a dependency:
it loads a 900 KB table of every script at import and answers "is this confusable",
not "what does this read as"; the letters that matter fit in this dict.
"""

HOMOGLYPHS: dict[str, str] = {
    "\u0391": "A",  # Α GREEK CAPITAL LETTER ALPHA
    "\u0410": "A",  # А CYRILLIC CAPITAL LETTER A
    "\u0251": "a",  # ɑ LATIN SMALL LETTER ALPHA
    "\u03b1": "a",  # α GREEK SMALL LETTER ALPHA
    "\u0430": "a",  # а CYRILLIC SMALL LETTER A
    "\u0392": "B",  # Β GREEK CAPITAL LETTER BETA
    "\u0412": "B",  # В CYRILLIC CAPITAL LETTER VE
    "\ua7b4": "B",  # Ꞵ LATIN CAPITAL LETTER BETA
    "\u0184": "b",  # Ƅ LATIN CAPITAL LETTER TONE SIX
    "\u042c": "b",  # Ь CYRILLIC CAPITAL LETTER SOFT SIGN
    "\u0421": "C",  # С CYRILLIC CAPITAL LETTER ES
    "\u0441": "c",  # с CYRILLIC SMALL LETTER ES
    "\u1d04": "c",  # ᴄ LATIN LETTER SMALL CAPITAL C
    "\u0501": "d",  # ԁ CYRILLIC SMALL LETTER KOMI DE
    "\u0395": "E",  # Ε GREEK CAPITAL LETTER EPSILON
    "\u0415": "E",  # Е CYRILLIC CAPITAL LETTER IE
    "\u0435": "e",  # е CYRILLIC SMALL LETTER IE
    "\u04bd": "e",  # ҽ CYRILLIC SMALL LETTER ABKHASIAN CHE
    "\uab32": "e",  # ꬲ LATIN SMALL LETTER BLACKLETTER E
    "\u03dc": "F",  # Ϝ GREEK LETTER DIGAMMA
    "\u0584": "f",  # ք ARMENIAN SMALL LETTER KEH
    "\uab35": "f",  # ꬵ LATIN SMALL LETTER LENIS F
    "\u050c": "G",  # Ԍ CYRILLIC CAPITAL LETTER KOMI SJE
    "\u018d": "g",  # ƍ LATIN SMALL LETTER TURNED DELTA
    "\u0261": "g",  # ɡ LATIN SMALL LETTER SCRIPT G
    "\u0581": "g",  # ց ARMENIAN SMALL LETTER CO
    "\u0397": "H",  # Η GREEK CAPITAL LETTER ETA
    "\u041d": "H",  # Н CYRILLIC CAPITAL LETTER EN
    "\u04bb": "h",  # һ CYRILLIC SMALL LETTER SHHA
    "\u0570": "h",  # հ ARMENIAN SMALL LETTER HO
    "\u0399": "I",  # Ι GREEK CAPITAL LETTER IOTA
    "\u0406": "I",  # І CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I
    "\u04c0": "I",  # Ӏ CYRILLIC LETTER PALOCHKA
    "\u0131": "i",  # ı LATIN SMALL LETTER DOTLESS I
    "\u0269": "i",  # ɩ LATIN SMALL LETTER IOTA
    "\u026a": "i",  # ɪ LATIN LETTER SMALL CAPITAL I
    "\u03b9": "i",  # ι GREEK SMALL LETTER IOTA
    "\u0456": "i",  # і CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
    "\u04cf": "i",  # ӏ CYRILLIC SMALL LETTER PALOCHKA
    "\ua647": "i",  # ꙇ CYRILLIC SMALL LETTER IOTA
    "\u037f": "J",  # Ϳ GREEK CAPITAL LETTER YOT
    "\u0408": "J",  # Ј CYRILLIC CAPITAL LETTER JE
    "\u03f3": "j",  # ϳ GREEK LETTER YOT
    "\u0458": "j",  # ј CYRILLIC SMALL LETTER JE
    "\u039a": "K",  # Κ GREEK CAPITAL LETTER KAPPA
    "\u041a": "K",  # К CYRILLIC CAPITAL LETTER KA
    "\u0196": "l",  # Ɩ LATIN CAPITAL LETTER IOTA
    "\u01c0": "l",  # ǀ LATIN LETTER DENTAL CLICK
    "\u039c": "M",  # Μ GREEK CAPITAL LETTER MU
    "\u03fa": "M",  # Ϻ GREEK CAPITAL LETTER SAN
    "\u041c": "M",  # М CYRILLIC CAPITAL LETTER EM
    "\u039d": "N",  # Ν GREEK CAPITAL LETTER NU
    "\u0578": "n",  # ո ARMENIAN SMALL LETTER VO
    "\u057c": "n",  # ռ ARMENIAN SMALL LETTER RA
    "\u039f": "O",  # Ο GREEK CAPITAL LETTER OMICRON
    "\u041e": "O",  # О CYRILLIC CAPITAL LETTER O
    "\u0555": "O",  # Օ ARMENIAN CAPITAL LETTER OH
    "\u03bf": "o",  # ο GREEK SMALL LETTER OMICRON
    "\u03c3": "o",  # σ GREEK SMALL LETTER SIGMA
    "\u043e": "o",  # о CYRILLIC SMALL LETTER O
    "\u0585": "o",  # օ ARMENIAN SMALL LETTER OH
    "\u1d0f": "o",  # ᴏ LATIN LETTER SMALL CAPITAL O
    "\u1d11": "o",  # ᴑ LATIN SMALL LETTER SIDEWAYS O
    "\uab3d": "o",  # ꬽ LATIN SMALL LETTER BLACKLETTER O
    "\u03a1": "P",  # Ρ GREEK CAPITAL LETTER RHO
    "\u0420": "P",  # Р CYRILLIC CAPITAL LETTER ER
    "\u03c1": "p",  # ρ GREEK SMALL LETTER RHO
    "\u0440": "p",  # р CYRILLIC SMALL LETTER ER
    "\u051b": "q",  # ԛ CYRILLIC SMALL LETTER QA
    "\u0563": "q",  # գ ARMENIAN SMALL LETTER GIM
    "\u0566": "q",  # զ ARMENIAN SMALL LETTER ZA
    "\u01a6": "R",  # Ʀ LATIN LETTER YR
    "\u0433": "r",  # г CYRILLIC SMALL LETTER GHE
    "\u1d26": "r",  # ᴦ GREEK LETTER SMALL CAPITAL GAMMA
    "\uab48": "r",  # ꭈ LATIN SMALL LETTER DOUBLE R
    "\u0405": "S",  # Ѕ CYRILLIC CAPITAL LETTER DZE
    "\u054f": "S",  # Տ ARMENIAN CAPITAL LETTER TIWN
    "\u01bd": "s",  # ƽ LATIN SMALL LETTER TONE FIVE
    "\u0455": "s",  # ѕ CYRILLIC SMALL LETTER DZE
    "\ua731": "s",  # ꜱ LATIN LETTER SMALL CAPITAL S
    "\u03a4": "T",  # Τ GREEK CAPITAL LETTER TAU
    "\u0422": "T",  # Т CYRILLIC CAPITAL LETTER TE
    "\u054d": "U",  # Ս ARMENIAN CAPITAL LETTER SEH
    "\u03c5": "u",  # υ GREEK SMALL LETTER UPSILON
    "\u057d": "u",  # ս ARMENIAN SMALL LETTER SEH
    "\u1d1c": "u",  # ᴜ LATIN LETTER SMALL CAPITAL U
    "\ua79f": "u",  # ꞟ LATIN SMALL LETTER VOLAPUK UE
    "\u0474": "V",  # Ѵ CYRILLIC CAPITAL LETTER IZHITSA
    "\u03bd": "v",  # ν GREEK SMALL LETTER NU
    "\u0475": "v",  # ѵ CYRILLIC SMALL LETTER IZHITSA
    "\u1d20": "v",  # ᴠ LATIN LETTER SMALL CAPITAL V
    "\u051c": "W",  # Ԝ CYRILLIC CAPITAL LETTER WE
    "\u026f": "w",  # ɯ LATIN SMALL LETTER TURNED M
    "\u0461": "w",  # ѡ CYRILLIC SMALL LETTER OMEGA
    "\u051d": "w",  # ԝ CYRILLIC SMALL LETTER WE
    "\u0561": "w",  # ա ARMENIAN SMALL LETTER AYB
    "\u1d21": "w",  # ᴡ LATIN LETTER SMALL CAPITAL W
    "\u03a7": "X",  # Χ GREEK CAPITAL LETTER CHI
    "\u0425": "X",  # Х CYRILLIC CAPITAL LETTER HA
    "\ua7b3": "X",  # Ꭓ LATIN CAPITAL LETTER CHI
    "\u0445": "x",  # х CYRILLIC SMALL LETTER HA
    "\u03a5": "Y",  # Υ GREEK CAPITAL LETTER UPSILON
    "\u0423": "Y",  # У CYRILLIC CAPITAL LETTER U
    "\u04ae": "Y",  # Ү CYRILLIC CAPITAL LETTER STRAIGHT U
    "\u0263": "y",  # ɣ LATIN SMALL LETTER GAMMA
    "\u028f": "y",  # ʏ LATIN LETTER SMALL CAPITAL Y
    "\u03b3": "y",  # γ GREEK SMALL LETTER GAMMA
    "\u0443": "y",  # у CYRILLIC SMALL LETTER U
    "\u04af": "y",  # ү CYRILLIC SMALL LETTER STRAIGHT U
    "\u0396": "Z",  # Ζ GREEK CAPITAL LETTER ZETA
    "\u1d22": "z",  # ᴢ LATIN LETTER SMALL CAPITAL Z
}
