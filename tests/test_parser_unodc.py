"""The UNODC data-portal reader on the real GLOTIP and CTS files.

Every expected value below was read off the spreadsheets by a person with openpyxl
(``load_workbook(read_only=True)``, cells listed by Excel row), not through this parser.
"""

from __future__ import annotations

import math

import openpyxl
import pandas as pd
import pytest

from sources.catalogue import load_catalogue, load_measures
from sources.ingest import parse_file
from sources.parsers.base import SourceFileError, make_rows
from sources.parsers.unodc_portal import parse
from sources.validation.row_rules import check_rows

CATALOGUE = load_catalogue()
GLOTIP = CATALOGUE["unodc_glotip"]
CTS = CATALOGUE["unodc_cts_violent_sexual_crime"]


@pytest.fixture(scope="module")
def glotip():
    return parse_file(GLOTIP.bundled_paths()[0], GLOTIP)


@pytest.fixture(scope="module")
def cts():
    return parse_file(CTS.bundled_paths()[0], CTS)


def _row(result, excel_row: int) -> dict:
    found = result.rows[result.rows["LOC_ROW"] == excel_row]
    assert len(found) == 1, f"row {excel_row}: {len(found)} parsed rows"
    return found.iloc[0].to_dict()


# Excel row, measure, area, year, sex, age, disaggregation, value as printed in txtVALUE
GLOTIP_BY_HAND = [
    (1188, "TIP_VICTIMS_DETECTED", "ARG", "2009", "_T", "Y_GE18", "", "338"),
    (1535, "TIP_VICTIMS_DETECTED", "ARG", "2020", "_O", "Y_LT18", "form_of_exploitation=Sexual exploitation", "<5"),
    (1635, "TIP_VICTIMS_DETECTED", "ARG", "2022", "_O", "Y_GE18", "form_of_exploitation=Sexual exploitation", "5"),
    (1252, "TIP_OFFENCES", "ARG", "2012", "_T", "_T", "", "1,757"),
    (6253, "TIP_PERSONS_CONVICTED", "BOL", "2015", "_T", "_T", "", "<5"),
    (6456, "TIP_PERSONS_FORMAL_CONTACT", "BOL", "2020", "_U", "_U", "", "64"),
    (8065, "TIP_VICTIMS_DETECTED", "CHL", "2008", "_T", "_T", "citizenship=Bolivia (Plurinational State of)", "13"),
    (9546, "TIP_VICTIMS_DETECTED", "COL", "2020", "F", "Y_LT18", "form_of_exploitation=Sexual exploitation", "25"),
    (13787, "TIP_PERSONS_CONVICTED", "ECU", "2016", "_T", "_T", "", "26"),
    (13790, "TIP_PERSONS_PROSECUTED", "ECU", "2016", "_T", "_T", "", "234"),
    (19462, "TIP_VICTIMS_DETECTED", "GTM", "2022", "_T", "Y_LT18", "", "186"),
    (27575, "TIP_VICTIMS_DETECTED", "MEX", "2016", "F", "Y_LT18", "", "168"),
    (27603, "TIP_PERSONS_PROSECUTED", "MEX", "2016", "_T", "_T", "", "839"),
    (35060, "TIP_OFFENCES", "PER", "2019", "_T", "_T", "", "509"),
    (38820, "TIP_VICTIMS_DETECTED", "SLV", "2012", "M", "Y_LT18", "", "<5"),
    (39199, "TIP_VICTIMS_DETECTED", "SLV", "2022", "_T", "Y_LT18", "form_of_exploitation=Sexual exploitation", "7"),
    (46738, "TIP_PERSONS_PROSECUTED", "VEN", "2022", "_O", "Y_GE18", "", "<5"),
]


@pytest.mark.parametrize("excel_row, measure, area, year, sex, age, dis, printed", GLOTIP_BY_HAND)
def test_glotip_values_read_by_hand(glotip, excel_row, measure, area, year, sex, age, dis, printed):
    row = _row(glotip, excel_row)
    assert (row["MEASURE"], row["AREA_RAW"], row["TIME_PERIOD_RAW"], row["SEX"], row["AGE"], row["DISAGGREGATION"]) == (
        measure,
        area,
        year,
        sex,
        age,
        dis,
    )
    assert row["PARSE_ERROR"] == ""
    if printed == "<5":  # withheld by UNODC: kept, with its text, a status and no number
        assert math.isnan(row["OBS_VALUE"])
        assert (row["OBS_TEXT"], row["CONF_STATUS"], row["VALUE_RAW"]) == ("<5", "A", "<5")
    else:
        assert row["OBS_VALUE"] == float(printed.replace(",", ""))
        assert (row["OBS_TEXT"], row["CONF_STATUS"]) == ("", "F")


def test_glotip_keeps_lac_rows_and_counts_the_others(glotip):
    facts = glotip.facts
    assert facts["rows_in_file"] == 58769  # PROVENANCE.md
    assert facts["rows_in_file"] == glotip.rows_read + facts["rows_outside_area_scope"]
    assert glotip.rows_read == len(glotip.rows)
    assert not ({"AFG", "ZWE", "USA", "CAN"} & set(glotip.rows["AREA_RAW"]))  # non-LAC rows are counted, not kept
    assert facts["data_date"] == "14/04/2025"
    withheld = glotip.rows[glotip.rows["CONF_STATUS"] == "A"]
    assert facts["rows_withheld_at_source"] == len(withheld) > 1000
    assert set(withheld["OBS_TEXT"]) == {"<5"} and withheld["OBS_VALUE"].isna().all()


def test_glotip_years_copied_into_values_are_rows_with_a_reason(glotip):
    # Excel rows 54756 / 54765 / 54778 / 54788: Dominican Republic, other forms of exploitation,
    # sex Unknown, txtVALUE "2,019" "2,020" "2,021" "2,022" in 2019-2022
    for excel_row in (54756, 54765, 54778, 54788):
        assert "year was copied into the value column" in _row(glotip, excel_row)["PARSE_ERROR"]
    # Mexico 2015, all victims: "2,015" once only, kept as a figure (Excel row 27557)
    assert _row(glotip, 27557)["OBS_VALUE"] == 2015.0 and _row(glotip, 27557)["PARSE_ERROR"] == ""


def test_withheld_rows_are_staged_and_a_blank_without_status_is_not():
    rows = make_rows(
        [
            {
                "MEASURE": "TIP_PERSONS_CONVICTED",
                "AREA_RAW": "BOL",
                "TIME_PERIOD_RAW": "2015",
                "OBS_VALUE": None,
                "VALUE_RAW": "<5",
                "OBS_TEXT": "<5",
                "CONF_STATUS": "A",
                "SEX": "_T",
                "AGE": "_T",
                "LOC_ROW": 6253,
            },
            {
                "MEASURE": "TIP_PERSONS_CONVICTED",
                "AREA_RAW": "BOL",
                "TIME_PERIOD_RAW": "2016",
                "OBS_VALUE": None,
                "VALUE_RAW": "",
                "SEX": "_T",
                "AGE": "_T",
                "LOC_ROW": 6300,
            },
        ]
    )
    staged, quarantine = check_rows(
        rows, entry=GLOTIP, file_id="f", measures=load_measures(), resolve_area=lambda raw: raw
    )
    assert len(staged) + len(quarantine) == 2  # conservation
    assert staged.iloc[0][["OBS_TEXT", "CONF_STATUS"]].tolist() == ["<5", "A"]
    assert pd.isna(staged.iloc[0]["OBS_VALUE"])
    assert quarantine.iloc[0]["RULE"] == "value_missing"


CTS_BY_HAND = [
    (9579, "CTS_VIOLENT_OFFENCES", "CRI", "2016", "type_of_offence=Sexual Exploitation", 124),
    (9600, "CTS_VIOLENT_OFFENCES", "MEX", "2016", "type_of_offence=Sexual Exploitation", 1082),
    (9853, "CTS_VIOLENT_OFFENCES", "JAM", "2020", "type_of_offence=Sexual Exploitation", 0),
    (9862, "CTS_VIOLENT_OFFENCES", "MEX", "2020", "type_of_offence=Sexual Exploitation", 2831),
    (9965, "CTS_VIOLENT_OFFENCES", "CHL", "2022", "type_of_offence=Sexual Exploitation", 89),
    (9998, "CTS_VIOLENT_OFFENCES", "MEX", "2022", "type_of_offence=Sexual Exploitation", 8054),
    (
        13856,
        "CTS_VIOLENT_OFFENCES",
        "BRA",
        "2020",
        "type_of_offence=Acts intended to induce fear or emotional distress: Cyber-related",
        37781,
    ),
    (
        13868,
        "CTS_VIOLENT_OFFENCES",
        "JAM",
        "2020",
        "type_of_offence=Acts intended to induce fear or emotional distress: Cyber-related",
        11,
    ),
    (
        13902,
        "CTS_VIOLENT_OFFENCES",
        "BRA",
        "2022",
        "type_of_offence=Acts intended to induce fear or emotional distress: Cyber-related",
        61025,
    ),
    (23515, "CTS_VIOLENT_OFFENCES_RATE", "CRI", "2016", "type_of_offence=Sexual Exploitation", 2.5477720093343),
    (23934, "CTS_VIOLENT_OFFENCES_RATE", "MEX", "2022", "type_of_offence=Sexual Exploitation", 6.26219172395071),
    (
        27792,
        "CTS_VIOLENT_OFFENCES_RATE",
        "BRA",
        "2020",
        "type_of_offence=Acts intended to induce fear or emotional distress: Cyber-related",
        18.1064159174954,
    ),
]


@pytest.mark.parametrize("excel_row, measure, area, year, dis, value", CTS_BY_HAND)
def test_cts_values_read_by_hand(cts, excel_row, measure, area, year, dis, value):
    row = _row(cts, excel_row)
    assert (row["MEASURE"], row["AREA_RAW"], row["TIME_PERIOD_RAW"], row["SEX"], row["AGE"], row["DISAGGREGATION"]) == (
        measure,
        area,
        year,
        "_T",
        "_T",
        dis,
    )
    assert row["OBS_VALUE"] == pytest.approx(value, rel=1e-12)
    assert row["CONF_STATUS"] == "F" and row["PARSE_ERROR"] == ""


def test_cts_counts_and_rates_are_both_kept_and_checked_against_population(cts):
    facts = cts.facts
    assert facts["rows_in_file"] == 27872 == cts.rows_read + facts["rows_outside_area_scope"]
    assert "CUB" not in set(cts.rows["AREA_RAW"])  # PROVENANCE.md: Cuba is absent
    counts = cts.rows[cts.rows["MEASURE"] == "CTS_VIOLENT_OFFENCES"]
    rates = cts.rows[cts.rows["MEASURE"] == "CTS_VIOLENT_OFFENCES_RATE"]
    assert len(counts) == len(rates) > 0
    check = facts["count_rate_check"]
    assert check["tolerance"] == 0.05
    assert check["checked"] > 1000 and check["checked"] + check["not_checked"] == check["pairs"]
    # Trinidad and Tobago: UNODC's population differs from the World Bank's by just over 5 %
    assert check["beyond_tolerance"] > 0 and {w["area"] for w in check["warnings"]} == {"TTO"}
    first = check["warnings"][0]
    assert first["relative_difference"] > 0.05 and len(first["rows"]) == 2


def test_header_not_found_is_a_clear_file_error(tmp_path):
    path = tmp_path / "not_portal.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Country", "Year", "Value"])
    book.active.append(["Brazil", 2020, 5])
    book.save(path)
    with pytest.raises(SourceFileError, match="no data-portal header found"):
        parse(path, measures={})


def test_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "data_glotip.xlsx"
    path.write_text("Iso3_code,Country\nBRA,Brazil\n")
    with pytest.raises(SourceFileError, match="cannot be read as an Excel workbook"):
        parse(path, measures={})


def test_unknown_text_and_unmapped_indicator_are_rows_with_reasons(tmp_path):
    path = tmp_path / "portal.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["UNODC"])
    sheet.append(["14/04/2025"])
    sheet.append(
        [
            "Iso3_code",
            "Country",
            "Region",
            "Subregion",
            "Indicator",
            "Dimension",
            "Category",
            "Sex",
            "Age",
            "Year",
            "Unit of measurement",
            "txtVALUE",
            "Source",
        ]
    )
    sheet.append(
        [
            "BRA",
            "Brazil",
            "Americas",
            "LAC",
            "Persons prosecuted",
            "Total",
            "Total",
            "Total",
            "Total",
            2020,
            "Counts",
            "n/a",
            "GLOTIP",
        ]
    )
    sheet.append(
        [
            "BRA",
            "Brazil",
            "Americas",
            "LAC",
            "Something new",
            "Total",
            "Total",
            "Total",
            "Total",
            2020,
            "Counts",
            "12",
            "GLOTIP",
        ]
    )
    sheet.append(
        [
            "FRA",
            "France",
            "Europe",
            "Western Europe",
            "Persons prosecuted",
            "Total",
            "Total",
            "Total",
            "Total",
            2020,
            "Counts",
            "12",
            "GLOTIP",
        ]
    )
    book.save(path)
    result = parse(path, measures={"Persons prosecuted|Counts": "TIP_PERSONS_PROSECUTED"}, area_scope="LAC")
    assert result.rows_read == 2 and result.facts["rows_outside_area_scope"] == 1
    errors = list(result.rows["PARSE_ERROR"])
    assert "'n/a' is neither a number nor the portal's '<5'" in errors[0]
    assert "maps no measure to indicator 'Something new'" in errors[1]
    assert list(result.rows["LOC_ROW"]) == [4, 5]


def test_a_blank_category_is_not_taken_for_the_headline(glotip):
    # Excel row 1493: Argentina 2020, all victims, 933; row 1520: "by country of repatriation"
    # with a blank Category, "<5"
    assert _row(glotip, 1493)["DISAGGREGATION"] == "" and _row(glotip, 1493)["OBS_VALUE"] == 933.0
    assert _row(glotip, 1520)["DISAGGREGATION"] == "country_of_repatriation=(category not stated)"
    assert glotip.facts["rows_with_blank_category"] > 0
