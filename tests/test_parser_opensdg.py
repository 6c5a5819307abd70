"""Open SDG CSV parser, on the bundled Jamaica platform files and on small tmp files.

Expected values are read off the bundled CSV files; each literal names its file and
row (row 1 = the header, as in ``LOC_ROW``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.parsers import opensdg_csv
from sources.parsers.base import PARSED_COLUMNS, SourceFileError
from tests.helpers import data_lines, row_at

ROOT = Path(__file__).resolve().parents[1]
JAM = ROOT / "sources" / "data" / "open-sdg-jamaica"
DATA = JAM / "data"
META = JAM / "meta"

#: data lines per file = `wc -l` minus the header line (every file ends with a newline).
EXPECTED_ROWS = {
    "indicator_16-2-1.csv": 90,
    "indicator_16-2-2.csv": 35,
    "indicator_16-3-1.csv": 19,
    "indicator_5-2-1.csv": 337,
    "indicator_5-2-2.csv": 110,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_row_counts_and_shape(name):
    path = DATA / name
    result = opensdg_csv.parse(path)
    assert data_lines(path) == EXPECTED_ROWS[name]
    assert result.rows_read == len(result.rows) == EXPECTED_ROWS[name]
    assert list(result.rows.columns) == PARSED_COLUMNS
    assert (result.rows["PARSE_ERROR"] == "").all()
    assert (result.rows["AREA_RAW"] == "Jamaica").all()
    measure = "SDG_" + name[len("indicator_") : -len(".csv")].replace("-", "_")
    assert (result.rows["MEASURE"] == measure).all()
    assert result.rows["LOC_ROW"].tolist() == list(range(2, EXPECTED_ROWS[name] + 2))
    # The national level is never written as a breakdown.
    assert not result.rows["DISAGGREGATION"].str.contains("=Jamaica").any()


def test_bundled_files_are_all_covered():
    assert sorted(p.name for p in DATA.glob("indicator_*.csv")) == sorted(EXPECTED_ROWS)


def test_16_2_1_national_and_breakdown_values():
    result = opensdg_csv.parse(DATA / "indicator_16-2-1.csv")
    assert result.facts["measure"] == "SDG_16_2_1"
    # indicator_16-2-1.csv row 8: 2011,Jamaica,,,,Psychological Aggression,71.9
    # Every row of this file names a Type of Punishment, so the national figure keeps
    # that one key; "Jamaica" in Geographical Area is the national level, not a breakdown.
    national = row_at(result, 8)
    assert national["TIME_PERIOD_RAW"] == "2011"
    assert national["OBS_VALUE"] == pytest.approx(71.9)
    assert national["DISAGGREGATION"] == "Type of Punishment=Psychological Aggression"
    assert (national["SEX"], national["AGE"]) == ("_T", "_T")
    # row 7: 2011,,Female,,,Severe Physical Punishment,4.7
    female = row_at(result, 7)
    assert (female["SEX"], female["AGE"], female["OBS_VALUE"]) == ("F", "_T", pytest.approx(4.7))
    assert female["DISAGGREGATION"] == "Type of Punishment=Severe Physical Punishment"
    # row 11: 2011,Kingston Metropolitan Area,,,,Psychological Aggression,70.7
    kma = row_at(result, 11)
    assert kma["DISAGGREGATION"] == (
        "Geographical Area=Kingston Metropolitan Area|Type of Punishment=Psychological Aggression"
    )
    assert kma["OBS_VALUE"] == pytest.approx(70.7)
    # row 91: 2022,,,10-14 Years Old,,Any Violent Discipline Method,75.3
    age = row_at(result, 91)
    assert (age["AGE"], age["SEX"], age["OBS_VALUE"]) == ("Y10T14", "_T", pytest.approx(75.3))
    # No Units column and no unit in meta/16-2-1.md: the unit is left empty, and said so.
    assert (result.rows["UNIT_MEASURE"] == "").all()
    assert result.facts["unit_source"] == "none"
    assert result.facts["metadata_file"] == "16-2-1.md"


def test_16_3_1_headline_row_has_country_in_geography_column():
    result = opensdg_csv.parse(DATA / "indicator_16-3-1.csv")
    # indicator_16-3-1.csv row 2: 2019,Jamaica,,33.8  -> the headline
    head = row_at(result, 2)
    assert head["DISAGGREGATION"] == ""
    assert head["OBS_VALUE"] == pytest.approx(33.8)
    assert head["TIME_PERIOD_RAW"] == "2019"
    assert (head["SEX"], head["AGE"]) == ("", "")
    # row 19: 2011,,Sexual Assault,50.0  -> a breakdown
    sexual = row_at(result, 19)
    assert sexual["DISAGGREGATION"] == "Type of Crime=Sexual Assault"
    assert sexual["OBS_VALUE"] == pytest.approx(50.0)
    assert (result.rows["DISAGGREGATION"] == "").sum() == 1
    assert result.facts["headline_rows"] == 1


def test_16_2_2_units_and_mixed_disaggregation_column():
    result = opensdg_csv.parse(DATA / "indicator_16-2-2.csv")
    # The column is "Unit" (not "Units"); "Per 100,000 population" -> PER_100000_POP.
    assert (result.rows["UNIT_MEASURE"] == "PER_100000_POP").all()
    assert result.facts["unit_source"] == "column"
    assert result.facts["unmapped_units"] == []
    # indicator_16-2-2.csv row 12: 2018,Total,"Per 100,000 population",0.18  -> headline
    total = row_at(result, 12)
    assert (total["DISAGGREGATION"], total["SEX"], total["AGE"]) == ("", "_T", "_T")
    assert total["OBS_VALUE"] == pytest.approx(0.18)
    assert total["VALUE_RAW"] == "0.18"
    # row 2: 2018,Male,...,0.0
    assert (row_at(result, 2)["SEX"], row_at(result, 2)["OBS_VALUE"]) == ("M", 0.0)
    # row 17: 2018,17 Years and Under,...,0.55
    under = row_at(result, 17)
    assert (under["AGE"], under["SEX"], under["DISAGGREGATION"]) == ("Y_LT18", "_T", "")
    # row 27: 2018,Type of Exploitation - Sexual,...,0.18
    assert row_at(result, 27)["DISAGGREGATION"] == "Disaggregation Level=Type of Exploitation - Sexual"
    assert result.facts["headline_rows"] == 5  # the five "Total" years 2018-2022


def test_5_2_2_total_in_geography_column_is_not_the_national_level():
    result = opensdg_csv.parse(DATA / "indicator_5-2-2.csv")
    # indicator_5-2-2.csv row 2:   2016,Jamaica,Forced Intercourse,Lifetime Partner,,,9.6
    # indicator_5-2-2.csv row 101: 2016,Total,Forced Intercourse,Lifetime Partner,,,9.7
    jam, tot = row_at(result, 2), row_at(result, 101)
    assert jam["DISAGGREGATION"] == "Form of Sexual Violence=Forced Intercourse|Partner Status=Lifetime Partner"
    assert tot["DISAGGREGATION"] == (
        "Form of Sexual Violence=Forced Intercourse|Geographical Region=Total|Partner Status=Lifetime Partner"
    )
    assert (jam["OBS_VALUE"], tot["OBS_VALUE"]) == (pytest.approx(9.6), pytest.approx(9.7))
    assert result.facts["duplicate_rows"] == []


def test_5_2_1_age_groups_and_reported_duplicates():
    result = opensdg_csv.parse(DATA / "indicator_5-2-1.csv")
    # indicator_5-2-1.csv row 6: 2021,Verbal Violence,Lifetime Intimate Partner,,,15-24,,,33.2
    r = row_at(result, 6)
    assert (r["AGE"], r["OBS_VALUE"]) == ("Y15T24", pytest.approx(33.2))
    assert r["DISAGGREGATION"] == "Form of Violence=Verbal Violence|Partner Status=Lifetime Intimate Partner"
    # "Age at First Union" is not the respondent's age: an ordinary breakdown.
    assert "Age at First Union" in result.facts["columns"]["disagg"]
    # The source repeats rows 300 and 304 (both "Physical Violence, Lifetime Partner,
    # Higher": 19.3 and 8.2); the parser keeps both and reports the pair.
    assert [300, 304] in result.facts["duplicate_rows"]
    assert row_at(result, 300)["OBS_VALUE"] == pytest.approx(19.3)
    assert row_at(result, 304)["OBS_VALUE"] == pytest.approx(8.2)


def test_metadata_without_front_matter_delimiters():
    meta = opensdg_csv.read_metadata(META / "16-2-1.md")
    assert meta["indicator_number"] == "16.2.1"
    assert meta["reporting_status"] == "complete"
    assert meta["sdg_goal"] == "16"
    assert meta["un_custodian_agency"] == "UNICEF"
    assert "_unparsed_text" not in meta


def test_16_2_3_metadata_complete_but_no_data_file():
    meta = opensdg_csv.read_metadata(META / "16-2-3.md")
    assert meta["reporting_status"] == "complete"
    assert meta["indicator_number"] == "16.2.3"
    assert "18-24 years" in meta["indicator_definition"]  # a folded multi-line value
    assert not (DATA / "indicator_16-2-3.csv").exists()
    assert opensdg_csv.indicators_without_data(JAM) == ["16-2-3"]


def test_metadata_with_trailing_prose_and_with_delimiters(tmp_path):
    md = tmp_path / "16-2-3.md"
    md.write_text(
        "reporting_status: complete\nindicator_number: 16.2.3\n"
        "computation_units: Percentage\n\n# Notes\nThis text: is prose, not YAML.\nIt has no key\n",
        encoding="utf-8",
    )
    meta = opensdg_csv.read_metadata(md)
    assert meta["reporting_status"] == "complete"
    assert meta["computation_units"] == "Percentage"
    assert meta["_unparsed_text"].startswith("# Notes")
    md.write_text("reporting_status: complete\ngraph_type: line\nA closing sentence without a key\n", encoding="utf-8")
    meta = opensdg_csv.read_metadata(md)
    assert (meta["reporting_status"], meta["graph_type"]) == ("complete", "line")
    assert meta["_unparsed_text"] == "A closing sentence without a key"
    md.write_text("---\nreporting_status: notstarted\n---\n# Body\nSome prose.\n", encoding="utf-8")
    meta = opensdg_csv.read_metadata(md)
    assert meta["reporting_status"] == "notstarted"
    assert meta["_unparsed_text"] == "# Body\nSome prose."
    md.write_text("Just a sentence without any key.\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        opensdg_csv.read_metadata(md)
    assert "16-2-3.md" in str(err.value) and "What to do" in str(err.value)


# ------------------------------------------------------------------ tmp files


def _platform(tmp_path: Path, name: str, text: str, meta: str | None = None) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    path = tmp_path / "data" / name
    path.write_text(text, encoding="utf-8")
    if meta is not None:
        (tmp_path / "meta").mkdir(exist_ok=True)
        (tmp_path / "meta" / (name[len("indicator_") : -4] + ".md")).write_text(meta, encoding="utf-8")
    return path


def test_unit_from_metadata_and_series_column(tmp_path):
    path = _platform(
        tmp_path,
        "indicator_16-2-3.csv",
        "Year,Series,Sex,Value\n2016,VC_VAW_SXVLN,Female,2.3\n2016,VC_VAW_SXVLN,,1.9\n",
        meta="reporting_status: complete\ncomputation_units: Percentage\n",
    )
    result = opensdg_csv.parse(path)
    assert result.facts["unit_source"] == "metadata:computation_units"
    assert (result.rows["UNIT_MEASURE"] == "PERCENT").all()
    assert (result.rows["MEASURE"] == "SDG_16_2_3").all()
    assert result.rows["DISAGGREGATION"].tolist() == ["Series=VC_VAW_SXVLN"] * 2
    assert result.rows["SEX"].tolist() == ["F", "_T"]


def test_unknown_unit_label_is_kept_as_code_and_listed(tmp_path):
    path = _platform(
        tmp_path,
        "indicator_5-2-1.csv",
        "Year,Units,Observation status,Value\n2020,Per 1 000 births,Estimated value,3\n"
        "2021,Number,E,4\n2022,Rate per 100000,Odd status,5\n",
    )
    result = opensdg_csv.parse(path)
    assert result.rows["UNIT_MEASURE"].tolist() == ["PER_1_000_BIRTHS", "NUMBER", "PER_100000_POP"]
    assert result.facts["unmapped_units"] == ["Per 1 000 births"]
    assert result.rows["OBS_STATUS"].tolist() == ["E", "E", "Odd status"]
    assert result.facts["unmapped_obs_status"] == ["Odd status"]


def test_area_argument_and_bad_rows(tmp_path):
    path = _platform(
        tmp_path,
        "indicator_16-3-1.csv",
        "Year,Geographical Region,Value\n2019,Barbados,10\n2019,North,x\n,Barbados,3\n2020,,\n",
    )
    result = opensdg_csv.parse(path, area="Barbados")
    assert (result.rows["AREA_RAW"] == "Barbados").all()
    assert result.rows_read == 4
    errors = dict(zip(result.rows["LOC_ROW"], result.rows["PARSE_ERROR"]))
    assert errors[2] == ""
    assert "'x' is not a number" in errors[3]
    assert "Year cell is blank" in errors[4]
    assert "Value cell is blank" in errors[5]
    assert row_at(result, 3)["DISAGGREGATION"] == "Geographical Region=North"
    assert row_at(result, 2)["DISAGGREGATION"] == ""


def test_whole_file_problems(tmp_path):
    with pytest.raises(SourceFileError) as err:
        opensdg_csv.parse(_platform(tmp_path, "data.csv", "Year,Value\n2019,1\n"))
    assert "data.csv" in str(err.value) and "indicator_<goal>-<target>-<indicator>.csv" in str(err.value)
    with pytest.raises(SourceFileError) as err:
        opensdg_csv.parse(_platform(tmp_path, "indicator_1-1-1.csv", "Year,Sex,Amount\n2019,Male,1\n"))
    assert "lacks the column(s) Value" in str(err.value) and "row 1" in str(err.value)
    with pytest.raises(SourceFileError, match="header row but no data rows"):
        opensdg_csv.parse(_platform(tmp_path, "indicator_1-1-1.csv", "Year,Value\n"))
    with pytest.raises(SourceFileError, match="empty"):
        opensdg_csv.parse(_platform(tmp_path, "indicator_1-1-1.csv", ""))
