"""`clac template`: the quarterly report workbook, read back with openpyxl.

Dropdowns are data validations of type list whose source is a range of the hidden sheet
``_codelists``; the labels there, the sheet names and the headers are in the chosen
language; the template version, working group and quarter are recorded (hidden
``_metadata`` sheet and defined names) for intake to check.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sources.harmonise.areas import default_resolver
from sources.quarterly.codelists import load_codelist, workbook_lists
from sources.quarterly.template import (
    country_options,
    parse_quarter,
    quarter_in_filename,
    template_version,
)
from tests.conftest import run_clac

# Expected, per language: sheet names, the first activities headers, status labels, and a
# phrase of the "aggregated only, no personal data" statement of the instructions.
EXPECTED = {
    "es": {
        "sheets": [
            "Instrucciones",
            "Informe",
            "Actividades",
            "Políticas",
            "Avances legislativos",
            "_codelists",
            "_metadata",
        ],
        "headers": ["Objetivo de política *", "País (o Regional) *", "Alcance *", "Estado *", "Fecha *"],
        "status": ["Implementada", "Planificada"],
        "goal3": "3 — Desarrollar o fortalecer guías, protocolos y procedimientos de respuesta",
        "regional": "Regional",
        "statement": ["SOLO INFORMACIÓN AGREGADA", "NO INCLUYA DATOS PERSONALES"],
    },
    "en": {
        "sheets": [
            "Instructions",
            "Report",
            "Activities",
            "Policies",
            "Legislative advances",
            "_codelists",
            "_metadata",
        ],
        "headers": ["Policy goal *", "Country (or Regional) *", "Scope *", "Status *", "Date *"],
        "status": ["Implemented", "Planned"],
        "goal3": "3 — Develop or strengthen guidelines, protocols and procedures for responding",
        "regional": "Regional",
        "statement": ["AGGREGATED INFORMATION ONLY", "DO NOT INCLUDE PERSONAL DATA"],
    },
    "pt": {
        "sheets": [
            "Instruções",
            "Relatório",
            "Atividades",
            "Políticas",
            "Avanços legislativos",
            "_codelists",
            "_metadata",
        ],
        "headers": ["Objetivo de política *", "País (ou Regional) *", "Abrangência *", "Situação *", "Data *"],
        "status": ["Implementada", "Planejada"],
        "goal3": "3 — Desenvolver ou fortalecer diretrizes, protocolos e procedimentos de resposta",
        "regional": "Regional",
        "statement": ["APENAS INFORMAÇÃO AGREGADA", "NÃO INCLUA DADOS PESSOAIS"],
    },
}

# Sources of the activities sheet's validations (column -> formula), the same in every
# language: 8 goals, "Regional" + 50 LAC countries (inhabited), 2 scopes, 2 statuses, 21 capabilities,
# 19 NCMEC positions.
ACTIVITY_LISTS = {
    "A": "'_codelists'!$A$2:$A$9",
    "B": "'_codelists'!$B$2:$B$52",
    "C": "'_codelists'!$C$2:$C$3",
    "D": "'_codelists'!$D$2:$D$3",
    "F": "'_codelists'!$F$2:$F$22",
    "G": "'_codelists'!$H$2:$H$20",
}
LEGISLATIVE_LISTS = {
    "A": "'_codelists'!$B$2:$B$52",
    "B": "'_codelists'!$I$2:$I$8",
    "E": "'_codelists'!$H$2:$H$20",
    "F": "'_codelists'!$J$2:$J$4",
    "G": "'_codelists'!$F$2:$F$22",
    "H": "'_codelists'!$G$2:$G$4",
    "I": "'_codelists'!$A$2:$A$9",
}


def _validations(ws) -> dict[str, tuple[str, str, str | None]]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        ref = str(dv.sqref)
        out[ref.split(":")[0].rstrip("0123456789")] = (dv.type, dv.formula1, ref)
    return out


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    home = tmp_path_factory.mktemp("template_home")
    out = {}
    for lang in EXPECTED:
        path = home / f"informe-{lang}.xlsx"
        result = run_clac(
            home, "template", "--working-group", "hotlines", "--quarter", "2026-Q3", "--lang", lang, "--out", str(path)
        )
        assert "2026-Q3" in result.stdout
        out[lang] = path
    return out


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_sheets_headers_and_labels_are_in_the_chosen_language(templates, lang):
    wb = openpyxl.load_workbook(templates[lang])
    exp = EXPECTED[lang]
    assert wb.sheetnames == exp["sheets"]
    assert [wb[s].sheet_state for s in wb.sheetnames] == ["visible"] * 5 + ["hidden", "hidden"]
    activities = wb[exp["sheets"][2]]
    assert [activities.cell(row=2, column=i).value for i in range(1, 6)] == exp["headers"]
    assert "2026-Q3" in activities["A1"].value
    lists = wb["_codelists"]
    header = {lists.cell(row=1, column=c).value: c for c in range(1, lists.max_column + 1)}
    column = lambda key: [
        lists.cell(row=r, column=header[key]).value
        for r in range(2, lists.max_row + 1)
        if lists.cell(row=r, column=header[key]).value is not None
    ]
    assert column("status") == exp["status"]
    assert column("goal")[2] == exp["goal3"]
    assert len(column("goal")) == 8 and len(column("capability")) == 21 and len(column("ncmec_position")) == 19
    countries = column("country")
    assert countries[0] == exp["regional"] and len(countries) == 51
    text = " ".join(str(c.value) for row in wb[exp["sheets"][0]].iter_rows() for c in row if c.value)
    for phrase in exp["statement"]:
        assert phrase in text
    assert "2026-10-30" in text  # the due date: 30 days after the quarter ends


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_code_list_columns_are_dropdowns_on_the_hidden_ranges(templates, lang):
    wb = openpyxl.load_workbook(templates[lang])
    names = EXPECTED[lang]["sheets"]
    got = _validations(wb[names[2]])
    for letter, formula in ACTIVITY_LISTS.items():
        assert got[letter] == ("list", formula, f"{letter}3:{letter}202"), letter
    assert got["E"][0] == "date" and got["E"][1] == "DATE(2026,7,1)"
    assert got["H"][:2] == ("whole", "0")
    got = _validations(wb[names[4]])
    for letter, formula in LEGISLATIVE_LISTS.items():
        assert got[letter] == ("list", formula, f"{letter}3:{letter}202"), letter
    # every list range points at exactly the labels of its code list
    lists = wb["_codelists"]
    for formula in ACTIVITY_LISTS.values():
        col, last = formula.split("!$")[1].split("$2:$")[0], int(formula.rsplit("$", 1)[1])
        assert lists[f"{col}{last}"].value is not None and lists[f"{col}{last + 1}"].value is None


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_version_working_group_and_quarter_are_recorded(templates, lang):
    wb = openpyxl.load_workbook(templates[lang])
    meta = {k: v for k, v in wb["_metadata"].iter_rows(values_only=True)}
    assert meta["template_version"] == template_version()
    assert meta["working_group"] == "hotlines" and meta["quarter"] == "2026-Q3" and meta["language"] == lang
    assert meta["synthetic"] == "false"
    names = {
        name: wb.defined_names[name].attr_text
        for name in ("CLAC_TEMPLATE_VERSION", "CLAC_WORKING_GROUP", "CLAC_QUARTER", "CLAC_LANGUAGE")
    }
    assert names["CLAC_QUARTER"] == "'_metadata'!$B$3"
    cover = wb[EXPECTED[lang]["sheets"][1]]
    assert cover["B5"].value == "2026-Q3"


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_every_dropdown_label_reads_back_to_its_code(lang):
    resolver = default_resolver()
    for label, code in country_options(lang)[1:]:
        assert resolver.resolve(label) == code, (lang, label)
    for codelist in workbook_lists().values():
        for code in codelist.codes:
            assert codelist.lookup(codelist.display(code, lang)) == code
            assert codelist.lookup(codelist.label(code, lang)) == code


def test_labels_are_accepted_in_any_language_and_numbers_with_a_prefix():
    goals = load_codelist("policy_goals")
    for value in (
        "3",
        3,
        3.0,
        "Objetivo 3",
        "Goal 3",
        "objetivo 3",
        "Desenvolver ou fortalecer diretrizes, protocolos e procedimentos de resposta",
    ):
        assert goals.lookup(value) == "3", value
    for value in ("9", "Objetivo 9", "3 — Reduce the availability of CSAM online", "three"):
        assert goals.lookup(value) is None, value
    status = load_codelist("activity_status")
    assert status.lookup("PLANEJADA") == status.lookup("planificada") == status.lookup("Planned") == "planned"


def test_unknown_working_group_and_malformed_quarter_are_clear_errors(tmp_path):
    result = run_clac(
        tmp_path,
        "template",
        "--working-group",
        "hotline",
        "--quarter",
        "2026-Q3",
        "--out",
        str(tmp_path / "x.xlsx"),
        check=False,
    )
    assert result.returncode == 1
    assert "unknown working group 'hotline'" in result.stderr and "hotlines" in result.stderr
    for bad in ("2026-Q5", "2026", "Q3", "tercer trimestre"):
        result = run_clac(
            tmp_path,
            "template",
            "--working-group",
            "hotlines",
            "--quarter",
            bad,
            "--out",
            str(tmp_path / "x.xlsx"),
            check=False,
        )
        assert result.returncode == 1, bad
        assert "is not a quarter" in result.stderr and "2026-Q3" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "x.xlsx").exists()


def test_quarters_and_file_names():
    q = parse_quarter("2026T3")
    assert (q.label, q.start, q.end, q.due()) == (
        "2026-Q3",
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 30),
    )
    assert parse_quarter("2025-Q4").due() == dt.date(2026, 1, 30)
    assert str(quarter_in_filename("hotlines_2026-Q2-v2-SYNTHETIC.xlsx")) == "2026-Q2"
    assert str(quarter_in_filename("Q1_2026 informe.xlsx")) == "2026-Q1"
    assert quarter_in_filename("informe-hotlines.xlsx") is None


def test_bundled_examples_are_generated_deterministically(tmp_path):
    """The committed SYNTHETIC examples are exactly what the script writes today."""
    import importlib.util

    folder = Path(__file__).resolve().parents[1] / "sources" / "data" / "synthetic" / "quarterly"
    spec = importlib.util.spec_from_file_location("make_quarterly_examples", folder / "make_quarterly_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    made = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    committed = sorted(p.name for p in folder.glob("*.xlsx"))
    assert made == committed and len(made) == 16
    assert all("SYNTHETIC" in name for name in made)
    for name in made:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name
    # every text cell of the examples says it is SYNTHETIC
    for name in made:
        wb = openpyxl.load_workbook(folder / name)
        meta = {k: v for k, v in wb["_metadata"].iter_rows(values_only=True)}
        assert meta["synthetic"] == "true"
        for ws in wb.worksheets[2:5]:
            for row in ws.iter_rows(min_row=3, values_only=True):
                headers = [c.value for c in ws[2]]
                for header, value in zip(headers, row):
                    if (
                        value is not None
                        and header
                        and header.split(" *")[0]
                        in {
                            "Descripción",
                            "Description",
                            "Descrição",
                            "Instrumento",
                            "Instrument",
                            "Fuente",
                            "Source",
                            "Fonte",
                        }
                    ):
                        assert str(value).startswith("SYNTHETIC:"), (name, ws.title, value)


_WRITE_ONE_EXAMPLE = """
import datetime as dt, sys
import openpyxl.xml
from sources.quarterly.template import build_template, workbook_bytes
wb = build_template("hotlines", "2026-Q1", "en", synthetic=True, created=dt.datetime(2026, 4, 2, 9, 0))
sys.stdout.buffer.write(str(openpyxl.xml.LXML).encode() + b"\\n" + workbook_bytes(wb, deterministic=True))
"""


def test_workbook_bytes_do_not_depend_on_lxml():
    """openpyxl writes with lxml when it is installed (sdmx1 brings it) and with the standard
    library otherwise (OPENPYXL_LXML=False); the deterministic bytes are the same either way."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    written = {}
    for use_lxml in ("True", "False"):
        out = subprocess.run(
            [sys.executable, "-c", _WRITE_ONE_EXAMPLE],
            cwd=root,
            env={**os.environ, "OPENPYXL_LXML": use_lxml},
            capture_output=True,
            check=True,
        ).stdout
        flag, written[use_lxml] = out.split(b"\n", 1)
        assert flag.decode() == use_lxml  # lxml is installed: the variable alone chooses the writer
    assert written["True"][:2] == b"PK"
    assert written["True"] == written["False"]
