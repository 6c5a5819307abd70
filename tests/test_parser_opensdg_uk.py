"""Open SDG as other platforms write it: the UK platform's files (tests/fixtures/open-sdg-uk/).

Every expected value was read off the fixture CSVs by hand (``sed -n <row>p <file>``); row
numbers are CSV rows with the header as row 1, as in ``LOC_ROW``. Quirks that no UK file
shows (SDMX codes in the cells, a file naming another country) use small tmp files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.harmonise.periods import parse_period
from sources.parsers import opensdg_csv
from sources.parsers.base import SourceFileError
from tests.helpers import row_at

UK = Path(__file__).resolve().parent / "fixtures" / "open-sdg-uk" / "data"


def uk(name: str):
    return opensdg_csv.parse(UK / f"indicator_{name}.csv", area="United Kingdom")


def test_headline_row_with_unit_measure_multiplier_and_geocode_columns():
    # indicator_8-5-2.csv row 6326: "2000 Q1,Seasonally adjusted,,,,,,,Percentage (%),Units,Normal value,,5.8"
    result = uk("8-5-2")
    row = row_at(result, 6326)
    assert (row["OBS_VALUE"], row["UNIT_MEASURE"], row["OBS_STATUS"]) == (5.8, "PERCENT", "A")
    # unit columns and an empty GeoCode are not breakdowns: only the series is
    assert row["DISAGGREGATION"] == "Series=Seasonally adjusted"
    assert row["AREA_RAW"] == "United Kingdom" and row["PARSE_ERROR"] == ""
    assert result.facts["headline_rows"] > 0


def test_geocode_and_country_cells_are_sub_national_breakdowns():
    # row 2: "2000 Q1,Seasonally adjusted,,England,East,,,Female,Percentage (%),Units,Normal value,E12000006,3.8"
    row = row_at(uk("8-5-2"), 2)
    assert row["OBS_VALUE"] == 3.8 and row["SEX"] == "F"
    assert row["DISAGGREGATION"] == "Country=England|GeoCode=E12000006|Region=East|Series=Seasonally adjusted"


def test_units_and_unit_multiplier_columns():
    # indicator_16-2-2.csv row 2: "2009,Detected victims of human trafficking (Number),,,Units,Number,Normal value,303.0"
    row = row_at(uk("16-2-2"), 2)
    assert (row["OBS_VALUE"], row["UNIT_MEASURE"]) == (303.0, "NUMBER")
    assert row["DISAGGREGATION"] == "Series=Detected victims of human trafficking (Number)"


def test_unit_multiplier_other_than_units_is_a_clear_row_error(tmp_path):
    path = tmp_path / "indicator_1-1-1.csv"
    path.write_text("Year,Unit multiplier,Units,Value\n2019,Thousands,Number,12\n2019,Units,Number,5\n")
    result = opensdg_csv.parse(path, area="United Kingdom")
    assert "Unit multiplier 'Thousands' is not supported" in row_at(result, 2)["PARSE_ERROR"]
    assert row_at(result, 3)["PARSE_ERROR"] == ""


def test_missing_value_and_suppressed_blank_rows_are_kept_with_their_status():
    result = uk("5-2-2")
    # row 66: "2020/21,Sexual (including attempts),,Family member,16 to 59,Missing value,Units,Percentage (%),"
    missing = row_at(result, 66)
    assert (missing["OBS_STATUS"], missing["CONF_STATUS"], missing["PARSE_ERROR"]) == ("O", "F", "")
    assert missing["OBS_VALUE"] != missing["OBS_VALUE"]  # NaN: no number, never 0
    # a row "2021/22,Sexual (including attempts),,Family member,16 to 59,Missing value; suppressed,..." (blank value)
    rows = result.rows
    suppressed = rows[
        (rows.TIME_PERIOD_RAW == "2021/22")
        & (rows.DISAGGREGATION.str.contains("Family member"))
        & (rows.VALUE_RAW == "")
    ]
    assert len(suppressed) >= 1
    assert set(suppressed.OBS_STATUS) == {"O"} and set(suppressed.CONF_STATUS) == {"C"}
    assert (suppressed.PARSE_ERROR == "").all()
    # a normal row keeps free confidentiality: row 2 "2004/05,...,Family member,16 to 59,Normal value,Units,Percentage (%),0.1286138982885387"
    normal = row_at(result, 2)
    assert (normal["OBS_VALUE"], normal["OBS_STATUS"], normal["CONF_STATUS"]) == (0.1286138982885387, "A", "F")
    assert normal["AGE"] == "Y16T59"


def test_blank_value_with_a_normal_status_is_still_an_error():
    # indicator_16-3-1.csv row 128: "2020/21,Acquaintance violence,Percentage (%),Units,Normal value,"
    assert "Value cell is blank" in row_at(uk("16-3-1"), 128)["PARSE_ERROR"]


def test_range_of_years():
    # indicator_16-1-3.csv row 633: "2018 to 2020,(c) Sexual violence - 16 to 74,,16 to 19,...,7.684745807107957"
    row = row_at(uk("16-1-3"), 633)
    assert (row["TIME_PERIOD_RAW"], row["OBS_VALUE"], row["AGE"]) == ("2018 to 2020", 7.684745807107957, "Y16T19")
    assert parse_period("2018 to 2020").canonical == "2018/P3Y"


def test_quarterly_and_fiscal_years():
    assert row_at(uk("8-5-2"), 6326)["TIME_PERIOD_RAW"] == "2000 Q1"
    assert parse_period("2000 Q1").canonical == "2000-Q1"
    # indicator_16-3-1.csv row 2: "2002/03,Acquaintance violence,Percentage (%),Units,Normal value,42.97144416514486"
    row = row_at(uk("16-3-1"), 2)
    assert (row["TIME_PERIOD_RAW"], row["OBS_VALUE"]) == ("2002/03", 42.97144416514486)
    assert parse_period("2002/03").canonical == "2002/2003"


def test_placeholder_row_gives_no_rows_and_says_so():
    # indicator_16-2-1.csv: "Year,Value" / "There is not data for this indicator yet,"
    result = uk("16-2-1")
    assert result.rows_read == 0 and result.rows.empty
    assert result.facts["placeholder_rows"] == [2]


def test_sdmx_codes_in_cells_pass_through(tmp_path):
    # SDMX codes as some platforms write them (not in the UK files): age Y35T44, unit PT, sex F
    path = tmp_path / "indicator_5-2-1.csv"
    path.write_text("Year,Sex,Age,Unit measure,Observation status,Value\n2020,F,Y35T44,PT,A,12.5\n")
    row = row_at(opensdg_csv.parse(path, area="United Kingdom"), 2)
    assert (row["SEX"], row["AGE"], row["UNIT_MEASURE"], row["OBS_STATUS"]) == ("F", "Y35T44", "PERCENT", "A")
    assert row["DISAGGREGATION"] == ""


def test_area_read_from_the_file_and_contradiction_refused(tmp_path):
    path = tmp_path / "indicator_16-3-1.csv"
    path.write_text("Year,Country,GeoCode,Value\n2019,Jamaica,,10\n2019,,JAM,11\n2019,,KMA,3\n")
    result = opensdg_csv.parse(path, area="Jamaica")
    assert [row_at(result, r)["DISAGGREGATION"] for r in (2, 3, 4)] == ["", "", "GeoCode=KMA"]
    assert result.facts["area_in_file"] == ["JAM", "Jamaica"]
    wrong = tmp_path / "other" / "indicator_16-3-1.csv"
    wrong.parent.mkdir()
    wrong.write_text("Year,Country,Value\n2019,Brazil,10\n")
    with pytest.raises(SourceFileError) as err:
        opensdg_csv.parse(wrong, area="Jamaica")
    assert err.value.code == "file_area_contradicts_catalogue"
    assert "row 2" in err.value.where and "Brazil" in err.value.problem
