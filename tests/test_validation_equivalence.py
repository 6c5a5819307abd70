"""The set-based row rules and relations give what the row-by-row code gave, row for row.

The reference is the implementation before issue 14, kept verbatim in
``tests/legacy_validation.py``. For every bundled file of every observation source
(parsed once by its own parser) and for a hand-written file that breaks every rule, the
staged rows, the quarantine rows (rule, column, value, message, ROW_JSON, DETAIL,
location) and the warnings must be equal, in the same order. The relations are checked
as ``clac build`` meets them: each file against the rows of the files ingested before it.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest

from sources.catalogue import load_catalogue, load_measures, observation_sources
from sources.harmonise.areas import default_resolver
from sources.ingest import parser_for
from sources.parsers.base import make_rows
from sources.validation.relations import COMPARE_COLUMNS, check_relations, load_relations, related_sources
from sources.validation.row_rules import check_rows
from tests import legacy_validation as legacy

TODAY = dt.date(2026, 12, 1)
SOURCES = observation_sources(load_catalogue())


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame's rows as plain values (every missing value is None) for an exact comparison."""

    def plain(value):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        return value.item() if hasattr(value, "item") else value

    return [{k: plain(v) for k, v in row.items()} for row in frame.reset_index(drop=True).to_dict("records")]


def assert_same(new: pd.DataFrame, old: pd.DataFrame, what: str) -> None:
    assert list(new.columns) == list(old.columns), what
    assert len(new) == len(old), f"{what}: {len(new)} rows, the old code gave {len(old)}"
    for i, (a, b) in enumerate(zip(records(new), records(old))):
        assert a == b, f"{what}, row {i}"
    for col in ("LOC_PAGE", "LOC_LINE", "LOC_ROW", "OBS_VALUE", "REF_YEAR"):
        if col in old.columns and len(old):
            assert new[col].dtype == old[col].dtype, f"{what}: {col} is {new[col].dtype}, was {old[col].dtype}"


def existing_like_warehouse(entry, staged: pd.DataFrame, earlier: list[tuple[str, str, pd.DataFrame]]):
    """What :func:`relations.existing_rows` reads: earlier files' staged rows of the related
    sources and measures, in the areas of this file (the bundled files supersede nothing)."""
    wanted = related_sources(entry, load_relations(), SOURCES)
    frames = []
    for source_id, name, rows in earlier:
        if source_id in wanted and len(rows):
            pick = rows[rows["MEASURE"].isin(wanted[source_id]) & rows["REF_AREA"].isin(set(staged["REF_AREA"]))]
            frames.append(pick[COMPARE_COLUMNS].assign(FILE_NAME=name))
    return pd.concat(frames, ignore_index=True) if frames else None


@pytest.fixture(scope="module")
def bundled_parsed():
    out = []
    for entry in SOURCES.values():
        for path in entry.bundled_paths():
            out.append((entry, path, parser_for(entry)(path, **entry.parser_options)))
    return out


def test_every_bundled_file_is_staged_and_quarantined_as_before(bundled_parsed):
    resolve = default_resolver().resolve
    earlier: list[tuple[str, str, pd.DataFrame]] = []
    checked = quarantined = 0
    for entry, path, parsed in bundled_parsed:
        args = dict(
            entry=entry,
            file_id=path.stem[:16].ljust(16, "0"),
            measures=load_measures(),
            resolve_area=resolve,
            today=TODAY,
        )
        new_staged, new_q = check_rows(parsed.rows, **args)
        old_staged, old_q = legacy.check_rows(parsed.rows, **args)
        assert_same(new_staged, old_staged, f"{path.name}: staged rows")
        assert_same(new_q, old_q, f"{path.name}: quarantine")
        existing = existing_like_warehouse(entry, old_staged, earlier)
        new = check_relations(new_staged, new_q, entry=entry, existing=existing)
        old = legacy.check_relations(old_staged, old_q, entry=entry, existing=existing)
        for part, a, b in zip(("staged rows", "quarantine", "warnings"), new, old):
            assert_same(a, b, f"{path.name}: {part} after the relations")
        # a staged row that sums a second label of its area (LOC_ALSO) stands for each printed row
        summed_in = sum(len(json.loads(also)) for also in new[0]["LOC_ALSO"].dropna()) if "LOC_ALSO" in new[0] else 0
        assert len(new[0]) + summed_in + len(new[1]) == parsed.rows_read, f"{path.name}: conservation"
        earlier.append((entry.id, path.name, old[0]))
        checked += 1
        quarantined += len(old[1])
    assert checked >= 19 and quarantined > 0  # every bundled file, and some quarantine to compare


def hostile_rows() -> pd.DataFrame:
    """One row per rule (and the cases between them), in an order that tests 'first rule broken'."""

    def row(n, measure="PROSECUTIONS", area="Ecuador", period="2020", value=10.0, **extra):
        raw = extra.pop("raw", "" if value is None else str(value))
        return {
            "MEASURE": measure,
            "AREA_RAW": area,
            "TIME_PERIOD_RAW": period,
            "OBS_VALUE": value,
            "VALUE_RAW": raw,
            "UNIT_MEASURE": "NUMBER",
            "LOC_SHEET": "datos",
            "LOC_ROW": n,
            **extra,
        }

    return make_rows(
        [
            row(2),
            row(3, value=None, raw="abc", PARSE_ERROR="'abc' is not a number", measure="NOPE"),
            row(4, measure="NOPE", area="Atlantis"),
            row(5, area="Atlantis", period="2020-Q9"),
            row(6, period="2020-Q9", value=None),
            row(7, period="2031"),
            row(8, period="1985", value=-1.0),
            row(9, value=None, UNIT_MEASURE="PERCENT"),
            row(10, UNIT_MEASURE="PERCENT", value=-3.0),
            row(11, value=-3.0),
            row(12, value=2.5, period="2021"),
            row(13, value=float("inf"), period="2022"),
            row(14),  # duplicate of row 2
            row(15, UNIT_MEASURE="", period="2019", SEX="F"),
            row(16, UNIT_MEASURE="", period="2019", SEX="F"),  # duplicate of row 15
            row(17, measure="CONVICTIONS", value=50.0),  # CONVICTIONS > PROSECUTIONS (10)
            row(18, measure="INVESTIGATIONS_OPENED", value=5.0),  # below both
            row(19, period="2018", SEX="F", value=4000.0),  # x? against 2019 SEX=F (10): yoy
            row(20, period="2018", SEX="M", value=1.0),
            row(21, period="2018", SEX="_T", value=2.0),  # part M=1, F=4000 > total 2
            row(22, period="2019/2020", value=7.0),
            row(23, area="Brasil", period="2023", value=7.0, OBS_STATUS="E", AGE="Y_LT18"),
            row(24, area="Brasil", period="2023", value=9.0, OBS_STATUS="E", AGE="_T"),
            row(25, area="Brasil", period="2022", value=900.0, AGE="_T"),
        ]
    )


def test_a_file_breaking_every_rule_gets_the_same_outcome_as_before():
    entry = SOURCES["synthetic_prosecutions"]
    codes = {"Ecuador": "ECU", "Brasil": "BRA"}
    args = dict(entry=entry, file_id="h" * 16, measures=load_measures(), resolve_area=codes.get, today=TODAY)
    parsed = hostile_rows()
    new_staged, new_q = check_rows(parsed, **args)
    old_staged, old_q = legacy.check_rows(parsed, **args)
    assert_same(new_staged, old_staged, "staged rows")
    assert_same(new_q, old_q, "quarantine")
    rules_seen = set(old_q["RULE"])
    assert {
        "parse_error",
        "measure_unknown",
        "area_unresolved",
        "period_invalid",
        "period_out_of_range",
        "value_missing",
        "unit_mismatch",
        "count_negative",
        "count_not_whole",
        "duplicate_key",
    } <= rules_seen
    existing = pd.DataFrame(
        [
            {
                "SOURCE_ID": "ministerio_x",
                "MEASURE": "PROSECUTIONS",
                "REF_AREA": "BRA",
                "SEX": "",
                "AGE": "Y_LT18",
                "DISAGGREGATION": "",
                "TIME_PERIOD": "2023",
                "OBS_VALUE": 1.0,
                "FILE_ID": "e" * 16,
                "LOC_PAGE": pd.NA,
                "LOC_LINE": pd.NA,
                "LOC_SHEET": "d",
                "LOC_ROW": 3,
                "FILE_NAME": "other.csv",
            }
        ]
    )
    for ex in (None, existing):
        new = check_relations(new_staged, new_q, entry=entry, existing=ex)
        old = legacy.check_relations(old_staged, old_q, entry=entry, existing=ex)
        for part, a, b in zip(("staged rows", "quarantine", "warnings"), new, old):
            assert_same(a, b, f"{part} after the relations")
    assert {"relation_order", "breakdown_exceeds_total"} <= set(old[1]["RULE"])
    assert "yoy_change" in set(old[2]["RULE"])
