"""The personal-data guard of the quarterly reports: realistic Spanish, Latin American and
Brazilian contact details and identifiers are flagged (kind and position only); the
innocuous numbers a report needs (years, goals, counts, law numbers, dates) are not.

Every "personal" value here is invented and deliberately fake (".invalid" domains, the
classic test CPF, a made-up CURP); none of them is in the bundled data.
"""

from __future__ import annotations

import pytest

from sources.quarterly.personal_data import describe, find_personal_data, redact

FLAGGED = [
    # e-mail addresses
    ("Contacto: persona@ejemplo.invalid", "email", "persona@ejemplo.invalid"),
    ("escribir a persona [at] ejemplo.invalid", "email", "persona [at] ejemplo.invalid"),
    # Brazilian phones
    ("Ligue para +55 11 91234-5678 amanhã", "phone", "+55 11 91234-5678"),
    ("WhatsApp (11) 91234-5678", "phone", "(11) 91234-5678"),
    ("celular 11 91234-5678", "phone", "11 91234-5678"),
    ("fixo 3456-7890", "phone", "3456-7890"),
    ("fone 11912345678", "phone", "11912345678"),
    # Spanish and Latin American phones
    ("móvil +34 612 34 56 78", "phone", "+34 612 34 56 78"),
    ("móvil 612 34 56 78", "phone", "612 34 56 78"),
    ("llamar al +52 55 1234 5678", "phone", "+52 55 1234 5678"),
    ("teléfono 55 1234 5678", "phone", "55 1234 5678"),
    ("cel. +54 9 11 1234-5678", "phone", "+54 9 11 1234-5678"),
    ("+56 9 8765 4321", "phone", "+56 9 8765 4321"),
    ("+57 301 234 5678", "phone", "+57 301 234 5678"),
    ("+51 987 654 321", "phone", "+51 987 654 321"),
    ("línea 0800 123 4567", "phone", "0800 123 4567"),
    # national identity numbers
    ("CPF 123.456.789-09", "national_id", "123.456.789-09"),
    ("CPF: 12345678909", "national_id", "12345678909"),
    ("CURP GODE561231HDFRRN09", "national_id", "GODE561231HDFRRN09"),
    ("RUT 12.345.678-5", "national_id", "12.345.678-5"),
    ("rut 12345678-K", "national_id", "12345678-K"),
    ("DNI 12345678Z", "national_id", "12345678Z"),
    ("DNI 12.345.678", "national_id", "12.345.678"),
    ("NIE X1234567L", "national_id", "X1234567L"),
    ("RG 12.345.678-9", "national_id", "12.345.678-9"),
    ("cédula 1.234.567.890", "national_id", "1.234.567.890"),
    # case and file numbers
    ("según el expediente 123/2024", "case_number", "123/2024"),
    ("Expediente N° 4567", "case_number", "4567"),
    ("processo nº 0001234-56.2024.8.26.0100", "case_number", "0001234-56.2024.8.26.0100"),
    ("o processo 0001234-56.2024.8.26.0100 foi arquivado", "case_number", "0001234-56.2024.8.26.0100"),
    ("causa N° 45/2023", "case_number", "45/2023"),
    ("carpeta de investigación 12/2025", "case_number", "12/2025"),
    ("boletim de ocorrência 998/2024", "case_number", "998/2024"),
    ("caso nº 77", "case_number", "77"),
    # links
    ("ver https://ejemplo.invalid/informe", "url", "https://ejemplo.invalid/informe"),
    ("ver www.ejemplo.org", "url", "www.ejemplo.org"),
    ("material en ejemplo.org.br/pagina", "url", "ejemplo.org.br/pagina"),
]

INNOCUOUS = [
    "SYNTHETIC: taller regional sobre procedimientos de líneas de denuncia",
    "Año 2024",
    "periodo 2025-2026",
    "entre 2024 y 2025",
    "2026-Q3",
    "Q3 2026",
    "Objetivo 3",
    "Goal 7",
    "2.500 personas",
    "2.500 casos",
    "12.500.000 reportes",
    "1,234,567 reports",
    "R$ 1.500.000,00",
    "100 % de 2.345.678",
    "Ley 27.590",
    "Ley N° 21.057",
    "Ley 1.098 de 2006",
    "Lei 14.811/2024",
    "Lei nº 14.811, de 12 de janeiro de 2024",
    "Decreto 1.234/2025",
    "PL 2.628/2022",
    "Boletín 15.869-07",
    "Proyecto de ley 5.678/2025-C",
    "Resolución 123/2024 del Ministerio",
    "Art. 241-D do ECA",
    "12/03/2026",
    "2026-03-12",
    "Diário Oficial da União, 15/01/2024",
    "capítulo 3.2.1",
    "el proceso 2025 de capacitación",
    "3 talleres, 45 participantes, 12 países",
    "S.A. de C.V.",
]


@pytest.mark.parametrize("text, kind, matched", FLAGGED)
def test_personal_data_is_flagged_with_kind_and_position(text, kind, matched):
    findings = find_personal_data(text)
    assert [f.kind for f in findings] == [kind], findings
    f = findings[0]
    assert text[f.start : f.end] == matched
    # what is stored is the kind and a 1-based position, never the text
    assert describe(findings) == f"{kind}@{f.start + 1}-{f.end}"
    assert matched not in describe(findings)
    assert matched not in redact(text, findings)


@pytest.mark.parametrize("text", INNOCUOUS)
def test_innocuous_numbers_and_law_numbers_are_not_flagged(text):
    assert find_personal_data(text) == []


def test_several_findings_in_one_text_in_order():
    text = "Contacto persona@ejemplo.invalid o +55 11 91234-5678; CPF 123.456.789-09"
    findings = find_personal_data(text)
    assert [f.kind for f in findings] == ["email", "phone", "national_id"]
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    assert redact(text, findings) == "Contacto [email] o [phone]; CPF [national_id]"


def test_blank_and_non_text_values():
    assert find_personal_data(None) == []
    assert find_personal_data("   ") == []
    assert find_personal_data(2500) == []
