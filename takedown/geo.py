"""Territories (ISO 3166-1 alpha-2) and currencies (ISO 4217), with regional aliases.

A right registered at the EUIPO covers every member state, so ``EU`` is accepted
as a territory and expands to the member states when a listing's ship-to
countries are compared.
"""

from functools import cache

import pycountry

EU_MEMBER_STATES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
TERRITORY_ALIASES: dict[str, frozenset[str]] = {"EU": EU_MEMBER_STATES}


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def parse_territories(raw: str | list[str]) -> list[str]:
    """Return the upper-cased territory codes in ``raw`` (comma/space separated or a list).

    Raise ValueError naming every code that is neither a country nor an alias.
    """
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    codes = [item.strip().upper() for item in items if item.strip()]
    unknown = [c for c in codes if c not in country_codes() and c not in TERRITORY_ALIASES]
    if unknown:
        raise ValueError(
            f"Unknown territory code(s): {', '.join(unknown)} (use ISO 3166 alpha-2, or EU)"
        )
    return list(dict.fromkeys(codes))


def expand_territories(codes: list[str]) -> frozenset[str]:
    """Return the countries covered by ``codes``, aliases such as EU expanded."""
    out: set[str] = set()
    for code in codes:
        out |= TERRITORY_ALIASES.get(code, frozenset({code}))
    return frozenset(out)


def is_currency(code: str) -> bool:
    return code.upper() in currency_codes()
