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

import pandas as pd
import yaml

from sources.catalogue import MeasureEntry, SourceEntry
from sources.harmonise.periods import parse_period

RULES_FILE = Path(__file__).resolve().parent / "rules.yaml"

QUARANTINE_COLUMNS = [
    "SOURCE_ID", "FILE_ID", "LOC_PAGE", "LOC_LINE", "LOC_SHEET", "LOC_ROW",
    "COLUMN_NAME", "RULE", "VALUE", "MESSAGE", "ROW_JSON", "DETAIL",
]

LANGUAGES = ("es", "en", "pt")


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


#: SDMX CL_OBS_STATUS codes of an observation with no number (SCHEMA.md)
MISSING_OBS_STATUS = frozenset({"M", "O", "L"})


def _withheld_or_missing(row: dict[str, Any]) -> bool:
    """A row without a number that is still an observation (SCHEMA.md): withheld at source
    (CONF_STATUS other than F) or a missing status; a blank value with neither is an error."""
    return (row.get("CONF_STATUS") or "F") != "F" or row["OBS_STATUS"] in MISSING_OBS_STATUS


def _second_label_of_one_area(first: dict[str, Any], row: dict[str, Any], measure: MeasureEntry) -> bool:
    """Whether ``row`` is the same count as ``first`` printed under another label of its area."""
    return (measure.kind == "count" and first["AREA_RAW"] != row["AREA_RAW"]
            and not pd.isna(first["OBS_VALUE"]) and not pd.isna(row["OBS_VALUE"]))


def _add_second_label(staged: dict[str, Any], row: dict[str, Any]) -> None:
    """Sum ``row`` into ``staged`` and record where it was read (LOC_ALSO, a JSON list)."""
    also = json.loads(staged["LOC_ALSO"]) if staged["LOC_ALSO"] else []
    also.append({"area_raw": row["AREA_RAW"], "value_raw": row["VALUE_RAW"],
                 **{k.lower(): (None if pd.isna(row[f"LOC_{k}"]) else row[f"LOC_{k}"])
                    for k in ("PAGE", "LINE", "SHEET", "ROW")}})
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
            error = ("period_out_of_range", "TIME_PERIOD", row["TIME_PERIOD_RAW"], f"is in the future (after {this_year})")
            detail_code, detail_params = "future", {"limit": this_year}
        elif period.start_year < earliest:
            error = ("period_out_of_range", "TIME_PERIOD", row["TIME_PERIOD_RAW"], f"is before {earliest}")
            detail_code, detail_params = "too_early", {"limit": earliest}
        elif pd.isna(row["OBS_VALUE"]) and not _withheld_or_missing(row):
            error = ("value_missing", "OBS_VALUE", row["VALUE_RAW"], "")
        elif measure.unit and row["UNIT_MEASURE"] not in ("", measure.unit):
            error = ("unit_mismatch", "UNIT_MEASURE", row["UNIT_MEASURE"], measure.unit)
        elif not pd.isna(row["OBS_VALUE"]):
            problem = _value_problem(row["OBS_VALUE"], measure.kind)
            if problem:
                error = (problem[0], "OBS_VALUE", problem[1], "")
        if error is None:
            key = (row["MEASURE"], area_codes[row["AREA_RAW"]], period.canonical,
                   row["SEX"], row["AGE"], row["DISAGGREGATION"])
            if key in first_seen and _second_label_of_one_area(first_seen[key], row, measure):
                # One area printed under two labels (NCMEC 2020-2021 "French Guiana" and
                # "Guiana, French"): a count's value is the sum of its rows, and the staged
                # row keeps the other row's label, value and location in LOC_ALSO.
                _add_second_label(staged_by_key[key], row)
                continue
            if key in first_seen:
                first = first_seen[key]
                error = ("duplicate_key", "(key)", row["VALUE_RAW"], _location(first))
                detail_code, detail_params = "first_at", {"where": _location(first),
                                                          "location": location_of(first)}
            else:
                first_seen[key] = row

        if error is not None:
            rule, column, value, detail = error
            quarantined.append({
                "SOURCE_ID": entry.id, "FILE_ID": file_id,
                "LOC_PAGE": row["LOC_PAGE"], "LOC_LINE": row["LOC_LINE"],
                "LOC_SHEET": row["LOC_SHEET"], "LOC_ROW": row["LOC_ROW"],
                "COLUMN_NAME": column, "RULE": rule, "VALUE": str(value),
                "MESSAGE": rules.message(rule, "en", value=value, column=column, detail=detail),
                "ROW_JSON": json.dumps({k: (None if pd.isna(v) else v) for k, v in row.items()},
                                       default=str, ensure_ascii=False),
                # everything needed to render the message again in es/en/pt
                "DETAIL": json.dumps({"value": str(value), "column": column, "detail": detail,
                                      "detail_code": detail_code, "params": detail_params},
                                     default=str, ensure_ascii=False),
            })
            continue
        warnings = []
        unit = row["UNIT_MEASURE"]
        if not unit and measure.unit:
            unit = measure.unit
            warnings.append("unit_from_measure")
        staged_records.append({
            "SOURCE_ID": entry.id,
            "MEASURE": row["MEASURE"],
            "REF_AREA": area_codes[row["AREA_RAW"]],
            "TIME_PERIOD": period.canonical,
            "REF_YEAR": period.ref_year,
            "OBS_VALUE": None if pd.isna(row["OBS_VALUE"]) else float(row["OBS_VALUE"]),
            "UNIT_MEASURE": unit,
            "OBS_STATUS": row["OBS_STATUS"] or "A",
            "OBS_TEXT": row.get("OBS_TEXT") or None,
            "CONF_STATUS": row.get("CONF_STATUS") or "F",
            "SEX": row["SEX"], "AGE": row["AGE"], "DISAGGREGATION": row["DISAGGREGATION"],
            "NATURE": row["NATURE"],
            "AREA_RAW": row["AREA_RAW"], "TIME_PERIOD_RAW": row["TIME_PERIOD_RAW"],
            "VALUE_RAW": row["VALUE_RAW"], "FILE_ID": file_id,
            "LOC_PAGE": row["LOC_PAGE"], "LOC_LINE": row["LOC_LINE"],
            "LOC_SHEET": row["LOC_SHEET"], "LOC_ROW": row["LOC_ROW"],
            "WARNINGS": ";".join(warnings),
            "LOC_ALSO": None,
        })
        staged_by_key[key] = staged_records[-1]

    from sources.warehouse import STAGED_COLUMNS  # local import keeps this module light

    staged = pd.DataFrame.from_records(staged_records, columns=list(STAGED_COLUMNS))
    quarantine = pd.DataFrame.from_records(quarantined, columns=QUARANTINE_COLUMNS)
    for frame in (staged, quarantine):
        for col in ("LOC_PAGE", "LOC_LINE", "LOC_ROW"):
            frame[col] = pd.array(frame[col], dtype="Int64")
    return staged, quarantine
