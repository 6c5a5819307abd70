"""Intake of quarterly reports on a throw-away warehouse (no Dagster): row checks with a
message per row in the submitter's language, whole-file refusals, supersession, status.

Workbooks are made with the real template builder and filled programmatically; the
"bad" cells are written the way a person would get them wrong (a typed value instead
of a dropdown choice, a date in the wrong quarter, a blank required cell, contact
details in a description). Fake personal data lives in this test file only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from sources import quarterly_reporting as reporting
from sources.catalogue import load_catalogue
from sources.harmonise.areas import default_resolver
from sources.quarterly.template import build_template, fill_workbook, workbook_bytes
from sources.quarterly_intake import conservation_failures, ingest_report, render_quarantine_message
from warehouse import tables as wh

D = dt.date
ENTRY = load_catalogue()["wg_quarterly_report"]
FAKE_PHONE_BR = "+55 11 91234-5678"
FAKE_EMAIL = "persona@ejemplo.invalid"
FAKE_CPF = "123.456.789-09"


def good_activity(**change):
    row = dict(
        goal="6",
        country="ARG",
        scope="in_country",
        status="implemented",
        date=D(2026, 8, 12),
        capability="20",
        people_reached=2500,
        description="SYNTHETIC: taller escolar (Objetivo 6, 2.500 personas)",
    )
    row.update(change)
    return row


def make(tmp: Path, name: str, group: str, quarter: str, lang: str, rows: dict, *, submitted=None, edit=None) -> Path:
    wb = build_template(group, quarter, lang)
    fill_workbook(wb, rows, lang=lang, submitted_on=submitted)
    if edit:
        edit(wb)
    path = tmp / name
    path.write_bytes(workbook_bytes(wb))
    return path


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAC_HOME", str(tmp_path / "home"))
    db = tmp_path / "home" / "warehouse.duckdb"
    with wh.connect(db) as con:
        yield con, db


def ingest(warehouse, path):
    con, db = warehouse
    return ingest_report(con, path, ENTRY, resolve_area=default_resolver().resolve, db_path=db)


def quarantine(con, file_id):
    return con.execute(
        """SELECT LOC_SHEET, LOC_ROW, COLUMN_NAME, RULE, VALUE, MESSAGE, ROW_JSON
                          FROM staging.quarantine WHERE FILE_ID = ? ORDER BY LOC_SHEET, LOC_ROW""",
        [file_id],
    ).fetchall()


BAD_ROWS_ES = {
    "activities": [
        good_activity(),  # row 3: kept
        good_activity(status="Implementadísima"),  # row 4: edited dropdown
        good_activity(date=D(2026, 6, 30)),  # row 5: before the quarter
        good_activity(description=None),  # row 6: blank required
        good_activity(description=f"SYNTHETIC: llamar al {FAKE_PHONE_BR} o escribir a {FAKE_EMAIL}"),  # row 7
        good_activity(country="Narnia"),  # row 8: unknown country
        good_activity(country="REGIONAL", scope="in_country"),  # row 9: regional but in-country
        good_activity(
            country="Brasil",
            scope="Regional",
            goal="Objetivo 7",  # row 10: kept (labels typed)
            status="Implemented",
            capability="Educação e alcance",
        ),
        good_activity(status="planned", date=D(2026, 12, 1)),  # row 11: kept (planned, later)
    ],
    "policies": [
        dict(
            goal="3",
            country="CHL",
            policy_type="in_country",
            date=D(2026, 9, 30),
            description="SYNTHETIC: protocolo nacional (inventado)",
        ),  # row 3: kept
        dict(
            goal="3",
            country="CHL",
            policy_type="in_country",
            date=D(2026, 10, 1),
            description=f"SYNTHETIC: CPF {FAKE_CPF}",
        ),  # row 4: two problems
    ],
    "legislative": [
        dict(
            country="URY",
            stage="passed",
            date=D(2026, 7, 20),
            instrument="SYNTHETIC: Ley 27.590 y Lei 14.811/2024",
            ncmec_position="ai_generated_csam",
            alignment="partial",
            source_reference="SYNTHETIC: Diario Oficial, 2026-07-20",
        ),  # row 3: kept
        dict(
            country="REGIONAL",
            stage="passed",
            date=D(2026, 7, 20),
            instrument="SYNTHETIC: Ley 99.1",
            source_reference="SYNTHETIC: Diario Oficial",
        ),  # row 4: regional not allowed
        dict(
            country="URY",
            stage="passed",
            date=D(2026, 7, 20),
            instrument="SYNTHETIC: Ley 99.2",
            ncmec_position="ai_generated_csam",
            source_reference="SYNTHETIC: expediente 123/2024",
        ),  # row 5
    ],
}


def test_bad_rows_get_a_spanish_message_each_and_the_rest_is_kept(warehouse, tmp_path):
    con, _ = warehouse
    path = make(tmp_path, "prevention_awareness_2026-Q3.xlsx", "prevention_awareness", "2026-Q3", "es", BAD_ROWS_ES)
    result = ingest(warehouse, path)
    assert result.status == "staged"
    assert (result.rows_read, result.rows_staged, result.rows_quarantined) == (14, 5, 9)
    assert conservation_failures(con) == []
    rows = {
        (sheet, row): (column, rule, value, message, json.loads(row_json))
        for sheet, row, column, rule, value, message, row_json in quarantine(con, result.file_id)
    }
    assert sorted(rows) == [("Actividades", r) for r in (4, 5, 6, 7, 8, 9)] + [
        ("Avances legislativos", 4),
        ("Avances legislativos", 5),
        ("Políticas", 4),
    ]

    column, rule, value, message, _ = rows[("Actividades", 4)]
    assert (column, rule, value) == ("Estado", "wg_code_unknown", "Implementadísima")
    assert message.startswith("«Implementadísima» en «Estado» no es una opción de la lista.")
    column, rule, value, message, _ = rows[("Actividades", 5)]
    assert (rule, value) == ("wg_date_outside_quarter", "2026-06-30")
    assert "está fuera del trimestre 2026-Q3 (2026-07-01 – 2026-09-30)" in message
    column, rule, _, message, _ = rows[("Actividades", 6)]
    assert (column, rule) == ("Descripción", "wg_required_blank")
    assert message == "La columna «Descripción» es obligatoria y está vacía."
    column, rule, value, message, row_json = rows[("Actividades", 7)]
    assert (column, rule) == ("Descripción", "wg_personal_data")
    assert value == "phone@22-38;email@53-75"
    assert "parece contener datos personales (número de telefono".replace("telefono", "teléfono") in message
    assert "correo electrónico, caracteres 53–75" in message
    assert row_json["values"]["description"] == "[withheld: phone@22-38;email@53-75]"
    assert rows[("Actividades", 8)][1] == "wg_country_unknown"
    assert "«Narnia» en «País (o Regional)» no es un país conocido" in rows[("Actividades", 8)][3]
    assert rows[("Actividades", 9)][1] == "wg_scope_mismatch"
    assert "el alcance es «En el país»" in rows[("Actividades", 9)][3]
    assert rows[("Avances legislativos", 4)][1] == "wg_regional_not_allowed"
    _, rule, value, message, _ = rows[("Avances legislativos", 5)]
    assert (rule, value) == ("wg_personal_data", "case_number@23-30")
    assert "número de expediente o de caso" in message and "La posición de política de NCMEC y la alineación" in message
    _, rule, value, message, _ = rows[("Políticas", 4)]
    assert rule == "wg_personal_data" and value == "national_id@16-29"
    assert " · " in message and "fuera del trimestre" in message  # both problems of the row, one message

    # the matched personal data is nowhere in the warehouse
    dump = json.dumps(con.execute("SELECT * FROM staging.quarantine").fetchall(), default=str)
    for secret in (FAKE_PHONE_BR, FAKE_EMAIL, FAKE_CPF, "123/2024"):
        assert secret not in dump
    # kept rows, with codes, whatever language the cell was written in
    kept = con.execute("""SELECT LOC_ROW, GOAL, REF_AREA, SCOPE, STATUS, CAPABILITY, PEOPLE_REACHED, IS_REGIONAL
                          FROM staging.wg_activities ORDER BY LOC_ROW""").fetchall()
    assert kept == [
        (3, 6, "ARG", "in_country", "implemented", 20, 2500, False),
        (10, 7, "BRA", "regional", "implemented", 20, 2500, False),
        (11, 6, "ARG", "in_country", "planned", 20, 2500, False),
    ]
    assert con.execute("SELECT INSTRUMENT FROM staging.wg_legislative_advances").fetchall() == [
        ("SYNTHETIC: Ley 27.590 y Lei 14.811/2024",)
    ]
    assert con.execute("SELECT count(*) FROM staging.wg_policies").fetchall() == [(1,)]


def test_messages_follow_the_workbook_language_and_can_be_rendered_in_another(warehouse, tmp_path):
    con, _ = warehouse
    rows = {
        "activities": [
            good_activity(status="Implementadísima"),
            good_activity(description=f"SYNTHETIC: ligar {FAKE_PHONE_BR}"),
        ]
    }
    path = make(tmp_path, "hotlines_2026-Q3.xlsx", "hotlines", "2026-Q3", "pt", rows)
    result = ingest(warehouse, path)
    got = quarantine(con, result.file_id)
    assert [(r[1], r[3]) for r in got] == [(3, "wg_code_unknown"), (4, "wg_personal_data")]
    assert got[0][5].startswith("«Implementadísima» em «Situação» não é uma opção da lista.")
    assert got[1][5].startswith("«Descrição» parece conter dados pessoais (número de telefone, caracteres 18–34).")
    assert render_quarantine_message(got[1][6], "en").startswith(
        "«Description» seems to contain personal data (phone number, characters 18–34)."
    )
    assert render_quarantine_message(got[0][6], "es").startswith("«Implementadísima» en «Estado» no es una opción")


def _set_meta(row: int, value: str):
    def edit(wb):
        wb["_metadata"].cell(row=row, column=2, value=value)

    return edit


def _set_cover_quarter(value: str):
    def edit(wb):
        wb[wb.sheetnames[1]]["B5"] = value

    return edit


@pytest.mark.parametrize(
    "name, lang, edit, rule_words",
    [
        (
            "hotlines_2026-Q3.xlsx",
            "pt",
            _set_meta(1, "2025.9"),
            "a versão do modelo é «2025.9», mas o observatório lê a versão 2026.1.",
        ),
        (
            "hotlines_2026-Q3.xlsx",
            "es",
            _set_cover_quarter("2026-Q4"),
            "el trimestre de la hoja «Informe» (2026-Q4) no coincide con el trimestre para el que se hizo la plantilla (2026-Q3).",
        ),
        (
            "hotlines_2026-Q2.xlsx",
            "en",
            None,
            "the file name says quarter 2026-Q2, but the workbook is for quarter 2026-Q3.",
        ),
        (
            "hotlines_2026-Q3.xlsx",
            "en",
            _set_meta(2, "hotline"),
            "the working group «hotline» recorded in the workbook is unknown",
        ),
        (
            "hotlines_2026-Q3.xlsx",
            "es",
            _set_meta(3, "2026-Q7"),
            "el trimestre «2026-Q7» registrado en el libro no es un trimestre como 2026-Q3.",
        ),
    ],
)
def test_whole_file_problems_refuse_the_file_in_the_submitters_language(
    warehouse, tmp_path, name, lang, edit, rule_words
):
    con, _ = warehouse
    path = make(tmp_path, name, "hotlines", "2026-Q3", lang, {"activities": [good_activity()]}, edit=edit)
    result = ingest(warehouse, path)
    assert result.status == "rejected"
    assert rule_words in result.message, result.message
    assert {"es": "Qué hacer:", "en": "What to do:", "pt": "O que fazer:"}[lang] in result.message
    assert con.execute("SELECT count(*) FROM raw.files").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM staging.wg_activities").fetchall() == [(0,)]
    kept = list((tmp_path / "home" / "rejected").glob(f"*/{name}"))
    assert len(kept) == 1


def test_a_workbook_that_is_not_a_template_is_refused(warehouse, tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "SYNTHETIC: a spreadsheet of some other kind"
    path = tmp_path / "otra-planilla.xlsx"
    wb.save(path)
    result = ingest(warehouse, path)
    assert result.status == "rejected"
    assert "no es una plantilla de informe trimestral del observatorio CLAC" in result.message
    text = tmp_path / "not-a-workbook.xlsx"
    text.write_text("SYNTHETIC: plain text", encoding="utf-8")
    assert "no se puede abrir como libro de Excel" in ingest(warehouse, text).message


def test_a_resubmission_supersedes_the_earlier_report_and_keeps_it_as_history(warehouse, tmp_path):
    con, _ = warehouse
    first = make(
        tmp_path,
        "law_enforcement_2026-Q3.xlsx",
        "law_enforcement",
        "2026-Q3",
        "es",
        {"activities": [good_activity(goal="3"), good_activity(goal="4", country="COL")]},
    )
    second = make(
        tmp_path,
        "law_enforcement_2026-Q3-corregido.xlsx",
        "law_enforcement",
        "2026-Q3",
        "es",
        {"activities": [good_activity(goal="3", people_reached=2600)]},
    )
    other_quarter = make(
        tmp_path,
        "law_enforcement_2026-Q2.xlsx",
        "law_enforcement",
        "2026-Q2",
        "es",
        {"activities": [good_activity(goal="3", date=D(2026, 5, 5))]},
    )
    r1, r3, r2 = ingest(warehouse, first), ingest(warehouse, other_quarter), ingest(warehouse, second)
    assert r2.superseded == [r1.file_id] and r3.superseded == []
    parses = dict(con.execute("SELECT FILE_ID, SUPERSEDED_BY FROM raw.parses").fetchall())
    assert parses == {r1.file_id: r2.file_id, r2.file_id: None, r3.file_id: None}
    assert con.execute("SELECT count(*) FROM staging.wg_activities").fetchall() == [(4,)]  # history kept
    reporting.build_report_marts(con)
    current = con.execute(
        "SELECT QUARTER, FILE_ID, GOAL, PEOPLE_REACHED FROM marts.wg_activities ORDER BY QUARTER"
    ).fetchall()
    assert current == [("2026-Q2", r3.file_id, 3, 2500), ("2026-Q3", r2.file_id, 3, 2600)]
    # an identical file again: nothing new
    assert ingest(warehouse, second).status == "unchanged"
    # timeliness counts the first receipt of the slot; both files count as submissions
    reporting.build_reporting_status(con, as_of=D(2026, 11, 20))
    row = con.execute("""SELECT STATUS, SUBMISSIONS, CURRENT_FILE_ID, RECEIVED_BASIS FROM marts.reporting_status
                         WHERE WORKING_GROUP = 'law_enforcement' AND QUARTER = '2026-Q3'""").fetchall()
    assert row == [("late", 2, r2.file_id, "received_at")]  # received in November, due 2026-10-30


def test_status_against_the_due_date():
    due = D(2026, 10, 30)
    assert reporting.status_for(D(2026, 10, 30), due, D(2026, 12, 1)) == "on_time"
    assert reporting.status_for(D(2026, 10, 31), due, D(2026, 12, 1)) == "late"
    assert reporting.status_for(None, due, D(2026, 10, 31)) == "missing"
    assert reporting.status_for(None, due, D(2026, 10, 30)) == "pending"
    quarters = [q.label for q in reporting.expected_quarters(D(2026, 1, 15))]
    assert quarters == ["2025-Q3", "2025-Q4"]
    assert [q.label for q in reporting.expected_quarters(D(2026, 1, 15), ["2026-Q1"])][-1] == "2026-Q1"


def test_personal_data_in_numeric_or_metadata_cells_is_never_echoed(warehouse, tmp_path):
    con, _ = warehouse
    path = make(
        tmp_path,
        "hotlines_2026-Q3.xlsx",
        "hotlines",
        "2026-Q3",
        "es",
        {"activities": [good_activity(people_reached=11912345678)]},
    )
    result = ingest(warehouse, path)
    (row,) = quarantine(con, result.file_id)
    assert (row[2], row[3], row[4]) == ("Personas alcanzadas", "wg_personal_data", "phone@1-11")
    assert "11912345678" not in json.dumps(row)
    refused = make(
        tmp_path,
        "hotlines-informe.xlsx",
        "hotlines",
        "2026-Q3",
        "es",
        {},
        edit=_set_cover_quarter(f"2026-Q3 {FAKE_EMAIL}"),
    )
    result = ingest(warehouse, refused)
    assert result.status == "rejected" and "[withheld]" in result.message and FAKE_EMAIL not in result.message
