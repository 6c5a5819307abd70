"""Three editions of one warehouse with SYNTHETIC canaries at GREEN, AMBER and RED.

:func:`build_audience_home` writes one canary file per restricted sharing level into a
fresh CLAC_HOME's inbox (GREEN: the synthetic hotline source; AMBER: the synthetic
prosecutions source; RED: a source defined in a private catalogue folder, as a real RED
source would be), plus a CLEAR source whose data need approval and are not approved, and
runs the real ``clac build --audience`` for the public, members and Secretariat. The canary counts are fourteen-digit numbers and the comments random tokens,
so that none of them can occur in an output by chance. Used by the leak scan and the
editions tests (one session-wide build, see ``conftest.audience_home``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from governance.publication import AUDIENCES as LEVELS_BY_AUDIENCE
from tests.conftest import CLAC, PROJECT_ROOT, clac_env

AUDIENCES = tuple(LEVELS_BY_AUDIENCE)

#: (sharing level, source, file name, rows (area, year, measure, value), comment token)
CANARIES = {
    "GREEN": (
        "synthetic_hotline_reports",
        "hotline-canary-SYNTHETIC.csv",
        [
            ("Uruguay", 2019, "HOTLINE_REPORTS_RECEIVED", 73194620857146),
            ("Uruguay", 2019, "HOTLINE_REPORTS_ASSESSED_ILLEGAL", 61528374902153),
            ("Uruguay", 2020, "HOTLINE_REPORTS_RECEIVED", 74285193760418),
            ("Uruguay", 2020, "HOTLINE_REPORTS_ASSESSED_ILLEGAL", 62849173506275),
        ],
        "qz7GREENcanary4k",
    ),
    "AMBER": (
        "synthetic_prosecutions",
        "prosecutions-canary-SYNTHETIC.csv",
        [
            ("Paraguay", 2019, "INVESTIGATIONS_OPENED", 95831642730561),
            ("Paraguay", 2019, "PROSECUTIONS", 84620531869437),
            ("Paraguay", 2019, "CONVICTIONS", 73509420758392),
        ],
        "qz7AMBERcanary9m",
    ),
    "RED": (
        "synthetic_red_canary",
        "red-canary-SYNTHETIC.csv",
        [("Uruguay", 2021, "HOTLINE_REPORTS_RECEIVED", 86421357913528)],
        "qz7REDcanary2w",
    ),
}

#: A CLEAR source whose data need the Secretariat's approval before the public sees them
#: (private catalogue; nothing approved in the audience home: the public must not see it).
UNAPPROVED = (
    "synthetic_clear_for_approval",
    "approval-canary-SYNTHETIC.csv",
    [
        ("Chile", 2019, "HOTLINE_REPORTS_RECEIVED", 57319462085714),
        ("Chile", 2020, "HOTLINE_REPORTS_RECEIVED", 58427193760452),
    ],
    "qz7APPROVALcanary5t",
)

#: Private catalogue entries: (source id, sharing level, purpose).
PRIVATE_SOURCES = [
    ("synthetic_red_canary", "RED", "check that nothing RED leaves the warehouse"),
    ("synthetic_clear_for_approval", "CLEAR", "check that the public sees approved data only"),
]


def catalogue_entry(source_id: str, sharing: str, purpose: str) -> str:
    """A private catalogue file for a SYNTHETIC generic-template source."""
    return f"""\
# SYNTHETIC: a {sharing} test source of tests/canaries.py, defined in a private catalogue
# folder as a real restricted source would be. Purpose: {purpose}.
id: {source_id}
title:
  es: "SINTÉTICO: fuente {sharing} de prueba"
  en: "SYNTHETIC: {sharing} test source"
  pt: "SINTÉTICO: fonte {sharing} de teste"
description:
  es: Datos inventados para pruebas. No son estadísticas reales.
  en: Invented data for tests. Not real statistics.
  pt: Dados inventados para testes. Não são estatísticas reais.
publisher: CLAC observatory (synthetic test fixture)
publisher_type: hotline
licence: CC0-1.0 (synthetic)
url: ""
retrieved_from: written by tests/canaries.py
format: generic_table
parser: generic_table
update_frequency: annual
sharing: {sharing}
languages: [es]
synthetic: true
supersede_by: period
approval: manual
measures: [HOTLINE_REPORTS_RECEIVED]
bundled_files: []
"""


def write_canary(home: Path, source: str, name: str, rows, token: str) -> Path:
    """A generic-template CSV of canary rows in the home's inbox folder of ``source``."""
    folder = home / "inbox" / source
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["REF_AREA,TIME_PERIOD,MEASURE,OBS_VALUE,UNIT_MEASURE,COMMENT"]
    lines += [f"{area},{year},{measure},{value},NUMBER,SYNTHETIC canary {token}" for area, year, measure, value in rows]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_audience_home(home: Path) -> Path:
    """Write the canaries and the private catalogue into ``home`` and build the three audiences."""
    private = home / "private_catalogue"
    private.mkdir()
    for source_id, sharing, purpose in PRIVATE_SOURCES:
        (private / f"{source_id}.yaml").write_text(catalogue_entry(source_id, sharing, purpose), encoding="utf-8")
    for canary in [*CANARIES.values(), UNAPPROVED]:
        write_canary(home, *canary)
    for audience in AUDIENCES:
        result = subprocess.run(
            CLAC + ["build", "--audience", audience],
            cwd=PROJECT_ROOT,
            env=audience_env(home),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, f"build --audience {audience} failed:\n{result.stdout}\n{result.stderr}"
    return home


def audience_env(home: Path) -> dict[str, str]:
    """The environment of a ``clac`` command on that home (its private catalogue included)."""
    return clac_env(home) | {"CLAC_PRIVATE_CATALOGUE": str(home / "private_catalogue")}
