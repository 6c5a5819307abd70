"""Generate the SYNTHETIC example quarterly reports of the four working groups.

    python sources/data/synthetic/quarterly/make_quarterly_examples.py

writes, next to this script, one workbook per working group and quarter, made with the
observatory's own template builder (:func:`sources.quarterly.template.build_template`
and :func:`~sources.quarterly.template.fill_workbook`), marked SYNTHETIC in the
workbook metadata, in the file name and at the start of every text cell. Nothing in
them is real: organisations' activities, policies and legislative advances are invented,
law and bill numbers are fictitious (99.xxx), and no person is named.

What the examples exercise (quarters 2025-Q3 ... 2026-Q2; due date = quarter end + 30 days):

============================ ======== ======== ========= =====================================
working group (language)      2025-Q3  2025-Q4  2026-Q1   2026-Q2
============================ ======== ======== ========= =====================================
prevention_awareness (es)     on time  on time  on time   on time
private_sector (en)           on time  on time  MISSING   on time
law_enforcement (es)          on time  LATE     on time*  on time
hotlines (pt)                 on time  on time  on time   on time, then a corrected v2 (supersedes)
============================ ======== ======== ========= =====================================

``*`` law_enforcement 2026-Q1 has one implemented activity dated before the quarter, on
purpose: ``clac build`` sends that row to quarantine (message in Spanish) and keeps the rest.
The late report (law_enforcement 2025-Q4) is "submitted on" 2026-02-16, due 2026-01-30.

The legislative advances build a small history in the trackers: Argentina x AI-generated
CSAM goes bill introduced (no provision) -> committee -> passed (partial) -> in force
(aligned) over the four quarters; capability statuses change for Argentina (capability 8)
and Colombia (capability 15).

The output is deterministic (fixed workbook dates and ZIP timestamps): re-running the
script rewrites identical bytes.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))  # the project root, when run as a script

from sources.quarterly.template import build_template, fill_workbook, workbook_bytes  # noqa: E402

D = dt.date
S = "SYNTHETIC: "


def act(goal, country, scope, status, date, description, capability=None, position=None, people=None):
    return {"goal": goal, "country": country, "scope": scope, "status": status, "date": date,
            "capability": capability, "ncmec_position": position, "people_reached": people,
            "description": S + description}


def pol(goal, country, policy_type, date, description, capability=None, capability_status=None, position=None):
    return {"goal": goal, "country": country, "policy_type": policy_type, "date": date,
            "capability": capability, "capability_status": capability_status, "ncmec_position": position,
            "description": S + description}


def leg(country, stage, date, instrument, source, position=None, alignment=None, capability=None,
        capability_status=None, goal=None, description=None):
    return {"country": country, "stage": stage, "date": date, "instrument": S + instrument,
            "ncmec_position": position, "alignment": alignment, "capability": capability,
            "capability_status": capability_status, "goal": goal, "source_reference": S + source,
            "description": (S + description) if description else None}


#: (working group, quarter, language, submitted on, file suffix) -> rows by section
REPORTS: dict[tuple[str, str, str, D, str], dict[str, list[dict]]] = {
    # ------------------------------------------------------------ prevention_awareness (es)
    ("prevention_awareness", "2025-Q3", "es", D(2025, 10, 14), ""): {
        "activities": [
            act("6", "ARG", "in_country", "implemented", D(2025, 8, 12), "campaña escolar sobre riesgos en línea (inventada)", 20, None, 2500),
            act("6", "PER", "in_country", "implemented", D(2025, 9, 3), "talleres con familias sobre uso seguro de redes (inventados)", 20, None, 480),
            act("7", "REGIONAL", "regional", "implemented", D(2025, 9, 22), "seminario virtual regional sobre herramientas de control parental (inventado)", 17, "safety_by_design", 1200),
            act("6", "CRI", "in_country", "planned", D(2025, 11, 10), "campaña radial planificada sobre sextorsión (inventada)", 20),
        ],
        "policies": [pol("6", "ARG", "organisational", D(2025, 8, 1), "guía interna de mensajes de prevención (inventada)")],
        "legislative": [],
    },
    ("prevention_awareness", "2025-Q4", "es", D(2026, 1, 15), ""): {
        "activities": [
            act("6", "CRI", "in_country", "implemented", D(2025, 11, 12), "campaña radial sobre sextorsión (inventada)", 20, None, 3300),
            act("7", "MEX", "in_country", "implemented", D(2025, 10, 21), "ferias de seguridad digital en escuelas (inventadas)", 20, None, 1500),
            act("7", "ARG", "regional", "implemented", D(2025, 12, 4), "encuentro regional con sede en el país sobre herramientas de denuncia (inventado)", 17),
        ],
        "policies": [],
        "legislative": [],
    },
    ("prevention_awareness", "2026-Q1", "es", D(2026, 4, 20), ""): {
        "activities": [
            act("6", "PRY", "in_country", "implemented", D(2026, 3, 9), "campaña de vuelta a clases sobre riesgos en línea (inventada)", 20, None, 2200),
            act("6", "ARG", "in_country", "implemented", D(2026, 2, 17), "capacitación de docentes en prevención (inventada)", 20, None, 350),
            act("7", "REGIONAL", "regional", "planned", D(2026, 5, 14), "curso regional en línea sobre configuración segura de dispositivos (planificado, inventado)", 17),
        ],
        "policies": [pol("7", "PRY", "in_country", D(2026, 3, 30), "lineamientos nacionales de educación digital (inventados)", 20, "in_development")],
        "legislative": [],
    },
    ("prevention_awareness", "2026-Q2", "es", D(2026, 7, 10), ""): {
        "activities": [
            act("7", "REGIONAL", "regional", "implemented", D(2026, 5, 14), "curso regional en línea sobre configuración segura de dispositivos (inventado)", 17, "safety_by_design", 900),
            act("6", "URY", "in_country", "implemented", D(2026, 6, 2), "campaña en medios sobre aliciamiento en línea (inventada)", 18, None, 5000),
        ],
        "policies": [],
        "legislative": [],
    },
    # ------------------------------------------------------------------ private_sector (en)
    ("private_sector", "2025-Q3", "en", D(2025, 10, 20), ""): {
        "activities": [
            act("8", "BRA", "in_country", "implemented", D(2025, 7, 30), "roundtable with platforms on hash-sharing (invented)", 15, "voluntary_detection"),
            act("7", "COL", "in_country", "implemented", D(2025, 9, 16), "safety-tool awareness week with telecom members (invented)", 13, None, 800),
        ],
        "policies": [pol("3", "COL", "organisational", D(2025, 9, 1), "member code of conduct on reporting to hotlines (invented)", 15, "in_development", "platform_reporting")],
        "legislative": [leg("CHL", "bill_introduced", D(2025, 8, 25), "Proyecto de ley 99.101-07 (fictitious)", "Chamber bulletin, 2025-08-25 (invented)", "safety_by_design", "no_provision", 15, None, 7)],
    },
    ("private_sector", "2025-Q4", "en", D(2026, 1, 22), ""): {
        "activities": [act("7", "MEX", "in_country", "implemented", D(2025, 11, 18), "workshop on parental-control features for retailers (invented)", 13, None, 150)],
        "policies": [],
        "legislative": [leg("CHL", "committee", D(2025, 12, 2), "Proyecto de ley 99.101-07 (fictitious)", "Committee report, 2025-12-02 (invented)", "safety_by_design", "no_provision")],
    },
    # private_sector 2026-Q1: MISSING on purpose (no file)
    ("private_sector", "2026-Q2", "en", D(2026, 7, 28), ""): {
        "activities": [act("3", "REGIONAL", "regional", "implemented", D(2026, 4, 23), "regional exchange on content-moderation escalation procedures (invented)", 14)],
        "policies": [pol("3", "COL", "organisational", D(2026, 6, 11), "member protocol for escalating reports to the national hotline (invented)", 15, "in_place", "platform_reporting")],
        "legislative": [],
    },
    # ----------------------------------------------------------------- law_enforcement (es)
    ("law_enforcement", "2025-Q3", "es", D(2025, 10, 28), ""): {
        "activities": [
            act("3", "ARG", "in_country", "implemented", D(2025, 9, 9), "curso para fiscales sobre evidencia digital (inventado)", 8, "victim_identification_priority", 60),
            act("4", "COL", "in_country", "implemented", D(2025, 8, 19), "mesa interinstitucional de coordinación (inventada)", 4),
        ],
        "policies": [pol("3", "ARG", "in_country", D(2025, 9, 29), "protocolo de actuación ante denuncias en línea (inventado)", 8, "in_development", "trauma_informed_justice")],
        "legislative": [leg("ARG", "bill_introduced", D(2025, 9, 15), "Proyecto de ley 99.201 (ficticio)", "Diario de sesiones, 2025-09-15 (inventado)", "ai_generated_csam", "no_provision", 2, None, 5, "tipificación de material generado por IA (inventado)")],
    },
    # the LATE report: due 2026-01-30, submitted 2026-02-16
    ("law_enforcement", "2025-Q4", "es", D(2026, 2, 16), ""): {
        "activities": [act("4", "GTM", "in_country", "implemented", D(2025, 10, 28), "taller de coordinación entre policía y líneas de denuncia (inventado)", 4, None, 45)],
        "policies": [],
        "legislative": [leg("ARG", "committee", D(2025, 11, 20), "Proyecto de ley 99.201 (ficticio)", "Orden del día de comisión, 2025-11-20 (inventado)", "ai_generated_csam", "no_provision")],
    },
    ("law_enforcement", "2026-Q1", "es", D(2026, 4, 24), ""): {
        "activities": [
            act("3", "COL", "in_country", "implemented", D(2026, 2, 26), "guía operativa para unidades de delitos informáticos (inventada)", 8),
            # deliberately dated BEFORE the quarter: quarantined by clac build (the rest is kept)
            act("4", "PER", "in_country", "implemented", D(2025, 12, 15), "fila con fecha fuera del trimestre a propósito, para probar la validación (inventada)", 4),
        ],
        "policies": [pol("3", "ARG", "in_country", D(2026, 3, 18), "resolución que crea una unidad especializada (inventada)", 8, "in_place")],
        "legislative": [leg("ARG", "passed", D(2026, 3, 5), "Ley 99.201 (ficticia)", "Boletín oficial, 2026-03-05 (inventado)", "ai_generated_csam", "partial", 2, "in_development", 5)],
    },
    ("law_enforcement", "2026-Q2", "es", D(2026, 7, 21), ""): {
        "activities": [act("4", "REGIONAL", "regional", "implemented", D(2026, 5, 27), "reunión regional de puntos focales policiales (inventada)", 4, None, 38)],
        "policies": [pol("4", "GTM", "in_country", D(2026, 5, 19), "protocolo interinstitucional de coordinación entre fiscalía y líneas de denuncia (inventado)", 4, "in_development")],
        "legislative": [
            leg("ARG", "in_force", D(2026, 6, 1), "Ley 99.201 (ficticia)", "Boletín oficial, 2026-06-01 (inventado)", "ai_generated_csam", "aligned", 2, "in_place", 5),
            leg("MEX", "bill_introduced", D(2026, 4, 29), "Iniciativa 99.301 (ficticia)", "Gaceta parlamentaria, 2026-04-29 (inventada)", "statutes_of_limitation", "no_provision", None, None, 5),
        ],
    },
    # ------------------------------------------------------------------------ hotlines (pt)
    ("hotlines", "2025-Q3", "pt", D(2025, 10, 9), ""): {
        "activities": [act("2", "BRA", "in_country", "implemented", D(2025, 8, 5), "capacitação de analistas do canal de denúncia (inventada)", 6, None, 25)],
        "policies": [pol("2", "BRA", "organisational", D(2025, 9, 12), "procedimento de triagem de denúncias (inventado)", 6, "in_place", "platform_reporting")],
        "legislative": [],
    },
    ("hotlines", "2025-Q4", "pt", D(2026, 1, 12), ""): {
        "activities": [act("8", "REGIONAL", "regional", "implemented", D(2025, 11, 25), "oficina regional sobre remoção de material com provedores (inventada)", 11)],
        "policies": [],
        "legislative": [leg("BRA", "in_force", D(2025, 12, 10), "Lei 99.401/2025 (fictícia)", "Diário Oficial, 2025-12-10 (inventado)", "platform_reporting", "partial", 6, "in_place", 8)],
    },
    ("hotlines", "2026-Q1", "pt", D(2026, 4, 15), ""): {
        "activities": [act("2", "DOM", "in_country", "implemented", D(2026, 3, 3), "apoio à criação de um novo canal de denúncia (inventado)", 6)],
        "policies": [],
        "legislative": [],
    },
    ("hotlines", "2026-Q2", "pt", D(2026, 7, 20), ""): {
        "activities": [act("2", "DOM", "in_country", "implemented", D(2026, 5, 6), "lançamento do novo canal de denúncia (inventado)", 6, None, 300)],
        "policies": [],
        "legislative": [],
    },
    # a corrected re-submission for the same slot: supersedes the one above
    ("hotlines", "2026-Q2", "pt", D(2026, 7, 27), "-v2"): {
        "activities": [
            act("2", "DOM", "in_country", "implemented", D(2026, 5, 6), "lançamento do novo canal de denúncia (inventado, corrigido)", 6, None, 320),
            act("8", "BRA", "in_country", "implemented", D(2026, 6, 17), "mutirão de remoção de material com provedores (inventado)", 11),
        ],
        "policies": [],
        "legislative": [],
    },
}


def file_name(group: str, quarter: str, suffix: str) -> str:
    return f"{group}_{quarter}{suffix}-SYNTHETIC.xlsx"


def main(out: Path = HERE) -> None:
    for (group, quarter, lang, submitted, suffix), rows in REPORTS.items():
        created = dt.datetime.combine(submitted, dt.time(9, 0))
        wb = build_template(group, quarter, lang, synthetic=True, created=created)
        fill_workbook(wb, rows, lang=lang, submitted_on=submitted)
        (out / file_name(group, quarter, suffix)).write_bytes(workbook_bytes(wb, deterministic=True))


if __name__ == "__main__":
    main()
