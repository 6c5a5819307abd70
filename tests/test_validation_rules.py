"""Relations, plausibility, messages in three languages and the data-quality definitions.

Plain Python (no Dagster, no subprocess): the domain code of sources/validation/.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from sources.catalogue import load_catalogue, load_measures
from sources.parsers.base import SourceFileError, make_rows
from sources.validation import dq
from sources.validation import messages as msg
from sources.validation.relations import check_relations, load_relations, previous_period
from sources.validation.row_rules import check_rows, load_rules

CATALOGUE = load_catalogue()
PROSECUTIONS = CATALOGUE["synthetic_prosecutions"]
HOTLINE = CATALOGUE["synthetic_hotline_reports"]
SDG = CATALOGUE["un_sdg_global_database"]
CODES = {"Ecuador": "ECU", "Brasil": "BRA", "Chile": "CHL", "4": "AFG"}


def rows(records: list[dict]) -> pd.DataFrame:
    base = {"UNIT_MEASURE": "NUMBER", "LOC_SHEET": "datos"}
    return make_rows([{**base, **r, "VALUE_RAW": str(r["OBS_VALUE"])} for r in records])


def staged_of(entry, records, file_id="f" * 16):
    staged, quarantine = check_rows(
        rows(records),
        entry=entry,
        file_id=file_id,
        measures=load_measures(),
        resolve_area=CODES.get,
        today=dt.date(2024, 6, 1),
    )
    return staged, quarantine


def chain(year, inv, pros, conv, area="Ecuador", row=4):
    return [
        {
            "MEASURE": "INVESTIGATIONS_OPENED",
            "AREA_RAW": area,
            "TIME_PERIOD_RAW": year,
            "OBS_VALUE": inv,
            "LOC_ROW": row,
        },
        {"MEASURE": "PROSECUTIONS", "AREA_RAW": area, "TIME_PERIOD_RAW": year, "OBS_VALUE": pros, "LOC_ROW": row + 1},
        {"MEASURE": "CONVICTIONS", "AREA_RAW": area, "TIME_PERIOD_RAW": year, "OBS_VALUE": conv, "LOC_ROW": row + 2},
    ]


# ------------------------------------------------------------------ relations


def test_relations_file_names_only_known_measures():
    relations = load_relations()
    assert any(o["measures"] == ["INVESTIGATIONS_OPENED", "PROSECUTIONS", "CONVICTIONS"] for o in relations.orderings)
    assert relations.breakdown_kinds == {"count"}


def test_convictions_above_prosecutions_is_quarantined_with_both_values():
    staged, quarantine = staged_of(PROSECUTIONS, chain("2020", 100, 10, 15))
    staged2, quarantine2, warnings = check_relations(staged, quarantine, entry=PROSECUTIONS)
    assert len(staged2) + len(quarantine2) == len(staged) + len(quarantine)  # conservation
    [bad] = quarantine2.to_dict("records")
    assert bad["RULE"] == "relation_order" and bad["LOC_ROW"] == 6 and bad["VALUE"] == "15"
    assert "CONVICTIONS = 15" in bad["MESSAGE"] and "PROSECUTIONS = 10" in bad["MESSAGE"]
    assert "row 5" in bad["MESSAGE"]
    detail = json.loads(bad["DETAIL"])
    assert detail["params"]["other_value"] == 10
    es = msg.rule_message(bad["RULE"], bad["DETAIL"], "es")
    assert "nunca puede superar" in es and "fila 5" in es
    assert set(staged2["MEASURE"]) == {"INVESTIGATIONS_OPENED", "PROSECUTIONS"}


def test_ordering_skips_a_missing_middle_measure():
    records = [r for r in chain("2020", 10, 0, 12) if r["MEASURE"] != "PROSECUTIONS"]
    staged, quarantine = staged_of(PROSECUTIONS, records)
    _, quarantine2, _ = check_relations(staged, quarantine, entry=PROSECUTIONS)
    assert list(quarantine2["RULE"]) == ["relation_order"]
    assert "INVESTIGATIONS_OPENED" in quarantine2["MESSAGE"].iloc[0]


def test_consistent_chain_passes_and_missing_partner_is_not_checked():
    staged, quarantine = staged_of(
        PROSECUTIONS,
        chain("2020", 100, 10, 5)
        + [
            {"MEASURE": "CONVICTIONS", "AREA_RAW": "Brasil", "TIME_PERIOD_RAW": "2020", "OBS_VALUE": 999, "LOC_ROW": 20}
        ],
    )
    staged2, quarantine2, warnings = check_relations(staged, quarantine, entry=PROSECUTIONS)
    assert len(staged2) == 4 and quarantine2.empty and warnings.empty


def test_the_warehouse_rows_of_the_same_source_count_and_file_rows_replace_them():
    staged, quarantine = staged_of(PROSECUTIONS, [chain("2020", 100, 10, 5)[2]])  # CONVICTIONS 5
    existing = staged_of(PROSECUTIONS, chain("2020", 100, 3, 1), file_id="e" * 16)[0]
    existing["FILE_NAME"] = "earlier.xlsx"
    _, quarantine2, _ = check_relations(staged, quarantine, entry=PROSECUTIONS, existing=existing)
    assert list(quarantine2["RULE"]) == ["relation_order"]
    assert "earlier.xlsx" in quarantine2["MESSAGE"].iloc[0]
    # the same key in the file replaces the warehouse row: no comparison with the old 1
    staged, quarantine = staged_of(PROSECUTIONS, chain("2020", 100, 10, 5))
    _, quarantine3, _ = check_relations(staged, quarantine, entry=PROSECUTIONS, existing=existing)
    assert quarantine3.empty


def test_across_sources_the_relation_is_a_warning():
    other = PROSECUTIONS.model_copy(update={"id": "other_ministry"})
    staged, quarantine = staged_of(PROSECUTIONS, [chain("2020", 100, 10, 5)[2]])  # CONVICTIONS 5
    existing = staged_of(other, [chain("2020", 100, 3, 1)[1]], file_id="e" * 16)[0]  # PROSECUTIONS 3 elsewhere
    existing["FILE_NAME"] = "ministry.xlsx"
    staged2, quarantine2, warnings = check_relations(staged, quarantine, entry=PROSECUTIONS, existing=existing)
    assert quarantine2.empty and len(staged2) == 1
    assert list(warnings["RULE"]) == ["relation_order_cross_source"]
    assert "other_ministry" in warnings["MESSAGE"].iloc[0]
    assert staged2["WARNINGS"].iloc[0] == "relation_order_cross_source"


def test_breakdown_above_its_total_is_an_error_for_counts_only():
    records = [
        {
            "MEASURE": "VC_HTF_DETVSX",
            "AREA_RAW": "Chile",
            "TIME_PERIOD_RAW": "2015",
            "OBS_VALUE": 10,
            "SEX": "F",
            "AGE": "_T",
            "LOC_ROW": 2,
        },
        {
            "MEASURE": "VC_HTF_DETVSX",
            "AREA_RAW": "Chile",
            "TIME_PERIOD_RAW": "2015",
            "OBS_VALUE": 14,
            "SEX": "F",
            "AGE": "Y_LT18",
            "LOC_ROW": 3,
        },
        {
            "MEASURE": "VC_VOV_SEXL",
            "AREA_RAW": "Chile",
            "TIME_PERIOD_RAW": "2015",
            "OBS_VALUE": 2.0,
            "SEX": "_T",
            "UNIT_MEASURE": "PERCENT",
            "LOC_ROW": 4,
        },
        {
            "MEASURE": "VC_VOV_SEXL",
            "AREA_RAW": "Chile",
            "TIME_PERIOD_RAW": "2015",
            "OBS_VALUE": 3.0,
            "SEX": "F",
            "UNIT_MEASURE": "PERCENT",
            "LOC_ROW": 5,
        },
    ]
    staged, quarantine = staged_of(SDG, records)
    staged2, quarantine2, _ = check_relations(staged, quarantine, entry=SDG)
    [bad] = quarantine2.to_dict("records")
    assert bad["RULE"] == "breakdown_exceeds_total" and bad["LOC_ROW"] == 3
    assert "AGE=Y_LT18 (14)" in bad["MESSAGE"] and "AGE=_T (10" in bad["MESSAGE"]
    assert len(staged2) == 3  # the percentage of women above the total is allowed


@pytest.mark.parametrize(
    "values, warned",
    [
        ((1000, 1100), False),
        ((1000, 20000), True),
        ((3000, 200), True),
        ((0, 15), False),
        ((0, 5000), True),
    ],
)
def test_year_over_year_factor_with_floor(values, warned):
    records = [
        {
            "MEASURE": "HOTLINE_REPORTS_RECEIVED",
            "AREA_RAW": "Brasil",
            "TIME_PERIOD_RAW": str(2019 + i),
            "OBS_VALUE": v,
            "LOC_ROW": 2 + i,
        }
        for i, v in enumerate(values)
    ]
    staged, quarantine = staged_of(HOTLINE, records)
    staged2, _, warnings = check_relations(staged, quarantine, entry=HOTLINE)
    assert len(staged2) == 2  # a warning never removes a row
    assert (len(warnings) == 1) is warned
    if warned:
        message = warnings["MESSAGE"].iloc[0]
        assert f"from {values[0]} in 2019" in message and f"to {values[1]} in 2020" in message
        assert staged2.loc[staged2["TIME_PERIOD"] == "2020", "WARNINGS"].iloc[0] == "yoy_change"


def test_yoy_thresholds_come_from_rules_yaml():
    settings = load_rules().settings
    assert settings["yoy_warning_factor"] == 10 and settings["yoy_floor"]["count"] == 20


@pytest.mark.parametrize(
    "period, previous",
    [
        ("2023", "2022"),
        ("2023-Q3", "2022-Q3"),
        ("2024-03", "2023-03"),
        ("2024-S1", "2023-S1"),
        ("2018/2019", "2017/2018"),
        ("2020/P2Y", None),
    ],
)
def test_previous_period(period, previous):
    assert previous_period(period) == previous


# ------------------------------------------------------------------ messages


def test_file_problem_in_three_languages_and_english_fallback(tmp_path):
    exc = SourceFileError(
        tmp_path / "datos.xlsx",
        "the workbook is password-protected (encrypted), so it cannot be read.",
        hint="Remove the password.",
        code="file_encrypted",
    )
    assert "protegido con contraseña" in msg.file_problem(exc, "es")
    assert "protegido por senha" in msg.file_problem(exc, "pt")
    assert msg.file_problem(exc, "en") == exc.message()
    assert msg.file_problem(exc, "es").startswith("datos.xlsx: ")
    plain = SourceFileError(tmp_path / "x.csv", "something unforeseen.", where="sheet 'datos', row 3")
    assert msg.file_problem(plain, "es") == plain.message()  # no code: the English text
    coded = SourceFileError(
        tmp_path / "x.csv",
        "missing",
        where="sheet 'datos', row 3",
        code="file_missing_column",
        params={"columns": "UNIT_MEASURE", "found": "PAÍS"},
    )
    text = msg.file_problem(coded, "pt")
    assert "x.csv, planilha 'datos', linha 3:" in text and "UNIT_MEASURE" in text and "O que fazer:" in text


def test_every_file_problem_code_raised_by_the_parsers_has_templates():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "sources"
    codes = set()
    for path in list((root / "parsers").glob("*.py")) + [root / "ingest.py"]:
        codes |= set(re.findall(r'code="(file_[a-z_]+)"', path.read_text(encoding="utf-8")))
        codes |= set(re.findall(r'"(file_[a-z_]+)" if', path.read_text(encoding="utf-8")))
        codes |= set(re.findall(r'else "(file_[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert codes, "the parsers set codes"
    assert codes <= set(msg.load_messages()["file_problems"]), codes - set(msg.load_messages()["file_problems"])


def test_quarantine_detail_re_renders_in_every_language():
    parsed = rows(
        [
            {
                "MEASURE": "HOTLINE_REPORTS_RECEIVED",
                "AREA_RAW": "Brasil",
                "TIME_PERIOD_RAW": "2031",
                "OBS_VALUE": 5,
                "LOC_ROW": 7,
            },
            {
                "MEASURE": "HOTLINE_REPORTS_RECEIVED",
                "AREA_RAW": "Brasil",
                "TIME_PERIOD_RAW": "2020",
                "OBS_VALUE": 5,
                "LOC_ROW": 8,
            },
            {
                "MEASURE": "HOTLINE_REPORTS_RECEIVED",
                "AREA_RAW": "Brasil",
                "TIME_PERIOD_RAW": "2020",
                "OBS_VALUE": 6,
                "LOC_ROW": 9,
            },
        ]
    )
    _, quarantine = check_rows(
        parsed,
        entry=HOTLINE,
        file_id="f" * 16,
        measures=load_measures(),
        resolve_area=CODES.get,
        today=dt.date(2024, 6, 1),
    )
    future, dup = quarantine.to_dict("records")
    assert future["MESSAGE"] == "The period '2031' is in the future (after 2024). Check the year."
    assert msg.rule_message("period_out_of_range", future["DETAIL"], "en") == future["MESSAGE"]
    assert (
        msg.rule_message("period_out_of_range", future["DETAIL"], "es")
        == "El período '2031' está en el futuro (después de 2024). Revise el año."
    )
    assert "está no futuro" in msg.rule_message("period_out_of_range", future["DETAIL"], "pt")
    assert "fila 8" in msg.rule_message("duplicate_key", dup["DETAIL"], "es")
    assert "linha 8" in msg.rule_message("duplicate_key", dup["DETAIL"], "pt")


@pytest.mark.parametrize(
    "where, es",
    [
        ("page 3", "página 3"),
        ("sheet 'datos', row 4", "hoja 'datos', fila 4"),
        ("row 1", "fila 1"),
        ("somewhere odd", "somewhere odd"),
    ],
)
def test_localise_where(where, es):
    assert msg.localise_where(where, "es") == es


# ------------------------------------------------------------------ data-quality definitions


@pytest.mark.parametrize(
    "age, frequency, status",
    [
        (None, "annual", "never"),
        (10, "annual", "on_time"),
        (425, "annual", "on_time"),
        (426, "annual", "late"),
        (545, "annual", "late"),
        (546, "annual", "overdue"),
        (100, "quarterly", "on_time"),
        (150, "quarterly", "late"),
        (200, "quarterly", "overdue"),
        (50, "monthly", "late"),
        (5000, "irregular", "not_scheduled"),
    ],
)
def test_freshness_status_thresholds(age, frequency, status):
    assert dq.freshness_status(age, frequency) == status


def test_freshness_frame_from_receipts():
    received = pd.DataFrame(
        [
            {
                "SOURCE_ID": "synthetic_hotline_reports",
                "LAST_RECEIVED": pd.Timestamp("2023-01-10"),
                "FILES": 1,
                "LAST_PERIOD": "2022",
                "LAST_REF_YEAR": 2022,
            }
        ]
    )
    frame = dq.freshness_frame(
        received,
        {k: CATALOGUE[k] for k in ("synthetic_hotline_reports", "synthetic_prosecutions")},
        today=dt.date(2024, 6, 1),
    )
    status = dict(zip(frame["SOURCE_ID"], frame["STATUS"]))
    assert status == {"synthetic_hotline_reports": "late", "synthetic_prosecutions": "never"}
    assert frame.loc[frame.SOURCE_ID == "synthetic_hotline_reports", "AGE_DAYS"].iloc[0] == 508


def test_coverage_counts_expected_and_present_cells():
    obs = pd.DataFrame(
        {
            "SOURCE_ID": ["synthetic_hotline_reports"] * 3,
            "MEASURE": ["HOTLINE_REPORTS_RECEIVED"] * 3,
            "REF_AREA": ["BRA", "BRA", "USA"],
            "REF_YEAR": [2019, 2021, 2020],
        }
    )
    frame = dq.coverage_frame(obs, {"synthetic_hotline_reports": HOTLINE}, ["BRA", "MEX"])
    total = frame[frame.MEASURE == "*"].iloc[0]
    # expected: 2 LAC areas x 3 years (2019-2021, the source's span); present: BRA 2019, BRA 2021
    assert (total.EXPECTED_CELLS, total.PRESENT_CELLS, total.COVERAGE_PCT) == (6, 2, 33.3)
    assert total.AREAS_MISSING == "MEX"
    jam = dq.expected_areas(CATALOGUE["opensdg_jamaica"], ["BRA", "JAM"])
    assert jam[0] == ["JAM"]


def test_history_failures_count_from_check_metadata():
    frame = dq.history_frame(
        [
            {
                "run_id": "r1",
                "timestamp": 1_700_000_000,
                "asset_key": "staging/x",
                "check_name": "gx_suite",
                "passed": False,
                "metadata": {"failures_count": 7},
            },
            {
                "run_id": "r1",
                "timestamp": 1_700_000_000,
                "asset_key": "staging/x",
                "check_name": "rows_conserved",
                "passed": False,
                "metadata": {"failures": [{"file": "a"}, {"file": "b"}]},
            },
            {
                "run_id": "r1",
                "timestamp": 1_700_000_000,
                "asset_key": "staging/x",
                "check_name": "other",
                "passed": True,
                "metadata": {},
            },
        ]
    )
    assert list(frame["FAILURES_COUNT"]) == [7, 2, 0]
    assert set(frame["SOURCE_ID"]) == {"x"}
