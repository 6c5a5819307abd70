"""Tests for sources/reference/population.py.

Expected figures were read with grep from the bundled files:
  population-world-bank.csv:       "Brazil,BRA,2019,207455459", "Brazil,BRA,2020,208660842",
                                   "Jamaica,JAM,2019,2823271", "Kosovo,XKX,2019,1788891"
  population-under18-wpp2019.csv:  "76,2019,0_17,54088.246", "76,2019,0_14,44339.804",
                                   "76,2020,0_17,53597.33", "484,2019,0_17,40157.948",
                                   "52,1950,0_17,82.341", "388,2100,0_17,288.659"
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.harmonise.areas import load_areas
from sources.reference.population import (
    POPULATION_TOTAL_CSV,
    POPULATION_U18_CSV,
    REPO_ROOT,
    WORLD_BANK_EXCLUDED_CODES,
    population_total,
    population_under18,
    world_bank_excluded_codes,
)


@pytest.fixture(scope="module")
def total():
    return population_total()


@pytest.fixture(scope="module")
def u18():
    return population_under18()


def _value(df, code, year, col):
    v = df.loc[(df["REF_AREA"] == code) & (df["YEAR"] == year), col]
    assert len(v) == 1, (code, year)
    return v.iloc[0]


def test_total_columns(total):
    assert list(total.columns) == ["REF_AREA", "YEAR", "POPULATION"]
    assert not total.duplicated(["REF_AREA", "YEAR"]).any()


@pytest.mark.parametrize(
    "code, year, value",
    [("BRA", 2019, 207455459), ("BRA", 2020, 208660842), ("JAM", 2019, 2823271), ("XKX", 2019, 1788891)],
)
def test_total_values(total, code, year, value):
    assert _value(total, code, year, "POPULATION") == value


def test_total_has_no_world_bank_aggregates(total):
    codes = set(total["REF_AREA"])
    for agg in ("LCN", "LAC", "TLA", "WLD", "EUU", "HIC", "CHI"):
        assert agg not in codes
    areas = load_areas()
    assert codes <= set(areas.loc[areas["AREA_KIND"] == "country", "REF_AREA"])
    # 265 codes in the file, 49 left out, 216 kept; 42 of the 50 LAC areas present
    assert len(codes) == 216
    assert len(codes & set(areas.loc[areas["IS_LAC"], "REF_AREA"])) == 42


def test_excluded_codes_listed(total):
    excluded = world_bank_excluded_codes()
    assert len(WORLD_BANK_EXCLUDED_CODES) == 49
    assert tuple(excluded["Country Code"]) == WORLD_BANK_EXCLUDED_CODES
    names = dict(zip(excluded["Country Code"], excluded["Country Name"]))
    assert names["LCN"] == "Latin America & Caribbean"
    assert names["LAC"] == "Latin America & Caribbean (excluding high income)"


def test_u18_columns(u18):
    assert list(u18.columns) == ["REF_AREA", "YEAR", "POPULATION_U18", "PROJECTION"]
    assert not u18.duplicated(["REF_AREA", "YEAR"]).any()


@pytest.mark.parametrize(
    "code, year, value, projection",
    [
        ("BRA", 2019, 54_088_246, False),  # 54088.246 thousand (0_17, not the 0_14 44339.804)
        ("BRA", 2020, 53_597_330, True),
        ("MEX", 2019, 40_157_948, False),
        ("BRB", 1950, 82_341, False),
        ("JAM", 2100, 288_659, True),
    ],
)
def test_u18_values(u18, code, year, value, projection):
    assert _value(u18, code, year, "POPULATION_U18") == value
    assert _value(u18, code, year, "PROJECTION") == projection


def test_u18_countries_and_years(u18):
    areas = load_areas()
    codes = set(u18["REF_AREA"])
    assert len(codes) == 38  # PROVENANCE.md: 38 LAC countries
    assert codes <= set(areas.loc[areas["IS_LAC"], "REF_AREA"])
    assert (u18["YEAR"].min(), u18["YEAR"].max()) == (1950, 2100)
    assert len(u18) == 38 * 151
    assert (u18["PROJECTION"] == (u18["YEAR"] >= 2020)).all()


def test_provenance(total, u18):
    for df, path in ((total, POPULATION_TOTAL_CSV), (u18, POPULATION_U18_CSV)):
        prov = df.attrs["provenance"]
        assert (REPO_ROOT / prov["file"]).resolve() == Path(path).resolve()
        assert Path(path).is_file()
    assert "SP.POP.TOTL" in total.attrs["provenance"]["indicator"]
    assert "thousands" in u18.attrs["provenance"]["unit"]


def test_returned_frames_are_copies():
    a = population_total()
    a.loc[0, "POPULATION"] = -1
    assert population_total().loc[0, "POPULATION"] != -1
