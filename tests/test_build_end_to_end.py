"""End to end: ``clac build`` on the bundled data, then ``clac export observations``.

The expected NCMEC figures were read off the PDFs (pdftotext -layout of the bundled
files, checked against the rendered pages), not produced by the project's parser.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import copy_of, run_clac

# (REF_AREA, value) per year, read off sources/data/ncmec-cybertipline-by-country/<year>-...pdf
NCMEC_READ_OFF_PDF = {
    2019: {
        "BRA": 398069,
        "MEX": 827988,
        "COL": 264582,
        "ARG": 57372,
        "JAM": 2567,
        "GTM": 72598,
        "HND": 31996,
        "CHL": 28641,
        "ECU": 98669,
        "CUB": 4412,
        "COD": 3856,
        "IND": 1987430,
    },
    2020: {
        "BRA": 432196,
        "COL": 763997,
        "ARG": 76857,
        "BOL": 120161,
        "CHL": 42619,
        "BLZ": 2780,
        "BHS": 670,
        "BRB": 633,
        "CUB": 12122,
        "CRI": 36562,
        "COD": 6461,
        "AFG": 115259,
    },
    2021: {
        "ARG": 91957,
        "BOL": 36551,
        "BRA": 437091,
        "CHL": 45087,
        "COL": 440203,
        "CUB": 13779,
        "GTM": 65076,
        "HTI": 4314,
        "HND": 44142,
        "JAM": 3743,
        "MEX": 786215,
        "PRY": 13309,
        "PER": 192943,
        "URY": 6320,
        "COD": 5368,
    },
    2022: {
        "ARG": 136040,
        "BOL": 46298,
        "BRA": 611230,
        "CHL": 64404,
        "COL": 647907,
        "CUB": 12362,
        "GTM": 87390,
        "HTI": 5229,
        "HND": 70697,
        "JAM": 5953,
        "MEX": 815792,
        "PRY": 19132,
        "PER": 220424,
        "URY": 8235,
        "IND": 5675324,
    },
    2023: {
        "ARG": 134880,
        "BOL": 33300,
        "BRA": 567985,
        "CHL": 64495,
        "COL": 602660,
        "CUB": 19242,
        "GTM": 75230,
        "HTI": 8089,
        "HND": 45162,
        "JAM": 6118,
        "MEX": 717468,
        "PRY": 18486,
        "PER": 159605,
        "URY": 9808,
        "IND": 8923738,
    },
}
# the total row of each PDF's table ("TOTAL 16,987,361", "Total: 21,751,085", ...)
NCMEC_TABLE_TOTALS = {2019: 16987361, 2020: 21751085, 2021: 29397681, 2022: 32059029, 2023: 36210368}
# rows that are not countries, as printed, kept under explicit non-country codes
NCMEC_NON_COUNTRY = {
    (2019, "No Country Listed"): 1668157,
    (2020, "No Country Listed"): 641874,
    (2021, "No Country Listed"): 1193266,
    (2022, "Europe"): 3,
    (2021, "Netherlands Antilles"): 2,
}


@pytest.fixture(scope="module")
def observations(built_home, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("export") / "observations.csv"
    run_clac(built_home, "export", "observations", "--format", "csv", "--out", str(out))
    return pd.read_csv(
        out, dtype={"TIME_PERIOD": str, "LOC_SHEET": str}, keep_default_na=False, na_values={"OBS_VALUE": [""]}
    )


def test_export_has_exactly_the_published_columns(observations):
    assert list(observations.columns[:8]) == [
        "SOURCE_ID",
        "MEASURE",
        "REF_AREA",
        "TIME_PERIOD",
        "OBS_VALUE",
        "UNIT_MEASURE",
        "OBS_STATUS",
        "SHARING",
    ]
    for column in ("SEX", "AGE", "DISAGGREGATION", "FILE_ID", "FILE_SHA256", "LOC_PAGE", "LOC_LINE", "LOC_ROW"):
        assert column in observations.columns


@pytest.mark.parametrize("year", sorted(NCMEC_READ_OFF_PDF))
def test_ncmec_values_are_the_published_values(observations, year):
    ncmec = observations[
        (observations.SOURCE_ID == "ncmec_cybertipline_by_country") & (observations.TIME_PERIOD == str(year))
    ]
    got = dict(zip(ncmec.REF_AREA, ncmec.OBS_VALUE))
    for area, value in NCMEC_READ_OFF_PDF[year].items():
        assert got.get(area) == value, f"{year} {area}: export has {got.get(area)}, PDF says {value}"
    # every row traces back to its page and line
    assert ncmec.LOC_PAGE.notna().all() and ncmec.LOC_LINE.notna().all()
    assert ncmec.FILE_SHA256.str.len().eq(64).all()


@pytest.mark.parametrize("year", sorted(NCMEC_TABLE_TOTALS))
def test_ncmec_rows_add_up_to_the_pdf_total(observations, year):
    ncmec = observations[
        (observations.SOURCE_ID == "ncmec_cybertipline_by_country") & (observations.TIME_PERIOD == str(year))
    ]
    assert ncmec.OBS_VALUE.sum() == NCMEC_TABLE_TOTALS[year]


def test_non_country_rows_are_kept_apart(observations, built_home):
    ncmec = observations[observations.SOURCE_ID == "ncmec_cybertipline_by_country"]
    import duckdb

    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        kinds = dict(con.execute("SELECT REF_AREA, AREA_KIND FROM marts.areas").fetchall())
        raw_names = con.execute("""SELECT TIME_PERIOD, AREA_RAW, REF_AREA, OBS_VALUE
                                   FROM staging.ncmec_cybertipline_by_country""").fetchall()
    finally:
        con.close()
    by_name = {(int(p), name): (code, value) for p, name, code, value in raw_names}
    for key, value in NCMEC_NON_COUNTRY.items():
        code, got = by_name[key]
        assert got == value
        assert kinds[code] == "non_country", f"{key} mapped to {code} ({kinds[code]})"
    # never merged: each (area, year) appears once
    assert not ncmec.duplicated(["REF_AREA", "TIME_PERIOD"]).any()


# French Guiana printed twice in 2020 and 2021 (pdftotext -f N -l N -layout of the bundled PDFs):
# page 3 "French Guiana 593", page 4 "Guiana, French 1" (2020); page 3 "French Guiana 313",
# page 4 "Guiana, French 2" (2021)
FRENCH_GUIANA_ROWS = {
    2020: {"French Guiana": 593, "Guiana, French": 1},
    2021: {"French Guiana": 313, "Guiana, French": 2},
}


@pytest.mark.parametrize("year", sorted(FRENCH_GUIANA_ROWS))
def test_one_area_printed_twice_is_one_value_with_both_locations(observations, year):
    import json

    guf = observations[
        (observations.SOURCE_ID == "ncmec_cybertipline_by_country")
        & (observations.TIME_PERIOD == str(year))
        & (observations.REF_AREA == "GUF")
    ]
    assert len(guf) == 1, "one area, one value"
    row = guf.iloc[0]
    assert row.OBS_VALUE == sum(FRENCH_GUIANA_ROWS[year].values())
    # both source locations trace back from the value: the row's own, and the summed row's
    also = json.loads(row.LOC_ALSO)
    assert [(a["area_raw"], int(a["value_raw"]), a["page"]) for a in also] == [
        ("Guiana, French", FRENCH_GUIANA_ROWS[year]["Guiana, French"], 4)
    ]
    assert int(row.LOC_PAGE) == 3 and also[0]["line"] > 0
    # no non-country code left over for the second label
    assert "NC_GUIANA_FRENCH" not in set(observations.REF_AREA)


def test_sdg_series_land_with_disaggregations(observations):
    sdg = observations[observations.SOURCE_ID == "un_sdg_global_database"]
    assert set(sdg.MEASURE) >= {"VC_VAW_SXVLN", "VC_HTF_DETV", "VC_PRR_SEXV", "VC_VOV_SEXL", "VC_VAW_MARR"}
    assert {"F", "M"} <= set(sdg.SEX)
    assert sdg.AGE.nunique() > 1
    # areas are ISO3 (M49 mapped), e.g. Brazil's M49 076
    assert "BRA" in set(sdg.REF_AREA)
    assert not sdg.REF_AREA.str.fullmatch(r"\d+").any()


def test_jamaica_headline_and_breakdowns(observations):
    jam = observations[observations.SOURCE_ID == "opensdg_jamaica"]
    assert set(jam.REF_AREA) == {"JAM"}
    assert (jam.DISAGGREGATION == "").any(), "headline rows (no breakdown) are present"
    assert (jam.DISAGGREGATION != "").any(), "breakdown rows are present"


def test_summary_and_rerun_parse_nothing(built_home, tmp_path):
    built_home = copy_of(built_home, tmp_path / "home")  # the shared home stays as built
    second = run_clac(built_home, "build")
    assert "up to date" in second.stdout
    assert "ncmec_cybertipline_by_country" in second.stdout
    forced = run_clac(built_home, "build", "--force")  # a real Dagster run over unchanged files
    assert "up to date" not in forced.stdout
    import duckdb

    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        files = con.execute("SELECT count(*), count(DISTINCT SHA256) FROM raw.files").fetchone()
        parses = con.execute("SELECT count(*) FROM raw.parses").fetchone()[0]
    finally:
        con.close()
    assert files[0] == files[1] == parses, "an identical file was received or parsed twice"


# NCMEC "CyberTipline Reports by ESP": (year, provider) -> reports, read off the rendered pages of
# sources/data/ncmec-cybertipline-by-esp/ncmec-by-esp-<year>.pdf; the tables' printed totals
NCMEC_ESP_READ_OFF_PDF = {
    (2019, "Facebook"): 15_884_511,
    (2020, "Google"): 546_704,
    (2021, "WhatsApp"): 1_372_696,
    (2022, "Twitter"): 98_050,
    (2023, "X Corp"): 273_416,
}
NCMEC_ESP_TOTALS = {2019: 16_836_694, 2020: 21_447_786, 2021: 29_157_083, 2022: 31_802_525, 2023: 35_944_826}


def test_ncmec_esp_rows_are_exported_worldwide_by_provider(observations):
    esp = observations[observations.SOURCE_ID == "ncmec_cybertipline_by_esp"]
    assert set(esp.MEASURE) == {"CYBERTIPLINE_REPORTS_BY_ESP"} and set(esp.REF_AREA) == {"M49_001"}
    assert esp.DISAGGREGATION.str.startswith("ESP=").all()
    assert not esp.duplicated(["TIME_PERIOD", "DISAGGREGATION"]).any(), "one provider, one value per year"
    got = {(int(t), d.removeprefix("ESP=")): v for t, d, v in zip(esp.TIME_PERIOD, esp.DISAGGREGATION, esp.OBS_VALUE)}
    for key, value in NCMEC_ESP_READ_OFF_PDF.items():
        assert got.get(key) == value, key
    assert esp.groupby("TIME_PERIOD").OBS_VALUE.sum().to_dict() == {str(y): t for y, t in NCMEC_ESP_TOTALS.items()}
    assert esp.LOC_PAGE.notna().all() and esp.LOC_LINE.notna().all()
    # never mixed into the per-country measure
    assert not (observations[observations.MEASURE == "CYBERTIPLINE_REPORTS"].REF_AREA == "M49_001").any()


def test_ncmec_esp_concentration_indicator_is_computed_for_the_world(built_home):
    import duckdb

    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        values = con.execute("""SELECT REF_AREA, AREA_KIND, TIME_PERIOD, OBS_VALUE FROM marts.indicator_values
                                WHERE INDICATOR = 'cybertipline_top5_esp_share' ORDER BY TIME_PERIOD""").fetchall()
        status = con.execute("""SELECT DISTINCT STATUS FROM marts.indicator_progress
                                WHERE INDICATOR = 'cybertipline_top5_esp_share'""").fetchall()
    finally:
        con.close()
    assert [(a, k, t) for a, k, t, _ in values] == [("M49_001", "world", str(y)) for y in NCMEC_ESP_TOTALS]
    # 2019: Facebook, Google, Microsoft, Snapchat, INHOPE (pages 2-5 of the 2019 PDF) over the printed total
    top5_2019 = 15_884_511 + 449_283 + 123_839 + 82_030 + 74_165
    assert values[0][3] == pytest.approx(100 * top5_2019 / NCMEC_ESP_TOTALS[2019])
    assert status == [("context",)]
