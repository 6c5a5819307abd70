"""Tests for sources/parsers/ncmec_esp_pdf.py (NCMEC "CyberTipline Reports by Electronic Service
Providers (ESP)" PDFs, 2019-2023) and the provider names of sources/harmonise/providers.py.

Every expected figure below was read by a person off the rendered pages of the bundled PDFs
(``pdftoppm -r 80 -png -f N -l N``), never taken from the parser's output. Expected LOC_LINE
values are the rank of the row's first line among the printed lines of that page, counting
the running header ("2019 Reports by ESP 2") as line 1 and the table header as line 2.

The PDFs are parsed directly (no warehouse build); each year is parsed once per module.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from sources.catalogue import load_catalogue
from sources.harmonise.areas import resolve as resolve_area
from sources.harmonise.providers import (
    PROVIDER_ALIASES_CSV,
    ProviderResolver,
    ProviderTableError,
    default_resolver,
    normalise_provider_key,
)
from sources.parsers.base import PARSED_COLUMNS, SourceFileError
from sources.parsers.ncmec_esp_pdf import MEASURE, parse
from sources.validation.messages import rule_message
from sources.validation.whole_file import check_parsed, whole_file_problem
from tests.test_parser_ncmec import make_pdf, right

DATA = Path(__file__).resolve().parents[1] / "sources" / "data" / "ncmec-cybertipline-by-esp"
YEARS = [2019, 2020, 2021, 2022, 2023]


def pdf_path(year: int) -> Path:
    return DATA / f"ncmec-by-esp-{year}.pdf"


_CACHE: dict[int, object] = {}


def parsed(year: int):
    if year not in _CACHE:
        _CACHE[year] = parse(pdf_path(year))
    return _CACHE[year]


def by_provider(year: int) -> dict[str, dict]:
    rows = parsed(year).rows
    return {d.removeprefix("ESP="): r for d, r in zip(rows["DISAGGREGATION"], rows.to_dict("records"))}


# (canonical provider, reports, page, line or None), read off the rendered pages.
EXPECTED: dict[int, list[tuple[str, int, int, int | None]]] = {
    2019: [
        ("Facebook", 15_884_511, 2, 24),  # printed "Facebook*": the largest figure of the year
        ("Discord", 19_480, 2, 14),  # printed "Discord Inc."
        ("Deluxe Corporation/ColoCrossing/HudsonValleyHost", 22, 2, 9),  # name wrapped, number on line 1
        ("Endurance International Group", 96, 2, None),  # printed with "*"
        ("INHOPE", 74_165, 3, None),  # a hotline network, listed among the ESPs
        ("Microsoft", 123_839, 3, None),  # printed "Microsoft*"
        ("Snapchat", 82_030, 4, None),
        ("Twitter", 45_726, 5, 4),  # printed "Twitter, Inc."
        ("Wickr", 1, 5, None),  # printed "Wickr Inc.": a small provider
    ],
    2020: [
        ("Google", 546_704, 3, 3),  # first row of page 3
        ("Microsoft", 96_776, 3, None),  # printed "Microsoft*"
        ("JMS Internet", 35, 3, None),  # printed "JMS Internet," (trailing comma)
        ("Younow", 862, 6, None),
        ("Zendesk", 1, 6, None),
    ],
    2021: [
        ("Google", 875_783, 3, None),
        ("Instagram", 3_393_654, 3, None),
        ("Hosting Services Inc/Midphase/WestHost/Autica/VPS", 33, 3, None),  # number centred beside 2 lines
        ("Web.com/Network Solutions/Register/NameBargain", 3, 7, None),  # number centred beside 2 lines
        ("WhatsApp", 1_372_696, 7, None),
    ],
    2022: [
        ("WhatsApp", 1_017_555, 7, None),  # printed "WhatsApp Inc."
        ("Twitter", 98_050, 7, None),  # printed "Twitter, Inc."
        ("Xymara Ltd", 1, 7, None),
    ],
    2023: [
        ("Facebook", 17_838_422, 3, 8),
        ("Google", 1_470_958, 3, None),
        ("Gab AI Inc.", 2, 3, None),
        ("Endurance International Group", 15, 3, 4),  # printed "Endurance Int'l Group, Inc."
        ("X Corp", 273_416, 8, 3),  # first row of the last page
        ("Zvelo", 6, 8, None),
    ],
}

# the total row of each year's table, read off its last page ("Totals:", "Total:", "Total")
STATED_TOTALS = {2019: 16_836_694, 2020: 21_447_786, 2021: 29_157_083, 2022: 31_802_525, 2023: 35_944_826}
# the ESP figure of the prose ("21.4 million of these reports were from Electronic Service Providers")
TEXT_TOTALS = {2019: None, 2020: "21.4 million", 2021: "29.1 million", 2022: "31.8 million", 2023: "35.9 million"}
# rows of the table (lines ending in a number, less headers and totals, in pdftotext -layout)
ROWS = {2019: 148, 2020: 168, 2021: 230, 2022: 236, 2023: 247}


@pytest.mark.parametrize("year", YEARS)
def test_expected_values_read_off_the_pdf(year):
    found = by_provider(year)
    for provider, value, page, line in EXPECTED[year]:
        row = found[provider]
        assert row["OBS_VALUE"] == value, f"{year} {provider}"
        assert row["LOC_PAGE"] == page, f"{year} {provider}: page"
        if line is not None:
            assert row["LOC_LINE"] == line, f"{year} {provider}: line"


@pytest.mark.parametrize("year", YEARS)
def test_stated_totals_and_rows_add_up(year):
    result = parsed(year)
    assert result.facts["report_year"] == year
    assert result.facts["stated_total_table"] == STATED_TOTALS[year]
    assert result.rows["OBS_VALUE"].sum() == STATED_TOTALS[year]
    assert result.facts["stated_total_text"] == TEXT_TOTALS[year]
    entry = load_catalogue()["ncmec_cybertipline_by_esp"]
    staged, quarantine, _ = check_parsed(
        pdf_path(year), entry, result, file_id=f"test{year}", resolve_area=resolve_area
    )
    assert len(quarantine) == 0 and len(staged) == ROWS[year]


def test_overall_cybertipline_figure_is_not_taken_for_the_esp_total():
    # 2019 prose: "received 16.9 million reports" (all reports, the public's too); the table: 16,836,694
    facts = parsed(2019).facts
    assert facts["cybertipline_total_text"] == "16.9 million"
    assert facts["stated_total_text"] is None


@pytest.mark.parametrize("year", YEARS)
def test_rows_world_measure_locations(year):
    result = parsed(year)
    rows = result.rows
    assert list(rows.columns) == PARSED_COLUMNS
    assert result.rows_read == len(rows) == ROWS[year]
    assert set(rows["MEASURE"]) == {MEASURE} and set(rows["AREA_RAW"]) == {"World"}
    assert resolve_area("World") == "M49_001"
    assert set(rows["TIME_PERIOD_RAW"]) == {str(year)} and set(rows["UNIT_MEASURE"]) == {"NUMBER"}
    assert (rows["PARSE_ERROR"] == "").all() and rows["DISAGGREGATION"].str.startswith("ESP=").all()
    assert rows["DISAGGREGATION"].is_unique, "one provider, one value per year"
    assert rows["LOC_PAGE"].notna().all() and rows["LOC_LINE"].notna().all()
    assert result.facts["unknown_providers"] == []
    printed = result.facts["printed_names"]
    assert len(printed) == len(rows) and all(p["printed"] and p["provider"] for p in printed)


def test_footnote_marker_kept_in_facts():
    notes = parsed(2019).facts["provider_footnotes"]
    assert notes["Facebook"] == "Facebook*" and notes["Google"] == "Google*"
    assert parsed(2022).facts["provider_footnotes"] == {}


# --------------------------------------------------------------------------- provider names


def test_alias_merges_spellings_across_years():
    # "Endurance International Group*" (2019, page 2) and "Endurance Int'l Group, Inc." (2023, page 3)
    key = "ESP=Endurance International Group"
    assert by_provider(2019)["Endurance International Group"]["DISAGGREGATION"] == key
    assert by_provider(2023)["Endurance International Group"]["DISAGGREGATION"] == key
    printed = {p["printed"] for y in (2019, 2023) for p in parsed(y).facts["printed_names"]}
    assert {"Endurance International Group", "Endurance Int'l Group, Inc."} <= printed
    resolver = default_resolver()
    assert resolver.resolve("Apple Inc") == resolver.resolve("Apple") == "Apple"
    assert resolver.resolve("Twitter, Inc.") == "Twitter" != resolver.resolve("X Corp")
    # related but distinct entries stay apart: no guessing
    assert len({resolver.resolve(n) for n in ("Amazon", "Amazon Photos", "Amazon Games")}) == 3


def test_normalised_keys():
    assert normalise_provider_key("Facebook*") == normalise_provider_key("facebook")
    assert normalise_provider_key("Linden Lab/ SecondLife") == normalise_provider_key("Linden Lab/SecondLife")
    assert normalise_provider_key("Endurance Int\u2019l Group") == normalise_provider_key("Endurance Int'l Group")


def test_alias_table_refuses_one_name_for_two_providers():
    with pytest.raises(ProviderTableError) as err:
        ProviderResolver.from_rows([(2, "Apple Inc", "Apple"), (3, "apple inc", "Apple Computer")])
    assert "line 3" in str(err.value) and "line 2" in str(err.value)
    with pytest.raises(ProviderTableError, match="'|' or '='"):
        ProviderResolver.from_rows([(2, "A|B", "A|B")])


def test_unknown_provider_is_quarantined_with_its_name(tmp_path):
    table = tmp_path / "provider_aliases.csv"
    with PROVIDER_ALIASES_CSV.open(encoding="utf-8", newline="") as src:
        kept = [row for row in csv.reader(src) if row[1] != "Zvelo"]
    with table.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(kept)
    result = parse(pdf_path(2021), aliases=str(table))
    assert result.facts["unknown_providers"] == ["Zvelo"]
    bad = result.rows[result.rows["PARSE_ERROR"] != ""]
    assert len(bad) == 1 and result.rows_read == ROWS[2021]
    row = bad.iloc[0]
    assert "'Zvelo' is not in the provider list provider_aliases.csv" in row["PARSE_ERROR"]
    assert row["OBS_VALUE"] == 1 and row["LOC_PAGE"] == 7  # the figure is kept, not dropped
    entry = load_catalogue()["ncmec_cybertipline_by_esp"]
    staged, quarantine, _ = check_parsed(pdf_path(2021), entry, result, file_id="t", resolve_area=resolve_area)
    assert len(staged) == ROWS[2021] - 1 and list(quarantine["RULE"]) == ["parse_error"]
    assert int(quarantine.iloc[0]["LOC_PAGE"]) == 7
    # the file still reconciles: the quarantined figure is counted with the staged ones
    assert whole_file_problem(pdf_path(2021), entry, result, staged, quarantine) is None
    detail = json.loads(quarantine.iloc[0]["DETAIL"])
    assert "no está en la lista de proveedores" in rule_message("parse_error", detail, "es")
    assert "não está na lista de provedores" in rule_message("parse_error", detail, "pt")


# --------------------------------------------------------------------------- hand-made PDFs (test fixtures)


def esp_report(rows: list[tuple[str, str]], total: str) -> list[tuple[float, float, str]]:
    """A one-page report laid out like NCMEC's (title, header, rows, total); figures invented."""
    items = [
        (60, 740, "2018 CyberTipline Reports by Electronic Service Providers (ESP)"),
        (100, 680, "ESP"),
        (right(400, "Reports"), 680, "Reports"),
    ]
    y = 660
    for name, value in rows:
        items += [(100, y, name), (right(400, value), y, value)]
        y -= 16
    items += [(100, y - 16, "Total"), (right(400, total), y - 16, total)]
    return items


def test_table_that_does_not_add_up_is_refused(tmp_path):
    entry = load_catalogue()["ncmec_cybertipline_by_esp"]
    good = tmp_path / "ncmec-by-esp-good.pdf"
    good.write_bytes(make_pdf(esp_report([("Discord Inc.", "1,200"), ("Reddit", "40")], total="1,240")))
    result = parse(good)
    assert result.facts["stated_total_table"] == 1240 and result.facts["report_year"] == 2018
    staged, quarantine, _ = check_parsed(good, entry, result, file_id="g", resolve_area=resolve_area)
    assert sorted(staged["DISAGGREGATION"]) == ["ESP=Discord", "ESP=Reddit"]

    bad = tmp_path / "ncmec-by-esp-bad.pdf"
    bad.write_bytes(make_pdf(esp_report([("Discord Inc.", "1,200"), ("Reddit", "40")], total="1,250")))
    result = parse(bad)
    with pytest.raises(SourceFileError) as err:
        check_parsed(bad, entry, result, file_id="b", resolve_area=resolve_area)
    assert err.value.code == "file_total_mismatch"
    msg = str(err.value)
    assert msg.startswith("ncmec-by-esp-bad.pdf") and "1,240" in msg and "1,250" in msg and "What to do:" in msg


def test_missing_total_row_is_refused(tmp_path):
    entry = load_catalogue()["ncmec_cybertipline_by_esp"]
    pdf = tmp_path / "no-total.pdf"
    items = [i for i in esp_report([("Reddit", "40")], total="40") if i[2] not in ("Total", "40") or i[1] > 640]
    pdf.write_bytes(make_pdf(items))
    result = parse(pdf)
    assert result.facts["stated_total_table"] is None
    staged, quarantine, _ = check_rows_only(pdf, entry, result)
    problem = whole_file_problem(pdf, entry, result, staged, quarantine)
    assert problem is not None and "total row was not found" in str(problem)


def check_rows_only(path, entry, result):
    from sources.catalogue import load_measures
    from sources.validation.row_rules import check_rows

    staged, quarantine = check_rows(
        result.rows, entry=entry, file_id="x", measures=load_measures(), resolve_area=resolve_area
    )
    return staged, quarantine, None


def test_number_that_is_not_whole_is_kept_with_an_error(tmp_path):
    pdf = tmp_path / "odd.pdf"
    pdf.write_bytes(make_pdf(esp_report([("Reddit", "40"), ("Discord", "n/a")], total="40")))
    rows = parse(pdf).rows.set_index("DISAGGREGATION")
    assert math.isnan(rows.loc["ESP=Discord", "OBS_VALUE"])
    assert "not a whole number" in rows.loc["ESP=Discord", "PARSE_ERROR"]


def test_the_by_country_report_is_not_taken_for_this_one():
    other = DATA.parent / "ncmec-cybertipline-by-country" / "2019-cybertipline-reports-by-country.pdf"
    with pytest.raises(SourceFileError) as err:
        parse(other)
    msg = str(err.value)
    assert "2019-cybertipline-reports-by-country.pdf" in msg and "page 1" in msg
    assert "Electronic Service Providers (ESP)" in msg and "What to do:" in msg


def test_not_a_pdf_and_missing_file(tmp_path):
    text = tmp_path / "ncmec-by-esp-2024.pdf"
    text.write_text("ESP,Reports\nReddit,10\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        parse(text)
    assert "not a PDF" in str(err.value) and "Electronic Service Providers" in str(err.value)
    with pytest.raises(SourceFileError) as err:
        parse(tmp_path / "nowhere.pdf")
    assert "does not exist" in str(err.value)
