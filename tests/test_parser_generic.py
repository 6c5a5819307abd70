"""Generic observations template parser: bundled SYNTHETIC files, templates, and
malformed files built in tmp_path at test time (no real data involved)."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sources.parsers import generic_table
from sources.parsers.base import PARSED_COLUMNS, SourceFileError

ROOT = Path(__file__).resolve().parents[1]
SYNTH = ROOT / "sources" / "data" / "synthetic"
TEMPLATES = ROOT / "sources" / "templates"
HOTLINE = SYNTH / "hotline-reports-SYNTHETIC.csv"
PROSECUTIONS = SYNTH / "prosecutions-SYNTHETIC.xlsx"
SYNTHETIC_COMMENT = "SYNTHETIC: invented for testing, not a real statistic"
HEADER = "REF_AREA,TIME_PERIOD,MEASURE,OBS_VALUE,UNIT_MEASURE"


def _row(result, loc_row: int) -> pd.Series:
    match = result.rows[result.rows["LOC_ROW"] == loc_row]
    assert len(match) == 1
    return match.iloc[0]


def _errors(result) -> dict[int, str]:
    return dict(zip(result.rows["LOC_ROW"], result.rows["PARSE_ERROR"]))


def _load_script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _xlsx(
    path: Path,
    rows: list[list],
    *,
    title: str = "data",
    merges: list[str] = (),
    text_cells: dict[str, str] | None = None,
    before: list[str] = (),
) -> Path:
    """Write a workbook: optional sheets ``before``, then sheet ``title`` with ``rows``.

    ``text_cells`` sets cells whose text starts with "=" as *text* (not formulas)."""
    wb = openpyxl.Workbook()
    first = wb.active
    sheets = list(before) + [title]
    first.title = sheets[0]
    for name in sheets[1:]:
        wb.create_sheet(name)
    ws = wb[title]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for rng in merges:
        ws.merge_cells(rng)
    for ref, text in (text_cells or {}).items():
        ws[ref] = text
        ws[ref].data_type = "s"
    wb.save(path)
    return path


# ------------------------------------------------------------------ bundled SYNTHETIC files


def test_synthetic_hotline_csv():
    result = generic_table.parse(HOTLINE)
    with HOTLINE.open("rb") as fh:
        data_lines = sum(1 for line in fh if line.strip()) - 1
    assert data_lines == 60  # 4 countries x 5 years x 3 measures
    assert result.rows_read == len(result.rows) == 60
    assert list(result.rows.columns) == PARSED_COLUMNS
    assert (result.rows["PARSE_ERROR"] == "").all()
    assert result.facts["encoding"] == "utf-8-sig"
    assert result.facts["delimiter"] == ";"
    assert (result.facts["decimal_separator"], result.facts["decimal_rule"]) == (",", "cells")
    assert set(result.rows["AREA_RAW"]) == {"Brasil", "México", "Perú", "República Dominicana"}
    assert set(result.rows["TIME_PERIOD_RAW"]) == {"2019", "2020", "2021", "2022", "2023"}
    units = dict(zip(result.rows["MEASURE"], result.rows["UNIT_MEASURE"]))
    assert units == {
        "HOTLINE_REPORTS_RECEIVED": "NUMBER",
        "HOTLINE_REPORTS_ASSESSED_ILLEGAL": "NUMBER",
        "HOTLINE_TAKEDOWN_MEDIAN_DAYS": "DAYS",
    }
    # hotline-reports-SYNTHETIC.csv row 2: Brasil;2019;HOTLINE_REPORTS_RECEIVED;1.110;NUMBER;...
    r = _row(result, 2)
    assert (r["AREA_RAW"], r["VALUE_RAW"], r["OBS_VALUE"]) == ("Brasil", "1.110", 1110.0)
    # row 7: Brasil;2020;HOTLINE_TAKEDOWN_MEDIAN_DAYS;2,5;DAYS;...
    r = _row(result, 7)
    assert (r["MEASURE"], r["VALUE_RAW"], r["OBS_VALUE"]) == ("HOTLINE_TAKEDOWN_MEDIAN_DAYS", "2,5", 2.5)
    comments = result.facts["comments"]
    assert len(comments) == 60 and {c["comment"] for c in comments} == {SYNTHETIC_COMMENT}
    wide = result.rows.pivot_table(index=["AREA_RAW", "TIME_PERIOD_RAW"], columns="MEASURE", values="OBS_VALUE")
    assert (wide["HOTLINE_REPORTS_ASSESSED_ILLEGAL"] <= wide["HOTLINE_REPORTS_RECEIVED"]).all()
    # Patterned, obviously invented figures: counts are multiples of 10 or of 111.
    counts = result.rows[result.rows["UNIT_MEASURE"] == "NUMBER"]["OBS_VALUE"]
    assert all(v % 10 == 0 or v % 111 == 0 for v in counts)


def test_synthetic_prosecutions_xlsx():
    result = generic_table.parse(PROSECUTIONS)
    assert result.rows_read == len(result.rows) == 60  # 4 countries x 5 years x 3 measures
    assert (result.rows["PARSE_ERROR"] == "").all()
    assert result.facts["sheet"] == "datos"
    assert result.facts["header_row"] == 3  # a merged title row and a blank row above it
    assert result.facts["columns"]["REF_AREA"] == "PAÍS"
    assert (result.rows["LOC_SHEET"] == "datos").all()
    assert result.rows["LOC_ROW"].tolist() == list(range(4, 64))
    assert (result.rows["UNIT_MEASURE"] == "NUMBER").all()
    assert set(result.rows["MEASURE"]) == {"INVESTIGATIONS_OPENED", "PROSECUTIONS", "CONVICTIONS"}
    wide = result.rows.pivot_table(index=["AREA_RAW", "TIME_PERIOD_RAW"], columns="MEASURE", values="OBS_VALUE")
    assert len(wide) == 20
    assert (wide["CONVICTIONS"] <= wide["PROSECUTIONS"]).all()
    assert (wide["PROSECUTIONS"] <= wide["INVESTIGATIONS_OPENED"]).all()
    values = result.rows["OBS_VALUE"]
    assert (values == 0).any() and values.between(1, 4).any()  # disclosure control has work
    assert {c["comment"] for c in result.facts["comments"]} == {SYNTHETIC_COMMENT}
    assert len(result.facts["comments"]) == 60
    # prosecutions-SYNTHETIC.xlsx sheet datos row 4: Ecuador, 2019, INVESTIGATIONS_OPENED, 1110
    r = _row(result, 4)
    assert (r["AREA_RAW"], r["TIME_PERIOD_RAW"], r["MEASURE"], r["OBS_VALUE"]) == (
        "Ecuador",
        "2019",
        "INVESTIGATIONS_OPENED",
        1110.0,
    )


def test_synthetic_generator_is_deterministic(tmp_path):
    module = _load_script(SYNTH / "make_synthetic.py")
    module.write_prosecutions_xlsx(tmp_path / "p.xlsx")
    module.write_hotline_csv(tmp_path / "h.csv")
    assert (tmp_path / "p.xlsx").read_bytes() == PROSECUTIONS.read_bytes()
    assert (tmp_path / "h.csv").read_bytes() == HOTLINE.read_bytes()


def test_templates():
    module = _load_script(TEMPLATES / "make_generic_template.py")
    assert module.COLUMNS == generic_table.TEMPLATE_COLUMNS
    csv_template = TEMPLATES / "generic-observations-template.csv"
    assert csv_template.read_text(encoding="utf-8").strip() == ",".join(generic_table.TEMPLATE_COLUMNS)
    with pytest.raises(SourceFileError, match=r"header row \(row 1\) but no data rows"):
        generic_table.parse(csv_template)
    xlsx_template = TEMPLATES / "generic-observations-template.xlsx"
    wb = openpyxl.load_workbook(xlsx_template)
    assert wb.sheetnames == ["data", "instructions"]
    assert [c.value for c in wb["data"][1]] == generic_table.TEMPLATE_COLUMNS
    described = {row[0] for row in wb["instructions"].iter_rows(values_only=True)}
    assert set(generic_table.TEMPLATE_COLUMNS) <= described
    header = next(r for r in wb["instructions"].iter_rows(values_only=True) if r[0] and "Column" in r[0])
    assert {"Español", "English", "Português"} <= set(header)
    with pytest.raises(SourceFileError, match="no data rows"):
        generic_table.parse(xlsx_template)


def test_template_generator_is_deterministic(tmp_path):
    module = _load_script(TEMPLATES / "make_generic_template.py")
    module.write_xlsx(tmp_path / "t.xlsx")
    assert (tmp_path / "t.xlsx").read_bytes() == (TEMPLATES / "generic-observations-template.xlsx").read_bytes()


# ------------------------------------------------------------------ CSV encodings and delimiters


def test_latin1_csv_with_spanish_headers(tmp_path):
    path = tmp_path / "ministerio.csv"
    text = "PAÍS;PERÍODO;MEDIDA;VALOR;UNIDAD;COMENTARIO\r\nMéxico;2021;CONVICTIONS;12;Número;Año fiscal\r\n"
    path.write_bytes(text.encode("cp1252"))
    result = generic_table.parse(path)
    assert result.facts["encoding"] == "cp1252"
    r = result.rows.iloc[0]
    assert (r["AREA_RAW"], r["UNIT_MEASURE"], r["OBS_VALUE"], r["PARSE_ERROR"]) == ("México", "NUMBER", 12.0, "")
    assert result.facts["comments"] == [{"row": 2, "comment": "Año fiscal"}]


def test_utf8_bom_csv_with_portuguese_headers(tmp_path):
    path = tmp_path / "ong.csv"
    path.write_bytes(
        "\ufeffPaís,Período,Medida,Valor,Unidade,Idade,Situação,Comentário\n"
        "Brasil,2022,HOTLINE_REPORTS_RECEIVED,1110,número,0-17,provisório,ok\n".encode("utf-8")
    )
    result = generic_table.parse(path)
    assert result.facts["encoding"] == "utf-8-sig"
    assert result.facts["delimiter"] == ","
    assert result.facts["columns"]["REF_AREA"] == "País"  # the BOM is not part of the header
    r = result.rows.iloc[0]
    assert (r["AREA_RAW"], r["OBS_VALUE"], r["UNIT_MEASURE"], r["AGE"], r["OBS_STATUS"]) == (
        "Brasil",
        1110.0,
        "NUMBER",
        "Y0T17",
        "P",
    )


def test_semicolon_decimal_comma(tmp_path):
    path = tmp_path / "coma.csv"
    path.write_text(
        HEADER.replace(",", ";") + "\n"
        "Perú;2020;X;12,5;PERCENT\n"  # row 2: decimal comma
        "Perú;2021;X;1.234;NUMBER\n"  # row 3: thousands dot, settled by row 2
        "Perú;2022;X;1.234,5;NUMBER\n"  # row 4: both separators
        "Perú;2023;X;1 234;NUMBER\n",  # row 5: space as thousands separator
        encoding="utf-8",
    )
    result = generic_table.parse(path)
    assert result.facts["delimiter"] == ";"
    assert (result.facts["decimal_separator"], result.facts["decimal_rule"]) == (",", "cells")
    assert result.rows["OBS_VALUE"].tolist() == [12.5, 1234.0, 1234.5, 1234.0]
    assert result.rows["VALUE_RAW"].tolist() == ["12,5", "1.234", "1.234,5", "1 234"]


def test_semicolon_without_evidence_uses_decimal_comma(tmp_path):
    path = tmp_path / "solo.csv"
    path.write_text(HEADER.replace(",", ";") + "\nChile;2020;X;1.234;NUMBER\n", encoding="utf-8")
    result = generic_table.parse(path)
    assert result.facts["decimal_rule"] == "delimiter"
    assert result.rows["OBS_VALUE"].tolist() == [1234.0]


def test_ambiguous_number_without_convention(tmp_path):
    path = tmp_path / "ambiguous.csv"
    path.write_text(
        HEADER + '\nChile,2020,X,1.234,NUMBER\nChile,2021,X,"1,234",NUMBER\nChile,2022,X,7,NUMBER\n', encoding="utf-8"
    )
    result = generic_table.parse(path)
    assert result.facts["decimal_rule"] == "unknown"
    errors = _errors(result)
    assert errors[2].startswith("ambiguous number '1.234': thousands separator or decimal point?")
    assert "1234" in errors[2]
    assert errors[3].startswith("ambiguous number '1,234': thousands separator or decimal comma?")
    assert errors[4] == ""
    assert result.rows["OBS_VALUE"].isna().tolist() == [True, True, False]
    assert result.rows["VALUE_RAW"].tolist()[:2] == ["1.234", "1,234"]


def test_ambiguous_number_settled_by_decimal_point_elsewhere(tmp_path):
    path = tmp_path / "point.csv"
    path.write_text(HEADER + "\nChile,2020,X,1.234,PERCENT\nChile,2021,X,12.5,PERCENT\n", encoding="utf-8")
    result = generic_table.parse(path)
    assert result.facts["decimal_separator"] == "."
    assert result.rows["OBS_VALUE"].tolist() == [1.234, 12.5]


def test_mixed_conventions_make_ambiguous_values_errors(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        HEADER.replace(",", ";") + "\nA;2020;X;12,5;NUMBER\nA;2021;X;3.75;NUMBER\nA;2022;X;1.234;NUMBER\n",
        encoding="utf-8",
    )
    result = generic_table.parse(path)
    assert result.facts["decimal_rule"] == "mixed"
    error = _errors(result)[4]
    assert "ambiguous number '1.234'" in error and "row 2" in error and "row 3" in error
    assert result.rows["OBS_VALUE"].tolist()[:2] == [12.5, 3.75]


def test_text_in_numeric_column_is_kept_with_reason(tmp_path):
    path = tmp_path / "text.csv"
    path.write_text(
        HEADER + ",COMMENT\nPanamá,2020,X,n/d,NUMBER,\nPanamá,2021,X,,NUMBER,\nPanamá,2022,X,5,NUMBER,\n",
        encoding="utf-8",
    )
    result = generic_table.parse(path)
    assert result.rows_read == 3
    errors = _errors(result)
    assert "'n/d' is not a number" in errors[2]
    assert "OBS_VALUE is blank" in errors[3]
    assert errors[4] == ""


def test_formula_like_text_is_kept_as_text_in_csv(tmp_path):
    path = tmp_path / "inject.csv"
    path.write_text(
        HEADER + ",COMMENT\n"
        'A,2020,X,=1+2,NUMBER,=HYPERLINK("x")\n'
        "A,2021,X,+5,NUMBER,+note\n"
        "A,2022,X,-3,NUMBER,-note\n"
        "@A,2023,X,@7,NUMBER,@note\n",
        encoding="utf-8",
    )
    result = generic_table.parse(path)
    assert result.rows["VALUE_RAW"].tolist() == ["=1+2", "+5", "-3", "@7"]
    assert result.rows["OBS_VALUE"].tolist()[1:3] == [5.0, -3.0]
    errors = _errors(result)
    assert "'=1+2' is not a number" in errors[2] and "'@7' is not a number" in errors[5]
    assert _row(result, 5)["AREA_RAW"] == "@A"
    assert [c["comment"] for c in result.facts["comments"]] == ['=HYPERLINK("x")', "+note", "-note", "@note"]


def test_codes_for_sex_age_disaggregation_status(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text(
        HEADER + ",SEXO,EDAD,DESAGREGACIÓN,ESTADO\n"
        "A,2020,X,1,NUMBER,Mujer,menores de 18,Tipo=X|Región=Norte,estimado\n"  # row 2
        "A,2020,X,1,NUMBER,,,,\n"  # row 3
        "A,2020,X,1,NUMBER,Homem,18+,,A\n"  # row 4
        "A,2020,X,1,NUMBER,otro,niños,Tipo X,raro\n",  # row 5
        encoding="utf-8",
    )
    result = generic_table.parse(path)
    r = _row(result, 2)
    assert (r["SEX"], r["AGE"], r["DISAGGREGATION"], r["OBS_STATUS"]) == ("F", "Y_LT18", "Región=Norte|Tipo=X", "E")
    r = _row(result, 3)
    assert (r["SEX"], r["AGE"], r["DISAGGREGATION"], r["OBS_STATUS"], r["PARSE_ERROR"]) == ("_T", "_T", "", "A", "")
    r = _row(result, 4)
    assert (r["SEX"], r["AGE"]) == ("M", "Y_GE18")
    error = _row(result, 5)["PARSE_ERROR"]
    assert "SEX 'otro'" in error and "AGE 'niños'" in error
    assert "DISAGGREGATION 'Tipo X' must be written Key=Value" in error and "OBS_STATUS 'raro'" in error


def test_extra_columns_are_listed_and_blank_rows_counted(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text(
        HEADER + ",Fuente,Region\nA,2020,X,1,NUMBER,MinJus,Norte\n,,,,,,\n\nA,2021,X,2,NUMBER,,\n", encoding="utf-8"
    )
    result = generic_table.parse(path)
    assert result.facts["extra_columns"] == ["Fuente", "Region"]
    assert result.facts["blank_rows"] == 2
    assert result.rows["LOC_ROW"].tolist() == [2, 5]
    assert result.rows_read == 2


# ------------------------------------------------------------------ whole-file errors


def test_empty_files(tmp_path):
    empty = tmp_path / "vacio.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(empty)
    assert str(err.value).startswith("vacio.csv: the file is empty (0 bytes).")
    assert "What to do" in str(err.value)
    empty.write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(SourceFileError, match="empty"):
        generic_table.parse(empty)
    header_only = tmp_path / "cabecera.csv"
    header_only.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(header_only)
    assert "cabecera.csv" in str(err.value) and "header row (row 1) but no data rows" in str(err.value)
    sheet = _xlsx(tmp_path / "vacia.xlsx", [])
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(sheet)
    assert "vacia.xlsx" in str(err.value) and "sheet 'data' is empty" in str(err.value)
    header_xlsx = _xlsx(tmp_path / "solo-cabecera.xlsx", [["Título"], [], HEADER.split(",")])
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(header_xlsx)
    assert "header row (row 3) but no data rows" in str(err.value) and "sheet 'data'" in str(err.value)


def test_missing_column_names_it_and_the_expected_header(tmp_path):
    path = tmp_path / "falta.csv"
    path.write_text("PAIS;PERIODO;MEDIDA;VALOR\nBrasil;2020;X;1\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(path)
    msg = str(err.value)
    assert msg.startswith("falta.csv, row 1: the required column(s) UNIT_MEASURE are missing.")
    assert "PAIS, PERIODO, MEDIDA, VALOR" in msg  # what the header has
    assert "Expected header: REF_AREA, TIME_PERIOD, MEASURE, OBS_VALUE, UNIT_MEASURE" in msg
    assert "UNIDAD/UNIDADE" in msg and "What to do" in msg
    xlsx = _xlsx(tmp_path / "falta.xlsx", [["Informe"], ["REF_AREA", "TIME_PERIOD", "OBS_VALUE"], ["A", 2020, 1]])
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(xlsx)
    msg = str(err.value)
    assert "sheet 'data', row 2" in msg and "MEASURE, UNIT_MEASURE are missing" in msg


def test_no_header_at_all(tmp_path):
    path = tmp_path / "prosa.csv"
    path.write_text("Este archivo no tiene encabezado\n1,2,3\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(path)
    assert "no header row was found in the first 20 rows" in str(err.value)


def test_same_column_twice(tmp_path):
    path = tmp_path / "doble.csv"
    path.write_text("PAIS,REF_AREA,TIME_PERIOD,MEASURE,OBS_VALUE,UNIT_MEASURE\nA,A,2020,X,1,NUMBER\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(path)
    assert "'PAIS' (A) and 'REF_AREA' (B) both stand for REF_AREA" in str(err.value)


def test_corrupt_xlsx(tmp_path):
    random_bytes = tmp_path / "roto.xlsx"
    random_bytes.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(random_bytes)
    msg = str(err.value)
    assert msg.startswith("roto.xlsx: the file is named .xlsx but is not an Excel workbook")
    assert "save it as an .xlsx" in msg
    truncated = tmp_path / "truncado.xlsx"
    good = _xlsx(tmp_path / "bueno.xlsx", [HEADER.split(","), ["A", 2020, "X", 1, "NUMBER"]])
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(truncated)
    assert "truncado.xlsx" in str(err.value) and "damaged" in str(err.value)


def test_password_protected_xlsx(tmp_path):
    # An encrypted .xlsx is an OLE2 compound file; its magic bytes plus padding are
    # enough for the parser to recognise the container.
    path = tmp_path / "protegido.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 1024)
    with pytest.raises(SourceFileError) as err:
        generic_table.parse(path)
    msg = str(err.value)
    assert msg.startswith("protegido.xlsx:") and "password-protected" in msg and ".xls" in msg
    assert "remove the password" in msg
    # With the stream name an encrypted workbook carries, the message is definite.
    path.write_bytes(
        bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512
    )
    with pytest.raises(SourceFileError, match=r"the workbook is password-protected \(encrypted\)"):
        generic_table.parse(path)


# ------------------------------------------------------------------ XLSX specifics


def test_xlsx_title_rows_with_merged_cells(tmp_path):
    rows = [
        ["Ministerio de Justicia — informe anual", None, None, None, None],
        ["Cifras agregadas", None, None, None, None],
        [],
        ["País", "Período", "Medida", "Valor", "Unidad"],
        ["Guatemala", 2021, "prosecutions", 22, "número"],
        [],
        ["Guatemala", 2022, "PROSECUTIONS", 33.0, "NUMBER"],
    ]
    path = _xlsx(tmp_path / "titulo.xlsx", rows, title="Hoja1", merges=["A1:E1", "A2:E2"])
    result = generic_table.parse(path)
    assert result.facts["header_row"] == 4
    assert result.facts["blank_rows"] == 1
    assert result.rows["LOC_ROW"].tolist() == [5, 7]
    assert (result.rows["LOC_SHEET"] == "Hoja1").all()
    assert result.rows["TIME_PERIOD_RAW"].tolist() == ["2021", "2022"]
    assert result.rows["MEASURE"].tolist() == ["PROSECUTIONS", "PROSECUTIONS"]
    assert result.rows["OBS_VALUE"].tolist() == [22.0, 33.0]
    assert result.rows["VALUE_RAW"].tolist() == ["22", "33"]
    assert result.rows["UNIT_MEASURE"].tolist() == ["NUMBER", "NUMBER"]


def test_xlsx_sheet_choice(tmp_path):
    rows = [HEADER.split(","), ["A", 2020, "X", 1, "NUMBER"]]
    path = _xlsx(tmp_path / "dados.xlsx", rows, title="Dados", before=["Notas"])
    result = generic_table.parse(path)
    assert result.facts["sheet"] == "Dados"
    assert result.rows["LOC_SHEET"].tolist() == ["Dados"]
    # Without a data/datos/dados sheet, the first sheet is read.
    wb = openpyxl.Workbook()
    wb.active.title = "Resumen"
    for row in rows:
        wb.active.append(row)
    wb.create_sheet("Otra")
    wb.save(tmp_path / "first.xlsx")
    assert generic_table.parse(tmp_path / "first.xlsx").facts["sheet"] == "Resumen"


def _with_cached_value(path: Path, formula: str, cached: str) -> None:
    """Give a formula cell a saved result, as Excel would when it saves the file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                # openpyxl writes the empty cached value as <v /> (standard library) or <v></v> (lxml)
                empty = next(
                    (
                        e
                        for e in (f"<f>{formula}</f><v />", f"<f>{formula}</f><v></v>", f"<f>{formula}</f><v/>")
                        if e.encode() in data
                    ),
                    None,
                )
                assert empty is not None
                data = data.replace(empty.encode(), f"<f>{formula}</f><v>{cached}</v>".encode())
            dst.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def test_xlsx_formula_cells(tmp_path):
    rows = [
        HEADER.split(",") + ["COMMENT"],
        ["A", 2020, "X", "=SUM(1000,110)", "NUMBER", None],  # row 2: cached value added below
        ["A", 2021, "X", "=SUM(1000,220)", "NUMBER", None],
    ]  # row 3: no cached value
    path = _xlsx(tmp_path / "formulas.xlsx", rows)
    _with_cached_value(path, "SUM(1000,110)", "1110")
    result = generic_table.parse(path)
    assert _row(result, 2)["OBS_VALUE"] == 1110.0
    assert _row(result, 2)["PARSE_ERROR"] == ""
    error = _row(result, 3)["PARSE_ERROR"]
    assert "OBS_VALUE (cell D3) holds the formula '=SUM(1000,220)' with no saved result" in error
    assert "save it again" in error
    assert pd.isna(_row(result, 3)["OBS_VALUE"])


def test_xlsx_text_cells_starting_with_formula_characters(tmp_path):
    rows = [
        HEADER.split(",") + ["COMMENT"],
        ["A", 2020, "X", None, "NUMBER", None],
        ["A", 2021, "X", "+5", "NUMBER", "+plus"],
        ["A", 2022, "X", "-3", "NUMBER", "-minus"],
        ["A", 2023, "X", "@7", "NUMBER", "@at"],
    ]
    path = _xlsx(
        tmp_path / "texto.xlsx",
        rows,
        text_cells={"D2": "=1+2", "F2": '=HYPERLINK("http://example.invalid","x")', "A5": "=A"},
    )
    # Check the fixture: these cells are text in the workbook, not formulas.
    assert openpyxl.load_workbook(path)["data"]["D2"].data_type == "s"
    result = generic_table.parse(path)
    assert result.rows["VALUE_RAW"].tolist() == ["=1+2", "+5", "-3", "@7"]
    assert result.rows["OBS_VALUE"].tolist()[1:3] == [5.0, -3.0]
    assert "'=1+2' is not a number" in _row(result, 2)["PARSE_ERROR"]
    assert "'@7' is not a number" in _row(result, 5)["PARSE_ERROR"]
    assert _row(result, 5)["AREA_RAW"] == "=A"
    assert [c["comment"] for c in result.facts["comments"]] == [
        '=HYPERLINK("http://example.invalid","x")',
        "+plus",
        "-minus",
        "@at",
    ]


def test_xlsx_odd_cells(tmp_path):
    import datetime as dt

    rows = [
        HEADER.split(","),
        ["A", 2020, "X", True, "NUMBER"],
        ["A", 2021, "X", dt.datetime(2021, 3, 1), "NUMBER"],
        ["A", "2022", "X", "1.234,5", "NUMBER"],
        [None, None, "X", 4, None],
    ]
    result = generic_table.parse(_xlsx(tmp_path / "raro.xlsx", rows))
    errors = _errors(result)
    assert "true/false" in errors[2]
    assert "is a date (2021-03-01)" in errors[3]
    assert errors[4] == "" and _row(result, 4)["OBS_VALUE"] == 1234.5
    assert "REF_AREA is blank" in errors[5] and "TIME_PERIOD is blank" in errors[5]
    assert "UNIT_MEASURE is blank" in errors[5]


# --------------------------------------------------------------------------- read by columns

_PLAIN_HEADER = "REF_AREA;TIME_PERIOD;MEASURE;OBS_VALUE;UNIT_MEASURE;SEXO;EDAD"
_PLAIN_ROWS = [
    "BR;2022;PROSECUTIONS;12;NUMBER;Mujer;_T",
    "AR;2023;PROSECUTIONS;1.234;NUMBER;Total;0-17",
    "CL;2021;CONVICTIONS;1.234,5;NUMBER;Hombre;18+",
]
#: Plain CSVs (no quoting, so each record is one line) of the shapes a sender writes: title
#: rows, blank lines, cells right of the table, blank and padded cells, CR LF, other delimiters.
PLAIN_CSVS = {
    "plain": "\n".join([_PLAIN_HEADER, *_PLAIN_ROWS]) + "\n",
    "crlf": "\r\n".join([_PLAIN_HEADER, *_PLAIN_ROWS]) + "\r\n",
    "title_rows": "Informe SYNTHETIC;;;;;;\n\n" + "\n".join([_PLAIN_HEADER, *_PLAIN_ROWS]),
    "blank_lines": "\n".join([_PLAIN_HEADER, _PLAIN_ROWS[0], "", _PLAIN_ROWS[1], ";;;;;;", _PLAIN_ROWS[2], "", ""]),
    "right_of_table": "\n".join(
        [_PLAIN_HEADER + ";;", _PLAIN_ROWS[0] + ";;x", _PLAIN_ROWS[1] + "; ;", _PLAIN_ROWS[2] + ";y;z", ";;;;;;;w;"]
    ),
    "extra_columns": "\n".join(
        [_PLAIN_HEADER + ";NOTA;OTRA", _PLAIN_ROWS[0] + ";n;", _PLAIN_ROWS[1] + ";;", ";;;;;;;;", ";;;;;;;;q"]
    ),
    "blank_cells": "\n".join([_PLAIN_HEADER, "BR;;PROSECUTIONS;;NUMBER;;", " ;2022; ;x;;F;", _PLAIN_ROWS[0]]),
    "padded_words": "\n".join([_PLAIN_HEADER, " BR ; 2022 ;prosecutions; 12 %;número;mujer; 0-17 "]),
    "comma": "\n".join([HEADER + ",SEX", "BR,2022,PROSECUTIONS,12,NUMBER,F", "AR,2022,PROSECUTIONS,3,NUMBER,M"]),
    "tab": "\n".join([_PLAIN_HEADER.replace(";", "\t"), "BR\t2022\tPROSECUTIONS\t12\tNUMBER\tF\t_T"]),
    "comments": "\n".join([_PLAIN_HEADER + ";COMENTARIO", _PLAIN_ROWS[0] + ";c", _PLAIN_ROWS[1] + ";"]),
    "portuguese": "PAÍS;PERÍODO;MEDIDA;VALOR;UNIDADE;SEXO;IDADE\nBR;2022;PROSECUTIONS;5;NUMBER;Homem;_T\n",
}


def _parse_both_ways(path: Path, monkeypatch) -> tuple[object, object]:
    def outcome():
        try:
            result = generic_table.parse(path)
        except SourceFileError as error:
            return str(error)
        return result

    by_columns = outcome()
    monkeypatch.setattr(generic_table, "COLUMNAR_CSV", False)
    by_records = outcome()
    monkeypatch.setattr(generic_table, "COLUMNAR_CSV", True)
    return by_columns, by_records


def _assert_same_parse(by_columns, by_records, what: str) -> None:
    assert type(by_columns) is type(by_records), what
    if isinstance(by_records, str):
        assert by_columns == by_records, what
        return
    pd.testing.assert_frame_equal(by_columns.rows, by_records.rows, obj=what)
    assert (by_columns.rows_read, by_columns.facts) == (by_records.rows_read, by_records.facts), what


@pytest.mark.parametrize("name", sorted(PLAIN_CSVS))
def test_a_plain_csv_read_by_columns_gives_what_reading_record_by_record_gives(name, tmp_path, monkeypatch):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(PLAIN_CSVS[name].encode("utf-8"))
    text = PLAIN_CSVS[name]
    delimiter = "\t" if name == "tab" else "," if name == "comma" else ";"
    limits = generic_table.load_limits()["rows"]
    assert generic_table._columnar_csv_grid(path, text, delimiter, limits) is not None, "not read by columns"
    _assert_same_parse(*_parse_both_ways(path, monkeypatch), name)


def test_every_csv_in_the_repository_parses_the_same_by_columns_and_record_by_record(monkeypatch):
    """Bundled data, templates and test fixtures: whichever way a file is read (a quoted or
    ragged file is always read record by record), the rows, facts and errors are the same."""
    paths = [
        p
        for folder in (ROOT / "sources", ROOT / "tests" / "fixtures")
        for p in sorted(folder.rglob("*"))
        if p.suffix.lower() in {".csv", ".tsv", ".txt"}
    ]
    assert len(paths) > 20
    for path in paths:
        _assert_same_parse(*_parse_both_ways(path, monkeypatch), str(path.relative_to(ROOT)))


@pytest.mark.parametrize(
    "text, plain",
    [
        ("\n".join([_PLAIN_HEADER, *_PLAIN_ROWS[:2], "BR;2022"]), True),  # a short record
        (_PLAIN_HEADER + "\n", True),  # no record after the header
        (_PLAIN_HEADER + '\n"BR";2022;PROSECUTIONS;1;NUMBER;F;_T\n', False),  # quoting
        (_PLAIN_HEADER + "\r" + _PLAIN_ROWS[0] + "\r", False),  # lone carriage returns
    ],
)
def test_a_csv_that_is_not_plain_is_read_record_by_record(text, plain, tmp_path):
    from sources.parsers.csv_columns import plain as is_plain

    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    assert is_plain(text) is plain
    if plain:
        assert generic_table._columnar_csv_grid(path, text, ";", generic_table.load_limits()["rows"]) is None


@pytest.mark.parametrize(
    "text, code",
    [
        (_PLAIN_HEADER + "\n" + _PLAIN_ROWS[0] + ";" + "x" * 40_000 + "\n", "file_cell_too_long"),
        (_PLAIN_HEADER + "\n" + _PLAIN_ROWS[0] + ";" * 300 + "\n", "file_too_many_columns"),
    ],
)
def test_a_plain_csv_over_a_limit_gets_the_refusal_reading_record_by_record_gives(text, code, tmp_path, monkeypatch):
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    by_columns, by_records = _parse_both_ways(path, monkeypatch)
    assert isinstance(by_records, str) and by_columns == by_records
    with pytest.raises(SourceFileError) as refused:
        generic_table.parse(path)
    assert refused.value.code == code
