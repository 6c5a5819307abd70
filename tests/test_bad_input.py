"""Bad input: real malformed files through the real command line (`clac validate`, `clac ingest`).

Each file is built at test time in tmp_path, from the bundled files where possible. Every
case must give a clear message naming the file, the location and the rule (in the
submitter's language, Spanish by default), and never a traceback. A file refused as a
whole by `clac ingest` leaves the warehouse and the exported outputs byte-identical.
No content or personal data: only the bundled aggregated (mostly SYNTHETIC) figures.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sources.catalogue import BUNDLED_DATA_DIR, load_catalogue
from sources.validation import messages as msg
from tests.conftest import run_clac
from tests.test_parser_ncmec import make_pdf, report_like

HOTLINE_CSV = BUNDLED_DATA_DIR / "synthetic" / "hotline-reports-SYNTHETIC.csv"
PROSECUTIONS_XLSX = BUNDLED_DATA_DIR / "synthetic" / "prosecutions-SYNTHETIC.xlsx"
NCMEC_2019 = BUNDLED_DATA_DIR / "ncmec-cybertipline-by-country" / "2019-cybertipline-reports-by-country.pdf"
JAMAICA_16_2_1 = BUNDLED_DATA_DIR / "open-sdg-jamaica" / "data" / "indicator_16-2-1.csv"
SDG_DETV = (
    BUNDLED_DATA_DIR
    / "un-sdg-global-database-2020"
    / "ddf--datapoints--vc_htf_detv--by--age--geo_area--nature--sex--units--year.csv"
)
HOTLINE = "synthetic_hotline_reports"
PROSECUTIONS = "synthetic_prosecutions"
NCMEC = "ncmec_cybertipline_by_country"
FORMULA_PREFIXES = ("=", "+", "-", "@")


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def vhome(built_home, tmp_path_factory) -> Path:
    """A copy of the built home for `clac validate` (which only reads the warehouse)."""
    copy = tmp_path_factory.mktemp("validate") / "home"
    shutil.copytree(built_home, copy)
    return copy


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hotline_lines() -> list[str]:
    return HOTLINE_CSV.read_text(encoding="utf-8-sig").splitlines()


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def validate(
    home: Path, path: Path, source: str, tmp_path: Path, *, lang: str | None = None, expect: int | None = None
):
    """Run `clac validate`; returns (result, the CSV report as a frame)."""
    out = tmp_path / "report"
    args = ["validate", str(path), "--source", source, "--out", str(out)]
    if lang:
        args += ["--lang", lang]
    result = run_clac(home, *args, check=False)
    both = result.stdout + result.stderr
    assert "Traceback" not in both, both
    if expect is not None:
        assert result.returncode == expect, both
    csv_path = out / f"{path.name}.validation.csv"
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False) if csv_path.exists() else None
    if source in load_catalogue():  # the same verdict as ingestion, for every case of this file
        refused = msg.label("verdict_file", lang or "es") in result.stdout
        assert refused == ingest_refuses_file(path, source, home / "warehouse.duckdb", tmp_path / "ingest"), both
    return result, frame


def ingest_refuses_file(path: Path, source_id: str, warehouse: Path, home: Path) -> bool:
    """Whether ingestion, then the build's blocking stated-total check, refuses the file.

    In-process, on a copy of ``warehouse`` in ``home`` (the CLI adds nothing to the verdict:
    `clac ingest` refuses by the checks of `clac validate`, and the build ingests with
    :func:`sources.ingest.ingest_file` or, for quarterly reports, ``ingest_report``).
    """
    import duckdb

    from sources.harmonise.areas import default_resolver
    from sources.ingest import ingest_file
    from sources.quarterly_intake import ingest_report
    from warehouse.reconcile import stated_total_failures, states_total

    entry = load_catalogue()[source_id]
    home.mkdir(parents=True, exist_ok=True)
    db = home / "warehouse.duckdb"
    shutil.copyfile(warehouse, db)
    ingest = ingest_report if entry.parser == "wg_workbook" else ingest_file
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLAC_HOME", str(home))
        con = duckdb.connect(str(db))
        try:
            result = ingest(con, path, entry, resolve_area=default_resolver().resolve, db_path=db)
            if result.status == "rejected":
                return True
            if states_total(entry):
                return any(f["file_id"] == result.file_id for f in stated_total_failures(con, source_id)["failures"])
            return False
        finally:
            con.close()


def assert_names(result, *needles: str) -> None:
    both = result.stdout + result.stderr
    for needle in needles:
        assert needle in both, f"{needle!r} not in:\n{both}"


def problem(frame: pd.DataFrame, rule: str) -> dict:
    rows = frame[frame["rule"] == rule]
    assert len(rows), f"no {rule} in {frame[['rule', 'location', 'message']].to_string()}"
    return rows.iloc[0].to_dict()


def hotline_with(tmp_path: Path, name: str, replace: dict[int, tuple[str, str]]) -> Path:
    lines = hotline_lines()
    for index, (old, new) in replace.items():
        assert old in lines[index], (index, lines[index])
        lines[index] = lines[index].replace(old, new, 1)
    return write_lines(tmp_path / name, lines)


def prosecutions_workbook() -> openpyxl.Workbook:
    return openpyxl.load_workbook(PROSECUTIONS_XLSX)


def find_row(ws, area: str, year: int, measure: str) -> int:
    for row in ws.iter_rows(min_row=1):
        values = [c.value for c in row[:3]]
        if values == [area, year, measure]:
            return row[0].row
    raise AssertionError(f"{area} {year} {measure} not in the workbook")


def no_formula_cells(csv_text: str) -> None:
    for record in csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))):
        for cell in record:
            assert not cell.startswith(FORMULA_PREFIXES), f"unescaped formula-like cell {cell!r}"


def test_formula_like_cells_are_escaped_whatever_the_column_holds():
    from warehouse.exports import neutralise_formulas

    frame = pd.DataFrame(
        {
            "code": ["=SUM(A1)", "BRA", "BRA", None, "-3", "+x"],
            "mixed": [1, "@cmd", None, float("nan"), "ok", "\tx"],
            "cells_unhashable": [[1], "=1", "a", "b", "c", None],
            "number": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["code"].tolist() == ["'=SUM(A1)", "BRA", "BRA", None, "'-3", "'+x"]
    assert safe["mixed"].tolist()[:2] == [1, "'@cmd"] and safe["mixed"].tolist()[5] == "'\tx"
    assert safe["cells_unhashable"].tolist()[:2] == [[1], "'=1"]
    assert safe["number"].tolist() == frame["number"].tolist()  # numbers are never formulas
    assert frame["code"][0] == "=SUM(A1)"  # a copy: the frame given is unchanged


# --------------------------------------------------------------------------- encodings and layouts


def test_latin1_file_is_read(vhome, tmp_path):
    path = tmp_path / "lineas-latin1.csv"
    path.write_bytes("\n".join(hotline_lines()).encode("latin-1"))
    assert "México".encode("latin-1") in path.read_bytes()
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=0)
    assert_names(result, "lineas-latin1.csv", "Filas leídas: 60", "Filas que se cargarían: 60", "Errores: 0", "cp1252")
    assert frame.empty


def test_utf8_with_bom_and_commas(vhome, tmp_path):
    records = list(csv.reader(io.StringIO("\n".join(hotline_lines())), delimiter=";"))
    for record in records[1:]:
        record[3] = record[3].replace(".", "").replace(",", ".")  # 1.110 -> 1110, 3,0 -> 3.0
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    path = tmp_path / "lineas-bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=0)
    assert_names(result, "lineas-bom.csv", "Filas que se cargarían: 60", "utf-8-sig", "separador: ','")


def test_semicolons_with_decimal_comma(vhome, tmp_path):
    path = hotline_with(tmp_path, "lineas-punto-y-coma.csv", {3: (";3,0;", ";2,5;")})
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=0)
    assert_names(result, "Filas que se cargarían: 60", "separador: ';'", "separador decimal: ','")


def test_spreadsheet_with_title_rows_and_merged_cells(vhome, tmp_path):
    wb = prosecutions_workbook()
    ws = wb["datos"]
    ws.insert_rows(1, 2)
    ws["A1"] = "Ministerio de prueba: SINTÉTICO"
    ws.merge_cells("A1:F1")
    ws["A2"] = "Cifras anuales"
    ws.merge_cells("A2:C2")
    header = 5  # was row 3, below the sheet's own title row
    assert ws.cell(header, 1).value == "PAÍS"
    ws.cell(header + 1, 4).value = -7  # the first data row, to see where it is reported
    path = tmp_path / "procesamientos-titulos.xlsx"
    wb.save(path)
    result, frame = validate(vhome, path, PROSECUTIONS, tmp_path, expect=1)
    assert_names(result, "Filas leídas: 60", "hoja 'datos', fila 6", "count_negative")
    assert problem(frame, "count_negative")["location"] == "hoja 'datos', fila 6"


# --------------------------------------------------------------------------- whole-file problems


def test_empty_file(vhome, tmp_path):
    path = tmp_path / "vacio.csv"
    path.write_bytes(b"")
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(result, "vacio.csv", "el archivo está vacío", "Qué hacer:")
    assert problem(frame, "file_empty")["location"] == "todo el archivo"


def test_header_only(vhome, tmp_path):
    path = write_lines(tmp_path / "solo-encabezado.csv", hotline_lines()[:1])
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(result, "solo-encabezado.csv", "ninguna fila de datos", "file_header_only")


def test_missing_required_column(vhome, tmp_path):
    lines = [";".join(line.split(";")[:4] + line.split(";")[5:]) for line in hotline_lines()]  # no UNIT_MEASURE
    path = write_lines(tmp_path / "sin-unidad.csv", lines)
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(
        result,
        "sin-unidad.csv, fila 1",
        "UNIT_MEASURE",
        "falta(n) la(s) columna(s) obligatoria(s)",
        "file_missing_column",
    )


def test_unexpected_extra_columns_are_listed_and_ignored(vhome, tmp_path):
    lines = hotline_lines()
    lines = [lines[0] + ";CODIGO_INTERNO;REVISADO"] + [line + ";X1;si" for line in lines[1:]]
    path = write_lines(tmp_path / "columnas-extra.csv", lines)
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=0)
    assert_names(result, "Columnas no usadas (se ignoran): CODIGO_INTERNO, REVISADO", "Filas que se cargarían: 60")


def test_binary_data_named_csv(vhome, tmp_path):
    path = tmp_path / "binario.csv"
    path.write_bytes(bytes(range(256)) * 8)
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(result, "binario.csv", "datos binarios", "file_not_text")


def test_wrong_sheet(vhome, tmp_path):
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notas"
    notes["A1"] = "Notas del envío (SINTÉTICO)"
    data = wb.create_sheet("Hoja2")
    for record in csv.reader(io.StringIO("\n".join(hotline_lines())), delimiter=";"):
        data.append(record)
    path = tmp_path / "hoja-equivocada.xlsx"
    wb.save(path)
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(
        result,
        "hoja-equivocada.xlsx, hoja 'Notas'",
        "la hoja 'Notas' no tiene la tabla de datos",
        "Notas, Hoja2",
        "file_wrong_sheet",
    )


def test_pdf_that_is_not_the_expected_report(vhome, tmp_path):
    path = tmp_path / "presupuesto.pdf"
    path.write_bytes(make_pdf([(72, 700, "Quarterly budget summary"), (72, 680, "Line 1 200")]))
    result, frame = validate(vhome, path, NCMEC, tmp_path, expect=1)
    assert_names(
        result,
        "presupuesto.pdf, página 1",
        "no es el informe esperado",
        "CyberTipline Reports by Country",
        "file_not_expected_report",
    )


def test_html_page_saved_as_pdf(vhome, tmp_path):
    path = tmp_path / "2024-cybertipline-reports-by-country.pdf"
    path.write_text("<!DOCTYPE html><html><body>Not found</body></html>", encoding="utf-8")
    result, frame = validate(vhome, path, NCMEC, tmp_path, expect=1)
    assert_names(result, "2024-cybertipline-reports-by-country.pdf", "no es un archivo PDF", "file_not_pdf")


def test_truncated_pdf(vhome, tmp_path):
    path = tmp_path / "2019-cortado.pdf"
    path.write_bytes(NCMEC_2019.read_bytes()[: NCMEC_2019.stat().st_size // 3])
    result, frame = validate(vhome, path, NCMEC, tmp_path, expect=1)
    assert_names(result, "2019-cortado.pdf", "truncado", "file_truncated")


def test_encrypted_pdf(vhome, tmp_path):
    path = tmp_path / "protegido.pdf"
    path.write_bytes(make_pdf(report_like([("Chile", "1")], total="1"), encrypted=True))
    result, frame = validate(vhome, path, NCMEC, tmp_path, expect=1)
    assert_names(result, "protegido.pdf", "protegido con contraseña", "file_encrypted")


def test_corrupt_xlsx(vhome, tmp_path):
    path = tmp_path / "procesamientos-danado.xlsx"
    data = PROSECUTIONS_XLSX.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result, frame = validate(vhome, path, PROSECUTIONS, tmp_path, expect=1)
    assert_names(result, "procesamientos-danado.xlsx", "está dañado", "file_corrupt")


def test_password_protected_xlsx(vhome, tmp_path):
    # an encrypted workbook is an OLE2 container holding an "EncryptedPackage" stream
    path = tmp_path / "con-clave.xlsx"
    path.write_bytes(
        bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1024
    )
    result, frame = validate(vhome, path, PROSECUTIONS, tmp_path, expect=1)
    assert_names(result, "con-clave.xlsx", "protegido con contraseña", "quite la contraseña", "file_encrypted")


def test_file_over_the_size_limit(vhome, tmp_path):
    path = tmp_path / "enorme.csv"
    with path.open("wb") as handle:
        handle.truncate(51 * 1024 * 1024)  # sparse: no disk used
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(result, "enorme.csv", "51.0 MB", "límite de 50 MB", "file_too_large")


def test_sdg_extract_with_a_missing_column(vhome, tmp_path):
    text = SDG_DETV.read_text(encoding="utf-8")
    lines = [",".join(cell for i, cell in enumerate(line.split(",")) if i != 3) for line in text.splitlines()]
    path = write_lines(tmp_path / SDG_DETV.name, lines)  # the 'sex' column removed
    result, frame = validate(vhome, path, "un_sdg_global_database", tmp_path, expect=1)
    assert_names(result, SDG_DETV.name + ", fila 1", "sex", "file_missing_column")


def test_whole_file_problem_in_english_and_portuguese(vhome, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result, _ = validate(vhome, path, HOTLINE, tmp_path, lang="en", expect=1)
    assert_names(result, "empty.csv", "the file is empty", "What to do:")
    result, _ = validate(vhome, path, HOTLINE, tmp_path, lang="pt", expect=1)
    assert_names(result, "empty.csv", "o arquivo está vazio", "O que fazer:")


# --------------------------------------------------------------------------- row problems


def test_text_in_a_numeric_column(vhome, tmp_path):
    path = hotline_with(tmp_path, "texto-en-numero.csv", {1: (";1.110;", ";mil ciento diez;")})
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(result, "texto-en-numero.csv, fila 2", "parse_error", "'mil ciento diez' no es un número")
    found = problem(frame, "parse_error")
    assert (found["location"], found["column"], found["value"]) == ("fila 2", "OBS_VALUE", "mil ciento diez")


def test_ambiguous_thousands_separator(vhome, tmp_path):
    lines = [
        "REF_AREA,TIME_PERIOD,MEASURE,OBS_VALUE,UNIT_MEASURE",
        "Ecuador,2019,INVESTIGATIONS_OPENED,1110,NUMBER",
        "Ecuador,2019,PROSECUTIONS,111,NUMBER",
        "Ecuador,2020,INVESTIGATIONS_OPENED,1.234,NUMBER",
    ]
    path = write_lines(tmp_path / "ambiguo.csv", lines)
    result, frame = validate(vhome, path, PROSECUTIONS, tmp_path, expect=1)
    assert_names(result, "ambiguo.csv, fila 4", "número ambiguo '1.234'", "parse_error")


def test_negative_count(vhome, tmp_path):
    path = hotline_with(tmp_path, "negativo.csv", {1: (";1.110;", ";-5;")})
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(result, "negativo.csv, fila 2", "count_negative", "Un conteo no puede ser negativo (-5)")
    assert problem(frame, "count_negative")["value"] == "'-5"  # neutralised in the CSV


def test_percentage_above_100(vhome, tmp_path):
    lines = JAMAICA_16_2_1.read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith(",74.1")
    lines[1] = lines[1][: -len("74.1")] + "174.1"
    path = write_lines(tmp_path / JAMAICA_16_2_1.name, lines)
    result, frame = validate(vhome, path, "opensdg_jamaica", tmp_path, expect=1)
    assert_names(
        result, "indicator_16-2-1.csv, fila 2", "percent_out_of_range", "Un porcentaje debe estar entre 0 y 100 (174.1)"
    )


def test_unknown_country_name(vhome, tmp_path):
    path = hotline_with(tmp_path, "pais-desconocido.csv", {1: ("Brasil;", "Atlántida;")})
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(result, "pais-desconocido.csv, fila 2", "area_unresolved", "'Atlántida' no es un país o área conocido")


def test_duplicate_rows(vhome, tmp_path):
    lines = hotline_lines()
    path = write_lines(tmp_path / "duplicadas.csv", lines + [lines[1]])
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(
        result, f"duplicadas.csv, fila {len(lines) + 1}", "duplicate_key", "misma medida, área, período", "fila 2"
    )


def test_future_year(vhome, tmp_path):
    path = hotline_with(tmp_path, "futuro.csv", {1: ("Brasil;2019;", "Brasil;2099;")})
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert_names(result, "futuro.csv, fila 2", "period_out_of_range", "El período '2099' está en el futuro")


def test_xlsx_formula_cells_without_saved_result(vhome, tmp_path):
    wb = prosecutions_workbook()
    ws = wb["datos"]
    row = find_row(ws, "Ecuador", 2019, "INVESTIGATIONS_OPENED")
    ws.cell(row, 4).value = "=1000+110"  # openpyxl saves formulas without a cached result
    path = tmp_path / "formulas.xlsx"
    wb.save(path)
    result, frame = validate(vhome, path, PROSECUTIONS, tmp_path, expect=1)
    assert_names(
        result, f"formulas.xlsx, hoja 'datos', fila {row}", "parse_error", "contiene una fórmula sin resultado guardado"
    )


def test_row_problem_in_portuguese(vhome, tmp_path):
    path = hotline_with(tmp_path, "negativo-pt.csv", {1: (";1.110;", ";-5;")})
    result, frame = validate(vhome, path, HOTLINE, tmp_path, lang="pt", expect=1)
    assert_names(result, "negativo-pt.csv, linha 2", "Uma contagem não pode ser negativa (-5)")


def test_relation_violation_convictions_above_prosecutions(vhome, tmp_path):
    wb = prosecutions_workbook()
    ws = wb["datos"]
    pros = find_row(ws, "Ecuador", 2019, "PROSECUTIONS")
    conv = find_row(ws, "Ecuador", 2019, "CONVICTIONS")
    prosecutions = ws.cell(pros, 4).value
    ws.cell(conv, 4).value = prosecutions + 40
    path = tmp_path / "condenas-mayores.xlsx"
    wb.save(path)
    result, frame = validate(vhome, path, PROSECUTIONS, tmp_path, expect=1)
    assert_names(
        result,
        f"condenas-mayores.xlsx, hoja 'datos', fila {conv}",
        "relation_order",
        f"CONVICTIONS = {prosecutions + 40} pero PROSECUTIONS = {prosecutions}",
        f"hoja 'datos', fila {pros}",
        "nunca puede superar",
    )
    assert "Filas que se cargarían: 59" in result.stdout


def test_breakdown_above_its_total(vhome, tmp_path):
    lines = [
        "PAÍS;PERÍODO;MEDIDA;VALOR;UNIDAD;SEXO",
        "Ecuador;2019;CONVICTIONS;10;NUMBER;Total",
        "Ecuador;2019;CONVICTIONS;14;NUMBER;Mujer",
        "Ecuador;2019;CONVICTIONS;3;NUMBER;Hombre",
    ]
    path = write_lines(tmp_path / "desagregado.csv", lines)
    result, frame = validate(vhome, path, PROSECUTIONS, tmp_path, expect=1)
    assert_names(result, "desagregado.csv, fila 3", "breakdown_exceeds_total", "SEX=F (14) supera su total SEX=_T (10")


def test_year_over_year_plausibility_warning(vhome, tmp_path):
    path = hotline_with(
        tmp_path,
        "salto.csv",
        {4: ("Brasil;2020;HOTLINE_REPORTS_RECEIVED;1.220;", "Brasil;2020;HOTLINE_REPORTS_RECEIVED;99.000;")},
    )
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=0)  # warnings do not fail
    assert_names(
        result,
        "salto.csv, fila 5",
        "yoy_change",
        "pasó de 1110 en 2019",
        "a 99000 en 2020",
        "Filas que se cargarían: 60",
        "Sin errores, con advertencias",
    )
    assert problem(frame, "yoy_change")["severity"] == "warning"


def test_unknown_source_id(vhome, tmp_path):
    result = run_clac(vhome, "validate", str(HOTLINE_CSV), "--source", "lineas_typo", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "'lineas_typo' no es una fuente conocida" in result.stderr and HOTLINE in result.stderr
    result = run_clac(vhome, "ingest", str(HOTLINE_CSV), "--source", "lineas_typo", check=False)
    assert result.returncode != 0 and "Traceback" not in result.stdout + result.stderr
    assert "unknown source id 'lineas_typo'" in result.stderr


def test_a_clean_file_passes_and_reports_are_written(vhome, tmp_path):
    before = sha(vhome / "warehouse.duckdb")
    result, frame = validate(vhome, HOTLINE_CSV, HOTLINE, tmp_path, expect=0)
    assert_names(result, "Sin errores: el archivo puede enviarse.")
    html = (tmp_path / "report" / f"{HOTLINE_CSV.name}.validation.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html and "Informe de validación" in html
    assert sha(vhome / "warehouse.duckdb") == before  # validate never writes the warehouse


# --------------------------------------------------------------------------- formula injection

FORMULA_TEXT = {
    1: ("Brasil;", "=1+2;"),
    2: (";111;", ";+1+1;"),
    4: (";HOTLINE_REPORTS_RECEIVED;", ";@SUM(1);"),
    7: (";2021;", ";-2+3;"),
}


def test_formula_like_text_is_escaped_in_the_validation_report(vhome, tmp_path):
    path = hotline_with(tmp_path, "formulas-texto.csv", FORMULA_TEXT)
    result, frame = validate(vhome, path, HOTLINE, tmp_path, expect=1)
    assert {"area_unresolved", "parse_error", "measure_unknown", "period_invalid"} <= set(frame["rule"])
    no_formula_cells((tmp_path / "report" / "formulas-texto.csv.validation.csv").read_text(encoding="utf-8"))
    html = (tmp_path / "report" / "formulas-texto.csv.validation.html").read_text(encoding="utf-8")
    assert "<td><code>=1+2</code></td>" in html  # shown as text, in an HTML page that runs nothing


def test_formula_like_text_is_escaped_in_exports_after_ingest(built_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    path = hotline_with(tmp_path, "formulas-ingeridas.csv", FORMULA_TEXT)
    result = run_clac(home, "ingest", str(path), "--source", HOTLINE, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for what in ("quarantine", "observations", "warnings"):
        out = tmp_path / f"{what}.csv"
        run_clac(home, "export", what, "--format", "csv", "--out", str(out))
        no_formula_cells(out.read_text(encoding="utf-8"))
    quarantine = pd.read_csv(tmp_path / "quarantine.csv", dtype=str, keep_default_na=False)
    mine = quarantine[quarantine["VALUE"].isin(["'=1+2", "'+1+1", "'@SUM(1)", "'-2+3"])]
    assert set(mine["RULE"]) == {"area_unresolved", "parse_error", "measure_unknown", "period_invalid"}
    assert mine["DETAIL"].str.len().gt(0).all()


# --------------------------------------------------------------------------- refused by `clac ingest`


def _empty(tmp_path):
    path = tmp_path / "vacio.csv"
    path.write_bytes(b"")
    return path, HOTLINE


def _header_only(tmp_path):
    return write_lines(tmp_path / "solo-encabezado.csv", hotline_lines()[:1]), HOTLINE


def _truncated_pdf(tmp_path):
    path = tmp_path / "2019-cybertipline-reports-by-country.pdf"
    path.write_bytes(NCMEC_2019.read_bytes()[: NCMEC_2019.stat().st_size // 2])
    return path, NCMEC


def _not_the_report(tmp_path):
    path = tmp_path / "presupuesto.pdf"
    path.write_bytes(make_pdf([(72, 700, "Quarterly budget summary")]))
    return path, NCMEC


def _corrupt_xlsx(tmp_path):
    path = tmp_path / "danado.xlsx"
    path.write_bytes(PROSECUTIONS_XLSX.read_bytes()[:900])
    return path, PROSECUTIONS


def _encrypted_xlsx(tmp_path):
    path = tmp_path / "con-clave.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le"))
    return path, PROSECUTIONS


def _too_large(tmp_path):
    path = tmp_path / "enorme.csv"
    with path.open("wb") as handle:
        handle.truncate(51 * 1024 * 1024)
    return path, HOTLINE


@pytest.fixture(scope="module")
def exports_before(built_home, tmp_path_factory):
    """The outputs of the built warehouse, exported once from a copy."""
    home = tmp_path_factory.mktemp("before") / "home"
    shutil.copytree(built_home, home)
    out = {}
    for what in ("observations", "quarantine"):
        path = home.parent / f"{what}.csv"
        run_clac(home, "export", what, "--format", "csv", "--out", str(path))
        out[what] = path.read_bytes()
    return out


@pytest.mark.parametrize(
    "make", [_empty, _header_only, _truncated_pdf, _not_the_report, _corrupt_xlsx, _encrypted_xlsx, _too_large]
)
def test_refused_file_leaves_warehouse_and_outputs_byte_identical(built_home, exports_before, tmp_path, make):
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    path, source = make(tmp_path)
    before = sha(home / "warehouse.duckdb")
    result = run_clac(home, "ingest", str(path), "--source", source, check=False)
    both = result.stdout + result.stderr
    assert result.returncode == 1, both
    assert "Traceback" not in both and path.name in result.stderr and "What to do" in result.stderr
    assert sha(home / "warehouse.duckdb") == before
    for what, content in exports_before.items():
        out = tmp_path / f"{what}.csv"
        run_clac(home, "export", what, "--format", "csv", "--out", str(out))
        assert out.read_bytes() == content, what
