"""The row rules and relations as they were before issue 14 (row-by-row Python loops).

Kept for the comparison test only (tests/test_validation_equivalence.py): the set-based
implementation in sources/validation/row_rules.py and relations.py must give the same
staged rows, quarantine rows and warnings, row for row. Copied verbatim from
row_rules.check_rows and relations.check_relations at commit fffd63f; do not use it in
the product.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sources.catalogue import MeasureEntry, SourceEntry, load_measures
from sources.harmonise.periods import parse_period
from sources.validation.relations import (
    COMPARE_COLUMNS,
    DIMS,
    KEY,
    SERIES,
    WARNING_COLUMNS,
    Relations,
    load_relations,
    previous_period,
)
from sources.validation.row_rules import (
    QUARANTINE_COLUMNS,
    Rules,
    _add_second_label,
    _second_label_of_one_area,
    load_rules,
)


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# --- SCHEMA decision "values that exist without a number" (helper unodc; re-apply at merge) ---
#: SDMX CL_OBS_STATUS codes that mean "no value": a row with one of them and a blank
#: value is a missing observation, staged as such (M data cannot exist, O missing,
#: L exists but not collected, Q missing value suppressed).
MISSING_OBS_STATUSES = frozenset({"M", "O", "L", "Q"})


def exists_without_number(row: dict[str, Any]) -> bool:
    """True for a blank value that is an observation all the same: withheld by its
    publisher (CONF_STATUS other than 'F', e.g. UNODC's "<5") or a missing value with an
    SDMX missing status. A blank value with neither stays a ``value_missing`` error."""
    conf = row.get("CONF_STATUS") or "F"
    return conf != "F" or (row.get("OBS_STATUS") or "") in MISSING_OBS_STATUSES


# --- end SCHEMA decision ---


def location_of(row: Any) -> dict[str, Any]:
    """The location of a row as data (page/line, sheet/row), for messages in any language."""
    out: dict[str, Any] = {}
    for col, key in (("LOC_PAGE", "page"), ("LOC_LINE", "line"), ("LOC_ROW", "row")):
        value = row[col]
        if value is not None and not pd.isna(value):
            out[key] = int(value)
    if row["LOC_SHEET"]:
        out["sheet"] = str(row["LOC_SHEET"])
    return out


def _location(row: Any) -> str:
    if pd.notna(row["LOC_PAGE"]):
        return f"page {row['LOC_PAGE']}, line {row['LOC_LINE']}"
    if row["LOC_SHEET"]:
        return f"sheet {row['LOC_SHEET']}, row {row['LOC_ROW']}"
    return f"row {row['LOC_ROW']}"


def _value_problem(value: float, kind: str) -> tuple[str, str] | None:
    """(rule, offending value) for a value that breaks its measure's kind, else None."""
    if kind == "count":
        if value < 0:
            return "count_negative", _fmt_number(value)
        if not float(value).is_integer():
            return "count_not_whole", _fmt_number(value)
    elif kind == "percent" and not 0 <= value <= 100:
        return "percent_out_of_range", _fmt_number(value)
    elif kind in ("rate", "duration") and value < 0:
        return "rate_negative", _fmt_number(value)
    return None


def check_rows(
    parsed: pd.DataFrame,
    *,
    entry: SourceEntry,
    file_id: str,
    measures: dict[str, MeasureEntry],
    resolve_area: Callable[[str], str | None],
    today: dt.date | None = None,
    rules: Rules | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split parsed rows into (staged, quarantine) frames.

    ``staged`` has the warehouse's staging columns (areas resolved to codes, periods in
    canonical form); ``quarantine`` has :data:`QUARANTINE_COLUMNS`, one row per rejected
    parsed row (the first error rule it broke), with an English message.
    """
    rules = rules or load_rules()
    this_year = (today or dt.date.today()).year
    earliest = int(rules.settings["earliest_year"])
    area_codes = {raw: resolve_area(raw) for raw in parsed["AREA_RAW"].unique()}
    periods = {raw: parse_period(raw) for raw in parsed["TIME_PERIOD_RAW"].unique()}
    allowed = set(entry.measures)

    staged_records: list[dict[str, Any]] = []
    quarantined: list[dict[str, Any]] = []
    first_seen: dict[tuple, dict[str, Any]] = {}
    staged_by_key: dict[tuple, dict[str, Any]] = {}

    for row in parsed.to_dict("records"):
        error: tuple[str, str, str, str] | None = None  # rule, column, value, detail
        detail_code, detail_params = "", {}  # a language-neutral form of the detail
        period = periods[row["TIME_PERIOD_RAW"]]
        measure = measures.get(row["MEASURE"])
        if row["PARSE_ERROR"]:
            error = ("parse_error", "OBS_VALUE", row["VALUE_RAW"], row["PARSE_ERROR"])
        elif row["MEASURE"] not in allowed or measure is None:
            error = ("measure_unknown", "MEASURE", row["MEASURE"], "allowed: " + ", ".join(sorted(allowed)))
            detail_code, detail_params = "allowed", {"codes": ", ".join(sorted(allowed))}
        elif area_codes[row["AREA_RAW"]] is None:
            error = ("area_unresolved", "REF_AREA", row["AREA_RAW"], "")
        elif period is None:
            error = ("period_invalid", "TIME_PERIOD", row["TIME_PERIOD_RAW"], "")
        elif period.ref_year > this_year:
            error = (
                "period_out_of_range",
                "TIME_PERIOD",
                row["TIME_PERIOD_RAW"],
                f"is in the future (after {this_year})",
            )
            detail_code, detail_params = "future", {"limit": this_year}
        elif period.start_year < earliest:
            error = ("period_out_of_range", "TIME_PERIOD", row["TIME_PERIOD_RAW"], f"is before {earliest}")
            detail_code, detail_params = "too_early", {"limit": earliest}
        elif pd.isna(row["OBS_VALUE"]) and not exists_without_number(row):  # SCHEMA decision
            error = ("value_missing", "OBS_VALUE", row["VALUE_RAW"], "")
        elif measure.unit and row["UNIT_MEASURE"] not in ("", measure.unit):
            error = ("unit_mismatch", "UNIT_MEASURE", row["UNIT_MEASURE"], measure.unit)
        elif not pd.isna(row["OBS_VALUE"]):
            problem = _value_problem(row["OBS_VALUE"], measure.kind)
            if problem:
                error = (problem[0], "OBS_VALUE", problem[1], "")
        if error is None:
            key = (
                row["MEASURE"],
                area_codes[row["AREA_RAW"]],
                period.canonical,
                row["SEX"],
                row["AGE"],
                row["DISAGGREGATION"],
            )
            if key in first_seen and _second_label_of_one_area(first_seen[key], row, measure):
                # One area printed under two labels: a count's value is the sum of its rows.
                _add_second_label(staged_by_key[key], row)
                continue
            if key in first_seen:
                first = first_seen[key]
                error = ("duplicate_key", "(key)", row["VALUE_RAW"], _location(first))
                detail_code, detail_params = "first_at", {"where": _location(first), "location": location_of(first)}
            else:
                first_seen[key] = row

        if error is not None:
            rule, column, value, detail = error
            quarantined.append(
                {
                    "SOURCE_ID": entry.id,
                    "FILE_ID": file_id,
                    "LOC_PAGE": row["LOC_PAGE"],
                    "LOC_LINE": row["LOC_LINE"],
                    "LOC_SHEET": row["LOC_SHEET"],
                    "LOC_ROW": row["LOC_ROW"],
                    "COLUMN_NAME": column,
                    "RULE": rule,
                    "VALUE": str(value),
                    "MESSAGE": rules.message(rule, "en", value=value, column=column, detail=detail),
                    "ROW_JSON": json.dumps(
                        {k: (None if pd.isna(v) else v) for k, v in row.items()}, default=str, ensure_ascii=False
                    ),
                    # everything needed to render the message again in es/en/pt
                    "DETAIL": json.dumps(
                        {
                            "value": str(value),
                            "column": column,
                            "detail": detail,
                            "detail_code": detail_code,
                            "params": detail_params,
                        },
                        default=str,
                        ensure_ascii=False,
                    ),
                }
            )
            continue
        warnings = []
        unit = row["UNIT_MEASURE"]
        if not unit and measure.unit:
            unit = measure.unit
            warnings.append("unit_from_measure")
        staged_records.append(
            {
                "SOURCE_ID": entry.id,
                "MEASURE": row["MEASURE"],
                "REF_AREA": area_codes[row["AREA_RAW"]],
                "TIME_PERIOD": period.canonical,
                "REF_YEAR": period.ref_year,
                "OBS_VALUE": None if pd.isna(row["OBS_VALUE"]) else float(row["OBS_VALUE"]),
                "UNIT_MEASURE": unit,
                "OBS_STATUS": row["OBS_STATUS"] or "A",
                "SEX": row["SEX"],
                "AGE": row["AGE"],
                "DISAGGREGATION": row["DISAGGREGATION"],
                "NATURE": row["NATURE"],
                "AREA_RAW": row["AREA_RAW"],
                "TIME_PERIOD_RAW": row["TIME_PERIOD_RAW"],
                "VALUE_RAW": row["VALUE_RAW"],
                "FILE_ID": file_id,
                "LOC_PAGE": row["LOC_PAGE"],
                "LOC_LINE": row["LOC_LINE"],
                "LOC_SHEET": row["LOC_SHEET"],
                "LOC_ROW": row["LOC_ROW"],
                "WARNINGS": ";".join(warnings),
                # SCHEMA decision: the published text and confidentiality status travel with the row
                "OBS_TEXT": row.get("OBS_TEXT") or None,
                "CONF_STATUS": row.get("CONF_STATUS") or "F",
                "COMMENT_OBS": row.get("COMMENT_OBS") or "",
                "LOC_ALSO": None,
            }
        )
        staged_by_key[key] = staged_records[-1]

    from warehouse.tables import STAGED_COLUMNS  # local import keeps this module light

    staged = pd.DataFrame.from_records(staged_records, columns=list(STAGED_COLUMNS))
    quarantine = pd.DataFrame.from_records(quarantined, columns=QUARANTINE_COLUMNS)
    for frame in (staged, quarantine):
        for col in ("LOC_PAGE", "LOC_LINE", "LOC_ROW"):
            frame[col] = pd.array(frame[col], dtype="Int64")
    return staged, quarantine


def _loc(row: dict[str, Any], prefix: str, in_file: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not in_file and row.get(prefix + "FILE_NAME"):
        out["file"] = row[prefix + "FILE_NAME"]
    for col, key in (("LOC_PAGE", "page"), ("LOC_LINE", "line"), ("LOC_ROW", "row")):
        value = row.get(prefix + col)
        if value is not None and not pd.isna(value):
            out[key] = int(value)
    if row.get(prefix + "LOC_SHEET"):
        out["sheet"] = str(row[prefix + "LOC_SHEET"])
    return out


def _num(value: Any) -> float | int:
    value = float(value)
    return int(value) if value.is_integer() else value


def _side_location(row: dict[str, Any], suffix: str) -> dict[str, Any]:
    """Location of one side (``_a``/``_b``) of a merged pair; names the file if not this one."""
    side = {k[: -len(suffix)]: v for k, v in row.items() if k.endswith(suffix)}
    return _loc(side, "", side["_IDX"] >= 0)


def _pairs(left: pd.DataFrame, right: pd.DataFrame, on: list[str], **merge: Any) -> pd.DataFrame:
    """Rows of ``left`` and ``right`` matched on ``on``; columns suffixed ``_a`` and ``_b``."""
    if left.empty or right.empty:
        return pd.DataFrame()
    merged = left.add_suffix("_a").merge(
        right.add_suffix("_b"), left_on=[c + "_a" for c in on], right_on=[c + "_b" for c in on], **merge
    )
    return merged


def check_relations(
    staged: pd.DataFrame,
    quarantine: pd.DataFrame,
    *,
    entry: SourceEntry,
    existing: pd.DataFrame | None = None,
    measures: dict[str, MeasureEntry] | None = None,
    rules: Rules | None = None,
    relations: Relations | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the relation and plausibility rules to a file's staged rows.

    Returns ``(staged, quarantine, warnings)``: rows that break an error rule moved from
    ``staged`` to ``quarantine`` (with their reason), warned rows flagged in ``WARNINGS``,
    and one warnings row per warning with both values (:data:`WARNING_COLUMNS`).
    """
    from sources.validation.messages import rule_message

    rules = rules or load_rules()
    relations = relations or load_relations()
    measures = measures or load_measures()
    warnings_out = pd.DataFrame(columns=WARNING_COLUMNS)
    if staged.empty:
        return staged, quarantine, warnings_out

    inc = staged[COMPARE_COLUMNS].copy()
    inc["_IDX"] = range(len(inc))
    inc["FILE_NAME"] = ""
    pool = inc
    if existing is not None and len(existing):
        ex = existing[COMPARE_COLUMNS + ["FILE_NAME"]].copy()
        ex["_IDX"] = -1
        replaced = ex.merge(inc[KEY].drop_duplicates(), on=KEY, how="left", indicator=True)["_merge"] == "both"
        ex = ex[~replaced.to_numpy()]
        pool = pd.concat([inc, ex], ignore_index=True)
    pool["OBS_VALUE"] = pool["OBS_VALUE"].astype(float)

    errors: dict[int, tuple[str, dict[str, Any]]] = {}
    warned: list[tuple[int, str, dict[str, Any]]] = []

    # orderings: every measure of a chain >= each one after it
    for ordering in relations.orderings:
        chain = ordering["measures"]
        if not set(chain) & set(entry.measures):
            continue
        for i, larger in enumerate(chain):
            for smaller in chain[i + 1 :]:
                small = pool[pool["MEASURE"] == smaller]
                big = pool[pool["MEASURE"] == larger]
                merged = _pairs(small, big, ["REF_AREA", "TIME_PERIOD"] + DIMS)
                if len(merged) == 0:
                    continue
                bad = merged[
                    ((merged["_IDX_a"] >= 0) | (merged["_IDX_b"] >= 0))
                    & (merged["OBS_VALUE_a"] > merged["OBS_VALUE_b"])
                ]
                for row in bad.to_dict("records"):
                    same = row["SOURCE_ID_a"] == row["SOURCE_ID_b"]
                    if not same and not ordering["across_sources"]:
                        continue
                    me, other = ("_a", "_b") if row["_IDX_a"] >= 0 else ("_b", "_a")
                    params = {
                        "measure": row["MEASURE" + me],
                        "value": _num(row["OBS_VALUE" + me]),
                        "other_measure": row["MEASURE" + other],
                        "other_value": _num(row["OBS_VALUE" + other]),
                        "other_source": row["SOURCE_ID" + other],
                        "other_period": row["TIME_PERIOD" + other],
                        "other_location": _side_location(row, other),
                        "smaller": smaller,
                        "larger": larger,
                        "period": row["TIME_PERIOD" + me],
                    }
                    idx = int(row["_IDX" + me])
                    if same:
                        errors.setdefault(idx, ("relation_order", params))
                    else:
                        warned.append((idx, "relation_order_cross_source", params))

    # breakdowns: a part never exceeds its total (counts, same source)
    kinds = {code for code, m in measures.items() if m.kind in relations.breakdown_kinds}
    counted = pool[pool["MEASURE"].isin(kinds) & (pool["SOURCE_ID"] == entry.id)]
    for dim, total_code in relations.breakdown_dims.items():
        if counted.empty:
            break
        parts = counted[(counted[dim] != total_code) & (counted[dim] != "")]
        totals = counted[counted[dim] == total_code]
        on = ["SOURCE_ID", "MEASURE", "REF_AREA", "TIME_PERIOD"] + [d for d in DIMS if d != dim]
        merged = _pairs(parts, totals, on)
        if len(merged) == 0:
            continue
        bad = merged[
            ((merged["_IDX_a"] >= 0) | (merged["_IDX_b"] >= 0)) & (merged["OBS_VALUE_a"] > merged["OBS_VALUE_b"])
        ]
        for row in bad.to_dict("records"):
            me, other = ("_a", "_b") if row["_IDX_a"] >= 0 else ("_b", "_a")
            params = {
                "measure": row["MEASURE_a"],
                "dimension": dim,
                "part": row[dim + "_a"],
                "part_value": _num(row["OBS_VALUE_a"]),
                "total": total_code or "(headline)",
                "total_value": _num(row["OBS_VALUE_b"]),
                "value": _num(row["OBS_VALUE" + me]),
                "period": row["TIME_PERIOD_a"],
                "other_location": _side_location(row, other),
            }
            errors.setdefault(int(row["_IDX" + me]), ("breakdown_exceeds_total", params))

    # year over year, same source, rows that passed the error rules above
    if relations.yoy:
        factor = float(rules.settings.get("yoy_warning_factor", 10))
        floors = rules.settings.get("yoy_floor") or {}
        own = pool[(pool["SOURCE_ID"] == entry.id) & ~pool["_IDX"].isin(list(errors))].copy()
        prev_map = {p: previous_period(p) for p in own["TIME_PERIOD"].unique()}
        own["PREV_PERIOD"] = own["TIME_PERIOD"].map(prev_map)
        current = own[own["PREV_PERIOD"].notna()]
        if len(current):
            merged = current.add_suffix("_a").merge(
                own.add_suffix("_b"),
                left_on=[c + "_a" for c in SERIES] + ["PREV_PERIOD_a"],
                right_on=[c + "_b" for c in SERIES] + ["TIME_PERIOD_b"],
            )
            merged = merged[(merged["_IDX_a"] >= 0) | (merged["_IDX_b"] >= 0)]
            if len(merged):
                floor_of = {
                    m: float(floors.get(measures[m].kind, 0)) for m in merged["MEASURE_a"].unique() if m in measures
                }
                floor = merged["MEASURE_a"].map(floor_of).fillna(0.0).to_numpy()
                now = np.maximum(merged["OBS_VALUE_a"].clip(lower=0).to_numpy(), floor)
                before = np.maximum(merged["OBS_VALUE_b"].clip(lower=0).to_numpy(), floor)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = pd.Series(np.where(before > 0, now / before, np.nan), index=merged.index)
                flagged = merged[(ratio > factor) | (ratio < 1 / factor)]
                for row, r in zip(flagged.to_dict("records"), ratio[flagged.index]):
                    me, other = ("_a", "_b") if row["_IDX_a"] >= 0 else ("_b", "_a")
                    change = f"x{r:.1f}" if r >= 1 else f"/{1 / r:.1f}"
                    params = {
                        "measure": row["MEASURE_a"],
                        "value": _num(row["OBS_VALUE_a"]),
                        "period": row["TIME_PERIOD_a"],
                        "other_value": _num(row["OBS_VALUE_b"]),
                        "other_period": row["TIME_PERIOD_b"],
                        "change": change,
                        "limit": _num(factor),
                        "other_location": _side_location(row, other),
                    }
                    if me == "_b":  # the file holds the earlier year: the later one is the "other"
                        params["other_location"] = _side_location(row, "_a")
                    warned.append((int(row["_IDX" + me]), "yoy_change", params))

    if not errors and not warned:
        return staged, quarantine, warnings_out

    staged = staged.reset_index(drop=True).copy()
    records = staged.to_dict("records")

    def detail_json(rule: str, params: dict[str, Any], value: str) -> str:
        return json.dumps(
            {"value": value, "column": "OBS_VALUE", "detail": "", "detail_code": "", "params": params},
            default=str,
            ensure_ascii=False,
        )

    new_q = []
    for idx, (rule, params) in sorted(errors.items()):
        row = records[idx]
        detail = detail_json(rule, params, row["VALUE_RAW"])
        new_q.append(
            {
                "SOURCE_ID": row["SOURCE_ID"],
                "FILE_ID": row["FILE_ID"],
                "LOC_PAGE": row["LOC_PAGE"],
                "LOC_LINE": row["LOC_LINE"],
                "LOC_SHEET": row["LOC_SHEET"],
                "LOC_ROW": row["LOC_ROW"],
                "COLUMN_NAME": "OBS_VALUE",
                "RULE": rule,
                "VALUE": str(row["VALUE_RAW"]),
                "MESSAGE": rule_message(rule, detail, "en", rules=rules),
                "ROW_JSON": json.dumps(
                    {k: (None if pd.isna(v) else v) for k, v in row.items()}, default=str, ensure_ascii=False
                ),
                "DETAIL": detail,
            }
        )
    new_w = []
    flags: dict[int, list[str]] = {}
    for idx, rule, params in warned:
        if idx in errors:
            continue
        row = records[idx]
        detail = detail_json(rule, params, row["VALUE_RAW"])
        flags.setdefault(idx, [])
        if rule not in flags[idx]:
            flags[idx].append(rule)
        new_w.append(
            {
                "SOURCE_ID": row["SOURCE_ID"],
                "FILE_ID": row["FILE_ID"],
                "LOC_PAGE": row["LOC_PAGE"],
                "LOC_LINE": row["LOC_LINE"],
                "LOC_SHEET": row["LOC_SHEET"],
                "LOC_ROW": row["LOC_ROW"],
                "COLUMN_NAME": "OBS_VALUE",
                "RULE": rule,
                "VALUE": str(row["VALUE_RAW"]),
                "MESSAGE": rule_message(rule, detail, "en", rules=rules),
                "DETAIL": detail,
            }
        )
    for idx, names in flags.items():
        old = [w for w in str(staged.at[idx, "WARNINGS"] or "").split(";") if w]
        staged.at[idx, "WARNINGS"] = ";".join(old + [n for n in names if n not in old])
    if errors:
        staged = staged.drop(index=list(errors)).reset_index(drop=True)
        extra = pd.DataFrame.from_records(new_q, columns=QUARANTINE_COLUMNS)
        quarantine = pd.concat([quarantine, extra], ignore_index=True) if len(quarantine) else extra
    warnings_out = pd.DataFrame.from_records(new_w, columns=WARNING_COLUMNS)
    for frame in (staged, quarantine, warnings_out):
        for col in ("LOC_PAGE", "LOC_LINE", "LOC_ROW"):
            frame[col] = pd.array(frame[col], dtype="Int64")
    return staged, quarantine, warnings_out
