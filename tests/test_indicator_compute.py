"""Indicator computation on a small hand-built warehouse, and on the real build.

Every expected value below is worked out by hand from the raw rows written in this
file (or, for the real build, from figures read off the NCMEC PDFs and the World Bank
population file), never by calling the code under test.

The hand-built warehouse is SYNTHETIC: invented area codes (AAA ... FFF), invented
sources (syn_*), patterned figures (multiples of 111 and 1110).
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from indicators.compute import (
    build_indicator_progress,
    build_indicator_values,
    compute_indicator_values,
    indicators_without_values,
)
from indicators.registry import Indicator, IndicatorError, load_registry
from warehouse.tables import OBSERVATION_COLUMNS

TEXT = {"es": "SINTÉTICO: prueba", "en": "SYNTHETIC: test", "pt": "SINTÉTICO: teste"}

# area, AREA_KIND, LAC_SUBREGION, IS_LAC
AREAS = [
    ("AAA", "country", "LAC_SOUTH", True),
    ("BBB", "country", "LAC_SOUTH", True),
    ("CCC", "country", "LAC_CARIB", True),
    ("DDD", "country", "LAC_CARIB", True),  # no population at all
    ("FFF", "country", "LAC_CARIB", True),  # population, but reports nothing
    ("EEE", "country", "", False),  # not in the region
    ("NC_NOT_LISTED", "non_country", "", False),
    ("LAC", "lac_aggregate", "", False),
    ("LAC_CARIB", "lac_aggregate", "", False),
    ("LAC_CENTRAL", "lac_aggregate", "", False),
    ("LAC_SOUTH", "lac_aggregate", "", False),
]
# area, year, total population, under-18 population, under-18 is a projection
POPULATION = [
    ("AAA", 2019, 1_110_000, 333_000, False),
    ("AAA", 2020, 1_220_000, 444_000, True),
    ("BBB", 2019, 2_220_000, 666_000, False),
    ("CCC", 2019, 3_330_000, 999_000, False),
    ("FFF", 2019, 3_330_000, 999_000, False),
    ("EEE", 2019, 5_550_000, 1_110_000, False),
]
SOURCES = {"syn_clear": "CLEAR", "syn_green": "GREEN", "syn_amber": "AMBER", "syn_red": "RED"}
# source, measure, area, period, value, sex
OBSERVATIONS = [
    ("syn_clear", "TEST_REPORTS", "AAA", "2019", 1110, ""),
    ("syn_clear", "TEST_REPORTS", "AAA", "2020", 1330, ""),
    ("syn_clear", "TEST_REPORTS", "BBB", "2019", 4440, ""),
    ("syn_clear", "TEST_REPORTS", "CCC", "2019", 333, ""),
    ("syn_clear", "TEST_REPORTS", "DDD", "2019", 999, ""),
    ("syn_clear", "TEST_REPORTS", "EEE", "2019", 555, ""),
    ("syn_clear", "TEST_REPORTS", "NC_NOT_LISTED", "2019", 777, ""),
    # numerator from two sources of different sharing, denominator from a GREEN source
    ("syn_clear", "TEST_ILLEGAL", "AAA", "2019", 222, ""),
    ("syn_amber", "TEST_ILLEGAL", "BBB", "2019", 1110, ""),
    ("syn_green", "TEST_RECEIVED", "AAA", "2019", 2220, ""),
    ("syn_green", "TEST_RECEIVED", "BBB", "2019", 4440, ""),
    ("syn_green", "TEST_RECEIVED", "CCC", "2019", 0, ""),  # zero denominator
    ("syn_amber", "TEST_ILLEGAL", "CCC", "2019", 111, ""),
    # parts to add up: AAA has both sexes, BBB only F (no total may be formed)
    ("syn_clear", "TEST_VICTIMS", "AAA", "2019", 111, "F"),
    ("syn_clear", "TEST_VICTIMS", "AAA", "2019", 222, "M"),
    ("syn_clear", "TEST_VICTIMS", "BBB", "2019", 333, "F"),
    # a percentage with sex categories
    ("syn_clear", "TEST_PCT", "AAA", "2019", 11.1, "_T"),
    ("syn_clear", "TEST_PCT", "AAA", "2019", 22.2, "F"),
    ("syn_clear", "TEST_PCT", "AAA", "2019", 3.3, "M"),
    ("syn_clear", "TEST_PCT", "BBB", "2019", 33.3, "_T"),
    # the same measure from two sources for the same country and year
    ("syn_clear", "TEST_TWICE", "AAA", "2019", 111, ""),
    ("syn_red", "TEST_TWICE", "AAA", "2019", 222, ""),
]


def _make_warehouse(path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.areas (REF_AREA VARCHAR, ISO2 VARCHAR, M49 BIGINT, NAME_EN VARCHAR,
                   NAME_ES VARCHAR, NAME_PT VARCHAR, AREA_KIND VARCHAR, LAC_SUBREGION VARCHAR, IS_LAC BOOLEAN)""")
    con.executemany(
        "INSERT INTO marts.areas VALUES (?, '', NULL, ?, ?, ?, ?, ?, ?)",
        [(a, f"SYNTHETIC {a}", f"SINTÉTICO {a}", f"SINTÉTICO {a}", k, s, lac) for a, k, s, lac in AREAS],
    )
    con.execute("""CREATE TABLE marts.population (REF_AREA VARCHAR, YEAR BIGINT, POPULATION BIGINT,
                   POPULATION_U18 BIGINT, U18_PROJECTION BOOLEAN)""")
    con.executemany("INSERT INTO marts.population VALUES (?, ?, ?, ?, ?)", POPULATION)
    con.execute("CREATE TABLE marts.sources (SOURCE_ID VARCHAR, SHARING VARCHAR, SYNTHETIC BOOLEAN, TITLE_EN VARCHAR)")
    con.executemany("INSERT INTO marts.sources VALUES (?, ?, true, 'SYNTHETIC test source')", list(SOURCES.items()))
    rows = []
    for i, (source, measure, area, period, value, sex) in enumerate(OBSERVATIONS):
        rows.append(
            {
                "SOURCE_ID": source,
                "MEASURE": measure,
                "REF_AREA": area,
                "TIME_PERIOD": period,
                "OBS_VALUE": float(value),
                "UNIT_MEASURE": "NUMBER",
                "OBS_STATUS": "A",
                "SHARING": SOURCES[source],
                "SEX": sex,
                "AGE": "",
                "DISAGGREGATION": "",
                "NATURE": "",
                "SYNTHETIC": True,
                "FILE_ID": "SYNTHETIC",
                "FILE_NAME": "SYNTHETIC.csv",
                "FILE_SHA256": "0" * 64,
                "LOC_PAGE": None,
                "LOC_LINE": None,
                "LOC_SHEET": "",
                "LOC_ROW": i + 2,
                "REF_YEAR": int(period),
            }
        )
    frame = pd.DataFrame(rows, columns=OBSERVATION_COLUMNS + ["REF_YEAR"])
    con.register("obs", frame)
    con.execute("CREATE TABLE marts.observations AS SELECT * FROM obs")
    con.close()


def indicator(ind_id: str, numerator, denominator="population_total", **extra) -> Indicator:
    data = {
        "id": ind_id,
        "goal": 1,
        "working_group": "hotlines",
        "name": TEXT,
        "definition": TEXT,
        "numerator": numerator,
        "denominator": denominator,
        "factor": 100000,
        "unit": "PER_100000_POP",
        "direction": "decrease",
        "sources": ["syn_clear"],
        "limitations": TEXT,
        "base_year": 2019,
        "aggregation": {"method": "ratio_of_sums"},
    }
    data.update(extra)
    return Indicator.model_validate(data)


@pytest.fixture()
def con(tmp_path):
    path = tmp_path / "synthetic-warehouse.duckdb"
    _make_warehouse(path)
    connection = duckdb.connect(str(path))
    yield connection
    connection.close()


def _values(con, *indicators: Indicator) -> pd.DataFrame:
    build_indicator_values(con, {i.id: i for i in indicators})
    return con.execute("SELECT * FROM marts.indicator_values").df()


def _row(frame: pd.DataFrame, ind: str, area: str, period: str = "2019", sex: str = "") -> pd.Series:
    hit = frame[
        (frame.INDICATOR == ind) & (frame.REF_AREA == area) & (frame.TIME_PERIOD == period) & (frame.SEX == sex)
    ]
    assert len(hit) == 1, f"{ind} {area} {period} {sex!r}: {len(hit)} rows"
    return hit.iloc[0]


# ------------------------------------------------------------------ per 100k and aggregates
def test_per_100k_country_values(con):
    frame = _values(con, indicator("reports_per_100k", {"measure": "TEST_REPORTS"}))
    aaa = _row(frame, "reports_per_100k", "AAA")
    assert aaa.OBS_VALUE == pytest.approx(1110 / 1_110_000 * 100000)  # = 100
    assert aaa.NUMERATOR == 1110 and aaa.DENOMINATOR == 1_110_000
    assert _row(frame, "reports_per_100k", "BBB").OBS_VALUE == pytest.approx(200.0)
    assert _row(frame, "reports_per_100k", "CCC").OBS_VALUE == pytest.approx(10.0)
    assert _row(frame, "reports_per_100k", "AAA", "2020").OBS_VALUE == pytest.approx(1330 / 1_220_000 * 100000)
    assert aaa.UNIT_MEASURE == "PER_100000_POP" and aaa.GOAL == 1 and aaa.SOURCE_IDS == "syn_clear"
    assert pd.isna(aaa.COVERAGE)
    # countries only: the "no country listed" row never becomes a value
    assert "NC_NOT_LISTED" not in set(frame.REF_AREA)
    # no population, no value
    assert "DDD" not in set(frame.REF_AREA)


def test_regional_aggregate_is_sum_over_sum_with_coverage(con):
    frame = _values(con, indicator("reports_per_100k", {"measure": "TEST_REPORTS"}))
    lac = _row(frame, "reports_per_100k", "LAC")
    # AAA + BBB + CCC report and have a population; DDD (no population) is left out of
    # the numerator, the denominator and the coverage; FFF counts in the region's population.
    assert lac.NUMERATOR == 1110 + 4440 + 333
    assert lac.DENOMINATOR == 1_110_000 + 2_220_000 + 3_330_000
    assert lac.OBS_VALUE == pytest.approx(5883 / 6_660_000 * 100000)  # 88.33...
    mean_of_ratios = (100.0 + 200.0 + 10.0) / 3  # 103.33...
    assert not math.isclose(lac.OBS_VALUE, mean_of_ratios, rel_tol=1e-3)
    assert lac.COVERAGE == pytest.approx(6_660_000 / (6_660_000 + 3_330_000))  # FFF's population not covered
    assert lac.N_COUNTRIES == 3 and lac.AREA_KIND == "lac_aggregate"

    south = _row(frame, "reports_per_100k", "LAC_SOUTH")
    assert south.OBS_VALUE == pytest.approx((1110 + 4440) / (1_110_000 + 2_220_000) * 100000)  # 166.67, not 150
    assert south.COVERAGE == pytest.approx(1.0)
    carib = _row(frame, "reports_per_100k", "LAC_CARIB")
    assert carib.OBS_VALUE == pytest.approx(10.0)
    assert carib.COVERAGE == pytest.approx(3_330_000 / (3_330_000 + 3_330_000))  # CCC of CCC + FFF
    # EEE is outside the region: in no aggregate
    assert lac.NUMERATOR != 1110 + 4440 + 333 + 555
    # no aggregate for a sub-region without reporting countries
    assert frame[(frame.REF_AREA == "LAC_CENTRAL")].empty


def test_counts_sum_with_coverage(con):
    count = indicator(
        "reports",
        {"measure": "TEST_REPORTS"},
        denominator="none",
        factor=1,
        unit="NUMBER",
        aggregation={"method": "sum"},
    )
    frame = _values(con, count)
    lac = _row(frame, "reports", "LAC")
    # a count needs no denominator: DDD's reports are added, but DDD has no known
    # population so it adds nothing to the coverage
    assert lac.OBS_VALUE == 1110 + 4440 + 333 + 999
    assert lac.NUMERATOR == lac.OBS_VALUE and pd.isna(lac.DENOMINATOR)
    assert lac.COVERAGE == pytest.approx((1_110_000 + 2_220_000 + 3_330_000) / 9_990_000)
    assert _row(frame, "reports", "DDD").OBS_VALUE == 999


def test_per_child_projection_marks_estimate_and_coverage_uses_children(con):
    per_child = indicator(
        "reports_per_100k_children",
        {"measure": "TEST_REPORTS"},
        denominator="population_under18",
        unit="PER_100000_U18",
    )
    frame = _values(con, per_child)
    a2019 = _row(frame, "reports_per_100k_children", "AAA", "2019")
    a2020 = _row(frame, "reports_per_100k_children", "AAA", "2020")
    assert a2019.OBS_VALUE == pytest.approx(1110 / 333_000 * 100000)
    assert a2019.OBS_STATUS == "A"
    assert a2020.OBS_VALUE == pytest.approx(1330 / 444_000 * 100000)
    assert a2020.OBS_STATUS == "E"  # the 2020 under-18 population is a projection
    lac = _row(frame, "reports_per_100k_children", "LAC")
    assert lac.COVERAGE == pytest.approx((333_000 + 666_000 + 999_000) / (333_000 + 666_000 + 999_000 + 999_000))
    assert _row(frame, "reports_per_100k_children", "LAC", "2020").OBS_STATUS == "E"


# ------------------------------------------------------------------ sharing
def test_sharing_is_the_most_restrictive_input(con):
    share = indicator(
        "illegal_share",
        {"measure": "TEST_ILLEGAL"},
        denominator={"measure": "TEST_RECEIVED"},
        factor=100,
        unit="PERCENT",
        sources=["syn_clear", "syn_amber", "syn_green"],
        aggregation={"method": "ratio_of_sums", "basis": "population_total"},
    )
    frame = _values(con, share)
    aaa = _row(frame, "illegal_share", "AAA")
    assert aaa.OBS_VALUE == pytest.approx(222 / 2220 * 100)  # 10
    assert aaa.SHARING == "GREEN"  # CLEAR numerator, GREEN denominator
    assert aaa.SOURCE_IDS == "syn_clear,syn_green"
    bbb = _row(frame, "illegal_share", "BBB")
    assert bbb.OBS_VALUE == pytest.approx(1110 / 4440 * 100)  # 25
    assert bbb.SHARING == "AMBER"
    assert "CCC" not in set(frame.REF_AREA)  # zero denominator: no value
    lac = _row(frame, "illegal_share", "LAC")
    assert lac.OBS_VALUE == pytest.approx((222 + 1110) / (2220 + 4440) * 100)  # 20, not (10 + 25) / 2
    assert lac.SHARING == "AMBER"  # the most restrictive contributing row
    assert lac.COVERAGE == pytest.approx((1_110_000 + 2_220_000) / 9_990_000)
    assert lac.SOURCE_IDS == "syn_amber,syn_clear,syn_green"


def test_population_only_inputs_keep_the_source_level(con):
    green = indicator("green_reports", {"measure": "TEST_RECEIVED"}, sources=["syn_green"])
    frame = _values(con, green)
    assert set(frame.SHARING) == {"GREEN"}


# ------------------------------------------------------------------ selection rules
def test_sum_over_needs_every_part(con):
    victims = indicator(
        "victims_per_100k", {"measure": "TEST_VICTIMS", "filter": {"SEX": ["F", "M"]}, "sum_over": ["SEX"]}
    )
    frame = _values(con, victims)
    aaa = _row(frame, "victims_per_100k", "AAA", sex="_T")
    assert aaa.NUMERATOR == 111 + 222
    assert "BBB" not in set(frame.REF_AREA)  # only F reported: no total is formed
    lac = _row(frame, "victims_per_100k", "LAC", sex="_T")
    assert lac.NUMERATOR == 333 and lac.DENOMINATOR == 1_110_000


def test_disaggregations_give_one_series_per_category(con):
    pct = indicator(
        "pct",
        {"measure": "TEST_PCT"},
        denominator="none",
        factor=1,
        unit="PERCENT",
        disaggregations=["SEX"],
        aggregation={"method": "none"},
    )
    frame = _values(con, pct)
    aaa = frame[(frame.REF_AREA == "AAA")].set_index("SEX").OBS_VALUE.to_dict()
    assert aaa == pytest.approx({"_T": 11.1, "F": 22.2, "M": 3.3})
    assert frame[frame.AREA_KIND == "lac_aggregate"].empty  # aggregation none
    headline = indicator(
        "pct_total",
        {"measure": "TEST_PCT"},
        denominator="none",
        factor=1,
        unit="PERCENT",
        aggregation={"method": "none"},
    )
    frame = _values(con, headline)
    assert sorted(zip(frame.REF_AREA, frame.SEX)) == [("AAA", "_T"), ("BBB", "_T")]


def test_weighted_mean_uses_population_weights(con):
    pct = indicator(
        "pct_weighted",
        {"measure": "TEST_PCT"},
        denominator="none",
        factor=1,
        unit="PERCENT",
        aggregation={"method": "weighted_mean", "basis": "population_total"},
    )
    frame = _values(con, pct)
    lac = _row(frame, "pct_weighted", "LAC", sex="_T")
    assert lac.OBS_VALUE == pytest.approx((11.1 * 1_110_000 + 33.3 * 2_220_000) / (1_110_000 + 2_220_000))
    assert lac.COVERAGE == pytest.approx(3_330_000 / 9_990_000)


def test_duplicate_rows_are_a_registry_error(con):
    twice = indicator("twice", {"measure": "TEST_TWICE"}, sources=["syn_clear", "syn_red"])
    with pytest.raises(IndicatorError) as info:
        _values(con, twice)
    assert str(info.value).startswith("twice.yaml: field 'numerator'")
    assert "AAA 2019" in str(info.value)
    one = indicator("once", {"measure": "TEST_TWICE", "source": "syn_red"}, sources=["syn_clear", "syn_red"])
    row = _row(_values(con, one), "once", "AAA")
    assert row.NUMERATOR == 222 and row.SHARING == "RED"


def test_sql_escape_hatch(con):
    doubled = indicator(
        "doubled",
        {
            "sql": "SELECT REF_AREA, REF_YEAR, 2 * OBS_VALUE AS VALUE FROM marts.observations "
            "WHERE MEASURE = 'TEST_REPORTS'",
            "description": TEXT,
        },
        sources=["syn_amber"],
    )
    frame = _values(con, doubled)
    aaa = _row(frame, "doubled", "AAA")
    assert aaa.NUMERATOR == 2220 and aaa.OBS_VALUE == pytest.approx(200.0)
    assert aaa.SHARING == "AMBER"  # no SHARING column: the declared sources' level
    assert aaa.SOURCE_IDS == "syn_amber"
    assert "NC_NOT_LISTED" not in set(frame.REF_AREA)
    bad = indicator("bad_sql", {"sql": "SELECT REF_AREA, 1 AS VALUE FROM marts.areas", "description": TEXT})
    with pytest.raises(IndicatorError) as info:
        _values(con, bad)
    assert "bad_sql.yaml: field 'numerator.sql'" in str(info.value) and "REF_YEAR" in str(info.value)


def test_min_coverage_withholds_thin_aggregates(con):
    thin = indicator("thin", {"measure": "TEST_REPORTS"}, aggregation={"method": "ratio_of_sums", "min_coverage": 0.7})
    frame = _values(con, thin)
    aggregates = set(frame[frame.AREA_KIND == "lac_aggregate"].REF_AREA + " " + frame.TIME_PERIOD)
    # LAC 2019 covers 2/3 < 0.7 and LAC_CARIB 1/2: withheld; LAC_SOUTH covers all of it
    assert "LAC 2019" not in aggregates and "LAC_CARIB 2019" not in aggregates
    assert "LAC_SOUTH 2019" in aggregates


def test_indicator_without_rows_is_reported(con):
    empty = indicator("nothing", {"measure": "NO_SUCH_MEASURE"})
    reports = indicator("reports_per_100k", {"measure": "TEST_REPORTS"})
    registry = {i.id: i for i in (empty, reports)}
    build_indicator_values(con, registry)
    assert indicators_without_values(con, registry) == ["nothing"]


# ------------------------------------------------------------------ progress
def test_progress_per_series_and_indicator(con):
    per100k = indicator("reports_per_100k", {"measure": "TEST_REPORTS"})
    registry = {per100k.id: per100k}
    build_indicator_values(con, registry)
    build_indicator_progress(con, registry)
    frame = con.execute("SELECT * FROM marts.indicator_progress").df()
    aaa = frame[(frame.REF_AREA == "AAA") & (frame.LEVEL == "series")].iloc[0]
    # 2019: 1110 / 1,110,000 x 1e5 = 100; 2020: 1330 / 1,220,000 x 1e5 = 109.0164
    # decrease is better, no target: pv = -CAGR = -(109.0164 / 100 - 1) = -0.090164
    assert (aaa.BASE_YEAR, aaa.CURRENT_YEAR) == (2019, 2020)
    assert aaa.PROGRESS_VALUE == pytest.approx(-(1330 / 1_220_000 * 100000 / 100 - 1))
    assert aaa.STATUS == "deterioration" and aaa.SCORE == pytest.approx(-5.0)
    assert aaa.SHARING == "CLEAR" and bool(aaa.HEADLINE)
    level = frame[(frame.REF_AREA == "AAA") & (frame.LEVEL == "indicator")].iloc[0]
    assert level.STATUS == "deterioration" and level.N_SERIES == 1 and level.N_SCORED == 1
    # one year only: not available, but still listed
    bbb = frame[(frame.REF_AREA == "BBB") & (frame.LEVEL == "indicator")].iloc[0]
    assert bbb.STATUS == "not_available" and bbb.N_SCORED == 0
    assert "LAC" in set(frame.REF_AREA)


def test_progress_without_headline_combines_the_categories(con):
    pct = indicator(
        "pct_by_sex",
        {"measure": "TEST_PCT", "filter": {"SEX": ["F", "M"]}},
        denominator="none",
        factor=1,
        unit="PERCENT",
        disaggregations=["SEX"],
        aggregation={"method": "none"},
    )
    registry = {pct.id: pct}
    build_indicator_values(con, registry)
    build_indicator_progress(con, registry)
    frame = con.execute("SELECT * FROM marts.indicator_progress WHERE REF_AREA = 'AAA'").df()
    assert sorted(frame[frame.LEVEL == "series"].SEX) == ["F", "M"]
    level = frame[frame.LEVEL == "indicator"].iloc[0]
    assert level.N_SERIES == 2 and level.CALCULATION == "combined_series"


# ------------------------------------------------------------------ the real build
# CyberTipline reports read off sources/data/ncmec-cybertipline-by-country/<year>-...pdf
# (pdftotext -layout), World Bank SP.POP.TOTL from sources/data/reference/population-world-bank.csv
NCMEC = {
    "BRA": {2019: 398069, 2020: 432196, 2021: 437091, 2022: 611230, 2023: 567985},
    "MEX": {2019: 827988, 2020: 793721, 2021: 786215, 2022: 815792, 2023: 717468},
}
WORLD_BANK_POPULATION = {
    "BRA": {2019: 207455459, 2020: 208660842, 2021: 209550294, 2022: 210306415, 2023: 211140729},
    "MEX": {2019: 125762982, 2020: 126799054, 2021: 127648148, 2022: 128613117, 2023: 129739759},
}


@pytest.fixture(scope="module")
def built(built_home):
    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.mark.slow
@pytest.mark.parametrize("area", ["BRA", "MEX"])
def test_real_cybertipline_per_100k(built, area):
    rows = built.execute(
        """
        SELECT REF_YEAR, OBS_VALUE, NUMERATOR, DENOMINATOR, SHARING, OBS_STATUS, SYNTHETIC
        FROM marts.indicator_values
        WHERE INDICATOR = 'cybertipline_reports_per_100k' AND REF_AREA = ?""",
        [area],
    ).fetchall()
    got = {
        year: (value, num, den, sharing, status, synthetic)
        for year, value, num, den, sharing, status, synthetic in rows
    }
    assert sorted(got) == [2019, 2020, 2021, 2022, 2023]
    for year, reports in NCMEC[area].items():
        population = WORLD_BANK_POPULATION[area][year]
        value, num, den, sharing, status, synthetic = got[year]
        assert num == reports and den == population
        assert value == pytest.approx(reports / population * 100000, rel=1e-12)
        assert (sharing, status, synthetic) == ("CLEAR", "A", False)
    # e.g. Brazil 2019: 398,069 / 207,455,459 x 100,000 = 191.88
    if area == "BRA":
        assert got[2019][0] == pytest.approx(191.8817, abs=1e-4)


@pytest.mark.slow
def test_real_lac_aggregate_is_sum_over_sum(built):
    obs = built.execute("""
        SELECT o.REF_AREA, o.REF_YEAR, o.OBS_VALUE, p.POPULATION
        FROM marts.observations o JOIN marts.areas a USING (REF_AREA)
        JOIN marts.population p ON p.REF_AREA = o.REF_AREA AND p.YEAR = o.REF_YEAR
        WHERE o.MEASURE = 'CYBERTIPLINE_REPORTS' AND a.IS_LAC AND a.AREA_KIND = 'country'
          AND p.POPULATION IS NOT NULL""").df()
    region = built.execute("""
        SELECT p.YEAR, sum(p.POPULATION) FROM marts.population p JOIN marts.areas a USING (REF_AREA)
        WHERE a.IS_LAC AND a.AREA_KIND = 'country' AND p.POPULATION IS NOT NULL GROUP BY 1""").fetchall()
    region = dict(region)
    lac = built.execute("""SELECT REF_YEAR, OBS_VALUE, COVERAGE FROM marts.indicator_values
                           WHERE INDICATOR = 'cybertipline_reports_per_100k' AND REF_AREA = 'LAC'""").fetchall()
    assert len(lac) == 5
    for year, value, coverage in lac:
        part = obs[obs.REF_YEAR == year]
        assert value == pytest.approx(part.OBS_VALUE.sum() / part.POPULATION.sum() * 100000, rel=1e-12)
        assert coverage == pytest.approx(part.POPULATION.sum() / region[year], rel=1e-12)
        assert 0 < coverage <= 1


@pytest.mark.slow
def test_real_build_computes_every_indicator_and_flags_synthetic(built):
    registry = load_registry()
    assert indicators_without_values(built, registry) == []
    flags = dict(
        built.execute("""SELECT INDICATOR, bool_and(SYNTHETIC) = bool_or(SYNTHETIC) AND bool_or(SYNTHETIC)
                                  FROM marts.indicator_values GROUP BY 1""").fetchall()
    )
    assert flags["awareness_campaigns"] and flags["conviction_ratio"]
    assert not flags["cybertipline_reports_per_100k"]
    sharing = dict(built.execute("SELECT INDICATOR, max(SHARING) FROM marts.indicator_values GROUP BY 1").fetchall())
    assert sharing["conviction_ratio"] == "AMBER" and sharing["hotline_reports_per_100k"] == "GREEN"
    lac = built.execute("""SELECT count(DISTINCT INDICATOR) FROM marts.indicator_progress
                           WHERE LEVEL = 'indicator' AND REF_AREA = 'LAC'""").fetchone()[0]
    assert lac >= 16


def test_compute_does_not_need_the_marts_written(con):
    frame = compute_indicator_values(con, {"r": indicator("r", {"measure": "TEST_REPORTS"})})
    assert not frame.empty
    tables = {
        r[0]
        for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'").fetchall()
    }
    assert "indicator_values" not in tables


# ------------------------------------------------------------------ the Dagster layer
def test_blocking_check_fails_when_an_indicator_has_no_values(tmp_path, monkeypatch):
    """An indicator without any value fails the check, and the progress asset does not run."""
    import dagster as dg

    from pipelines.defs import indicators as indicator_defs
    from pipelines.defs.resources import WarehouseResource

    path = tmp_path / "synthetic-warehouse.duckdb"
    _make_warehouse(path)
    computable = indicator("reports_per_100k", {"measure": "TEST_REPORTS"})
    empty = indicator("nothing", {"measure": "NO_SUCH_MEASURE"})
    resources = {"warehouse": WarehouseResource(path=str(path))}
    assets = [indicator_defs.indicator_values, indicator_defs.indicator_progress]

    monkeypatch.setattr(indicator_defs, "REGISTRY", {i.id: i for i in (computable, empty)})
    result = dg.materialize(assets, resources=resources, raise_on_error=False)
    assert not result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "every_indicator_computed" and not evaluation.passed
    assert evaluation.metadata["without_values"].data == ["nothing"]
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "marts/indicator_progress" not in materialized

    monkeypatch.setattr(indicator_defs, "REGISTRY", {computable.id: computable})
    result = dg.materialize(assets, resources=resources, raise_on_error=False)
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"marts/indicator_values", "marts/indicator_progress"}


def test_indicator_assets_are_wired():
    import dagster as dg

    from pipelines.definitions import defs

    graph = (defs() if callable(defs) else defs).resolve_asset_graph()
    values = graph.get(dg.AssetKey(["marts", "indicator_values"]))
    assert {"marts/observations", "marts/population", "marts/areas"} <= {k.to_user_string() for k in values.parent_keys}
    progress_node = graph.get(dg.AssetKey(["marts", "indicator_progress"]))
    assert dg.AssetKey(["marts", "indicator_values"]) in progress_node.parent_keys
    assert values.group_name == progress_node.group_name == "indicators"
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("marts/indicator_values", "every_indicator_computed") in checks


# ------------------------------------------------------------------ verdict rules
def _progress(con, ind: Indicator) -> pd.DataFrame:
    registry = {ind.id: ind}
    build_indicator_values(con, registry)
    build_indicator_progress(con, registry)
    return con.execute("SELECT * FROM marts.indicator_progress WHERE LEVEL = 'indicator'").df().set_index("REF_AREA")


def test_regional_status_needs_the_stated_coverage(con, tmp_path, monkeypatch):
    import indicators.compute as compute

    rules = tmp_path / "verdict_rules.yaml"
    rules.write_text("regional_min_coverage: 0.7\n", encoding="utf-8")
    monkeypatch.setattr(compute, "VERDICT_RULES_FILE", rules)
    frame = _progress(con, indicator("reports_per_100k", {"measure": "TEST_REPORTS"}))
    # LAC 2019: AAA+BBB+CCC reported, 6.66 M of the 9.99 M with a population (FFF silent): 2/3 < 0.7
    assert frame.loc["LAC", "STATUS"] == "insufficient_coverage" and pd.isna(frame.loc["LAC", "SCORE"])
    # LAC_SOUTH: AAA and BBB are the whole subregion in 2019 and AAA alone has a 2020 population
    assert frame.loc["LAC_SOUTH", "STATUS"] == "substantial_progress"
    # a country is judged on its own series, whatever the region's coverage
    assert frame.loc["AAA", "STATUS"] == "deterioration"


def test_the_shipped_rule_is_half_the_population(con):
    from indicators.compute import VERDICT_RULES_FILE, regional_min_coverage

    assert regional_min_coverage(VERDICT_RULES_FILE) == 0.5
    frame = _progress(con, indicator("reports_per_100k", {"measure": "TEST_REPORTS"}))
    assert frame.loc["LAC", "STATUS"] == "deterioration"  # 2/3 and 1.0 both reach one half


def test_a_context_indicator_gets_no_progress_status(con):
    frame = _progress(con, indicator("reports_per_100k", {"measure": "TEST_REPORTS"}, kind="context"))
    assert set(frame.STATUS) == {"context"} and frame.SCORE.isna().all()


def test_a_bad_coverage_rule_names_the_file_and_field(tmp_path):
    from indicators.compute import regional_min_coverage

    rules = tmp_path / "verdict_rules.yaml"
    rules.write_text("regional_min_coverage: 50\n", encoding="utf-8")
    with pytest.raises(IndicatorError, match="verdict_rules.yaml: field 'regional_min_coverage'"):
        regional_min_coverage(rules)
