"""The statistical-yearbook reader on UNICEF's State of the World's Children 2023 workbook.

Every expected value was read off the workbook by a person with openpyxl
(``load_workbook(read_only=True)``; Excel row numbers, the value cell and the flag cell
right after it), not through this parser.
"""

from __future__ import annotations

import openpyxl
import pytest

from sources.catalogue import load_catalogue
from sources.ingest import parse_file
from sources.parsers.base import SourceFileError
from sources.parsers.yearbook_xlsx import parse

ENTRY = load_catalogue()["unicef_sowc"]
CP, ADO = "12. Child Protection", "15. Adolescents"


@pytest.fixture(scope="module")
def sowc():
    return parse_file(ENTRY.bundled_paths()[0], ENTRY)


def _value(result, sheet, excel_row, measure, sex):
    rows = result.rows
    found = rows[
        (rows.LOC_SHEET == sheet) & (rows.LOC_ROW == excel_row) & (rows.MEASURE == measure) & (rows.SEX == sex)
    ]
    assert len(found) == 1, f"{sheet} row {excel_row} {measure} {sex}: {len(found)} rows"
    return found.iloc[0].to_dict()


# sheet, Excel row, country as printed, measure, sex, value, flag cell
BY_HAND = [
    (CP, 16, "Argentina", "UNICEF_VIOLENT_DISCIPLINE", "_T", 59.4, "y"),
    (CP, 16, "Argentina", "UNICEF_VIOLENT_DISCIPLINE", "F", 58.3, "y"),
    (CP, 16, "Argentina", "UNICEF_CHILDREN_RESIDENTIAL_CARE", "_T", 73.719, "y"),
    (CP, 16, "Argentina", "UNICEF_CHILDREN_DETENTION", "_T", 40.848, ""),
    (CP, 85, "Haiti", "UNICEF_VIOLENT_DISCIPLINE", "M", 84.178, ""),
    (CP, 85, "Haiti", "UNICEF_SEXUAL_VIOLENCE_CHILDHOOD", "F", 4.8, ""),
    (CP, 85, "Haiti", "UNICEF_CHILDREN_RESIDENTIAL_CARE", "_T", 588.726, ""),
    (CP, 47, "Colombia", "UNICEF_SEXUAL_VIOLENCE_CHILDHOOD", "M", 0.3, ""),
    (CP, 47, "Colombia", "UNICEF_SEXUAL_VIOLENCE_CHILDHOOD", "F", 2.2, "y"),
    (CP, 81, "Guatemala", "UNICEF_SEXUAL_VIOLENCE_CHILDHOOD", "M", 1, ""),
    (CP, 97, "Jamaica", "UNICEF_SEXUAL_VIOLENCE_CHILDHOOD", "F", 2.3, "y"),
    (CP, 87, "Honduras", "UNICEF_SEXUAL_VIOLENCE_CHILDHOOD", "F", 4.838, ""),
    (ADO, 15, "Argentina", "UNICEF_BULLYING", "M", 24.8, ""),
    (ADO, 15, "Argentina", "UNICEF_BULLYING", "F", 24.2, ""),
    (ADO, 96, "Jamaica", "UNICEF_BULLYING", "M", 26.3, ""),
    (ADO, 148, "Peru", "UNICEF_BULLYING", "F", 48.2, "x"),
    (ADO, 13, "Anguilla", "UNICEF_BULLYING", "F", 30.2, ""),
]


@pytest.mark.parametrize("sheet, excel_row, country, measure, sex, value, flag", BY_HAND)
def test_values_and_flags_read_by_hand(sowc, sheet, excel_row, country, measure, sex, value, flag):
    row = _value(sowc, sheet, excel_row, measure, sex)
    assert row["AREA_RAW"] == country
    assert row["OBS_VALUE"] == pytest.approx(value, abs=1e-9)
    assert row["PARSE_ERROR"] == ""
    # the flag is never lost: y -> status D and a note; x -> a note only
    assert row["OBS_STATUS"] == {"y": "D", "x": "A", "": "A"}[flag]
    assert row["COMMENT_OBS"].startswith(f"{flag}: ") if flag else row["COMMENT_OBS"] == ""


def test_periods_and_ages_come_from_the_headings(sowc):
    haiti = _value(sowc, CP, 85, "UNICEF_SEXUAL_VIOLENCE_CHILDHOOD", "F")
    assert (haiti["TIME_PERIOD_RAW"], haiti["AGE"]) == ("2013-2020", "Y18T29")  # "2013–2020 (R)"
    peru = _value(sowc, ADO, 148, "UNICEF_BULLYING", "F")
    assert (peru["TIME_PERIOD_RAW"], peru["AGE"]) == ("2011-2018", "Y13T15")
    assert "Data refer to years or periods other than those specified" in peru["COMMENT_OBS"]


def test_dashes_are_counted_not_rows_and_non_lac_rows_are_counted(sowc):
    # Argentina, sexual violence in childhood: '-' for both sexes (row 16)
    rows = sowc.rows
    assert not len(rows[(rows.AREA_RAW == "Argentina") & (rows.MEASURE == "UNICEF_SEXUAL_VIOLENCE_CHILDHOOD")])
    facts = sowc.facts["sheets"][CP]
    assert facts["cells_no_data"] > 0 and facts["cells_outside_area_scope"] > 0
    assert facts["summary_rows_not_read"] > 0  # regional rows below SUMMARY are not observations
    assert set(facts["flag_notes"]) >= {"x", "y", "p", "R"}
    assert "Afghanistan" not in set(rows.AREA_RAW) and "Latin America and Caribbean" not in set(rows.AREA_RAW)
    assert sowc.rows_read == len(rows) and sowc.facts["rows_with_errors"] == 0


def test_a_missing_topic_or_sheet_is_a_clear_file_error(tmp_path):
    path = ENTRY.bundled_paths()[0]
    with pytest.raises(SourceFileError, match="no column headed 'Internet use'"):
        parse(path, sheets={CP: {"header_rows": [4, 7], "topics": {"Internet use": {"measure": "X"}}}})
    with pytest.raises(SourceFileError, match="has no sheet '99. Nothing'"):
        parse(path, sheets={"99. Nothing": {"topics": {}}})


def test_unexplained_flag_and_text_value_are_rows_with_reasons(tmp_path):
    path = tmp_path / "yearbook.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "12. Child Protection"
    sheet.append(["TABLE 12"])
    sheet.append([])
    sheet.append(["Countries and areas", "Violent discipline (%)\n2013–2021 (R)"])
    sheet.append(["", "Total", "", "Male"])
    sheet.append(["Brazil", "n.d.", "", 5.0, "q"])
    sheet.append([])
    sheet.append(["NOTES"])
    sheet.append(["y Data differ from the standard definition."])
    book.save(path)
    result = parse(
        path,
        sheets={"12. Child Protection": {"header_rows": [3, 4], "topics": {"Violent discipline": {"measure": "M"}}}},
    )
    errors = dict(zip(result.rows.SEX, result.rows.PARSE_ERROR))
    assert "'n.d.' is neither a number nor '-'" in errors["_T"]
    assert "flag(s) q are not explained in the notes" in errors["M"]
