"""Reference population denominators, with the file each figure came from.

Two bundled, unmodified reference files (see ``sources/data/PROVENANCE.md``):

``population_total()`` — World Bank WDI ``SP.POP.TOTL`` (total population, mid-year,
persons), ``sources/data/reference/population-world-bank.csv`` (17,195 rows, 265
codes, 1960-2024).  Only rows whose ``Country Code`` is a ``country`` area of
:func:`sources.harmonise.areas.load_areas` are kept: 216 codes, of which 42 of the
50 LAC areas.  **49 codes are left out**: the 48 World Bank aggregates

    AFE AFW ARB CEB CSS EAP EAR EAS ECA ECS EMU EUU FCS HIC HPC IBD IBT IDA IDB IDX
    LAC LCN LDC LIC LMC LMY LTE MEA MIC MNA NAC OED OSS PRE PSS PST SAS SSA SSF SST
    TEA TEC TLA TMN TSA TSS UMC WLD

(``LCN`` = Latin America & Caribbean, ``LAC`` = the same *excluding high income*,
``TLA`` = its IDA & IBRD countries: none of them is the observatory's ``LAC``), and
``CHI`` Channel Islands, a place but not an ISO 3166-1 area (ISO codes Jersey and
Guernsey separately).  :data:`WORLD_BANK_EXCLUDED_CODES` lists them and
:func:`world_bank_excluded_codes` recomputes them from the file.

``population_under18()`` — UN World Population Prospects 2019 (open-numbers DDF
export, FILTERED to ``agebroad`` 0_14 / 0_17),
``sources/data/reference/population-under18-wpp2019.csv``: rows with ``agebroad ==
"0_17"``, ``country`` (M49 numeric) resolved to ``REF_AREA`` with the area resolver,
``population`` (THOUSANDS in the file) multiplied by 1,000 and rounded to whole
persons.  38 LAC countries, 1950-2100.

Projection convention (WPP 2019): figures are for 1 July of each year.  WPP 2019
(published June 2019) labels 1950-2020 "estimates" and 2020-2100 "projections"
(medium variant); the 1 July 2020 figure is the base year of the projections and
appears in both tables, but it was itself extrapolated from data up to 2019.  The
observatory therefore flags ``PROJECTION = YEAR >= 2020`` (i.e. years after 2019),
as ``PROVENANCE.md`` does ("2020+ are projections").

Provenance: each returned frame carries ``df.attrs["provenance"]`` (a dict with the
file path relative to the repository, publisher, indicator, unit and licence); the
same information is in :data:`POPULATION_TOTAL_PROVENANCE` and
:data:`POPULATION_U18_PROVENANCE`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from sources.harmonise.areas import REFERENCE_DATA_DIR, default_resolver, load_areas

REPO_ROOT = Path(__file__).resolve().parents[2]
POPULATION_TOTAL_CSV = REFERENCE_DATA_DIR / "population-world-bank.csv"
POPULATION_U18_CSV = REFERENCE_DATA_DIR / "population-under18-wpp2019.csv"

WPP2019_LAST_ESTIMATE_YEAR = 2019
"""Years after this are flagged ``PROJECTION`` in :func:`population_under18`."""

WORLD_BANK_EXCLUDED_CODES: tuple[str, ...] = (
    "AFE",
    "AFW",
    "ARB",
    "CEB",
    "CHI",
    "CSS",
    "EAP",
    "EAR",
    "EAS",
    "ECA",
    "ECS",
    "EMU",
    "EUU",
    "FCS",
    "HIC",
    "HPC",
    "IBD",
    "IBT",
    "IDA",
    "IDB",
    "IDX",
    "LAC",
    "LCN",
    "LDC",
    "LIC",
    "LMC",
    "LMY",
    "LTE",
    "MEA",
    "MIC",
    "MNA",
    "NAC",
    "OED",
    "OSS",
    "PRE",
    "PSS",
    "PST",
    "SAS",
    "SSA",
    "SSF",
    "SST",
    "TEA",
    "TEC",
    "TLA",
    "TMN",
    "TSA",
    "TSS",
    "UMC",
    "WLD",
)
"""The 49 ``Country Code`` values of the World Bank file that are not areas of kind
``country``: 48 World Bank aggregates plus ``CHI`` (Channel Islands, not ISO-coded)."""


@dataclass(frozen=True)
class Provenance:
    """Where a reference figure came from."""

    file: str  # path relative to the repository root
    publisher: str
    dataset: str
    indicator: str
    unit: str
    licence: str
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:  # pragma: no cover
        return str(path)


POPULATION_TOTAL_PROVENANCE = Provenance(
    file=_rel(POPULATION_TOTAL_CSV),
    publisher="World Bank (World Development Indicators), via repository datasets/population @ 425fc447",
    dataset="population-world-bank.csv",
    indicator="SP.POP.TOTL Population, total",
    unit="persons",
    licence="ODC-PDDL-1.0",
    note="World Bank aggregates and non-ISO codes removed (see WORLD_BANK_EXCLUDED_CODES).",
)

POPULATION_U18_PROVENANCE = Provenance(
    file=_rel(POPULATION_U18_CSV),
    publisher="UN DESA Population Division, World Population Prospects 2019, via open-numbers/ddf--unpop--wpp_population @ 2eee2208",
    dataset="population-under18-wpp2019.csv (FILTERED)",
    indicator="Population aged 0-17 (agebroad 0_17), 1 July",
    unit="persons (file values in thousands, multiplied by 1,000)",
    licence="UN WPP terms of use (no licence stated in the repository)",
    note=f"PROJECTION is true for YEAR > {WPP2019_LAST_ESTIMATE_YEAR} (WPP 2019 medium variant from 2020).",
)


def _country_codes() -> set[str]:
    areas = load_areas()
    return set(areas.loc[areas["AREA_KIND"] == "country", "REF_AREA"])


@lru_cache(maxsize=None)
def _population_total() -> pd.DataFrame:
    raw = pd.read_csv(POPULATION_TOTAL_CSV, dtype=str, keep_default_na=False)
    keep = raw["Country Code"].isin(_country_codes())
    df = pd.DataFrame(
        {
            "REF_AREA": raw.loc[keep, "Country Code"],
            "YEAR": raw.loc[keep, "Year"].astype(int),
            "POPULATION": pd.to_numeric(raw.loc[keep, "Value"]).round().astype("Int64"),
        }
    )
    df = df.sort_values(["REF_AREA", "YEAR"]).reset_index(drop=True)
    if df.duplicated(["REF_AREA", "YEAR"]).any():  # pragma: no cover - not in the bundled file
        raise ValueError(f"{POPULATION_TOTAL_CSV.name}: duplicate REF_AREA/YEAR rows")
    return df


def population_total() -> pd.DataFrame:
    """Total population by country and year: columns ``REF_AREA, YEAR, POPULATION``.

    World Bank SP.POP.TOTL, countries/territories only (no aggregates).
    ``df.attrs["provenance"]`` names the source file.
    """
    df = _population_total().copy()
    df.attrs["provenance"] = POPULATION_TOTAL_PROVENANCE.as_dict()
    return df


def world_bank_excluded_codes() -> pd.DataFrame:
    """The World Bank codes dropped by :func:`population_total`, with their names."""
    raw = pd.read_csv(POPULATION_TOTAL_CSV, dtype=str, keep_default_na=False)
    codes = raw[["Country Code", "Country Name"]].drop_duplicates("Country Code")
    out = codes[~codes["Country Code"].isin(_country_codes())]
    return out.sort_values("Country Code").reset_index(drop=True)


@lru_cache(maxsize=None)
def _population_under18() -> pd.DataFrame:
    raw = pd.read_csv(POPULATION_U18_CSV, dtype=str, keep_default_na=False)
    raw = raw[raw["agebroad"] == "0_17"]
    resolver = default_resolver()
    mapping = resolver.resolve_many(raw["country"])
    countries = _country_codes()
    bad = sorted(k for k, v in mapping.items() if v is None or v not in countries)
    if bad:
        raise ValueError(f"{POPULATION_U18_CSV.name}: M49 codes that do not resolve to a country: {bad}")
    df = pd.DataFrame(
        {
            "REF_AREA": raw["country"].map(mapping),
            "YEAR": raw["time"].astype(int),
            # thousands -> persons; the file has 3 decimals, so this is exact after rounding
            "POPULATION_U18": (pd.to_numeric(raw["population"]) * 1000).round().astype("Int64"),
        }
    )
    df["PROJECTION"] = df["YEAR"] > WPP2019_LAST_ESTIMATE_YEAR
    df = df.sort_values(["REF_AREA", "YEAR"]).reset_index(drop=True)
    if df.duplicated(["REF_AREA", "YEAR"]).any():  # pragma: no cover
        raise ValueError(f"{POPULATION_U18_CSV.name}: duplicate REF_AREA/YEAR rows")
    return df


def population_under18() -> pd.DataFrame:
    """Population aged 0-17 by country and year (persons), WPP 2019.

    Columns ``REF_AREA, YEAR, POPULATION_U18, PROJECTION``; ``df.attrs["provenance"]``
    names the source file.
    """
    df = _population_under18().copy()
    df.attrs["provenance"] = POPULATION_U18_PROVENANCE.as_dict()
    return df
