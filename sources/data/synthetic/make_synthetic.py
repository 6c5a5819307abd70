"""Generate the SYNTHETIC example files of the generic observations template.

    python sources/data/synthetic/make_synthetic.py

writes, next to this script:

* ``hotline-reports-SYNTHETIC.csv``: semicolon-delimited, decimal comma, UTF-8 with
  BOM, country names in Spanish/Portuguese, 2019-2023;
* ``prosecutions-SYNTHETIC.xlsx``: a notice sheet, then a "datos" sheet with a
  merged title row above a Spanish header, 2019-2023.

Every figure is INVENTED and deliberately patterned (1110, 1220, 1330 ...; multiples
of 111) so that nobody can mistake it for a published statistic; every row's comment
says so. The output is byte-for-byte deterministic (fixed workbook dates and ZIP
timestamps), so re-running the script changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

from sources.xlsx_bytes import deterministic_xlsx


HERE = Path(__file__).resolve().parent
COMMENT = "SYNTHETIC: invented for testing, not a real statistic"
YEARS = [2019, 2020, 2021, 2022, 2023]
FIXED_DATE = dt.datetime(2024, 1, 1, 0, 0, 0)

# --------------------------------------------------------------------------- hotline CSV
HOTLINE_COUNTRIES = ["Brasil", "México", "Perú", "República Dominicana"]


def _thousands(n: int) -> str:
    """1110 -> '1.110' (dot as thousands separator, the decimal-comma convention)."""
    return f"{n:,}".replace(",", ".")


def hotline_rows() -> list[list[str]]:
    rows = []
    for i, country in enumerate(HOTLINE_COUNTRIES, start=1):
        for k, year in enumerate(YEARS):
            received = i * (1110 + 110 * k)           # 1110, 1220, 1330, 1440, 1550 (x i)
            illegal = i * 111 * (k + 1)               # 111, 222, 333, 444, 555 (x i)
            days = i + 0.5 * (4 - k)                  # i+2,0  i+1,5  i+1,0  i+0,5  i+0,0
            rows.append([country, str(year), "HOTLINE_REPORTS_RECEIVED", _thousands(received), "NUMBER", COMMENT])
            rows.append([country, str(year), "HOTLINE_REPORTS_ASSESSED_ILLEGAL", _thousands(illegal), "NUMBER",
                         COMMENT])
            rows.append([country, str(year), "HOTLINE_TAKEDOWN_MEDIAN_DAYS", f"{days:.1f}".replace(".", ","),
                         "DAYS", COMMENT])
    return rows


def write_hotline_csv(path: Path) -> None:
    header = ["REF_AREA", "TIME_PERIOD", "MEASURE", "OBS_VALUE", "UNIT_MEASURE", "COMMENT"]
    lines = [";".join(header)] + [";".join(r) for r in hotline_rows()]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))


# --------------------------------------------------------------------------- prosecutions XLSX
#: country -> (investigations, prosecutions, convictions) per year 2019..2023;
#: convictions <= prosecutions <= investigations in every year.
PROSECUTIONS: dict[str, tuple[list[int], list[int], list[int]]] = {
    "Ecuador": ([1110, 1220, 1330, 1440, 1550], [111, 122, 133, 144, 155], [11, 12, 13, 14, 15]),
    "Guatemala": ([220, 330, 440, 550, 660], [22, 33, 44, 55, 66], [1, 2, 3, 4, 5]),
    "Panamá": ([44, 33, 22, 11, 0], [4, 3, 2, 1, 0], [2, 2, 1, 1, 0]),
    "Uruguay": ([111, 111, 111, 111, 111], [11, 11, 11, 11, 11], [0, 1, 0, 1, 0]),
}
MEASURES = ["INVESTIGATIONS_OPENED", "PROSECUTIONS", "CONVICTIONS"]
XLSX_HEADER = ["PAÍS", "PERÍODO", "MEDIDA", "VALOR", "UNIDAD", "COMENTARIO"]
TITLE = ("SINTÉTICO / SYNTHETIC: investigaciones, procesamientos y condenas inventados para pruebas; "
         "no son estadísticas reales")
TITLE_ROWS = 2   # row 1 title (merged), row 2 blank, row 3 header


def prosecution_rows() -> list[list[object]]:
    rows: list[list[object]] = []
    for country, series in PROSECUTIONS.items():
        for measure, values in zip(MEASURES, series):
            for year, value in zip(YEARS, values):
                rows.append([country, year, measure, value, "NUMBER", COMMENT])
    return rows


def _deterministic_zip(raw: bytes) -> bytes:
    return deterministic_xlsx(raw, FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ"))


def write_prosecutions_xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    notice = wb.active
    notice.title = "LÉAME"
    notice["A1"] = "SINTÉTICO / SYNTHETIC / SINTÉTICO"
    notice["A1"].font = Font(bold=True)
    notice["A2"] = "Datos inventados para probar la plantilla genérica. No son estadísticas reales."
    notice["A3"] = "Invented data to exercise the generic template. Not real statistics."
    notice["A4"] = "Dados inventados para testar o modelo genérico. Não são estatísticas reais."
    notice.column_dimensions["A"].width = 90

    ws = wb.create_sheet("datos")
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True)
    ws["A1"].alignment = Alignment(wrap_text=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(XLSX_HEADER))
    header_row = TITLE_ROWS + 1
    for col, name in enumerate(XLSX_HEADER, start=1):
        ws.cell(row=header_row, column=col, value=name).font = Font(bold=True)
    for r, row in enumerate(prosecution_rows(), start=header_row + 1):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    for letter, width in zip("ABCDEF", (14, 10, 24, 10, 10, 55)):
        ws.column_dimensions[letter].width = width

    wb.properties.creator = "CLAC observatory, sources/data/synthetic/make_synthetic.py"
    wb.properties.created = FIXED_DATE
    wb.properties.modified = FIXED_DATE
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_deterministic_zip(buffer.getvalue()))


def main() -> None:
    write_hotline_csv(HERE / "hotline-reports-SYNTHETIC.csv")
    write_prosecutions_xlsx(HERE / "prosecutions-SYNTHETIC.xlsx")


if __name__ == "__main__":
    main()
