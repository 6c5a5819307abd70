"""Areas dimension and the one area-name resolver of the observatory.

Every area name or code that arrives from a source (NGO, government, hotline, UN
body; Spanish, English, Portuguese) must resolve to exactly one ``REF_AREA`` code
through :class:`AreaResolver`.  A name that does not resolve is returned as
``None`` so that the caller quarantines the row with the name quoted: there is no
fuzzy matching, ever.

Areas dimension (:func:`load_areas`)
------------------------------------
One row per area code, columns:

``REF_AREA``
    ISO 3166-1 alpha-3 for countries and territories (249 rows of
    ``country-codes.csv``); ``XKX`` for Kosovo; explicit codes for the rest
    (``sources/reference/special_areas.csv``): ``NC_*`` for rows that are not a
    place, ``M49_<3-digit number>`` for UN M49 regions and groupings (e.g.
    ``M49_001`` World, ``M49_419`` Latin America and the Caribbean),
    ``LAC``/``LAC_CARIB``/``LAC_CENTRAL``/``LAC_SOUTH`` for the observatory's own
    computed aggregates.
``ISO2``
    ISO 3166-1 alpha-2 ("" when none; ``XK`` for Kosovo).
``M49``
    UN M49 numeric code (pandas ``Int64``, ``<NA>`` when none).
``NAME_EN``, ``NAME_ES``, ``NAME_PT``
    Display names.  Countries: English = UNSD M49 English "Country or Area";
    Spanish = ``country-names-en-es-pt.csv`` column ``es`` where present, else the
    UNSD M49 Spanish table; Portuguese = ``country-names-en-es-pt.csv`` column
    ``pt`` (never ``br``, which is Breton) where present, else pycountry's
    ``pt_BR`` (Brazilian Portuguese) ISO 3166-1 translation, else pycountry's
    ``pt``.  ``NAME_ES_SOURCE`` / ``NAME_PT_SOURCE`` say which source each name came
    from (in practice the 56 territories outside the 193-row names file take their
    Portuguese name from ``pycountry:pt_BR``).  Special areas carry their names in
    ``special_areas.csv``.
``AREA_KIND``
    ``country`` (UN member/observer state or ISO-coded territory, plus Kosovo),
    ``non_country`` (not a place: ``NC_NOT_LISTED``, ``NC_EUROPE``; retired code
    ``NC_ANT`` Netherlands Antilles), ``un_region`` (``M49_*``), ``lac_aggregate``.
``LAC_SUBREGION``
    ``LAC_CARIB`` / ``LAC_CENTRAL`` / ``LAC_SOUTH`` for countries in the M49
    intermediate regions Caribbean (029) / Central America (013) / South America
    (005), else "" (also for the uninhabited ``UNINHABITED`` territories).
``IS_LAC``
    True exactly for the 50 inhabited *countries/territories* of those three intermediate
    regions.  Region and aggregate rows are False even when they cover LAC, so that
    ``areas[areas.IS_LAC]`` is always the list of LAC members (safe to sum).

Resolution (:class:`AreaResolver`)
----------------------------------
Keys are normalised with :func:`normalise_area_key` (Unicode NFKD, diacritics
removed, case-folded, apostrophes and dashes unified, whitespace collapsed, a
trailing footnote marker ``*`` dropped; an all-digit key loses its leading zeros,
so "076" == "76").  Matching is then exact.  Keys come from:

* codes: ``REF_AREA``, ISO2, M49 numeric (countries and M49 regions);
* names: UNSD M49 en/es "Country or Area"; ``country-codes.csv`` official names
  (en/es), UNTERM short and formal names (en/es, with and without the article),
  CLDR display name; ``country-names-en-es-pt.csv`` en/es/pt; pycountry English
  names and their es / pt / pt_BR translations;
* special areas (``special_areas.csv``): per its ``RESOLVE`` column, ``all`` (code
  and names), ``code`` (code only) or ``none`` (never resolved from source data:
  the observatory's LAC aggregates are computed, never ingested);
* the maintained alias table ``sources/reference/area_aliases.csv``
  (``alias,REF_AREA,note``).  A row with an empty ``REF_AREA`` *withdraws* a key
  (the name is ambiguous and must go to quarantine).

Two different codes behind one normalised key raise :class:`AmbiguousAreaKeyError`
at load time, naming both codes and where each came from.  Such a conflict *among the
reference files* may be settled only by an explicit alias row (giving the right code,
or an empty ``REF_AREA`` to withdraw the key); one such row exists today, because
pycountry's Portuguese catalogues translate Afghanistan's official name as Pakistan's.
An alias that contradicts a key the reference files agree on is always an error: the
alias table can add names, never silently redirect one.

Counts with the bundled files: 295 areas (250 ``country`` = 249 ISO 3166-1 + Kosovo;
3 ``non_country``; 38 ``un_region``; 4 ``lac_aggregate``); 50 LAC areas (28 Caribbean,
8 Central America, 14 South America: M49's 16 less the uninhabited Bouvet Island and
South Georgia and the South Sandwich Islands).

Caution for callers: ISO2 "NA" is Namibia; read source files with
``keep_default_na=False`` or pandas turns it into a missing value.

Performance: keys live in one dict built at load time; :meth:`AreaResolver.resolve_many`
and :meth:`AreaResolver.resolve_series` normalise each *distinct* value once.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

_SOURCES = Path(__file__).resolve().parents[1]
REFERENCE_DATA_DIR = _SOURCES / "data" / "reference"
COUNTRY_CODES_CSV = REFERENCE_DATA_DIR / "country-codes.csv"
COUNTRY_NAMES_CSV = REFERENCE_DATA_DIR / "country-names-en-es-pt.csv"
M49_EN_CSV = REFERENCE_DATA_DIR / "unsd-m49-en.csv"
M49_ES_CSV = REFERENCE_DATA_DIR / "unsd-m49-es.csv"
SPECIAL_AREAS_CSV = _SOURCES / "reference" / "special_areas.csv"
AREA_ALIASES_CSV = _SOURCES / "reference" / "area_aliases.csv"

AREA_KINDS = ("country", "non_country", "un_region", "lac_aggregate")
LAC_SUBREGIONS = {"029": "LAC_CARIB", "013": "LAC_CENTRAL", "005": "LAC_SOUTH"}
#: Territories of M49's LAC regions without a permanent population (ISO 3166-1 lists them as
#: uninhabited): never listed as LAC countries, never counted as expected areas in coverage.
UNINHABITED = {"BVT": "Bouvet Island", "SGS": "South Georgia and the South Sandwich Islands"}
AREA_COLUMNS = [
    "REF_AREA",
    "ISO2",
    "M49",
    "NAME_EN",
    "NAME_ES",
    "NAME_PT",
    "AREA_KIND",
    "LAC_SUBREGION",
    "IS_LAC",
    "NAME_ES_SOURCE",
    "NAME_PT_SOURCE",
]


class AmbiguousAreaKeyError(ValueError):
    """One normalised key would resolve to two different area codes."""


class AreaTableError(ValueError):
    """The alias or special-areas table is malformed (unknown code, bad column...)."""


# --------------------------------------------------------------------------- keys
_APOSTROPHES = dict.fromkeys(map(ord, "\u2019\u2018\u201b\u02bc\u02bb\u00b4\u0060\u2032"), "'")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_SPACES = re.compile(r"\s+")
_TRAILING_STARS = re.compile(r"\s*\*+$")
_INT_LIKE = re.compile(r"^(\d+)(?:\.0+)?$")


def normalise_area_key(raw: object) -> str:
    """Normalise an area name or code into a lookup key (exact matching after this).

    Case-fold, strip, collapse whitespace, remove diacritics, unify apostrophes and
    dashes, drop a trailing footnote marker ``*``; all-digit values (optionally with
    a ``.0`` spreadsheet suffix) lose their leading zeros.  Returns "" for empty or
    missing values.
    """
    if raw is None:
        return ""
    if isinstance(raw, float):
        if raw != raw:  # NaN
            return ""
        if raw.is_integer():
            raw = int(raw)
    s = str(raw)
    s = s.translate(_APOSTROPHES).translate(_DASHES)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = _SPACES.sub(" ", s).strip()
    s = _TRAILING_STARS.sub("", s)
    s = s.casefold()
    m = _INT_LIKE.match(s)
    if m:
        s = str(int(m.group(1)))
    return s


# ------------------------------------------------------------------ reference files
def _read_csv(path: Path) -> pd.DataFrame:
    # keep_default_na=False: "NA" is Namibia's ISO2 code, not a missing value.
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@lru_cache(maxsize=None)
def _reference_tables() -> dict[str, pd.DataFrame]:
    cc = _read_csv(COUNTRY_CODES_CSV)
    names = _read_csv(COUNTRY_NAMES_CSV)
    names["alpha3"] = names["alpha3"].str.upper()
    m49_en = _read_csv(M49_EN_CSV)
    m49_es = _read_csv(M49_ES_CSV)
    return {"cc": cc, "names": names, "m49_en": m49_en, "m49_es": m49_es}


@lru_cache(maxsize=None)
def _pycountry_catalogs() -> dict[str, dict]:
    """pycountry's gettext catalogs for ISO 3166-1 (empty if pycountry is missing)."""
    try:
        import pycountry
    except ImportError:  # pragma: no cover - pycountry is a project dependency
        return {}
    out = {}
    for lang in ("es", "pt_BR", "pt"):
        try:
            t = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:  # pragma: no cover
            continue
        out[lang] = dict(t._catalog)  # msgid -> msgstr
    return out


def _pycountry_english(alpha3: str) -> list[str]:
    """pycountry English names for an alpha-3 code: common_name, name, official_name."""
    try:
        import pycountry
    except ImportError:  # pragma: no cover
        return []
    c = pycountry.countries.get(alpha_3=alpha3)
    if c is None:
        return []
    return [v for v in (getattr(c, "common_name", None), c.name, getattr(c, "official_name", None)) if v]


def _pycountry_translation(alpha3: str, lang: str) -> str | None:
    cat = _pycountry_catalogs().get(lang, {})
    for msgid in _pycountry_english(alpha3):
        tr = cat.get(msgid)
        if tr:
            return tr
    return None


def _load_special_areas(path: Path = SPECIAL_AREAS_CSV) -> pd.DataFrame:
    sp = _read_csv(path)
    expected = {"REF_AREA", "AREA_KIND", "ISO2", "M49", "NAME_EN", "NAME_ES", "NAME_PT", "RESOLVE", "note"}
    missing = expected - set(sp.columns)
    if missing:
        raise AreaTableError(f"{path}: missing columns {sorted(missing)}")
    bad_kind = sorted(set(sp["AREA_KIND"]) - set(AREA_KINDS))
    if bad_kind:
        raise AreaTableError(f"{path}: unknown AREA_KIND {bad_kind}")
    bad_resolve = sorted(set(sp["RESOLVE"]) - {"all", "code", "none"})
    if bad_resolve:
        raise AreaTableError(f"{path}: unknown RESOLVE {bad_resolve}")
    return sp


@lru_cache(maxsize=None)
def _load_areas_cached() -> pd.DataFrame:
    t = _reference_tables()
    cc, names, m49_en, m49_es = t["cc"], t["names"], t["m49_en"], t["m49_es"]
    en_by3 = m49_en.set_index("ISO-alpha3 Code")
    es_by3 = m49_es.set_index("ISO-alpha3 Code")
    names_by3 = names.set_index("alpha3")

    rows = []
    for _, r in cc.iterrows():
        a3 = r["ISO3166-1-Alpha-3"]
        m49 = en_by3.loc[a3] if a3 in en_by3.index else None
        name_en = m49["Country or Area"] if m49 is not None else r["official_name_en"]
        if a3 in names_by3.index and names_by3.at[a3, "es"]:
            name_es, es_src = names_by3.at[a3, "es"], "country-names-en-es-pt.csv"
        elif a3 in es_by3.index and es_by3.at[a3, "Country or Area"]:
            name_es, es_src = es_by3.at[a3, "Country or Area"], "unsd-m49-es.csv"
        else:  # pragma: no cover - every row has an M49 Spanish name in the bundled files
            name_es = _pycountry_translation(a3, "es")
            es_src = "pycountry:es" if name_es else ""
        if a3 in names_by3.index and names_by3.at[a3, "pt"]:
            name_pt, pt_src = names_by3.at[a3, "pt"], "country-names-en-es-pt.csv"
        else:
            name_pt, pt_src = _pycountry_translation(a3, "pt_BR"), "pycountry:pt_BR"
            if not name_pt:
                name_pt, pt_src = _pycountry_translation(a3, "pt"), "pycountry:pt"
            if not name_pt:
                name_pt, pt_src = None, ""
        inter = m49["Intermediate Region Code"] if m49 is not None else r["Intermediate Region Code"]
        inter = inter.zfill(3) if inter else ""
        sub = LAC_SUBREGIONS.get(inter, "")
        if a3 in UNINHABITED:  # in M49's South America, but no one lives there: not a LAC member
            sub = ""
        m49_code = r["M49"] or (m49["M49 Code"] if m49 is not None else "")
        rows.append(
            {
                "REF_AREA": a3,
                "ISO2": r["ISO3166-1-Alpha-2"],
                "M49": int(m49_code) if m49_code else None,
                "NAME_EN": name_en,
                "NAME_ES": name_es,
                "NAME_PT": name_pt,
                "AREA_KIND": "country",
                "LAC_SUBREGION": sub,
                "IS_LAC": bool(sub),
                "NAME_ES_SOURCE": es_src,
                "NAME_PT_SOURCE": pt_src,
            }
        )
    for _, r in _load_special_areas().iterrows():
        rows.append(
            {
                "REF_AREA": r["REF_AREA"],
                "ISO2": r["ISO2"],
                "M49": int(r["M49"]) if r["M49"] else None,
                "NAME_EN": r["NAME_EN"],
                "NAME_ES": r["NAME_ES"],
                "NAME_PT": r["NAME_PT"],
                "AREA_KIND": r["AREA_KIND"],
                "LAC_SUBREGION": "",
                "IS_LAC": False,
                "NAME_ES_SOURCE": "special_areas.csv",
                "NAME_PT_SOURCE": "special_areas.csv",
            }
        )
    df = pd.DataFrame(rows, columns=AREA_COLUMNS)
    df["M49"] = df["M49"].astype("Int64")
    df["IS_LAC"] = df["IS_LAC"].astype(bool)
    dup = df.loc[df["REF_AREA"].duplicated(keep=False), "REF_AREA"].unique().tolist()
    if dup:
        raise AreaTableError(f"duplicate REF_AREA codes in the areas dimension: {dup}")
    return df


def load_areas() -> pd.DataFrame:
    """The areas dimension (one row per ``REF_AREA``); see the module docstring.

    Returns a fresh copy each call (the underlying build is cached).
    """
    return _load_areas_cached().copy()


def lac_country_codes() -> list[str]:
    """Sorted REF_AREA codes of the 50 inhabited LAC countries/territories (M49 029/013/005 less
    :data:`UNINHABITED`)."""
    a = _load_areas_cached()
    return sorted(a.loc[a["IS_LAC"], "REF_AREA"])


# ----------------------------------------------------------------------- resolver
_ARTICLE_SUFFIX = re.compile(r"\s*\((?:the|el|la|los|las|l'|le|les)\)\s*$", re.IGNORECASE)
_ARTICLE_PREFIX = re.compile(r"^(?:the|el|la|los|las)\s+", re.IGNORECASE)
_FOOTNOTE_STAR = re.compile(r"\s*\*\s*$")


def _name_variants(name: str) -> list[str]:
    """A UNTERM-style name and its article-free variants: 'Bahamas (the)' -> 'Bahamas'."""
    if not name:
        return []
    name = _FOOTNOTE_STAR.sub("", name).strip()
    out = [name]
    no_suffix = _ARTICLE_SUFFIX.sub("", name).strip()
    if no_suffix != name:
        out.append(no_suffix)
    for n in list(out):
        no_prefix = _ARTICLE_PREFIX.sub("", n).strip()
        if no_prefix != n:
            out.append(no_prefix)
    return out


def _reference_keys(areas: pd.DataFrame, special: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(raw key, code, source) triples from the reference files and special areas."""
    t = _reference_tables()
    cc, names, m49_en, m49_es = t["cc"], t["names"], t["m49_en"], t["m49_es"]
    out: list[tuple[str, str, str]] = []
    country_codes = set(areas.loc[areas["AREA_KIND"] == "country", "REF_AREA"]) - set(special["REF_AREA"])

    for _, r in cc.iterrows():
        a3 = r["ISO3166-1-Alpha-3"]
        out.append((a3, a3, "ISO 3166-1 alpha-3"))
        out.append((r["ISO3166-1-Alpha-2"], a3, "ISO 3166-1 alpha-2"))
        if r["M49"]:
            out.append((r["M49"], a3, "M49 numeric"))
        for col in ("official_name_en", "official_name_es", "CLDR display name"):
            for v in _name_variants(r[col]):
                out.append((v, a3, f"country-codes.csv:{col}"))
        for col in ("UNTERM English Short", "UNTERM English Formal", "UNTERM Spanish Short", "UNTERM Spanish Formal"):
            for v in _name_variants(r[col]):
                out.append((v, a3, f"country-codes.csv:{col}"))
    for label, tab in (("unsd-m49-en.csv", m49_en), ("unsd-m49-es.csv", m49_es)):
        for _, r in tab.iterrows():
            out.append((r["Country or Area"], r["ISO-alpha3 Code"], label))
    for _, r in names.iterrows():
        for col in ("en", "es", "pt"):  # never "br": Breton
            out.append((r[col], r["alpha3"], f"country-names-en-es-pt.csv:{col}"))
    cats = _pycountry_catalogs()
    for a3 in sorted(country_codes):
        for n in _pycountry_english(a3):
            out.append((n, a3, "pycountry:en"))
            for lang, cat in cats.items():
                tr = cat.get(n)
                if tr:
                    out.append((tr, a3, f"pycountry:{lang}"))

    for _, r in special.iterrows():
        code, mode = r["REF_AREA"], r["RESOLVE"]
        if mode == "none":
            continue
        out.append((code, code, "special_areas.csv:REF_AREA"))
        if r["M49"]:
            out.append((r["M49"], code, "special_areas.csv:M49"))
        if r["ISO2"]:
            out.append((r["ISO2"], code, "special_areas.csv:ISO2"))
        if mode == "all":
            for col in ("NAME_EN", "NAME_ES", "NAME_PT"):
                out.append((r[col], code, f"special_areas.csv:{col}"))
    return out


def _load_alias_table(aliases: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    if aliases is None:
        aliases = AREA_ALIASES_CSV
    if isinstance(aliases, (str, Path)):
        path = Path(aliases)
        df = _read_csv(path)
        origin = path.name
    else:
        df = aliases.copy().fillna("").astype(str)
        origin = "alias table"
    missing = {"alias", "REF_AREA", "note"} - set(df.columns)
    if missing:
        raise AreaTableError(f"{origin}: missing columns {sorted(missing)}")
    df.attrs["origin"] = origin
    return df


@dataclass(frozen=True)
class _KeyOrigin:
    code: str
    source: str


class AreaResolver:
    """Resolve raw area names/codes to ``REF_AREA`` codes; exact match after normalisation.

    ``AreaResolver()`` uses :func:`load_areas` and the maintained alias table;
    ``areas`` / ``aliases`` (a DataFrame or a CSV path with ``alias,REF_AREA,note``)
    can be given, e.g. in tests.  Raises :class:`AmbiguousAreaKeyError` when one
    normalised key would lead to two codes (see the module docstring for how the
    alias table may settle a conflict among the reference files), and
    :class:`AreaTableError` for an alias pointing to an unknown code.
    """

    def __init__(
        self,
        areas: pd.DataFrame | None = None,
        aliases: pd.DataFrame | str | Path | None = None,
    ) -> None:
        self.areas = load_areas() if areas is None else areas.copy()
        special = _load_special_areas()
        alias_df = _load_alias_table(aliases)
        known = set(self.areas["REF_AREA"])
        origin = alias_df.attrs.get("origin", "alias table")

        # 1. keys from the reference files and special areas; record conflicts.
        keys: dict[str, _KeyOrigin] = {}
        ref_conflicts: dict[str, list[str]] = {}
        for raw, code, source in _reference_keys(self.areas, special):
            if code not in known:
                continue
            k = normalise_area_key(raw)
            if not k:
                continue
            prev = keys.get(k)
            if prev is None:
                keys[k] = _KeyOrigin(code, source)
            elif prev.code != code:
                ref_conflicts.setdefault(k, [f"{prev.code} [{prev.source}]"]).append(
                    f"{code} [{source}] (from {raw!r})"
                )

        # 2. the alias table: withdrawals (empty REF_AREA) and aliases.
        withdrawn: dict[str, str] = {}
        alias_rows: list[tuple[str, str, str, str]] = []
        for i, r in alias_df.iterrows():
            alias, code, note = r["alias"].strip(), r["REF_AREA"].strip(), r["note"].strip()
            k = normalise_area_key(alias)
            if not k:
                raise AreaTableError(f"{origin}: row {i + 2} has an empty alias")
            if not code:
                withdrawn[k] = note
                continue
            if code not in known:
                raise AreaTableError(f"{origin}: alias {alias!r} points to unknown REF_AREA {code!r}")
            alias_rows.append((k, alias, code, f"{origin}: {note}" if note else origin))

        problems: list[str] = []
        settled: dict[str, _KeyOrigin] = {}
        for k, alias, code, source in alias_rows:
            if k in withdrawn:
                problems.append(f"alias {alias!r} is both withdrawn and mapped to {code} in {origin}")
                continue
            prev = settled.get(k)
            if prev is not None and prev.code != code:
                problems.append(f"{alias!r} (key {k!r}) -> {prev.code} [{prev.source}] and {code} [{source}]")
                continue
            if k in ref_conflicts:
                # the reference files disagree; an explicit alias row settles it
                settled[k] = _KeyOrigin(code, source)
                continue
            ref = keys.get(k)
            if ref is not None and ref.code != code:
                problems.append(f"{alias!r} (key {k!r}) -> {ref.code} [{ref.source}] and {code} [{source}]")
                continue
            if ref is None:
                settled[k] = _KeyOrigin(code, source)
        for k, parts in ref_conflicts.items():
            if k not in withdrawn and k not in settled:
                problems.append(f"key {k!r} -> " + " and ".join(parts))
        if problems:
            raise AmbiguousAreaKeyError(
                "ambiguous area keys (one name, two codes); settle them in the alias table "
                "(a row with the right REF_AREA, or an empty REF_AREA to withdraw the key):\n  " + "\n  ".join(problems)
            )
        keys.update(settled)
        for k in withdrawn:
            keys.pop(k, None)
        self.withdrawn_keys: dict[str, str] = withdrawn
        self._origins: dict[str, _KeyOrigin] = keys
        self._lookup: dict[str, str] = {k: v.code for k, v in keys.items()}
        self._cache: dict[object, str | None] = {}
        self.n_aliases = len(alias_rows)
        self.n_withdrawn = len(withdrawn)

    # -- queries
    def resolve(self, raw: object) -> str | None:
        """The REF_AREA for ``raw``, or None (unknown, empty or withdrawn as ambiguous)."""
        if isinstance(raw, bool):  # True == 1 would hit the cache entry of M49 "1"
            return None
        try:
            return self._cache[raw]
        except KeyError:
            pass
        except TypeError:  # unhashable
            return self._lookup.get(normalise_area_key(raw))
        code = self._lookup.get(normalise_area_key(raw))
        if len(self._cache) < 1_000_000:
            self._cache[raw] = code
        return code

    def resolve_many(self, values: Iterable[object]) -> dict[object, str | None]:
        """``{raw: REF_AREA or None}`` for each distinct value (resolved once each)."""
        if isinstance(values, (pd.Series, pd.Index)):
            uniques = pd.unique(values.to_numpy(dtype=object))
        else:
            uniques = set(values)
        return {v: self.resolve(v) for v in uniques}

    def resolve_series(self, values: pd.Series) -> pd.Series:
        """Vectorised resolution of a Series (unresolved -> None)."""
        mapping = self.resolve_many(values)
        return values.map(mapping)

    def explain(self, raw: object) -> str | None:
        """Where the key matched by ``raw`` came from (file/column or alias note)."""
        o = self._origins.get(normalise_area_key(raw))
        return None if o is None else f"{o.code} via {o.source}"

    def keys(self) -> Mapping[str, str]:
        """Read-only view: normalised key -> REF_AREA."""
        return dict(self._lookup)

    def __len__(self) -> int:
        return len(self._lookup)


@lru_cache(maxsize=1)
def default_resolver() -> AreaResolver:
    """The shared resolver built from the bundled reference files and alias table."""
    return AreaResolver()


def resolve(raw: object) -> str | None:
    """Resolve one raw area value with :func:`default_resolver`."""
    return default_resolver().resolve(raw)


def resolve_many(values: Iterable[object]) -> dict[object, str | None]:
    """Resolve many values with the shared (cached) resolver: ``{raw: code or None}``."""
    return default_resolver().resolve_many(values)
