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

The pairs are found by joins in an in-memory DuckDB (:class:`_Pool`); only the pairs that
break a rule come back to Python for their messages. :mod:`sources.ingest`, ``clac
validate`` and the benchmark share it.
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
WARNING_COLUMNS = [
    "SOURCE_ID",
    "FILE_ID",
    "LOC_PAGE",
    "LOC_LINE",
    "LOC_SHEET",
    "LOC_ROW",
    "COLUMN_NAME",
    "RULE",
    "VALUE",
    "MESSAGE",
    "DETAIL",
]


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
        orderings.append(
            {
                "name": item.get("name", f"ordering_{i}"),
                "measures": measures,
                "across_sources": bool(item.get("across_sources", False)),
            }
        )
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


def related_sources(
    entry: SourceEntry, relations: Relations, catalogue: dict[str, SourceEntry] | None = None
) -> dict[str, list[str]]:
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


def existing_rows(
    con,
    entry: SourceEntry,
    staged: pd.DataFrame,
    *,
    relations: Relations | None = None,
    catalogue: dict[str, SourceEntry] | None = None,
) -> pd.DataFrame:
    """Current warehouse rows (files not superseded) the file's rows are compared with.

    Only the areas present in ``staged`` are read; ``FILE_NAME`` says which file each came
    from. Works on a read-only connection.
    """
    from warehouse.tables import staging_table, table_exists

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
        frames.append(
            con.execute(
                f"""
            SELECT {cols}, f.ORIGINAL_NAME AS FILE_NAME
            FROM {staging_table(source_id)} s
            JOIN raw.parses p ON p.FILE_ID = s.FILE_ID AND p.SUPERSEDED_BY IS NULL
            JOIN raw.files f ON f.FILE_ID = s.FILE_ID
            WHERE list_contains(?::VARCHAR[], s.REF_AREA) AND list_contains(?::VARCHAR[], s.MEASURE)
        """,
                [areas, measures],
            ).df()
        )
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


class _Pool:
    """The rows compared: the file's staged rows (``_IDX`` >= 0, their position) and the
    warehouse's current rows they do not replace (``_IDX`` = -1), in one DuckDB table
    ``pool`` (column ``_POS``: the position in that order). Pairs are found by joins there;
    only the pairs that break a relation come back to Python."""

    def __init__(self, staged: pd.DataFrame, existing: pd.DataFrame | None):
        import duckdb

        inc = staged[COMPARE_COLUMNS].copy()
        inc["_IDX"] = np.arange(len(inc), dtype=np.int64)
        inc["FILE_NAME"] = ""
        self.con = duckdb.connect(":memory:")
        self.con.register("inc", inc)
        cols = ", ".join(COMPARE_COLUMNS + ["FILE_NAME"])
        sql = f"SELECT {cols}, _IDX, _IDX AS _POS, OBS_VALUE::DOUBLE AS V FROM inc"
        if existing is not None and len(existing):
            ex = existing[COMPARE_COLUMNS + ["FILE_NAME"]].copy()
            ex["_EX"] = np.arange(len(ex), dtype=np.int64)
            self.con.register("ex", ex)
            keys = " AND ".join(f"i.{k} IS NOT DISTINCT FROM e.{k}" for k in KEY)
            sql += f"""
                UNION ALL
                SELECT {", ".join("e." + c for c in COMPARE_COLUMNS + ["FILE_NAME"])}, -1,
                       {len(inc)} + row_number() OVER (ORDER BY e._EX) - 1, e.OBS_VALUE::DOUBLE
                FROM ex e WHERE NOT EXISTS (SELECT 1 FROM inc i WHERE {keys})"""
        self.con.execute(f"CREATE TEMP TABLE pool AS {sql}")

    def pairs(self, left: str, right: str, on: list[str], where: str) -> pd.DataFrame:
        """Pairs (``a`` from ``left``, ``b`` from ``right``, filters over ``pool``) equal on ``on``,
        at least one side in the file, meeting ``where``; columns suffixed ``_a``/``_b``, in the
        order a pandas merge of ``left`` with ``right`` gives (left position, then right)."""
        cols = COMPARE_COLUMNS + ["FILE_NAME", "_IDX"]
        select = ", ".join([f"a.{c} AS {c}_a" for c in cols] + [f"b.{c} AS {c}_b" for c in cols])
        join = " AND ".join(f"a.{c} = b.{c}" for c in on)
        return self.con.execute(f"""
            SELECT {select}
            FROM (SELECT * FROM pool WHERE {left}) a JOIN (SELECT * FROM pool WHERE {right}) b ON {join}
            WHERE (a._IDX >= 0 OR b._IDX >= 0) AND ({where})
            ORDER BY a._POS, b._POS""").df()

    def close(self) -> None:
        self.con.close()


def _in(column: str, values: Any) -> str:
    quoted = ", ".join("'" + str(v).replace("'", "''") + "'" for v in sorted(values))
    return f"{column} IN ({quoted})" if quoted else "FALSE"


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
    ``staged`` to quarantine (with their reason), warned rows flagged in ``WARNINGS``,
    and one warnings row per warning with both values (:data:`WARNING_COLUMNS`).
    The comparisons are joins in DuckDB (:class:`_Pool`); messages are built only for
    the rows that break a rule.
    """
    rules = rules or load_rules()
    relations = relations or load_relations()
    measures = measures or load_measures()
    warnings_out = pd.DataFrame(columns=WARNING_COLUMNS)
    if staged.empty:
        return staged, quarantine, warnings_out
    pool = _Pool(staged, existing)
    try:
        errors, warned = _violations(pool, entry, rules, relations, measures)
    finally:
        pool.close()
    if not errors and not warned:
        return staged, quarantine, warnings_out
    return _apply(staged, quarantine, errors, warned, rules)


def _violations(pool: _Pool, entry: SourceEntry, rules: Rules, relations: Relations, measures: dict[str, MeasureEntry]):
    """(errors: file row -> (rule, params), first found wins; warned: [(file row, rule, params)])."""
    errors: dict[int, tuple[str, dict[str, Any]]] = {}
    warned: list[tuple[int, str, dict[str, Any]]] = []

    # orderings: every measure of a chain >= each one after it
    for ordering in relations.orderings:
        chain = ordering["measures"]
        if not set(chain) & set(entry.measures):
            continue
        for i, larger in enumerate(chain):
            for smaller in chain[i + 1 :]:
                same_only = "" if ordering["across_sources"] else " AND a.SOURCE_ID = b.SOURCE_ID"
                bad = pool.pairs(
                    _in("MEASURE", [smaller]),
                    _in("MEASURE", [larger]),
                    ["REF_AREA", "TIME_PERIOD"] + DIMS,
                    "a.V > b.V" + same_only,
                )
                for row in bad.to_dict("records"):
                    same = row["SOURCE_ID_a"] == row["SOURCE_ID_b"]
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
    counted = f"{_in('MEASURE', kinds)} AND {_in('SOURCE_ID', [entry.id])}"
    for dim, total_code in relations.breakdown_dims.items():
        total = "'" + total_code.replace("'", "''") + "'"
        on = ["SOURCE_ID", "MEASURE", "REF_AREA", "TIME_PERIOD"] + [d for d in DIMS if d != dim]
        bad = pool.pairs(
            f"{counted} AND {dim} <> {total} AND {dim} <> ''", f"{counted} AND {dim} = {total}", on, "a.V > b.V"
        )
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
        _year_over_year(pool, entry, rules, measures, errors, warned)
    return errors, warned


def _year_over_year(
    pool: _Pool,
    entry: SourceEntry,
    rules: Rules,
    measures: dict[str, MeasureEntry],
    errors: dict[int, Any],
    warned: list,
) -> None:
    """Warnings ``yoy_change``: a value beyond x factor or /factor of the year before (after the floors)."""
    factor = float(rules.settings.get("yoy_warning_factor", 10))
    floors = rules.settings.get("yoy_floor") or {}
    periods = [
        r[0]
        for r in pool.con.execute(
            f"SELECT DISTINCT TIME_PERIOD FROM pool WHERE {_in('SOURCE_ID', [entry.id])}"
        ).fetchall()
    ]
    prev = pd.DataFrame(
        [(p, previous_period(p)) for p in periods if previous_period(p)], columns=["TIME_PERIOD", "PREV_PERIOD"]
    )
    floor = pd.DataFrame([(m, float(floors.get(e.kind, 0))) for m, e in measures.items()], columns=["MEASURE", "FLOOR"])
    errored = pd.DataFrame({"_IDX": np.array(sorted(errors), dtype=np.int64)})
    con = pool.con
    con.register("prev_periods", prev)
    con.register("yoy_floors", floor)
    con.register("errored", errored)
    con.execute(f"""CREATE OR REPLACE TEMP VIEW own AS
        SELECT p.*, pp.PREV_PERIOD FROM pool p LEFT JOIN prev_periods pp USING (TIME_PERIOD)
        WHERE {_in("p.SOURCE_ID", [entry.id])} AND p._IDX NOT IN (SELECT _IDX FROM errored)""")
    cols = COMPARE_COLUMNS + ["FILE_NAME", "_IDX"]
    select = ", ".join([f"a.{c} AS {c}_a" for c in cols] + [f"b.{c} AS {c}_b" for c in cols])
    on = " AND ".join(f"a.{c} = b.{c}" for c in SERIES)
    flagged = con.execute(f"""
        WITH merged AS (
            SELECT {select}, a._POS AS pa, b._POS AS pb,
                   greatest(greatest(a.V, 0), coalesce(f.FLOOR, 0)) AS now_v,
                   greatest(greatest(b.V, 0), coalesce(f.FLOOR, 0)) AS before_v
            FROM own a JOIN own b ON {on} AND a.PREV_PERIOD = b.TIME_PERIOD
            LEFT JOIN yoy_floors f ON f.MEASURE = a.MEASURE
            -- a value withheld at source ("<5", no number) is compared with nothing
            WHERE a.PREV_PERIOD IS NOT NULL AND (a._IDX >= 0 OR b._IDX >= 0)
              AND a.V IS NOT NULL AND b.V IS NOT NULL
        ), rated AS (
            SELECT *, CASE WHEN before_v > 0 THEN now_v / before_v END AS RATIO FROM merged
        )
        SELECT * EXCLUDE (pa, pb, now_v, before_v) FROM rated
        WHERE RATIO > {factor!r}::DOUBLE OR RATIO < {1 / factor!r}::DOUBLE
        ORDER BY pa, pb""").df()
    for row in flagged.to_dict("records"):
        r = row["RATIO"]
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


def _apply(
    staged: pd.DataFrame,
    quarantine: pd.DataFrame,
    errors: dict[int, tuple[str, dict[str, Any]]],
    warned: list[tuple[int, str, dict[str, Any]]],
    rules: Rules,
):
    """Move the errored rows to quarantine, flag the warned ones, build the warnings rows."""
    from sources.validation.messages import rule_message

    staged = staged.reset_index(drop=True).copy()
    touched = sorted(set(errors) | {idx for idx, _, _ in warned})
    records = dict(zip(touched, staged.iloc[touched].to_dict("records")))

    def detail_json(rule: str, params: dict[str, Any], value: str) -> str:
        return json.dumps(
            {"value": value, "column": "OBS_VALUE", "detail": "", "detail_code": "", "params": params},
            default=str,
            ensure_ascii=False,
        )

    def located(row: dict[str, Any], rule: str, detail: str) -> dict[str, Any]:
        return {
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
        }

    new_q = []
    for idx, (rule, params) in sorted(errors.items()):
        row = records[idx]
        detail = detail_json(rule, params, row["VALUE_RAW"])
        new_q.append(
            {
                **located(row, rule, detail),
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
        new_w.append({**located(row, rule, detail), "DETAIL": detail})
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


def check_with_warehouse(
    con, staged: pd.DataFrame, quarantine: pd.DataFrame, *, entry: SourceEntry, **kwargs: Any
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
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
