"""Row rules: harmonise parsed rows and split them into staged rows and quarantine rows.

Every parsed row ends in exactly one of the two outputs (conservation: read = staged +
quarantined). The rules, their severities and their messages in es/en/pt live in
``rules.yaml`` beside this module; the Secretariat tunes them without code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sources.catalogue import MeasureEntry, SourceEntry
from sources.harmonise.periods import parse_period

RULES_FILE = Path(__file__).resolve().parent / "rules.yaml"

QUARANTINE_COLUMNS = [
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
    "ROW_JSON",
    "DETAIL",
]

LANGUAGES = ("es", "en", "pt")

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


class _Blank(dict):
    """Format mapping that leaves unknown placeholders empty instead of failing."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Rules:
    settings: dict[str, Any]
    rules: dict[str, dict[str, Any]]

    def message(self, rule: str, lang: str = "en", **fields: Any) -> str:
        template = self.rules[rule]["message"][lang]
        return template.format_map(_Blank({k: ("" if v is None else v) for k, v in fields.items()}))

    def detail_text(self, rule: str, code: str, lang: str = "en", **params: Any) -> str:
        """A rule's context text ``details.<code>`` in ``lang`` (see rules.yaml)."""
        template = self.rules[rule].get("details", {}).get(code, {}).get(lang)
        if template is None:
            return ""
        return template.format_map(_Blank({k: ("" if v is None else v) for k, v in params.items()}))

    def severity(self, rule: str) -> str:
        return self.rules[rule]["severity"]


@lru_cache(maxsize=2)
def load_rules(path: Path = RULES_FILE) -> Rules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name, rule in data["rules"].items():
        if rule.get("severity") not in ("error", "warning"):
            raise ValueError(f"{path.name}: rule '{name}': severity must be error or warning")
        missing = {"es", "en", "pt"} - set(rule.get("message", {}))
        if missing:
            raise ValueError(f"{path.name}: rule '{name}': message lacks {sorted(missing)}")
        for code, texts in (rule.get("details") or {}).items():
            missing = {"es", "en", "pt"} - set(texts or {})
            if missing:
                raise ValueError(f"{path.name}: rule '{name}': details.{code} lacks {sorted(missing)}")
    return Rules(settings=data["settings"], rules=data["rules"])


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


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


# The row rules in the order they are tried: a row's RULE is the first whose condition
# holds (one SQL CASE; columns of the parsed row ``p`` and of the look-ups: AREA_CODE,
# PERIOD, REF_YEAR, START_YEAR of the period, M_* of the measure). Each entry:
# (rule, column named in the message, SQL condition, SQL of the offending value).
# A NULL comparison is never true, so the rules after ``value_missing`` skip NULL values.
ROW_RULES: list[tuple[str, str, str, str]] = [
    ("parse_error", "OBS_VALUE", "coalesce(p.PARSE_ERROR, '') <> ''", "p.VALUE_RAW"),
    ("measure_unknown", "MEASURE", "m.M_KIND IS NULL", "p.MEASURE"),
    ("area_unresolved", "REF_AREA", "p.AREA_CODE IS NULL", "p.AREA_RAW"),
    ("period_invalid", "TIME_PERIOD", "p.PERIOD IS NULL", "p.TIME_PERIOD_RAW"),
    ("period_out_of_range", "TIME_PERIOD", "p.REF_YEAR > $this_year", "p.TIME_PERIOD_RAW"),
    ("period_out_of_range", "TIME_PERIOD", "p.START_YEAR < $earliest", "p.TIME_PERIOD_RAW"),
    # a blank value is an observation all the same when withheld by its publisher (CONF_STATUS
    # other than 'F', e.g. "<5") or given an SDMX missing status (exists_without_number)
    (
        "value_missing",
        "OBS_VALUE",
        "(p.OBS_VALUE IS NULL OR isnan(p.OBS_VALUE)) AND coalesce(p.CONF_STATUS, 'F') = 'F' "
        f"AND coalesce(p.OBS_STATUS, '') NOT IN ({', '.join(repr(s) for s in sorted(MISSING_OBS_STATUSES))})",
        "p.VALUE_RAW",
    ),
    (
        "unit_mismatch",
        "UNIT_MEASURE",
        "m.M_UNIT <> '' AND p.UNIT_MEASURE IS DISTINCT FROM '' AND p.UNIT_MEASURE IS DISTINCT FROM m.M_UNIT",
        "p.UNIT_MEASURE",
    ),
    ("count_negative", "OBS_VALUE", "m.M_KIND = 'count' AND p.OBS_VALUE < 0", "p.OBS_VALUE"),
    (
        "count_not_whole",
        "OBS_VALUE",
        "m.M_KIND = 'count' AND (isinf(p.OBS_VALUE) OR p.OBS_VALUE <> floor(p.OBS_VALUE))",
        "p.OBS_VALUE",
    ),
    (
        "percent_out_of_range",
        "OBS_VALUE",
        "m.M_KIND = 'percent' AND NOT (p.OBS_VALUE BETWEEN 0 AND 100)",
        "p.OBS_VALUE",
    ),
    ("rate_negative", "OBS_VALUE", "m.M_KIND IN ('rate', 'duration') AND p.OBS_VALUE < 0", "p.OBS_VALUE"),
]
#: Rows with the same key as an earlier row that passed every rule above: ``duplicate_key``.
DUPLICATE_KEY = ["MEASURE", "AREA_CODE", "PERIOD", "SEX", "AGE", "DISAGGREGATION"]
_NUMERIC_VALUE_RULES = {"count_negative", "count_not_whole", "percent_out_of_range", "rate_negative"}


def _first_rule_sql() -> str:
    """``CASE`` expressions naming, per row, the first rule broken (rule id = index in ROW_RULES)."""
    whens = "\n".join(f"        WHEN {cond} THEN {i}" for i, (_, _, cond, _) in enumerate(ROW_RULES))
    return f"CASE\n{whens}\n    END"


def _lookup_columns(parsed: pd.DataFrame, resolve_area: Callable[[str], str | None]) -> pd.DataFrame:
    """The parsed rows with their area code and period (resolved once per distinct value)."""
    area_codes = {raw: resolve_area(raw) for raw in parsed["AREA_RAW"].unique()}
    periods = {raw: parse_period(raw) for raw in parsed["TIME_PERIOD_RAW"].unique()}
    frame = parsed.copy(deep=False)
    frame["_ROW"] = np.arange(len(parsed), dtype=np.int64)
    frame["AREA_CODE"] = parsed["AREA_RAW"].map(area_codes).astype(object)
    for col, attr in (("PERIOD", "canonical"), ("REF_YEAR", "ref_year"), ("START_YEAR", "start_year")):
        values = {raw: (getattr(p, attr) if p is not None else None) for raw, p in periods.items()}
        frame[col] = parsed["TIME_PERIOD_RAW"].map(values)
    frame["REF_YEAR"] = pd.array(frame["REF_YEAR"], dtype="Int64")
    frame["START_YEAR"] = pd.array(frame["START_YEAR"], dtype="Int64")
    frame["OBS_VALUE"] = pd.to_numeric(frame["OBS_VALUE"], errors="coerce").astype(float)
    return frame


def _checked_sql(settings: dict[str, Any]) -> str:
    """Every parsed row with its first broken rule (``RULE_ID``, NULL when none) and, for a
    duplicate, the row number of the first row with its key (``FIRST_ROW``)."""
    case = _first_rule_sql()
    for name, value in settings.items():
        case = case.replace(f"${name}", str(int(value)))
    key = ", ".join(f"p.{c}" for c in DUPLICATE_KEY)
    return f"""
        WITH ruled AS (
            SELECT p._ROW, m.M_UNIT, {case} AS RULE_ID,
                   {key}
            FROM rows p LEFT JOIN measure_info m ON m.M_CODE = p.MEASURE
        ), firsts AS (
            SELECT _ROW, min(_ROW) OVER (PARTITION BY {", ".join(DUPLICATE_KEY)}) AS FIRST_ROW
            FROM ruled WHERE RULE_ID IS NULL
        )
        SELECT r._ROW, r.RULE_ID, r.M_UNIT,
               CASE WHEN f.FIRST_ROW < r._ROW THEN f.FIRST_ROW END AS FIRST_ROW
        FROM ruled r LEFT JOIN firsts f USING (_ROW)
    """


def _text(column: pd.Series) -> np.ndarray:
    """A text column as the warehouse reads it: a missing value (None or NaN) is None."""
    values = column.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values


def _blank(values: np.ndarray) -> np.ndarray:
    """Where a text column is blank: missing or ''."""
    return pd.isna(values) | (values == "")


def _whole_numbers(column: pd.Series) -> Any:
    """int64 when no value is missing, else Int64 (as DuckDB returns a BIGINT column)."""
    if column.isna().any():
        return pd.array(column, dtype="Int64")
    return column.to_numpy(dtype=np.int64)


def _staged_frame(frame: pd.DataFrame, passed: np.ndarray, units: dict[str, str], source_id: str, file_id: str):
    """The staged rows (:data:`warehouse.tables.STAGED_COLUMNS`, then ``_ROW``) of the parsed
    rows ``passed`` (positions in ``frame``, in order), which broke no rule: harmonised codes,
    the unit of the measure where the row gives none (warning ``unit_from_measure``), status
    A for a blank OBS_STATUS, CONF_STATUS F for a blank one. The rows' own values are taken,
    not copied: a million rows in a fraction of a second."""
    from warehouse.tables import STAGED_COLUMNS  # local import keeps this module light

    p = frame.take(passed)
    n = len(p)
    measure_unit = p["MEASURE"].map(units).to_numpy(dtype=object)
    unit = _text(p["UNIT_MEASURE"])
    from_measure = _blank(unit) & (measure_unit != "")
    unit[from_measure] = measure_unit[from_measure]
    status = _text(p["OBS_STATUS"])
    status[_blank(status)] = "A"
    conf = _text(p["CONF_STATUS"])
    conf[_blank(conf)] = "F"
    obs_text = _text(p["OBS_TEXT"])
    obs_text[_blank(obs_text)] = None
    comment = _text(p["COMMENT_OBS"])
    comment[pd.isna(comment)] = ""
    columns = {
        "SOURCE_ID": np.full(n, source_id, dtype=object),
        "MEASURE": _text(p["MEASURE"]),
        "REF_AREA": _text(p["AREA_CODE"]),
        "TIME_PERIOD": _text(p["PERIOD"]),
        "REF_YEAR": _whole_numbers(p["REF_YEAR"]),
        "OBS_VALUE": p["OBS_VALUE"].to_numpy(dtype=np.float64, copy=True),
        "UNIT_MEASURE": unit,
        "OBS_STATUS": status,
        "SEX": _text(p["SEX"]),
        "AGE": _text(p["AGE"]),
        "DISAGGREGATION": _text(p["DISAGGREGATION"]),
        "NATURE": _text(p["NATURE"]),
        "AREA_RAW": _text(p["AREA_RAW"]),
        "TIME_PERIOD_RAW": _text(p["TIME_PERIOD_RAW"]),
        "VALUE_RAW": _text(p["VALUE_RAW"]),
        "FILE_ID": np.full(n, file_id, dtype=object),
        "LOC_PAGE": pd.array(p["LOC_PAGE"], dtype="Int64"),
        "LOC_LINE": pd.array(p["LOC_LINE"], dtype="Int64"),
        "LOC_SHEET": _text(p["LOC_SHEET"]),
        "LOC_ROW": pd.array(p["LOC_ROW"], dtype="Int64"),
        # the published text and confidentiality status travel with the row (values without a number)
        "OBS_TEXT": obs_text,
        "CONF_STATUS": conf,
        "COMMENT_OBS": comment,
        "WARNINGS": np.where(from_measure, "unit_from_measure", "").astype(object),
        "LOC_ALSO": np.full(n, None, dtype=object),  # filled when a second label of the area is summed in
    }
    columns = {name: columns[name] for name in STAGED_COLUMNS}
    columns["_ROW"] = p["_ROW"].to_numpy(dtype=np.int64)
    return pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False)


def _quarantine_row(
    row: dict[str, Any],
    rule: str,
    column: str,
    value: Any,
    detail: str,
    detail_code: str,
    detail_params: dict[str, Any],
    *,
    source_id: str,
    file_id: str,
    rules: Rules,
) -> dict[str, Any]:
    return {
        "SOURCE_ID": source_id,
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


def _second_label_of_one_area(first: dict[str, Any], row: dict[str, Any], measure: MeasureEntry) -> bool:
    """Whether ``row`` is the same count as ``first`` printed under another label of its area."""
    return (
        measure.kind == "count"
        and first["AREA_RAW"] != row["AREA_RAW"]
        and not pd.isna(first["OBS_VALUE"])
        and not pd.isna(row["OBS_VALUE"])
    )


def _add_second_label(staged: dict[str, Any], row: dict[str, Any]) -> None:
    """Sum ``row`` into ``staged`` and record where it was read (LOC_ALSO, a JSON list)."""
    also = json.loads(staged["LOC_ALSO"]) if staged["LOC_ALSO"] else []
    also.append(
        {
            "area_raw": row["AREA_RAW"],
            "value_raw": row["VALUE_RAW"],
            **{
                k.lower(): (None if pd.isna(row[f"LOC_{k}"]) else row[f"LOC_{k}"])
                for k in ("PAGE", "LINE", "SHEET", "ROW")
            },
        }
    )
    staged["LOC_ALSO"] = json.dumps(also, default=str, ensure_ascii=False)
    staged["OBS_VALUE"] += float(row["OBS_VALUE"])
    staged["AREA_RAW"] += " + " + row["AREA_RAW"]
    staged["VALUE_RAW"] += " + " + row["VALUE_RAW"]
    warnings = [w for w in staged["WARNINGS"].split(";") if w]
    staged["WARNINGS"] = ";".join(sorted(set(warnings) | {"area_labels_summed"}))


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
    parsed row (the first error rule it broke, in the order of :data:`ROW_RULES`, then
    ``duplicate_key``), with an English message and a DETAIL to render it in es/en/pt.

    The rules run as one DuckDB query over the parsed rows (a private in-memory
    connection), which gives the rows that broke none; the staged frame is made of those rows'
    own values (:func:`_staged_frame`), and only the quarantined rows are turned into messages
    in Python.
    """
    import duckdb

    rules = rules or load_rules()
    settings = {"this_year": (today or dt.date.today()).year, "earliest": int(rules.settings["earliest_year"])}
    allowed = sorted(entry.measures)
    measure_info = pd.DataFrame(
        [(code, measures[code].kind, measures[code].unit or "") for code in allowed if code in measures],
        columns=["M_CODE", "M_KIND", "M_UNIT"],
    )
    frame = _lookup_columns(parsed, resolve_area)

    con = duckdb.connect(":memory:")
    try:
        con.register("rows", frame)
        con.register("measure_info", measure_info)
        con.execute(f"CREATE TEMP TABLE checked AS {_checked_sql(settings)}")
        passed = con.execute(
            "SELECT _ROW FROM checked WHERE RULE_ID IS NULL AND FIRST_ROW IS NULL ORDER BY _ROW"
        ).fetchnumpy()["_ROW"]
        rejected = con.execute(
            "SELECT _ROW, RULE_ID, M_UNIT, FIRST_ROW FROM checked "
            "WHERE RULE_ID IS NOT NULL OR FIRST_ROW IS NOT NULL ORDER BY _ROW"
        ).fetchall()
    finally:
        con.close()
    units = dict(zip(measure_info["M_CODE"], measure_info["M_UNIT"]))
    staged = _staged_frame(frame, np.asarray(passed, dtype=np.int64), units, entry.id, file_id)

    quarantined = []
    summed: dict[int, dict[str, Any]] = {}  # staged rows (by parsed row) that another label was added to
    if rejected:
        wanted = sorted({r[0] for r in rejected} | {r[3] for r in rejected if r[3] is not None})
        records = dict(zip(wanted, parsed.iloc[wanted].to_dict("records")))
        staged_at = {int(n): i for i, n in enumerate(staged["_ROW"])}
        for row_no, rule_id, unit, first_row in rejected:
            row = records[row_no]
            detail, detail_code, detail_params = "", "", {}
            if rule_id is None and _second_label_of_one_area(records[first_row], row, measures[row["MEASURE"]]):
                # One area printed under two labels (NCMEC 2020-2021 "French Guiana" and
                # "Guiana, French"): a count's value is the sum of its rows, and the staged
                # row keeps the other row's label, value and location in LOC_ALSO.
                target = summed.setdefault(first_row, staged.iloc[staged_at[first_row]].to_dict())
                _add_second_label(target, row)
                continue
            if rule_id is None:
                first = records[first_row]
                rule, column, value = "duplicate_key", "(key)", row["VALUE_RAW"]
                detail = _location(first)
                detail_code, detail_params = "first_at", {"where": detail, "location": location_of(first)}
            else:
                rule, column, _, _ = ROW_RULES[rule_id]
                value = row[
                    {
                        "OBS_VALUE": "VALUE_RAW",
                        "MEASURE": "MEASURE",
                        "REF_AREA": "AREA_RAW",
                        "TIME_PERIOD": "TIME_PERIOD_RAW",
                        "UNIT_MEASURE": "UNIT_MEASURE",
                    }[column]
                ]
                if rule == "parse_error":
                    detail = row["PARSE_ERROR"]
                elif rule == "measure_unknown":
                    detail = "allowed: " + ", ".join(allowed)
                    detail_code, detail_params = "allowed", {"codes": ", ".join(allowed)}
                elif rule == "period_out_of_range" and "this_year" in ROW_RULES[rule_id][2]:
                    detail = f"is in the future (after {settings['this_year']})"
                    detail_code, detail_params = "future", {"limit": settings["this_year"]}
                elif rule == "period_out_of_range":
                    detail = f"is before {settings['earliest']}"
                    detail_code, detail_params = "too_early", {"limit": settings["earliest"]}
                elif rule == "unit_mismatch":
                    detail = unit
                elif rule in _NUMERIC_VALUE_RULES:
                    value = _fmt_number(row["OBS_VALUE"])
            quarantined.append(
                _quarantine_row(
                    row,
                    rule,
                    column,
                    value,
                    detail,
                    detail_code,
                    detail_params,
                    source_id=entry.id,
                    file_id=file_id,
                    rules=rules,
                )
            )

    for first_row, target in summed.items():
        position = staged_at[first_row]
        for column in ("OBS_VALUE", "AREA_RAW", "VALUE_RAW", "WARNINGS", "LOC_ALSO"):
            staged.at[position, column] = target[column]
    staged = staged.drop(columns="_ROW")
    quarantine = pd.DataFrame.from_records(quarantined, columns=QUARANTINE_COLUMNS)
    for out in (staged, quarantine):
        for col in ("LOC_PAGE", "LOC_LINE", "LOC_ROW"):
            out[col] = pd.array(out[col], dtype="Int64")
    return staged, quarantine
