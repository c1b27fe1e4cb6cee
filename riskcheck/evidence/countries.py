"""Country names and codes as the data sets write them, matched to ISO 3166-1 alpha-3 (pycountry).

A row is matched by its codes first (ISO alpha-3, ISO numeric), then by its name: pycountry's
names, then the short or former names these data sets use (``ALIASES``, each seen in a
publisher's file). Nothing is guessed: no fuzzy matching. A name that matches nothing is
returned as ``None`` and the importer reports it; entities that are not states in ISO 3166-1
(Kosovo, the European Union, occupied or disputed territories, states that no longer exist) are
listed per data set by the importer that meets them.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pycountry

# Names used by the data sets that pycountry does not resolve (checked against pycountry 23+).
ALIASES: dict[str, str] = {
    "russia": "RUS",
    "turkey": "TUR",
    "dr congo": "COD",
    "congo, dem. rep.": "COD",
    "congo, democratic republic": "COD",
    "democratic republic of congo": "COD",
    "democratic republic of the congo": "COD",
    "congo, republic of": "COG",
    "congo, dr": "COD",
    "congo, republic": "COG",
    "congo, rep.": "COG",
    "ivory coast": "CIV",
    "cote d'ivoire": "CIV",
    "bosnia-herzegovina": "BIH",
    "cape verde": "CPV",
    "swaziland": "SWZ",
    "eswatini": "SWZ",
    "macedonia": "MKD",
    "north macedonia": "MKD",
    "burma": "MMR",
    "myanmar": "MMR",
    "palestine": "PSE",
    "state of palestine": "PSE",
    "micronesia": "FSM",
    "brunei": "BRN",
    "east timor": "TLS",
    "timor leste": "TLS",
    "kyrgyz republic": "KGZ",
    "slovak republic": "SVK",
    "czech republic": "CZE",
    "united states": "USA",
    "korea, north": "PRK",
    "korea, south": "KOR",
    "korea, republic of": "KOR",
    "korea, democratic people's republic of": "PRK",
    "north korea": "PRK",
    "south korea": "KOR",
    "lao pdr": "LAO",
    "vatican": "VAT",
    "holy see": "VAT",
    "gambia, the": "GMB",
    "the gambia": "GMB",
    "bahamas, the": "BHS",
    "the bahamas": "BHS",
    "yemen, rep.": "YEM",
    "egypt, arab rep.": "EGY",
    "iran, islamic rep.": "IRN",
    "venezuela, rb": "VEN",
    "st. kitts and nevis": "KNA",
    "st. lucia": "LCA",
    "st. vincent and the grenadines": "VCT",
    "sao tome and principe": "STP",
    "curacao": "CUW",
    "turkiye": "TUR",
    "cambodia (kampuchea)": "KHM",
    "united states of america": "USA",
    "united kingdom": "GBR",
    "uk": "GBR",
    "republic of korea": "KOR",
    "democratic people's republic of korea": "PRK",
    "republic of moldova": "MDA",
    "united republic of tanzania": "TZA",
}


def fold(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: "Côte  d’Ivoire" -> "cote d'ivoire"."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip().casefold()


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                out.setdefault(fold(value), c.alpha_3)
    for name, code in ALIASES.items():
        out.setdefault(fold(name), code)
    return out


def by_alpha3(code: str | None) -> str | None:
    """The ISO alpha-3 code if ``code`` is one (World Bank codes such as ``ADO`` or ``KSV`` are not)."""
    if not code:
        return None
    c = pycountry.countries.get(alpha_3=code.strip().upper())
    return c.alpha_3 if c is not None else None


def by_numeric(code: str | int | None) -> str | None:
    """The alpha-3 code of an ISO 3166-1 numeric code (``368`` -> ``IRQ``)."""
    if code is None or str(code).strip() == "":
        return None
    try:
        num = f"{int(float(str(code).strip())):03d}"
    except ValueError:
        return None
    c = pycountry.countries.get(numeric=num)
    return c.alpha_3 if c is not None else None


def by_name(name: str | None) -> str | None:
    """The alpha-3 code of a country name; a trailing former name in brackets is ignored
    ("Russia (Soviet Union)" -> RUS, as UCDP writes it)."""
    if not name:
        return None
    names = _names()
    key = fold(name)
    if key in names:
        return names[key]
    bare = fold(re.sub(r"\s*\([^)]*\)\s*$", "", name))
    return names.get(bare)


def display_name(alpha3: str) -> str:
    c = pycountry.countries.get(alpha_3=alpha3)
    if c is None:
        return alpha3
    return str(getattr(c, "common_name", None) or c.name)
