"""Three editions of one warehouse with SYNTHETIC canaries at GREEN, AMBER and RED.

:func:`build_audience_home` writes one canary file per restricted sharing level into a
fresh CLAC_HOME's inbox (GREEN: the synthetic hotline source; AMBER: the synthetic
prosecutions source; RED: a source defined in a private catalogue folder, as a real RED
source would be) and runs the real ``clac build --audience`` for the public, members and
Secretariat. The canary counts are fourteen-digit numbers and the comments random tokens,
so that none of them can occur in an output by chance. Used by the leak scan and the
editions tests (one session-wide build, see ``conftest.audience_home``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import CLAC, PROJECT_ROOT, clac_env

AUDIENCES = ("public", "members", "secretariat")

#: (sharing level, source, file name, rows (area, year, measure, value), comment token)
CANARIES = {
    "GREEN": ("synthetic_hotline_reports", "hotline-canary-SYNTHETIC.csv",
              [("Uruguay", 2019, "HOTLINE_REPORTS_RECEIVED", 73194620857146),
               ("Uruguay", 2019, "HOTLINE_REPORTS_ASSESSED_ILLEGAL", 61528374902153),
               ("Uruguay", 2020, "HOTLINE_REPORTS_RECEIVED", 74285193760418),
               ("Uruguay", 2020, "HOTLINE_REPORTS_ASSESSED_ILLEGAL", 62849173506275)],
              "qz7GREENcanary4k"),
    "AMBER": ("synthetic_prosecutions", "prosecutions-canary-SYNTHETIC.csv",
              [("Paraguay", 2019, "INVESTIGATIONS_OPENED", 95831642730561),
               ("Paraguay", 2019, "PROSECUTIONS", 84620531869437),
               ("Paraguay", 2019, "CONVICTIONS", 73509420758392)],
              "qz7AMBERcanary9m"),
    "RED": ("synthetic_red_canary", "red-canary-SYNTHETIC.csv",
            [("Uruguay", 2021, "HOTLINE_REPORTS_RECEIVED", 86421357913528)],
            "qz7REDcanary2w"),
}

RED_CATALOGUE_ENTRY = """\
# SYNTHETIC: a RED source for the leak-scan test (tests/test_leak_scan.py), defined in a
# private catalogue folder as a real RED source would be. Never published.
id: synthetic_red_canary
title:
  es: "SINTÉTICO: fuente RED de prueba"
  en: "SYNTHETIC: RED test source"
  pt: "SINTÉTICO: fonte RED de teste"
description:
  es: Datos inventados para comprobar que nada RED sale del almacén.
  en: Invented data to check that nothing RED leaves the warehouse.
  pt: Dados inventados para verificar que nada RED sai do armazém.
publisher: CLAC observatory (synthetic test fixture)
publisher_type: hotline
licence: CC0-1.0 (synthetic)
url: ""
retrieved_from: written by tests/test_leak_scan.py
format: generic_table
parser: generic_table
update_frequency: annual
sharing: RED
languages: [es]
synthetic: true
supersede_by: period
measures: [HOTLINE_REPORTS_RECEIVED]
bundled_files: []
"""


def build_audience_home(home: Path) -> Path:
    """Write the canaries and the private catalogue into ``home`` and build the three audiences."""
    private = home / "private_catalogue"
    private.mkdir()
    (private / "synthetic_red_canary.yaml").write_text(RED_CATALOGUE_ENTRY, encoding="utf-8")
    for source, name, rows, token in CANARIES.values():
        folder = home / "inbox" / source
        folder.mkdir(parents=True)
        lines = ["REF_AREA,TIME_PERIOD,MEASURE,OBS_VALUE,UNIT_MEASURE,COMMENT"]
        lines += [f"{area},{year},{measure},{value},NUMBER,SYNTHETIC leak-scan canary {token}"
                  for area, year, measure, value in rows]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    for audience in AUDIENCES:
        result = subprocess.run(CLAC + ["build", "--audience", audience], cwd=PROJECT_ROOT, env=audience_env(home),
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"build --audience {audience} failed:\n{result.stdout}\n{result.stderr}"
    return home


def audience_env(home: Path) -> dict[str, str]:
    """The environment of a ``clac`` command on that home (its private catalogue included)."""
    return clac_env(home) | {"CLAC_PRIVATE_CATALOGUE": str(home / "private_catalogue")}
