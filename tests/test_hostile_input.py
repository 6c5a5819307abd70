"""Hostile input (issue 11): files built to hurt the readers, each with its exact expectation.

Every case is built small, at test time, from the bundled (aggregated, mostly SYNTHETIC)
files. Each is either refused whole with the file's name and the reason, or accepted with
the rows it really holds. The worst cases (a ZIP bomb workbook, a stray cell at
XFD1048576) are parsed in a child process with a timeout and their peak memory
measured. The parity test checks that `clac validate` and ingestion (plus the build's
blocking stated-total check) reach the same verdict on every case here and on the
whole-file cases of tests/test_bad_input.py.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sources.catalogue import BUNDLED_DATA_DIR, load_catalogue
from sources.feedback.report import validate_file
from tests.test_bad_input import HOTLINE, NCMEC, NCMEC_2019, hotline_lines, ingest_refuses_file, write_lines
from tests.test_parser_ncmec import make_pdf, right

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OPENSDG = "opensdg_jamaica"
QUARTERLY = "wg_quarterly_report"
QUARTERLY_XLSX = BUNDLED_DATA_DIR / "synthetic" / "quarterly" / "hotlines_2025-Q3-SYNTHETIC.xlsx"
#: the 2019 NCMEC table, as printed: total row "16,987,361"; 242 country rows
NCMEC_2019_TOTAL = 16_987_361
HEADER = "REF_AREA;TIME_PERIOD;MEASURE;OBS_VALUE;UNIT_MEASURE;COMMENT"


@pytest.fixture(scope="module")
def warehouse(built_home, tmp_path_factory) -> Path:
    """A copy of the built warehouse (validation only reads it)."""
    copy = tmp_path_factory.mktemp("hostile") / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", copy)
    return copy


def entry(source_id: str):
    return load_catalogue()[source_id]


def check(path: Path, source_id: str, warehouse: Path | None, lang: str = "en"):
    report = validate_file(path, entry(source_id), lang=lang, warehouse=warehouse)
    return report


def assert_refused(report, code: str, *needles: str) -> None:
    assert report.file_problem, f"accepted: {report.rows_read} rows, problems {[p.rule for p in report.problems]}"
    assert report.problems[0].rule == code, report.file_problem
    assert report.file_name in report.file_problem
    for needle in needles:
        assert needle in report.file_problem, report.file_problem


# --------------------------------------------------------------------------- bounded child process

PROBE = """
import json, sys, time
from pathlib import Path
from sources.catalogue import load_catalogue
from sources.ingest import parse_file
from sources.parsers.base import SourceFileError
start = time.monotonic()
try:
    parsed = parse_file(Path(sys.argv[1]), load_catalogue()[sys.argv[2]])
    out = {"rows_read": parsed.rows_read, "facts": {k: parsed.facts.get(k) for k in ("outside_cells", "hidden_sheets")}}
except SourceFileError as exc:
    out = {"refused": exc.code, "message": exc.message()}
out["seconds"] = time.monotonic() - start
# VmHWM: this program's own peak. ru_maxrss would not do: Linux carries the parent's peak
# across fork and exec, so a big pytest worker would count as this parse's memory.
status = Path("/proc/self/status").read_text()
out["max_rss_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps(out))
"""


def parse_bounded(path: Path, source_id: str, *, seconds: float = 300) -> dict:
    """Parse in a child process (killed after ``seconds``, generous: the suite's other worker
    may be building meanwhile); its result, time and peak memory."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    try:
        result = subprocess.run(
            [sys.executable, "-c", PROBE, str(path), source_id],
            capture_output=True,
            text=True,
            timeout=seconds,
            cwd=PROJECT_ROOT,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"parsing {path.name} did not end within {seconds} s (a hang)") from exc
    assert result.returncode == 0, f"the parse of {path.name} ended {result.returncode}: {result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def hotline_workbook(rows: int = 5) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "datos"
    for line in hotline_lines()[: rows + 1]:
        ws.append(line.lstrip("\ufeff").split(";"))
    return wb


def zip_bomb_xlsx(path: Path, inflated_mb: int = 300) -> Path:
    """A workbook whose sheet XML inflates to ``inflated_mb`` MB (blank padding) from a small file."""
    buffer = io.BytesIO()
    hotline_workbook().save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                with out.open(item.filename, "w") as member:  # streamed: the padding is never all in memory
                    head, tail = data.split(b"</sheetData>")
                    member.write(head)
                    block = b" " * (1 << 20)
                    for _ in range(inflated_mb):
                        member.write(block)
                    member.write(b"</sheetData>" + tail)
            else:
                out.writestr(item, data)
    return path


def test_zip_bomb_workbook_is_refused_before_it_inflates(tmp_path):
    path = zip_bomb_xlsx(tmp_path / "bomba.xlsx")
    assert path.stat().st_size < 2 * 1024 * 1024  # small on disk, 300 MB once inflated
    out = parse_bounded(path, "synthetic_prosecutions")
    assert out["refused"] == "file_unpacks_too_large", out
    assert "bomba.xlsx" in out["message"] and "xl/worksheets/sheet1.xml" in out["message"]
    assert out["max_rss_mb"] < 400, out  # refused before inflating; parse_bounded bounds the time


def test_stray_cell_at_xfd1048576_reads_the_five_rows_it_holds(tmp_path, warehouse):
    wb = hotline_workbook(5)
    wb.active["XFD1048576"] = "x"
    path = tmp_path / "cinco-filas.xlsx"
    wb.save(path)
    out = parse_bounded(path, HOTLINE)
    assert out.get("rows_read") == 5, out
    assert out["facts"]["outside_cells"] == ["XFD1048576"]
    assert out["max_rss_mb"] < 400, out  # bounded in time by parse_bounded
    report = check(path, HOTLINE, warehouse)
    assert not report.file_problem and report.rows_read == 5 and report.rows_staged == 5
    assert any("XFD1048576" in note for note in report.notes), report.notes


# --------------------------------------------------------------------------- CSV quoting


def test_unterminated_quote_in_a_comment_cell_is_refused_not_read_short(tmp_path, warehouse):
    lines = hotline_lines()
    lines[3] = lines[3].replace(";SYNTHETIC", ';"SYNTHETIC')  # opens a quote in row 4's comment
    lines[13] = lines[13] + '"'  # closed nine lines later
    path = write_lines(tmp_path / "comilla.csv", lines)
    report = check(path, HOTLINE, warehouse, lang="es")
    assert_refused(report, "file_unterminated_quote", "comilla.csv", "fila 4", "COMMENT", "10 líneas")
    assert report.rows_staged == 0


def test_quoted_comment_with_a_line_break_is_accepted(tmp_path, warehouse):
    lines = hotline_lines()
    lines[3] = lines[3].replace(
        ";SYNTHETIC: invented for testing, not a real statistic",
        ';"SYNTHETIC: invented for testing\nnot a real statistic"',
    )
    path = write_lines(tmp_path / "salto.csv", lines)
    report = check(path, HOTLINE, warehouse)
    assert not report.file_problem and report.rows_read == 60 and report.rows_staged == 60


def test_cell_longer_than_a_spreadsheet_cell_is_refused(tmp_path, warehouse):
    lines = hotline_lines()
    lines[2] = lines[2].replace(";SYNTHETIC", ';"' + "x" * 40_000 + "SYNTHETIC") + '"'
    path = write_lines(tmp_path / "celda-larga.csv", lines)
    assert_refused(check(path, HOTLINE, warehouse), "file_cell_too_long", "celda-larga.csv", "row 3", "32,767")


def test_too_many_columns_is_refused(tmp_path, warehouse):
    lines = [HEADER] + [line + ";" * 300 for line in hotline_lines()[1:]]
    path = write_lines(tmp_path / "columnas.csv", lines)
    assert_refused(check(path, HOTLINE, warehouse), "file_too_many_columns", "columnas.csv", "row 2", "306")


def test_more_rows_than_the_limit_is_refused(tmp_path, warehouse, monkeypatch):
    from sources.parsers.limits import load_limits

    monkeypatch.setitem(load_limits()["rows"], "max_rows", 10)  # the 60-row file is over a limit of 10
    path = write_lines(tmp_path / "filas.csv", hotline_lines())
    assert_refused(check(path, HOTLINE, warehouse), "file_too_many_rows", "filas.csv", "more than 10 rows")


def test_more_cells_than_the_limit_is_refused(tmp_path, warehouse, monkeypatch):
    from sources.parsers.limits import load_limits

    monkeypatch.setitem(load_limits()["rows"], "max_cells", 100)  # 61 records of 6 cells
    path = write_lines(tmp_path / "celdas.csv", hotline_lines())
    assert_refused(check(path, HOTLINE, warehouse), "file_too_many_cells", "celdas.csv", "100 cells")


def test_a_parse_past_its_deadline_is_stopped_with_the_file_named(tmp_path):
    import time

    from sources.parsers.base import SourceFileError
    from sources.parsers.limits import parse_deadline

    path = tmp_path / "lento.csv"
    start = time.monotonic()
    with pytest.raises(SourceFileError) as caught:
        with parse_deadline(path, seconds=0.2):
            time.sleep(5)  # stands for a reader stuck on a file
    assert time.monotonic() - start < 2
    assert caught.value.code == "file_too_slow" and "lento.csv" in caught.value.message()


# --------------------------------------------------------------------------- Open SDG odd numbers


def test_open_sdg_odd_numbers_are_row_errors_naming_the_file(tmp_path, warehouse):
    """The issue's ZeroDivisionError: Python reads '1e309' as infinity; an infinite rate the year
    before a real one made the year-over-year check divide by zero ("an unexpected problem")."""
    source = BUNDLED_DATA_DIR / "open-sdg-jamaica" / "data" / "indicator_16-2-2.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    assert lines[1] == '2018,Male,"Per 100,000 population",0.0'  # as published
    odd = {1: "1e309", 2: "inf", 3: "nan", 4: "5e-324", 5: "-0"}
    for index, value in odd.items():
        lines[index] = lines[index].rsplit(",", 1)[0] + "," + value
    folder = tmp_path / "data"
    folder.mkdir()
    path = write_lines(folder / "indicator_16-2-2.csv", lines)
    report = check(path, OPENSDG, warehouse, lang="es")
    assert not report.file_problem, report.file_problem
    assert report.rows_read == 35
    # 1e309, inf and nan (rows 2-4) are no figure: quarantined with the reason; 5e-324 and -0 are read
    assert report.rows_quarantined == 3 and report.rows_staged == 32
    assert [(p.where, p.value) for p in report.errors] == [("fila 2", "1e309"), ("fila 3", "inf"), ("fila 4", "nan")]
    assert all("no es un número finito" in p.message for p in report.errors)


# --------------------------------------------------------------------------- NCMEC stated totals


def ncmec_2019_rows() -> list[tuple[str, str]]:
    from sources.parsers.ncmec_pdf import parse

    rows = parse(NCMEC_2019).rows
    return list(zip(rows["AREA_RAW"], rows["VALUE_RAW"]))


def ncmec_look_alike(path: Path, rows: list[tuple[str, str]], total: int) -> Path:
    """A one-page, tall look-alike of the 2019 table: title, header, rows, total."""
    height = 16 * len(rows) + 200
    y = height - 120
    items = [
        (200, height - 52, "2019 CyberTipline Reports"),
        (250, height - 70, "by Country"),
        (100, y + 20, "Country"),
        (right(400, "Reports"), y + 20, "Reports"),
    ]
    for name, value in rows:
        items += [(100, y, name), (right(400, value), y, value)]
        y -= 16
    total_text = f"{total:,}"
    items += [(100, y - 16, "Total"), (right(400, total_text), y - 16, total_text)]
    path.write_bytes(make_pdf(items, height=height))
    return path


@pytest.fixture(scope="module")
def ncmec_rows() -> list[tuple[str, str]]:
    return ncmec_2019_rows()


def test_ncmec_look_alike_with_the_published_rows_is_accepted(tmp_path, warehouse, ncmec_rows):
    assert len(ncmec_rows) == 242
    path = ncmec_look_alike(tmp_path / "2019-look-alike.pdf", ncmec_rows, NCMEC_2019_TOTAL)
    report = check(path, NCMEC, warehouse)
    assert not report.file_problem, report.file_problem
    assert report.rows_read == 242


def test_ncmec_rows_not_adding_up_to_the_stated_total_are_refused(tmp_path, warehouse, ncmec_rows):
    path = ncmec_look_alike(tmp_path / "2019-total.pdf", ncmec_rows, NCMEC_2019_TOTAL + 1000)
    report = check(path, NCMEC, warehouse, lang="pt")
    assert_refused(report, "file_total_mismatch", "2019-total.pdf", "16,987,361", "16,988,361")


def test_ncmec_numbers_shifted_one_row_are_refused_as_implausible(tmp_path, warehouse, ncmec_rows):
    names = [name for name, _ in ncmec_rows]
    values = [value for _, value in ncmec_rows]
    shifted = list(zip(names, values[1:] + values[:1]))  # same numbers, same total, wrong countries
    path = ncmec_look_alike(tmp_path / "2019-desplazado.pdf", shifted, NCMEC_2019_TOTAL)
    report = check(path, NCMEC, warehouse, lang="es")
    assert_refused(report, "file_implausible", "2019-desplazado.pdf", "yoy_change", "mayoría")


# --------------------------------------------------------------------------- workbook structure


def test_hidden_sheet_is_named_in_the_report(tmp_path, warehouse):
    wb = hotline_workbook(5)
    secret = wb.create_sheet("Borrador")
    secret.append(["nada"])
    secret.sheet_state = "hidden"
    path = tmp_path / "oculta.xlsx"
    wb.save(path)
    report = check(path, HOTLINE, warehouse, lang="es")
    assert not report.file_problem and report.rows_read == 5
    assert any("hojas ocultas: 'Borrador'. Se leyó: 'datos'" in note for note in report.notes), report.notes


def with_member(path: Path, name: str, data: bytes, *, content_type: bytes | None = None) -> Path:
    """Rewrite a workbook with one more ZIP member (and optionally a changed content type)."""
    buffer = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            body = src.read(item.filename)
            if content_type and item.filename == "[Content_Types].xml":
                body = body.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", content_type
                )
            out.writestr(item, body)
        out.writestr(name, data)
    return path


def test_macro_enabled_workbook_renamed_xlsx_is_refused(tmp_path, warehouse):
    path = tmp_path / "macros.xlsx"
    hotline_workbook(5).save(path)
    with_member(
        path,
        "xl/vbaProject.bin",
        b"\xd0\xcf\x11\xe0 not real VBA",
        content_type=b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert_refused(check(path, HOTLINE, warehouse, lang="pt"), "file_macro_enabled", "macros.xlsx", "macros")


def test_workbook_with_external_links_is_accepted_with_a_warning_note(tmp_path, warehouse):
    path = tmp_path / "vinculos.xlsx"
    hotline_workbook(5).save(path)
    with_member(path, "xl/externalLinks/externalLink1.xml", b"<externalLink/>")
    report = check(path, HOTLINE, warehouse)
    assert not report.file_problem and report.rows_read == 5
    assert any("links to 1 other workbook" in note for note in report.notes), report.notes


def test_quarterly_workbook_hidden_sheet_and_links_are_named(tmp_path, warehouse):
    wb = openpyxl.load_workbook(QUARTERLY_XLSX)
    extra = wb.create_sheet("Notas internas")
    extra.append(["-"])
    extra.sheet_state = "hidden"
    path = tmp_path / QUARTERLY_XLSX.name
    wb.save(path)
    with_member(path, "xl/externalLinks/externalLink1.xml", b"<externalLink/>")
    report = check(path, QUARTERLY, warehouse)
    assert not report.file_problem, report.file_problem
    # the template's own hidden sheets (_metadata, _codelists) are not reported; the added one is
    hidden = [note for note in report.notes if "hidden sheets" in note]
    assert len(hidden) == 1 and "'Notas internas'" in hidden[0] and "_metadata" not in hidden[0], report.notes
    assert any("links to 1 other workbook" in note for note in report.notes), report.notes


def test_quarterly_workbook_is_validated_like_a_csv(built_home, tmp_path):
    """`clac validate --source wg_quarterly_report`: the intake's row checks, nothing written.

    Row 4 of the sheet 'Actividades' of this SYNTHETIC report for 2026-Q1 is an activity
    marked implemented on 2025-12-15 (read with openpyxl): outside the quarter.
    """
    from tests.conftest import run_clac

    path = QUARTERLY_XLSX.with_name("law_enforcement_2026-Q1-SYNTHETIC.xlsx")
    report = check(path, QUARTERLY, None)
    assert (report.rows_read, report.rows_staged, report.rows_quarantined) == (4, 3, 1)
    assert [(p.rule, p.where) for p in report.problems] == [("wg_date_outside_quarter", "sheet 'Actividades', row 4")]
    assert "2025-12-15" in report.problems[0].message and "2026-Q1" in report.problems[0].message
    result = run_clac(
        built_home, "validate", str(path), "--source", QUARTERLY, "--lang", "pt", "--out", str(tmp_path), check=False
    )
    both = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in both and "unexpected problem" not in both, both
    assert "Linhas lidas: 4" in both and "planilha 'Actividades', linha 4" in both, both


# --------------------------------------------------------------------------- parity


def test_validate_and_ingest_reach_the_same_verdict(tmp_path, warehouse, ncmec_rows):
    """The hostile files: refused by `clac validate` exactly when ingestion (and the build's
    stated-total check) refuses them. The bad-input files are compared in
    tests/test_bad_input.py's ``validate`` helper, for every case there."""
    cases: list[tuple[Path, str, bool]] = []
    lines = hotline_lines()
    quote = list(lines)
    quote[3] = quote[3].replace(";SYNTHETIC", ';"SYNTHETIC')
    quote[13] += '"'
    cases.append((write_lines(tmp_path / "comilla.csv", quote), HOTLINE, True))
    cases.append((write_lines(tmp_path / "limpio.csv", lines[:1] + lines[1:]), HOTLINE, False))
    cases.append((write_lines(tmp_path / "columnas.csv", [HEADER] + [x + ";" * 300 for x in lines[1:]]), HOTLINE, True))
    cases.append(
        (
            write_lines(tmp_path / "negativo.csv", [lines[0], lines[1].replace(";1.110;", ";-7;")] + lines[2:]),
            HOTLINE,
            False,
        )
    )  # a row error: the file is accepted, the row quarantined
    (tmp_path / "vacio.csv").write_bytes(b"")
    cases.append((tmp_path / "vacio.csv", HOTLINE, True))
    (tmp_path / "binario.csv").write_bytes(b"\x00\x01\x02" * 100)
    cases.append((tmp_path / "binario.csv", HOTLINE, True))
    cases.append((write_lines(tmp_path / "solo-encabezado.csv", [HEADER]), HOTLINE, True))
    names = [n for n, _ in ncmec_rows]
    values = [v for _, v in ncmec_rows]
    cases.append((ncmec_look_alike(tmp_path / "2019-ok.pdf", ncmec_rows, NCMEC_2019_TOTAL), NCMEC, False))
    cases.append((ncmec_look_alike(tmp_path / "2019-total.pdf", ncmec_rows, NCMEC_2019_TOTAL + 1), NCMEC, True))
    cases.append(
        (
            ncmec_look_alike(tmp_path / "2019-shift.pdf", list(zip(names, values[1:] + values[:1])), NCMEC_2019_TOTAL),
            NCMEC,
            True,
        )
    )
    (tmp_path / "truncado.pdf").write_bytes(NCMEC_2019.read_bytes()[:5000])
    cases.append((tmp_path / "truncado.pdf", NCMEC, True))
    macro = tmp_path / "macros.xlsx"
    hotline_workbook(5).save(macro)
    cases.append((with_member(macro, "xl/vbaProject.bin", b"x"), HOTLINE, True))
    stray = tmp_path / "cinco.xlsx"
    wb = hotline_workbook(5)
    wb.active["XFD1048576"] = "x"
    wb.save(stray)
    cases.append((stray, HOTLINE, False))
    cases.append((zip_bomb_xlsx(tmp_path / "bomba.xlsx", 30), HOTLINE, True))
    cases.append((QUARTERLY_XLSX.with_name("law_enforcement_2026-Q1-SYNTHETIC.xlsx"), QUARTERLY, False))
    quarterly_macro = tmp_path / QUARTERLY_XLSX.name
    shutil.copyfile(QUARTERLY_XLSX, quarterly_macro)
    cases.append((with_member(quarterly_macro, "xl/vbaProject.bin", b"x"), QUARTERLY, True))
    not_template = tmp_path / "no-plantilla.xlsx"
    hotline_workbook(5).save(not_template)
    cases.append((not_template, QUARTERLY, True))
    seen = []
    for i, (path, source_id, expected) in enumerate(cases):
        validate_refuses = bool(check(path, source_id, warehouse).file_problem)
        ingest_refuses = ingest_refuses_file(path, source_id, warehouse, tmp_path / f"w{i}")
        seen.append((path.name, validate_refuses, ingest_refuses, expected))
    assert all(v == i == e for _, v, i, e in seen), seen


def test_clac_ingest_refuses_a_file_off_its_stated_total_before_the_build(built_home, tmp_path, ncmec_rows):
    """The real command: refused with the reason validate gives, the warehouse byte-identical."""
    import hashlib

    from tests.conftest import run_clac

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    before = hashlib.sha256((home / "warehouse.duckdb").read_bytes()).hexdigest()
    path = ncmec_look_alike(tmp_path / "2019-total.pdf", ncmec_rows, NCMEC_2019_TOTAL + 1000)
    result = run_clac(home, "ingest", str(path), "--source", NCMEC, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2019-total.pdf: the rows do not add up to the total the document states" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert hashlib.sha256((home / "warehouse.duckdb").read_bytes()).hexdigest() == before
    assert len(list((home / "rejected").glob("*/2019-total.pdf"))) == 1
