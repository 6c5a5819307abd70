"""UN SDG Global Database DDF parser, on the bundled 2020 extract and on broken copies.

Expected values are read off the bundled CSV files; each literal names its file and
row (row 1 = the header, as in ``LOC_ROW``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sources.parsers import sdg_ddf
from sources.parsers.base import PARSED_COLUMNS, SourceFileError
from tests.helpers import data_lines, row_at

ROOT = Path(__file__).resolve().parents[1]
DDF = ROOT / "sources" / "data" / "un-sdg-global-database-2020"

SXVLN = DDF / "ddf--datapoints--vc_vaw_sxvln--by--age--geo_area--nature--sex--units--year.csv"
PHYPYV = DDF / "ddf--datapoints--vc_vaw_phypyv--by--age--geo_area--nature--units--year.csv"
DETV = DDF / "ddf--datapoints--vc_htf_detv--by--age--geo_area--nature--sex--units--year.csv"
DETVSX = DDF / "ddf--datapoints--vc_htf_detvsx--by--age--geo_area--nature--sex--units--year.csv"
PRR = DDF / "ddf--datapoints--vc_prr_sexv--by--geo_area--nature--sex--units--year.csv"

#: data lines per file = `wc -l` minus the header line (every file ends with a newline).
EXPECTED_ROWS = {
    "vc_vaw_sxvln": 69,
    "vc_vaw_phypyv": 92,
    "vc_htf_detv": 998,
    "vc_htf_detvsx": 386,
    "vc_vaw_marr": 577,
    "vc_prr_sexv": 95,
    "vc_vov_sexl": 305,
}


@pytest.mark.parametrize("series", sdg_ddf.PROJECT_SERIES)
def test_row_count_equalsdata_lines(series):
    (path,) = DDF.glob(f"ddf--datapoints--{series}--by--*.csv")
    result = sdg_ddf.parse(path)
    assert data_lines(path) == EXPECTED_ROWS[series]
    assert result.rows_read == EXPECTED_ROWS[series]
    assert len(result.rows) == EXPECTED_ROWS[series]
    assert list(result.rows.columns) == PARSED_COLUMNS
    assert (result.rows["PARSE_ERROR"] == "").all()
    assert (result.rows["MEASURE"] == series.upper()).all()
    assert result.rows["LOC_ROW"].tolist() == list(range(2, EXPECTED_ROWS[series] + 2))
    assert result.facts["unmapped_codes"] == {}


def test_vc_vaw_sxvln_lac_values():
    result = sdg_ddf.parse(SXVLN)
    # ddf--datapoints--vc_vaw_sxvln--...csv row 35: 18_29,388,ca,female,percent,2016,2.3 (Jamaica)
    jam = row_at(result, 35)
    assert jam["AREA_RAW"] == "388"
    assert jam["TIME_PERIOD_RAW"] == "2016"
    assert jam["OBS_VALUE"] == pytest.approx(2.3)
    assert jam["VALUE_RAW"] == "2.3"
    assert jam["UNIT_MEASURE"] == "PERCENT"
    assert jam["SEX"] == "F"
    assert jam["AGE"] == "Y18T29"
    assert jam["NATURE"] == "CA"
    assert jam["DISAGGREGATION"] == ""
    assert jam["OBS_STATUS"] == "A"
    assert jam["LOC_SHEET"] == ""
    # row 17: 18_29,170,ca,male,percent,2015,0.3 (Colombia, male)
    col = row_at(result, 17)
    assert (col["AREA_RAW"], col["SEX"], col["OBS_VALUE"]) == ("170", "M", pytest.approx(0.3))
    # row 63: 18_29,780,ca,female,percent,2017,24.8 (Trinidad and Tobago)
    assert row_at(result, 63)["OBS_VALUE"] == pytest.approx(24.8)
    # row 2: 18_29,1,e,female,percent,2019,2.7 (World, estimated)
    world = row_at(result, 2)
    assert (world["AREA_RAW"], world["NATURE"]) == ("1", "E")


def test_lac_coverage_of_vc_vaw_sxvln_is_eight_countries():
    # PROVENANCE.md: "8 LAC countries, 2012-2017"; M49 codes from ddf--entities--geo_area.csv.
    lac = {"170", "214", "320", "332", "340", "388", "591", "780"}
    rows = sdg_ddf.parse(SXVLN).rows
    present = set(rows["AREA_RAW"]) & lac
    assert present == lac
    years = rows[rows["AREA_RAW"].isin(lac)]["TIME_PERIOD_RAW"].astype(int)
    assert (years.min(), years.max()) == (2012, 2017)


def test_age_sex_nature_mappings_on_real_rows():
    detvsx = sdg_ddf.parse(DETVSX)
    # ddf--datapoints--vc_htf_detvsx--...csv row 339: lt18y,32,c,female,number,2014,11
    r = row_at(detvsx, 339)
    assert (r["AGE"], r["SEX"], r["UNIT_MEASURE"], r["OBS_VALUE"]) == ("Y_LT18", "F", "NUMBER", 11.0)
    # row 2: 18,4,c,female,number,2003,0  ("18" is "18+" in ddf--entities--age.csv)
    assert row_at(detvsx, 2)["AGE"] == "Y_GE18"
    detv = sdg_ddf.parse(DETV)
    # ddf--datapoints--vc_htf_detv--...csv row 147: allage,76,c,bothsex,number,2015,1228 (Brazil)
    r = row_at(detv, 147)
    assert (r["AREA_RAW"], r["AGE"], r["SEX"], r["NATURE"], r["OBS_VALUE"]) == ("76", "_T", "_T", "C", 1228.0)
    prr = sdg_ddf.parse(PRR)
    # ddf--datapoints--vc_prr_sexv--...csv row 3: 32,notspec,bothsex,percent,2016,12.5 (Argentina)
    r = row_at(prr, 3)
    assert (r["AREA_RAW"], r["NATURE"], r["SEX"], r["AGE"], r["OBS_VALUE"]) == ("32", "", "_T", "", 12.5)
    phy = sdg_ddf.parse(PHYPYV)
    # ddf--datapoints--vc_vaw_phypyv--...csv row 79: 2_14,388,c,percent,2011,84.5 (no sex dimension)
    r = row_at(phy, 79)
    assert (r["AREA_RAW"], r["AGE"], r["SEX"], r["OBS_VALUE"]) == ("388", "Y2T14", "", 84.5)


def test_every_age_code_of_the_entities_file_is_mapped():
    with (DDF / "ddf--entities--age.csv").open(encoding="utf-8") as fh:
        codes = [row["age"] for row in csv.DictReader(fh)]
    assert len(codes) == 82
    mapped = {code: sdg_ddf.age_code(code) for code in codes}
    assert all(mapped.values()), [c for c, m in mapped.items() if not m]
    assert mapped["allage"] == "_T"
    assert mapped["18_29"] == "Y18T29"
    assert mapped["lt18y"] == "Y_LT18"
    assert mapped["15"] == "Y_GE15"
    assert mapped["lt_45y"] == "Y_LE45"
    assert mapped["lt1m"] == "M_LT1"
    assert mapped["m36t47"] == "M36T47"
    assert (mapped["u"], mapped["x"], mapped["notspec"]) == ("_U", "_X", "_X")
    # Deterministic and, apart from the two "unspecified" codes, one-to-one.
    values = [v for c, v in mapped.items() if c not in ("notspec",)]
    assert len(values) == len(set(values))
    assert all(sdg_ddf.age_code(c) == m for c, m in mapped.items())


def test_every_sex_and_nature_code_of_the_entities_files_is_mapped():
    releases = [DDF, DDF.parent / "un-sdg-global-database-2023-12"]
    sexes, natures = set(), set()
    for release in releases:  # the code lists are the union of both releases' entities
        with (release / "ddf--entities--sex.csv").open(encoding="utf-8") as fh:
            sexes |= {row["sex"] for row in csv.DictReader(fh)}
        with (release / "ddf--entities--nature.csv").open(encoding="utf-8") as fh:
            natures |= {row["nature"] for row in csv.DictReader(fh)}
    assert sexes == set(sdg_ddf.SEX_CODES)
    assert natures == set(sdg_ddf.NATURE_CODES)


def test_parse_dataset_concatenates_listed_series():
    result = sdg_ddf.parse_dataset(DDF, sdg_ddf.PROJECT_SERIES)
    assert result.rows_read == sum(EXPECTED_ROWS.values()) == 2522
    assert len(result.rows) == 2522
    files = result.facts["files"]
    assert [f["series"] for f in files] == sdg_ddf.PROJECT_SERIES
    assert [f["rows"] for f in files] == [EXPECTED_ROWS[s] for s in sdg_ddf.PROJECT_SERIES]
    for f in files:
        block = result.rows.iloc[f["first_row"] : f["end_row"]]
        assert (block["MEASURE"] == f["series"].upper()).all()
        assert f["file"].startswith(f"ddf--datapoints--{f['series']}--by--")
    # Duplicated and upper-case series names are tolerated.
    two = sdg_ddf.parse_dataset(DDF, ["VC_VAW_SXVLN", "vc_vaw_sxvln", "vc_prr_sexv"])
    assert len(two.rows) == 69 + 95
    assert two.facts["series"] == ["vc_vaw_sxvln", "vc_prr_sexv"]


def test_parse_dataset_unknown_series_names_it():
    with pytest.raises(SourceFileError) as err:
        sdg_ddf.parse_dataset(DDF, ["vc_vaw_sxvln", "vc_xyz_nope"])
    msg = str(err.value)
    assert "vc_xyz_nope" in msg and "ddf--datapoints--vc_xyz_nope--by--" in msg and "What to do" in msg


def test_series_metadata():
    meta = sdg_ddf.series_metadata(DDF)
    assert {"MEASURE", "SERIES", "DESCRIPTION", "SDG_GOAL", "SDG_TARGET", "SDG_INDICATOR"} <= set(meta.columns)
    # ddf--concepts--continuous.csv row 468: vc_vaw_sxvln,measure,"Proportion of population aged 18-29 ...",16,16.2.3,...
    row = meta.set_index("MEASURE").loc["VC_VAW_SXVLN"]
    assert row["SDG_INDICATOR"] == "16.2.3"
    assert row["SDG_TARGET"] == "16.2"
    assert row["SDG_GOAL"] == "16"
    assert row["DESCRIPTION"].startswith("Proportion of population aged 18-29 years who experienced sexual violence")
    project = sdg_ddf.series_metadata(DDF, sdg_ddf.PROJECT_SERIES)
    assert project["SERIES"].tolist() == sdg_ddf.PROJECT_SERIES
    assert project["SDG_INDICATOR"].tolist() == ["16.2.3", "16.2.1", "16.2.2", "16.2.2", "5.2.1", "16.3.1", "16.1.3"]
    with pytest.raises(SourceFileError, match="vc_nope"):
        sdg_ddf.series_metadata(DDF, ["vc_nope"])


def test_series_filter_refuses_other_series():
    assert len(sdg_ddf.parse(SXVLN, series=["VC_VAW_SXVLN"]).rows) == 69
    with pytest.raises(SourceFileError) as err:
        sdg_ddf.parse(SXVLN, series=["vc_prr_sexv"])
    assert "vc_vaw_sxvln" in str(err.value) and "vc_prr_sexv" in str(err.value)


# ------------------------------------------------------------------ broken copies (tmp_path)

NAME = "ddf--datapoints--vc_vaw_sxvln--by--age--geo_area--nature--sex--units--year.csv"
HEADER = "age,geo_area,nature,sex,units,year,vc_vaw_sxvln\n"


def test_bad_rows_are_kept_with_a_reason(tmp_path):
    path = tmp_path / NAME
    path.write_text(
        HEADER
        + "18_29,388,ca,female,percent,2016,2.3\n"  # row 2: fine
        + "18_29,388,ca,male,percent,2016,n/a\n"  # row 3: text value
        + "18_29,388,ca,male,percent,2017,\n"  # row 4: blank value
        + "18_29,388,ca,female,percent,2018\n"  # row 5: a cell short
        + "18_29,,ca,female,percent,2019,1.0\n"  # row 6: no area
        + "99_zz,388,ca,female,percent,2019,1.0\n",  # row 7: unknown age code
        encoding="utf-8",
    )
    result = sdg_ddf.parse(path)
    assert result.rows_read == 6 and len(result.rows) == 6
    errors = dict(zip(result.rows["LOC_ROW"], result.rows["PARSE_ERROR"]))
    assert errors[2] == ""
    assert "'n/a' is not a number" in errors[3]
    assert "blank" in errors[4]
    assert "6 cells but the header has 7 columns" in errors[5]
    assert "geo_area cell is blank" in errors[6]
    assert errors[7] == ""
    assert row_at(result, 7)["AGE"] == "99_ZZ"
    assert result.facts["unmapped_codes"] == {"age": ["99_zz"]}
    assert result.rows.loc[result.rows["PARSE_ERROR"] != "", "OBS_VALUE"].isna().all()
    assert result.facts["rows_with_errors"] == 4


def test_extra_dimension_goes_to_disaggregation(tmp_path):
    path = tmp_path / "ddf--datapoints--vc_x--by--geo_area--location--sex--year.csv"
    path.write_text("geo_area,location,sex,year,vc_x\n388,urban,female,2016,1.5\n", encoding="utf-8")
    row = sdg_ddf.parse(path).rows.iloc[0]
    assert row["DISAGGREGATION"] == "location=urban"
    assert (row["AGE"], row["UNIT_MEASURE"], row["NATURE"]) == ("", "", "")


def test_whole_file_problems_have_human_messages(tmp_path):
    wrong_name = tmp_path / "sxvln.csv"
    wrong_name.write_text(HEADER, encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        sdg_ddf.parse(wrong_name)
    assert "sxvln.csv" in str(err.value) and "ddf--datapoints--<series>--by--" in str(err.value)

    empty = tmp_path / NAME
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SourceFileError, match="empty"):
        sdg_ddf.parse(empty)

    empty.write_text(HEADER, encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        sdg_ddf.parse(empty)
    assert "header row but no data rows" in str(err.value) and NAME in str(err.value)

    empty.write_text("age,geo_area,sex,units,year,vc_vaw_sxvln\n18_29,388,female,percent,2016,2.3\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        sdg_ddf.parse(empty)
    msg = str(err.value)
    assert "missing column(s) nature" in msg and "row 1" in msg

    empty.write_bytes(b"\xff\xfe\x00\x00binary")
    with pytest.raises(SourceFileError, match="not a text CSV"):
        sdg_ddf.parse(empty)
