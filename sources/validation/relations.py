"""Logical relations and plausibility, checked after the row rules.

Which measures are related is data (``relations.yaml``); rule names, severities and
messages are in ``rules.yaml``. Three checks:

* **orderings** (``relation_order``, error; ``relation_order_cross_source``, warning):
  in a chain such as INVESTIGATIONS_OPENED >= PROSECUTIONS >= CONVICTIONS, no measure
  exceeds one before it, for the same area, period and breakdown;
* **breakdowns** (``breakdown_exceeds_total``, error): for counts, a part (SEX F, AGE
  Y_LT18, a non-empty DISAGGREGATION) never exceeds its total (SEX _T, AGE _T, the
  headline row), everything else equal, same source;
* **year over year** (``yoy_change``, warning): a value more than ``yoy_warning_factor``
  times (or less than 1/factor of) the same series one year earlier, after raising both
  to the measure kind's ``yoy_floor``.

The rows of the file being checked are compared with each other and with the current
rows in the warehouse (:func:`existing_rows`); a file row replaces a warehouse row with
the same key. An error moves the file's row that breaks the relation from the staged
rows to quarantine (the smaller measure's row, or the part, when both are in the file);
a warning keeps it staged, names the rule in its ``WARNINGS`` column and adds a row with
both values to the warnings frame (``staging.warnings``).

Everything here is plain pandas, so :mod:`sources.ingest`, ``clac validate`` and the
benchmark share it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sources.catalogue import MeasureEntry, SourceEntry, load_catalogue, load_measures, observation_sources
from sources.validation.row_rules import QUARANTINE_COLUMNS, Rules, load_rules

RELATIONS_FILE = Path(__file__).resolve().parent / "relations.yaml"

DIMS = ["SEX", "AGE", "DISAGGREGATION"]
SERIES = ["SOURCE_ID", "MEASURE", "REF_AREA", "SEX", "AGE", "DISAGGREGATION"]
KEY = SERIES + ["TIME_PERIOD"]
COMPARE_COLUMNS = KEY + ["OBS_VALUE", "FILE_ID", "LOC_PAGE", "LOC_LINE", "LOC_SHEET", "LOC_ROW"]
WARNING_COLUMNS = ["SOURCE_ID", "FILE_ID", "LOC_PAGE", "LOC_LINE", "LOC_SHEET", "LOC_ROW",
                   "COLUMN_NAME", "RULE", "VALUE", "MESSAGE", "DETAIL"]


@dataclass(frozen=True)
class Relations:
    orderings: tuple[dict[str, Any], ...]
    breakdown_kinds: frozenset[str]
    breakdown_dims: dict[str, str]
    yoy: bool


@lru_cache(maxsize=2)
def load_relations(path: Path = RELATIONS_FILE) -> Relations:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    known = load_measures()
    orderings = []
    for i, item in enumerate(data.get("orderings") or []):
        measures = list(item.get("measures") or [])
        if len(measures) < 2:
            raise ValueError(f"{path.name}: orderings[{i}]: give at least two measures")
        unknown = [m for m in measures if m not in known]
        if unknown:
            raise ValueError(f"{path.name}: orderings[{i}]: {', '.join(unknown)} not in the measures code list")
        orderings.append({"name": item.get("name", f"ordering_{i}"), "measures": measures,
                          "across_sources": bool(item.get("across_sources", False))})
    breakdowns = data.get("breakdowns") or {}
    dims = {str(k): str(v) for k, v in (breakdowns.get("dimensions") or {}).items()}
    bad = set(dims) - set(DIMS)
    if bad:
        raise ValueError(f"{path.name}: breakdowns.dimensions: {sorted(bad)} (use {', '.join(DIMS)})")
    return Relations(
        orderings=tuple(orderings),
        breakdown_kinds=frozenset(breakdowns.get("kinds") or []),
        breakdown_dims=dims,
        yoy=bool((data.get("plausibility") or {}).get("yoy", True)),
    )


# --------------------------------------------------------------------------- periods

_YEAR = re.compile(r"^(\d{4})$")
_SUB = re.compile(r"^(\d{4})-(Q[1-4]|S[12]|\d{2})$")
_FISCAL = re.compile(r"^(\d{4})/(\d{4})$")


def previous_period(canonical: str) -> str | None:
    """The same period one year earlier (``2023`` -> ``2022``, ``2023-Q3`` -> ``2022-Q3``,
    ``2022/2023`` -> ``2021/2022``); ``None`` for ranges and unknown forms."""
    if m := _YEAR.match(canonical):
        return str(int(m.group(1)) - 1)
    if m := _SUB.match(canonical):
        return f"{int(m.group(1)) - 1}-{m.group(2)}"
    if m := _FISCAL.match(canonical):
        return f"{int(m.group(1)) - 1}/{int(m.group(2)) - 1}"
    return None


# --------------------------------------------------------------------------- warehouse rows

def related_sources(entry: SourceEntry, relations: Relations,
                    catalogue: dict[str, SourceEntry] | None = None) -> dict[str, list[str]]:
    """Source id -> measures whose current warehouse rows a file of ``entry`` is compared with."""
    catalogue = catalogue if catalogue is not None else observation_sources(load_catalogue())
    wanted: dict[str, list[str]] = {entry.id: list(entry.measures)}
    for ordering in relations.orderings:
        if not ordering["across_sources"] or not set(ordering["measures"]) & set(entry.measures):
            continue
        for sid, other in catalogue.items():
            if sid == entry.id:
                continue
            shared = [m for m in ordering["measures"] if m in other.measures]
            if shared:
                wanted.setdefault(sid, [])
                wanted[sid] = sorted(set(wanted[sid]) | set(shared))
    return wanted


def existing_rows(con, entry: SourceEntry, staged: pd.DataFrame, *, relations: Relations | None = None,
                  catalogue: dict[str, SourceEntry] | None = None) -> pd.DataFrame:
    """Current warehouse rows (files not superseded) the file's rows are compared with.

    Only the areas present in ``staged`` are read; ``FILE_NAME`` says which file each came
    from. Works on a read-only connection.
    """
    from sources.warehouse import staging_table, table_exists

    relations = relations or load_relations()
    empty = pd.DataFrame(columns=COMPARE_COLUMNS + ["FILE_NAME"])
    if staged.empty or not table_exists(con, "raw", "parses"):
        return empty
    areas = sorted(set(staged["REF_AREA"]))
    frames = []
    for source_id, measures in related_sources(entry, relations, catalogue).items():
        if not table_exists(con, "staging", source_id):
            continue
        cols = ", ".join(f"s.{c}" for c in COMPARE_COLUMNS)
        frames.append(con.execute(f"""
            SELECT {cols}, f.ORIGINAL_NAME AS FILE_NAME
            FROM {staging_table(source_id)} s
            JOIN raw.parses p ON p.FILE_ID = s.FILE_ID AND p.SUPERSEDED_BY IS NULL
            JOIN raw.files f ON f.FILE_ID = s.FILE_ID
            WHERE list_contains(?::VARCHAR[], s.REF_AREA) AND list_contains(?::VARCHAR[], s.MEASURE)
        """, [areas, measures]).df())
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty


# --------------------------------------------------------------------------- the checks

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
    merged = left.add_suffix("_a").merge(right.add_suffix("_b"), left_on=[c + "_a" for c in on],
                                         right_on=[c + "_b" for c in on], **merge)
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
            for smaller in chain[i + 1:]:
                small = pool[pool["MEASURE"] == smaller]
                big = pool[pool["MEASURE"] == larger]
                merged = _pairs(small, big, ["REF_AREA", "TIME_PERIOD"] + DIMS)
                if len(merged) == 0:
                    continue
                bad = merged[((merged["_IDX_a"] >= 0) | (merged["_IDX_b"] >= 0))
                             & (merged["OBS_VALUE_a"] > merged["OBS_VALUE_b"])]
                for row in bad.to_dict("records"):
                    same = row["SOURCE_ID_a"] == row["SOURCE_ID_b"]
                    if not same and not ordering["across_sources"]:
                        continue
                    me, other = ("_a", "_b") if row["_IDX_a"] >= 0 else ("_b", "_a")
                    params = {
                        "measure": row["MEASURE" + me], "value": _num(row["OBS_VALUE" + me]),
                        "other_measure": row["MEASURE" + other], "other_value": _num(row["OBS_VALUE" + other]),
                        "other_source": row["SOURCE_ID" + other], "other_period": row["TIME_PERIOD" + other],
                        "other_location": _side_location(row, other),
                        "smaller": smaller, "larger": larger, "period": row["TIME_PERIOD" + me],
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
        bad = merged[((merged["_IDX_a"] >= 0) | (merged["_IDX_b"] >= 0))
                     & (merged["OBS_VALUE_a"] > merged["OBS_VALUE_b"])]
        for row in bad.to_dict("records"):
            me, other = ("_a", "_b") if row["_IDX_a"] >= 0 else ("_b", "_a")
            params = {
                "measure": row["MEASURE_a"], "dimension": dim,
                "part": row[dim + "_a"], "part_value": _num(row["OBS_VALUE_a"]),
                "total": total_code or "(headline)", "total_value": _num(row["OBS_VALUE_b"]),
                "value": _num(row["OBS_VALUE" + me]), "period": row["TIME_PERIOD_a"],
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
                own.add_suffix("_b"), left_on=[c + "_a" for c in SERIES] + ["PREV_PERIOD_a"],
                right_on=[c + "_b" for c in SERIES] + ["TIME_PERIOD_b"])
            merged = merged[(merged["_IDX_a"] >= 0) | (merged["_IDX_b"] >= 0)]
            if len(merged):
                floor_of = {m: float(floors.get(measures[m].kind, 0)) for m in merged["MEASURE_a"].unique()
                            if m in measures}
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
                        "measure": row["MEASURE_a"], "value": _num(row["OBS_VALUE_a"]),
                        "period": row["TIME_PERIOD_a"], "other_value": _num(row["OBS_VALUE_b"]),
                        "other_period": row["TIME_PERIOD_b"], "change": change, "limit": _num(factor),
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
        return json.dumps({"value": value, "column": "OBS_VALUE", "detail": "", "detail_code": "",
                           "params": params}, default=str, ensure_ascii=False)

    new_q = []
    for idx, (rule, params) in sorted(errors.items()):
        row = records[idx]
        detail = detail_json(rule, params, row["VALUE_RAW"])
        new_q.append({
            "SOURCE_ID": row["SOURCE_ID"], "FILE_ID": row["FILE_ID"],
            "LOC_PAGE": row["LOC_PAGE"], "LOC_LINE": row["LOC_LINE"],
            "LOC_SHEET": row["LOC_SHEET"], "LOC_ROW": row["LOC_ROW"],
            "COLUMN_NAME": "OBS_VALUE", "RULE": rule, "VALUE": str(row["VALUE_RAW"]),
            "MESSAGE": rule_message(rule, detail, "en", rules=rules),
            "ROW_JSON": json.dumps({k: (None if pd.isna(v) else v) for k, v in row.items()},
                                   default=str, ensure_ascii=False),
            "DETAIL": detail,
        })
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
        new_w.append({
            "SOURCE_ID": row["SOURCE_ID"], "FILE_ID": row["FILE_ID"],
            "LOC_PAGE": row["LOC_PAGE"], "LOC_LINE": row["LOC_LINE"],
            "LOC_SHEET": row["LOC_SHEET"], "LOC_ROW": row["LOC_ROW"],
            "COLUMN_NAME": "OBS_VALUE", "RULE": rule, "VALUE": str(row["VALUE_RAW"]),
            "MESSAGE": rule_message(rule, detail, "en", rules=rules), "DETAIL": detail,
        })
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


def check_with_warehouse(con, staged: pd.DataFrame, quarantine: pd.DataFrame, *, entry: SourceEntry,
                         **kwargs: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`check_relations` against the current rows of the warehouse open on ``con``."""
    existing = existing_rows(con, entry, staged) if con is not None else None
    return check_relations(staged, quarantine, entry=entry, existing=existing, **kwargs)


def insert_warnings(con, warnings: pd.DataFrame) -> None:
    """Append warnings rows to ``staging.warnings`` (inside the caller's transaction)."""
    if warnings is None or not len(warnings):
        return
    con.register("warning_rows", warnings)
    con.execute("INSERT INTO staging.warnings BY NAME SELECT * FROM warning_rows")
    con.unregister("warning_rows")
