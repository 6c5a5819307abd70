"""Generate the generic observations template (.xlsx and header-only .csv).

    python sources/templates/make_generic_template.py

writes ``generic-observations-template.xlsx`` (a "data" sheet with the header row and
an "instructions" sheet describing every column in Spanish, English and Portuguese)
and ``generic-observations-template.csv`` (the header row only) next to this script.
The column list is the parser's (``sources.parsers.generic_table.TEMPLATE_COLUMNS``).
Output is deterministic (fixed workbook dates and ZIP timestamps).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill

from sources.xlsx_bytes import deterministic_xlsx

HERE = Path(__file__).resolve().parent
FIXED_DATE = dt.datetime(2024, 1, 1, 0, 0, 0)

COLUMNS = [
    "REF_AREA",
    "TIME_PERIOD",
    "MEASURE",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "SEX",
    "AGE",
    "DISAGGREGATION",
    "OBS_STATUS",
    "COMMENT",
]
REQUIRED = set(COLUMNS[:5])

#: column -> (Spanish, English, Portuguese, example)
DESCRIPTIONS: dict[str, tuple[str, str, str, str]] = {
    "REF_AREA": (
        "País o área: nombre en español, inglés o portugués, o código ISO (BRA). Encabezado aceptado: PAÍS.",
        "Country or area: name in Spanish, English or Portuguese, or ISO code (BRA).",
        "País ou área: nome em espanhol, inglês ou português, ou código ISO (BRA). Cabeçalho aceito: PAÍS.",
        "Brasil",
    ),
    "TIME_PERIOD": (
        "Período: año (2023), trimestre (2023-Q3), año fiscal (2022/23) o rango (2020-2021). También: PERÍODO.",
        "Period: year (2023), quarter (2023-Q3), fiscal year (2022/23) or range (2020-2021).",
        "Período: ano (2023), trimestre (2023-Q3), ano fiscal (2022/23) ou intervalo (2020-2021). Também: PERÍODO.",
        "2023",
    ),
    "MEASURE": (
        "Código de la medida, de la lista del observatorio (p. ej. CONVICTIONS). También: MEDIDA.",
        "Measure code from the observatory's list (e.g. CONVICTIONS).",
        "Código da medida, da lista do observatório (ex. CONVICTIONS). Também: MEDIDA.",
        "HOTLINE_REPORTS_RECEIVED",
    ),
    "OBS_VALUE": (
        "La cifra, solo dígitos. Decimales con coma o punto (12,5 o 12.5); sin separador de miles "
        "o con ambos separadores (1.234,5). 1.234 solo es ambiguo. También: VALOR.",
        "The figure, digits only. Decimals with a comma or a point (12,5 or 12.5); no thousands separator, "
        "or both separators (1,234.5). A lone 1.234 is ambiguous.",
        "O número, só dígitos. Decimais com vírgula ou ponto (12,5 ou 12.5); sem separador de milhar "
        "ou com ambos (1.234,5). 1.234 sozinho é ambíguo. Também: VALOR.",
        "1234",
    ),
    "UNIT_MEASURE": (
        "Unidad: NUMBER (número), PERCENT (porcentaje), DAYS (días), PER_100000_POP. También: UNIDAD.",
        "Unit: NUMBER, PERCENT, DAYS, PER_100000_POP.",
        "Unidade: NUMBER (número), PERCENT (porcentagem), DAYS (dias), PER_100000_POP. Também: UNIDADE.",
        "NUMBER",
    ),
    "SEX": (
        "Opcional. _T total, F mujeres, M hombres (o Total/Mujer/Hombre). Vacío = total. También: SEXO.",
        "Optional. _T total, F female, M male (or Total/Female/Male). Blank = total.",
        "Opcional. _T total, F mulheres, M homens (ou Total/Mulher/Homem). Vazio = total. Também: SEXO.",
        "_T",
    ),
    "AGE": (
        "Opcional. Rango de edad (0-17, 18+) o código (Y_LT18, _T). Vacío = todas las edades. También: EDAD.",
        "Optional. Age band (0-17, 18+) or code (Y_LT18, _T). Blank = all ages.",
        "Opcional. Faixa etária (0-17, 18+) ou código (Y_LT18, _T). Vazio = todas as idades. Também: IDADE.",
        "Y_LT18",
    ),
    "DISAGGREGATION": (
        "Opcional. Otras desagregaciones: Clave=Valor, varias unidas con | (Región=Norte|Tipo=X).",
        "Optional. Other breakdowns: Key=Value, several joined by | (Region=North|Type=X).",
        "Opcional. Outras desagregações: Chave=Valor, várias unidas por | (Região=Norte|Tipo=X).",
        "",
    ),
    "OBS_STATUS": (
        "Opcional. A normal, E estimado, P provisional. Vacío = normal. También: ESTADO.",
        "Optional. A normal, E estimated, P provisional. Blank = normal.",
        "Opcional. A normal, E estimado, P provisório. Vazio = normal. Também: SITUAÇÃO.",
        "P",
    ),
    "COMMENT": (
        "Opcional. Nota libre sobre la cifra (nunca datos personales). También: COMENTARIO.",
        "Optional. Free note about the figure (never personal data).",
        "Opcional. Nota livre sobre o número (nunca dados pessoais). Também: COMENTÁRIO.",
        "",
    ),
}

GENERAL = [
    (
        "es",
        "Una fila por cifra. Solo datos agregados: nunca contenido, nombres ni datos personales. "
        "La hoja 'data' debe tener el encabezado en la primera fila (puede haber filas de título encima).",
    ),
    (
        "en",
        "One row per figure. Aggregated statistics only: never content, names or personal data. "
        "The 'data' sheet holds the header row (title rows above it are allowed).",
    ),
    (
        "pt",
        "Uma linha por número. Só dados agregados: nunca conteúdo, nomes ou dados pessoais. "
        "A planilha 'data' contém a linha de cabeçalho (linhas de título acima são permitidas).",
    ),
]


def _deterministic_zip(raw: bytes) -> bytes:
    return deterministic_xlsx(raw, FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ"))


def write_xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "data"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, name in enumerate(COLUMNS, start=1):
        cell = data.cell(row=1, column=col, value=name)
        cell.font = bold
        if name in REQUIRED:
            cell.fill = fill
        data.column_dimensions[cell.column_letter].width = max(14, len(name) + 4)
    data.freeze_panes = "A2"

    info = wb.create_sheet("instructions")
    row = 1
    for lang, text in GENERAL:
        info.cell(row=row, column=1, value=lang).font = bold
        info.cell(row=row, column=2, value=text).alignment = Alignment(wrap_text=True, vertical="top")
        info.merge_cells(start_row=row, start_column=2, end_row=row, end_column=6)
        info.row_dimensions[row].height = 32
        row += 1
    row += 1
    head = [
        "Columna / Column / Coluna",
        "Obligatoria / Required / Obrigatória",
        "Español",
        "English",
        "Português",
        "Ejemplo / Example / Exemplo",
    ]
    for col, text in enumerate(head, start=1):
        info.cell(row=row, column=col, value=text).font = bold
    for name in COLUMNS:
        row += 1
        es, en, pt, example = DESCRIPTIONS[name]
        required = "sí / yes / sim" if name in REQUIRED else "no / no / não"
        for col, text in enumerate([name, required, es, en, pt, example], start=1):
            cell = info.cell(row=row, column=col, value=text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.data_type = "s"
    for letter, width in zip("ABCDEF", (18, 16, 50, 50, 50, 26)):
        info.column_dimensions[letter].width = width

    wb.properties.creator = "CLAC observatory, sources/templates/make_generic_template.py"
    wb.properties.created = FIXED_DATE
    wb.properties.modified = FIXED_DATE
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_deterministic_zip(buffer.getvalue()))


def write_csv(path: Path) -> None:
    path.write_bytes((",".join(COLUMNS) + "\r\n").encode("utf-8"))


def main() -> None:
    write_xlsx(HERE / "generic-observations-template.xlsx")
    write_csv(HERE / "generic-observations-template.csv")


if __name__ == "__main__":
    main()
