"""Tests for sources/parsers/ncmec_pdf.py (NCMEC "CyberTipline Reports by Country" PDFs).

Every expected value below was read off the PDFs independently of the parser: from page
renders (``pdftoppm -png -r 80``) and from ``pdftotext -layout`` (poppler, not pdfplumber).
Expected LOC_LINE values are the rank of the row's first line among the non-blank lines of
that page in ``pdftotext -layout`` output.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path

import pytest

from sources.parsers.base import PARSED_COLUMNS, SourceFileError
from sources.parsers.ncmec_pdf import parse

DATA = Path(__file__).resolve().parents[1] / "sources" / "data" / "ncmec-cybertipline-by-country"
YEARS = [2019, 2020, 2021, 2022, 2023]


def pdf_path(year: int) -> Path:
    return DATA / f"{year}-cybertipline-reports-by-country.pdf"


_CACHE: dict[int, object] = {}


def parsed(year: int):
    if year not in _CACHE:
        _CACHE[year] = parse(pdf_path(year))
    return _CACHE[year]


# (AREA_RAW, count, page, line-or-None), read off the PDFs by hand.
EXPECTED: dict[int, list[tuple[str, int, int, int | None]]] = {
    2019: [
        # page 2, left column
        ("Afghanistan", 163_120, 2, 5),  # first row of the table
        ("Argentina", 57_372, 2, None),
        ("Brazil", 398_069, 2, 34),
        ("Burundi", 582, 2, None),  # last row, left column
        # page 2, right column
        ("Cambodia", 91_458, 2, 5),
        ("Colombia", 264_582, 2, None),
        ("Congo, The Democratic Republic of the", 3_856, 2, None),  # wrapped over 2 lines
        ("Cote d'Ivoire (Ivory Coast)", 18_916, 2, None),  # printed with ’
        ("Eretria", 62, 2, None),  # publisher's spelling
        # page 3, both columns
        ("Guatemala", 72_598, 3, None),
        ("India", 1_987_430, 3, None),
        ("Jamaica", 2_567, 3, 39),
        ("Lao People's Democratic Republic", 23_599, 3, 12),  # wrapped, printed with ’
        ("Mexico", 827_988, 3, 35),
        ("Morocco", 322_889, 3, None),
        # page 4, both columns
        ("Netherlands Antilles", 1, 4, None),
        ("Peru", 160_839, 4, None),
        ("Puerto Rico", 7_849, 4, None),
        ("Saint Helena, Ascension and Tristan da Cunha", 2, 4, 39),  # wrapped, left column
        ("Saint Vincent and the Grenadines", 253, 4, None),  # wrapped, right column
        ("Surinam", 3_366, 4, None),
        ("Togo", 803, 4, None),
        # page 5, both columns
        ("Tonga", 37, 5, 5),
        ("Trinidad and Tobago", 3_537, 5, None),
        ("United States", 521_658, 5, 16),
        ("Uruguay", 5_187, 5, 5),
        ("Venezuela", 37_802, 5, 9),
        ("No Country Listed", 1_668_157, 5, 16),  # last row, printed "No Country Listed*"
    ],
    2020: [
        ("Afghanistan", 115_259, 1, 15),  # page 1: first row
        ("Argentina", 76_857, 1, None),
        ("Brazil", 432_196, 2, 16),  # page 2
        ("Colombia", 763_997, 2, None),
        ("Congo, The Democratic Republic of the", 6_461, 2, None),
        ("Cote d'Ivoire (Ivory Coast)", 20_274, 3, None),  # page 3
        ("Dominican Republic", 104_747, 3, None),
        ("Guatemala", 121_725, 4, None),  # page 4
        ("Guiana, French", 1, 4, None),
        ("Jamaica", 2_253, 4, 22),
        ("Mexico", 793_721, 5, 17),  # page 5
        ("Norfolk Island", 0, 5, None),  # printed "-"
        ("Paraguay", 9_035, 6, None),  # page 6
        ("Peru", 490_878, 6, None),
        ("Saint Helena, Ascension and Tristan da Cunha", 0, 6, 21),  # wrapped, printed "-"
        ("Trinidad and Tobago", 3_411, 7, None),  # page 7
        ("Uruguay", 5_894, 7, 35),
        ("Venezuela", 127_975, 8, 3),  # page 8
        ("No Country Listed", 641_874, 8, 10),  # last row
    ],
    2021: [
        ("Afghanistan", 283_116, 1, 15),  # page 1: first row
        ("Argentina", 91_957, 1, None),
        ("Bouvet Island", 1, 2, None),  # page 2
        ("Brazil", 437_091, 2, 17),
        ("Colombia", 440_203, 2, None),
        ("Cook Islands", 61, 3, None),  # page 3
        ("Cote d'Ivoire (Ivory Coast)", 17_676, 3, None),
        ("Ecuador", 118_322, 3, None),
        ("Guatemala", 65_076, 4, None),  # page 4
        ("Haiti", 4_314, 4, None),
        ("Jamaica", 3_743, 4, 23),
        ("Mexico", 786_215, 5, 18),  # page 5
        ("Nicaragua", 37_012, 5, None),
        ("Niue", 1, 5, None),
        ("Peru", 192_943, 6, None),  # page 6
        ("Saint Bartelemey", 9, 6, None),
        ("Sierre Leone", 1_185, 6, None),
        ("Turks and Calcos Islands", 151, 7, None),  # page 7
        ("Uruguay", 6_320, 7, 34),
        ("Venezuela", 150_778, 7, 39),
        ("Vietnam", 716_065, 8, None),  # page 8
        ("No Country Listed", 1_193_266, 8, 9),  # last row
    ],
    2022: [
        ("Afghanistan", 224_918, 1, 15),  # page 1: first row
        ("Argentina", 136_040, 1, None),
        ("Brazil", 611_230, 2, 16),  # page 2
        ("Colombia", 647_907, 2, None),
        ("Congo, The Democratic Republic of the", 12_052, 2, None),
        ("Ecuador", 168_314, 3, None),  # page 3
        ("Europe", 3, 3, None),
        ("Guatemala", 87_390, 4, None),  # page 4
        ("Jamaica", 5_953, 4, 22),
        ("Mexico", 815_792, 5, 17),  # page 5
        ("Netherlands Antilles", 1, 5, None),
        ("Peru", 220_424, 6, None),  # page 6
        ("Pitcairn, Henderson, Ducie, and Oeno", 11, 6, None),
        ("Saint Helena, Ascension and Tristan da Cunha", 1, 6, 23),  # 2 lines, number centred
        ("US Virgin Islands", 281, 7, None),  # page 7
        ("Uruguay", 8_235, 7, 38),
        ("Venezuela", 301_190, 8, 5),  # page 8
        ("Null", 1_662_916, 8, 12),  # last row
    ],
    2023: [
        ("Afghanistan", 197_048, 1, 15),  # page 1: first row
        ("Argentina", 134_880, 1, None),
        ("Bahamas", 1_087, 1, None),  # last row of page 1
        ("Brazil", 567_985, 2, 15),  # page 2
        ("Colombia", 602_660, 2, None),
        ("Cote d'Ivoire (Ivory Coast)", 38_169, 2, None),
        ("French Southern and Antartic Lands", 1, 3, None),  # page 3
        ("Guatemala", 75_230, 3, None),
        ("Jamaica", 6_118, 4, 20),  # page 4
        ("Macao", 726, 4, None),
        ("Mexico", 717_468, 5, 15),  # page 5
        ("Nicaragua", 48_018, 5, None),
        ("Panama", 31_973, 6, None),  # page 6
        ("Peru", 159_605, 6, None),
        ("Saint Helena, Ascension and Tristan da Cunha", 4, 6, 19),  # 2 lines, number centred
        ("United States Minor Outlying Islands", 2, 7, None),  # page 7
        ("Venezuela", 249_567, 7, 38),
        ("Wallis and Futuna", 23, 8, None),  # page 8
        ("null", 1_851_762, 8, 8),  # last row, printed "null*"
    ],
}

# Read off the total row of the last table page.
TABLE_TOTALS = {2019: 16_987_361, 2020: 21_751_085, 2021: 29_397_681, 2022: 32_059_029, 2023: 36_210_368}

# Counted with pdftotext -layout: one per number in the Reports column(s), a wrapped name
# counted once, the total row excluded. Per page: 2019 73+73+72+24; 2020 16+37*4+36+37+8;
# 2021 16+37*6+7; 2022 16+37*4+36+37+10; 2023 17+37*4+36+37+6.
ROW_COUNTS = {2019: 242, 2020: 245, 2021: 245, 2022: 247, 2023: 244}

LAC = {
    "Argentina",
    "Brazil",
    "Colombia",
    "Guatemala",
    "Jamaica",
    "Mexico",
    "Peru",
    "Uruguay",
    "Venezuela",
    "Nicaragua",
    "Paraguay",
    "Panama",
    "Ecuador",
    "Haiti",
}


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("year", YEARS)
def test_expected_values_read_off_the_pdf(year):
    rows = parsed(year).rows.set_index("AREA_RAW")
    assert len(EXPECTED[year]) >= 12
    assert len(LAC & {area for area, *_ in EXPECTED[year]}) >= 4
    for area, count, page, line in EXPECTED[year]:
        assert area in rows.index, f"{year}: {area!r} missing"
        row = rows.loc[area]
        assert row["OBS_VALUE"] == float(count), (year, area)
        assert row["LOC_PAGE"] == page, (year, area)
        if line is not None:
            assert row["LOC_LINE"] == line, (year, area)


@pytest.mark.parametrize("year", YEARS)
def test_columns_and_constants(year):
    result = parsed(year)
    df = result.rows
    assert list(df.columns) == PARSED_COLUMNS
    assert set(df["MEASURE"]) == {"CYBERTIPLINE_REPORTS"}
    assert set(df["TIME_PERIOD_RAW"]) == {str(year)}
    assert set(df["UNIT_MEASURE"]) == {"NUMBER"}
    assert set(df["OBS_STATUS"]) == {"A"}
    assert result.facts["report_year"] == year


@pytest.mark.parametrize("year", YEARS)
def test_sum_equals_printed_total(year):
    result = parsed(year)
    assert result.facts["stated_total_table"] == TABLE_TOTALS[year]
    assert result.rows["OBS_VALUE"].sum() == TABLE_TOTALS[year]


def test_text_total_2019():
    facts = parsed(2019).facts
    assert facts["stated_total_text"] == "16.9 million"
    assert facts["stated_total_text_value"] == 16_900_000.0
    assert facts["stated_total_text_precision"] == 100_000.0
    # NCMEC truncates (16,987,361 is printed "16.9 million"), so the table total lies in
    # [stated, stated + one rounding unit), not within half a unit.
    total = facts["stated_total_table"]
    assert 16_900_000 <= total < 16_900_000 + 100_000


@pytest.mark.parametrize("year", [2020, 2021, 2022, 2023])
def test_text_total_absent_after_2019(year):
    # The 2020-2023 introductions state no worldwide figure ("The following is a breakdown...").
    facts = parsed(year).facts
    assert facts["stated_total_text"] is None
    assert facts["stated_total_text_value"] is None
    assert facts["stated_total_text_precision"] is None


@pytest.mark.parametrize("year", YEARS)
def test_row_count_and_rows_read(year):
    result = parsed(year)
    assert len(result.rows) == ROW_COUNTS[year]
    assert result.rows_read == ROW_COUNTS[year]


@pytest.mark.parametrize("year", YEARS)
def test_no_duplicates_no_errors_locations_set(year):
    df = parsed(year).rows
    assert not df["AREA_RAW"].duplicated().any()
    assert (df["PARSE_ERROR"] == "").all()
    assert df["OBS_VALUE"].notna().all()
    assert df["LOC_PAGE"].notna().all() and df["LOC_LINE"].notna().all()
    assert (df["LOC_LINE"] >= 1).all()
    # names are cleaned: no footnote star, no typographic apostrophe, no stray spaces
    assert not df["AREA_RAW"].str.contains(r"[*\u2019]|\s\s|^\s|\s$").any()
    assert not df["AREA_RAW"].str.lower().str.startswith("total").any()


def test_values_as_printed_and_footnotes():
    df = parsed(2019).rows.set_index("AREA_RAW")
    assert df.loc["Brazil", "VALUE_RAW"] == "398,069"
    assert df.loc["India", "VALUE_RAW"] == "1,987,430"
    assert parsed(2019).facts["area_footnotes"] == {"No Country Listed": "No Country Listed*"}
    assert parsed(2023).facts["area_footnotes"] == {"null": "null*"}
    df20 = parsed(2020).rows.set_index("AREA_RAW")
    assert df20.loc["Svalbard", "VALUE_RAW"] == "-"
    assert df20.loc["Svalbard", "OBS_VALUE"] == 0.0


def test_dash_can_be_quarantined_instead():
    result = parse(pdf_path(2020), dash_as_zero=False)
    bad = result.rows[result.rows["PARSE_ERROR"] != ""]
    assert sorted(bad["AREA_RAW"]) == ["Norfolk Island", "Saint Helena, Ascension and Tristan da Cunha", "Svalbard"]
    assert bad["OBS_VALUE"].isna().all()
    assert result.rows_read == 245


# --------------------------------------------------------------------------- hand-made PDFs


def make_pdf(items: list[tuple[float, float, str]], *, encrypted: bool = False, height: int = 792) -> bytes:
    """A minimal one-page PDF (``height`` points tall) with Courier text at (x, y); optionally password-protected."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "".join(f"BT /F1 10 Tf 1 0 0 1 {x} {y} Tm ({esc(t)}) Tj ET\n" for x, y, t in items)
    stream = content.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 %d] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>" % height,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    if encrypted:
        objects.append(
            b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    trailer = b"<< /Size %d /Root 1 0 R /ID [<%s> <%s>]" % (
        len(objects) + 1,
        b"%032x" % zlib.crc32(stream),
        b"%032x" % zlib.crc32(stream),
    )
    if encrypted:
        trailer += b" /Encrypt 6 0 R"
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def right(x_end: float, text: str) -> float:
    """x at which Courier 10pt text must start to end at x_end (6pt per character)."""
    return x_end - 6 * len(text)


def report_like(rows: list[tuple[str, str]], total: str = "1,240") -> list[tuple[float, float, str]]:
    items = [
        (200, 740, "2031 CyberTipline Reports"),
        (250, 722, "by Country"),
        (100, 660, "Country"),
        (right(400, "Reports"), 660, "Reports"),
    ]
    y = 640
    for name, value in rows:
        items.append((100, y, name))
        if value:
            items.append((right(400, value), y, value))
        y -= 16
    items += [(100, y - 16, "Total"), (right(400, total), y - 16, total)]
    return items


def test_synthetic_report_rows_and_cell_errors(tmp_path):
    pdf = tmp_path / "synthetic.pdf"
    pdf.write_bytes(make_pdf(report_like([("Chile", "1,234"), ("Peru", "n/a"), ("Bolivia", "6"), ("Cuba", "12.5")])))
    result = parse(pdf)
    df = result.rows.set_index("AREA_RAW")
    assert result.rows_read == 4 and list(df.index) == ["Chile", "Peru", "Bolivia", "Cuba"]
    assert result.facts["report_year"] == 2031
    assert result.facts["stated_total_table"] == 1240
    assert df.loc["Chile", "OBS_VALUE"] == 1234.0 and df.loc["Chile", "PARSE_ERROR"] == ""
    assert df.loc["Bolivia", "OBS_VALUE"] == 6.0
    for area, raw in [("Peru", "n/a"), ("Cuba", "12.5")]:
        assert math.isnan(df.loc[area, "OBS_VALUE"])
        assert df.loc[area, "VALUE_RAW"] == raw
        assert "not a whole number" in df.loc[area, "PARSE_ERROR"] and raw in df.loc[area, "PARSE_ERROR"]
    # page 1 lines: title, "by Country", header, then the rows
    assert list(df["LOC_LINE"]) == [4, 5, 6, 7] and set(df["LOC_PAGE"]) == {1}


def test_text_file_renamed_pdf(tmp_path):
    bad = tmp_path / "2024-cybertipline-reports-by-country.pdf"
    bad.write_text("Country,Reports\nBrazil,10\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        parse(bad)
    msg = str(err.value)
    assert "2024-cybertipline-reports-by-country.pdf" in msg
    assert "not a PDF" in msg and "plain text" in msg and "What to do:" in msg


def test_truncated_pdf(tmp_path):
    data = pdf_path(2019).read_bytes()
    cut = tmp_path / "cut-2019.pdf"
    cut.write_bytes(data[: int(len(data) * 0.3)])
    with pytest.raises(SourceFileError) as err:
        parse(cut)
    msg = str(err.value)
    assert "cut-2019.pdf" in msg and "truncated" in msg and "download it again" in msg


def test_damaged_pdf(tmp_path):
    bad = tmp_path / "damaged.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
    with pytest.raises(SourceFileError) as err:
        parse(bad)
    msg = str(err.value)
    assert msg.startswith("damaged.pdf") and "the PDF is damaged" in msg and "What to do:" in msg


def test_valid_pdf_that_is_not_the_report(tmp_path):
    other = tmp_path / "budget.pdf"
    other.write_bytes(make_pdf([(72, 700, "Quarterly budget summary"), (72, 680, "Line 1 200")]))
    with pytest.raises(SourceFileError) as err:
        parse(other)
    msg = str(err.value)
    assert "budget.pdf" in msg and "page 1" in msg
    assert 'not a "CyberTipline Reports by Country" document' in msg


def test_report_title_but_no_table(tmp_path):
    empty = tmp_path / "title-only.pdf"
    empty.write_bytes(
        make_pdf(
            [(200, 740, "2031 CyberTipline Reports"), (250, 722, "by Country"), (72, 680, "Text without any table.")]
        )
    )
    with pytest.raises(SourceFileError) as err:
        parse(empty)
    msg = str(err.value)
    assert "title-only.pdf" in msg and "no country table was found" in msg


def test_encrypted_pdf(tmp_path):
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(make_pdf(report_like([("Chile", "1")], total="1"), encrypted=True))
    with pytest.raises(SourceFileError) as err:
        parse(locked)
    msg = str(err.value)
    assert "locked.pdf" in msg and "encrypted" in msg and "What to do:" in msg


def test_missing_file(tmp_path):
    with pytest.raises(SourceFileError) as err:
        parse(tmp_path / "nowhere.pdf")
    assert "nowhere.pdf" in str(err.value) and "does not exist" in str(err.value)
