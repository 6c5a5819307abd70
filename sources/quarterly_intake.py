"""Intake of a working group's quarterly report: checks, storage with provenance, supersession.

:func:`ingest_report` does for one workbook what :func:`sources.ingest.ingest_file` does
for an observation file, with the same helpers and guarantees, in one transaction:

1. hash the file; identical bytes received before: nothing to do (``unchanged``);
2. parse it (:mod:`sources.parsers.wg_workbook`): a whole-file problem (not a template,
   another template version, a quarter that differs between the metadata, the cover
   sheet and the file name ...) refuses the file with a message in the submitter's
   language; nothing is written and the file is kept in ``$CLAC_HOME/rejected/``;
3. check every row (:func:`check_report`): required cells, code-list values (code or
   label in es/en/pt), countries (the area resolver, or "Regional"), dates inside the
   quarter, counts, text length, and the personal-data guard on every text cell. A row
   that fails goes to ``staging.quarantine`` with one message listing its problems in
   the submitter's language (the workbook's language); the rest of the report is kept;
4. store the file in the raw store (``raw.files``), the rows in ``staging.wg_activities``,
   ``staging.wg_policies`` and ``staging.wg_legislative_advances``, and the parse in
   ``raw.parses`` with slot key ``<working group>:<quarter>``: a re-submission for the
   same working group and quarter supersedes the earlier file (``SUPERSEDED_BY``), whose
   rows stay in staging as history.

Personal data is never stored in the warehouse: a flagged cell is replaced in the
quarantine's ``ROW_JSON`` by a marker, and ``VALUE`` holds the kind and the position of
each finding (``phone@13-28``), never the matched text. Logs carry counts only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import duckdb
import pandas as pd

from sources.catalogue import LANGUAGES, SourceEntry
from sources.ingest import IngestResult, _store_raw, insert_frame, receive_and_parse, record_file, record_parse
from sources.parsers.base import ParseResult
from sources.quarterly.codelists import normalise, workbook_lists
from sources.quarterly.personal_data import Finding, describe, find_personal_data
from sources.quarterly.template import (
    REGIONAL,
    REGIONAL_AREA,
    Column,
    Quarter,
    load_layout,
    load_quarterly_rules,
    parse_quarter,
    settings,
)
from sources.validation.row_rules import QUARANTINE_COLUMNS

SOURCE_ID = "wg_quarterly_report"

#: staging table per workbook section
TABLES = {
    "activities": "staging.wg_activities",
    "policies": "staging.wg_policies",
    "legislative": "staging.wg_legislative_advances",
}

_COMMON = """
    SOURCE_ID VARCHAR NOT NULL,
    FILE_ID VARCHAR NOT NULL,
    WORKING_GROUP VARCHAR NOT NULL,
    QUARTER VARCHAR NOT NULL,
    REF_YEAR INTEGER NOT NULL,"""
_LOCATION = """
    LANGUAGE VARCHAR NOT NULL,
    SYNTHETIC BOOLEAN NOT NULL,
    LOC_SHEET VARCHAR NOT NULL,
    LOC_ROW INTEGER NOT NULL"""

DDL = f"""
CREATE TABLE IF NOT EXISTS staging.wg_activities ({_COMMON}
    GOAL INTEGER NOT NULL,
    REF_AREA VARCHAR NOT NULL,           -- ISO3, or LAC for a regional activity
    AREA_RAW VARCHAR NOT NULL,
    IS_REGIONAL BOOLEAN NOT NULL,
    SCOPE VARCHAR NOT NULL,              -- regional | in_country
    STATUS VARCHAR NOT NULL,             -- implemented | planned
    ACTIVITY_DATE DATE NOT NULL,
    CAPABILITY INTEGER,                  -- WeProtect GSR capability 1-21
    NCMEC_POSITION VARCHAR,
    PEOPLE_REACHED BIGINT,
    DESCRIPTION VARCHAR NOT NULL,{_LOCATION}
);
CREATE TABLE IF NOT EXISTS staging.wg_policies ({_COMMON}
    GOAL INTEGER NOT NULL,
    REF_AREA VARCHAR NOT NULL,
    AREA_RAW VARCHAR NOT NULL,
    IS_REGIONAL BOOLEAN NOT NULL,
    POLICY_TYPE VARCHAR NOT NULL,        -- organisational | in_country
    POLICY_DATE DATE NOT NULL,
    CAPABILITY INTEGER,
    CAPABILITY_STATUS VARCHAR,           -- not_in_place | in_development | in_place
    NCMEC_POSITION VARCHAR,
    DESCRIPTION VARCHAR NOT NULL,{_LOCATION}
);
CREATE TABLE IF NOT EXISTS staging.wg_legislative_advances ({_COMMON}
    REF_AREA VARCHAR NOT NULL,
    AREA_RAW VARCHAR NOT NULL,
    STAGE VARCHAR NOT NULL,
    ADVANCE_DATE DATE NOT NULL,
    INSTRUMENT VARCHAR NOT NULL,
    NCMEC_POSITION VARCHAR,
    ALIGNMENT VARCHAR,                   -- no_provision | partial | aligned
    CAPABILITY INTEGER,
    CAPABILITY_STATUS VARCHAR,
    GOAL INTEGER,
    SOURCE_REFERENCE VARCHAR NOT NULL,
    DESCRIPTION VARCHAR,{_LOCATION}
);
"""

#: staging column for each template column key, per section
STAGING_COLUMNS = {
    "activities": {
        "goal": "GOAL",
        "country": "REF_AREA",
        "scope": "SCOPE",
        "status": "STATUS",
        "date": "ACTIVITY_DATE",
        "capability": "CAPABILITY",
        "ncmec_position": "NCMEC_POSITION",
        "people_reached": "PEOPLE_REACHED",
        "description": "DESCRIPTION",
    },
    "policies": {
        "goal": "GOAL",
        "country": "REF_AREA",
        "policy_type": "POLICY_TYPE",
        "date": "POLICY_DATE",
        "capability": "CAPABILITY",
        "capability_status": "CAPABILITY_STATUS",
        "ncmec_position": "NCMEC_POSITION",
        "description": "DESCRIPTION",
    },
    "legislative": {
        "country": "REF_AREA",
        "stage": "STAGE",
        "date": "ADVANCE_DATE",
        "instrument": "INSTRUMENT",
        "ncmec_position": "NCMEC_POSITION",
        "alignment": "ALIGNMENT",
        "capability": "CAPABILITY",
        "capability_status": "CAPABILITY_STATUS",
        "goal": "GOAL",
        "source_reference": "SOURCE_REFERENCE",
        "description": "DESCRIPTION",
    },
}
_INTEGER_CODES = {"goal", "capability"}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    return [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
    ]


# --------------------------------------------------------------------------- messages
@dataclass
class Problem:
    rule: str
    column: str  # template column key
    value: str = ""  # as written; never personal data
    detail: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "column": self.column, "value": self.value, "detail": self.detail or {}}


def _detail_text(rule: str, detail: dict[str, Any], lang: str) -> str:
    rules = load_quarterly_rules()
    if rule == "wg_personal_data":
        kinds = rules["personal_data_kinds"]
        position = rules["position"][lang]
        return "; ".join(
            f"{kinds[f['kind']][lang]}, {position.format(start=f['start'], end=f['end'])}"
            for f in detail.get("findings", [])
        )
    if rule in ("wg_date_outside_quarter", "wg_planned_before_quarter"):
        return f"{detail['quarter']} ({detail['start']} – {detail['end']})"
    if rule == "wg_date_invalid":
        return detail.get("example", "")
    if rule == "wg_scope_mismatch":
        return workbook_lists()["scope"].label("regional", lang)
    if rule == "wg_text_too_long":
        return str(detail.get("max", ""))
    return ""


def render_problem(problem: dict[str, Any], section: str, lang: str) -> str:
    """One problem (as stored in ROW_JSON) as a sentence in ``lang``."""
    lang = lang if lang in LANGUAGES else "es"
    column = load_layout().sections[section].column(problem["column"]).header.get(lang)
    template = load_quarterly_rules()["rules"][problem["rule"]]["message"][lang]
    value = problem.get("value", "")
    if problem["rule"] == "wg_scope_mismatch":  # a code: shown as its label in the reader's language
        value = workbook_lists()["scope"].label((problem.get("detail") or {}).get("scope", value), lang)
    return template.format(
        column=column, value=value, detail=_detail_text(problem["rule"], problem.get("detail") or {}, lang)
    )


def render_quarantine_message(row_json: str | dict[str, Any], lang: str | None = None) -> str:
    """The message of a quarantined report row in ``lang`` (default: the submitter's)."""
    data = json.loads(row_json) if isinstance(row_json, str) else row_json
    lang = lang or data.get("language", "es")
    return " · ".join(render_problem(p, data["section"], lang) for p in data["problems"])


# ------------------------------------------------------------------------ row checks
def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    return None


def _as_count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{1,3}(?:[.,\s]\d{3})+|\d+", text):
            return int(re.sub(r"[.,\s]", "", text))
    return None


def _written(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and value != value)
    )


def _regional_keys() -> set[str]:
    labels = load_layout().instructions["regional"]
    return {normalise(v) for v in labels.values()} | {normalise(REGIONAL), "regiao", "region"}


def check_report(
    parsed: ParseResult, *, file_id: str, resolve_area: Callable[[str], str | None], source_id: str = SOURCE_ID
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Split the parsed rows into staged rows per section and quarantine rows."""
    facts = parsed.facts
    lang = facts["language"]
    quarter: Quarter = parse_quarter(facts["quarter"])
    layout = load_layout()
    lists = workbook_lists()
    regional = _regional_keys()
    max_chars = int(settings()["max_text_chars"])
    staged: dict[str, list[dict[str, Any]]] = {key: [] for key in TABLES}
    quarantined: list[dict[str, Any]] = []

    for row in parsed.rows.to_dict("records"):
        section = layout.sections[row["SECTION"]]
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        withheld: dict[str, str] = {}
        # 1. the personal-data guard on every cell written as text
        for column in section.columns:
            raw = row.get(column.key)
            if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw == raw:
                raw = _written(raw)  # a phone or ID number typed into a numeric cell
            if isinstance(raw, str) and raw.strip():
                findings: list[Finding] = find_personal_data(raw)
                if findings:
                    withheld[column.key] = describe(findings)
                    problems.append(
                        Problem(
                            "wg_personal_data",
                            column.key,
                            "",
                            {"findings": [{"kind": f.kind, "start": f.start + 1, "end": f.end} for f in findings]},
                        )
                    )
        # 2. each cell
        for column in section.columns:
            raw = row.get(column.key)
            if column.key in withheld:
                continue
            if _blank(raw):
                values[column.key] = None
                if column.required:
                    problems.append(Problem("wg_required_blank", column.key))
                continue
            problem = _check_cell(column, raw, values, lists, regional, resolve_area, max_chars, quarter)
            if problem:
                problems.append(problem)
        # 3. across cells (with the cells that could be read)
        problems += _cross_checks(section.key, values, quarter)

        location = {
            "SOURCE_ID": source_id,
            "FILE_ID": file_id,
            "LOC_PAGE": None,
            "LOC_LINE": None,
            "LOC_SHEET": row["LOC_SHEET"],
            "LOC_ROW": int(row["LOC_ROW"]),
        }
        if problems:
            kept = {
                c.key: (
                    f"[withheld: {withheld[c.key]}]"
                    if c.key in withheld
                    else (None if _blank(row.get(c.key)) else _written(row.get(c.key)))
                )
                for c in section.columns
            }
            row_json = {
                "section": section.key,
                "language": lang,
                "working_group": facts["working_group"],
                "quarter": quarter.label,
                "values": kept,
                "problems": [p.as_json() for p in problems],
            }
            first = problems[0]
            quarantined.append(
                {
                    **location,
                    "COLUMN_NAME": section.column(first.column).header.get(lang),
                    "RULE": first.rule,
                    "VALUE": withheld.get(first.column, first.value),
                    "MESSAGE": render_quarantine_message(row_json, lang),
                    "ROW_JSON": json.dumps(row_json, ensure_ascii=False),
                }
            )
            continue
        record: dict[str, Any] = {
            "SOURCE_ID": source_id,
            "FILE_ID": file_id,
            "WORKING_GROUP": facts["working_group"],
            "QUARTER": quarter.label,
            "REF_YEAR": quarter.year,
        }
        for key, target in STAGING_COLUMNS[section.key].items():
            record[target] = values.get(key)
        if "country" in values:
            is_regional = values["country"] == REGIONAL
            record["REF_AREA"] = REGIONAL_AREA if is_regional else values["country"]
            record["AREA_RAW"] = _written(row["country"])
            if section.key != "legislative":
                record["IS_REGIONAL"] = is_regional
        record.update(
            {
                "LANGUAGE": lang,
                "SYNTHETIC": bool(facts.get("synthetic")),
                "LOC_SHEET": row["LOC_SHEET"],
                "LOC_ROW": int(row["LOC_ROW"]),
            }
        )
        staged[section.key].append(record)

    frames = {key: pd.DataFrame.from_records(records) for key, records in staged.items()}
    quarantine = pd.DataFrame.from_records(quarantined, columns=QUARANTINE_COLUMNS)
    for col in ("LOC_PAGE", "LOC_LINE", "LOC_ROW"):
        quarantine[col] = pd.array(quarantine[col], dtype="Int64")
    return frames, quarantine


def _check_cell(
    column: Column,
    raw: object,
    values: dict[str, Any],
    lists,
    regional: set[str],
    resolve_area: Callable[[str], str | None],
    max_chars: int,
    quarter: Quarter,
) -> Problem | None:
    written = _written(raw)
    if column.kind == "list":
        code = lists[column.key].lookup(raw)
        if code is None:
            return Problem("wg_code_unknown", column.key, written)
        values[column.key] = int(code) if column.key in _INTEGER_CODES else code
    elif column.kind == "country":
        if normalise(written) in regional:
            values[column.key] = REGIONAL
        else:
            code = resolve_area(written)
            if code is None:
                return Problem("wg_country_unknown", column.key, written)
            values[column.key] = code
    elif column.kind == "date":
        day = _as_date(raw)
        if day is None:
            return Problem("wg_date_invalid", column.key, written, {"example": quarter.start.isoformat()})
        values[column.key] = day
    elif column.kind == "integer":
        count = _as_count(raw)
        if count is None:
            return Problem("wg_number_invalid", column.key, written)
        values[column.key] = count
    else:  # text
        text = written.strip()
        if len(text) > max_chars:
            return Problem("wg_text_too_long", column.key, str(len(text)), {"max": max_chars})
        values[column.key] = text
    return None


def _cross_checks(section: str, values: dict[str, Any], quarter: Quarter) -> list[Problem]:
    problems: list[Problem] = []
    span = {"quarter": quarter.label, "start": quarter.start.isoformat(), "end": quarter.end.isoformat()}
    day = values.get("date")
    if section == "activities":
        if values.get("country") == REGIONAL and values.get("scope") != "regional":
            problems.append(Problem("wg_scope_mismatch", "scope", values["scope"], {"scope": values["scope"]}))
        if day is not None:
            if values.get("status") == "implemented" and not quarter.start <= day <= quarter.end:
                problems.append(Problem("wg_date_outside_quarter", "date", day.isoformat(), span))
            elif values.get("status") == "planned" and day < quarter.start:
                problems.append(Problem("wg_planned_before_quarter", "date", day.isoformat(), span))
    elif day is not None and not quarter.start <= day <= quarter.end:
        problems.append(Problem("wg_date_outside_quarter", "date", day.isoformat(), span))
    if section == "legislative" and values.get("country") == REGIONAL:
        problems.append(Problem("wg_regional_not_allowed", "country", ""))
    if section in ("policies", "legislative") and values.get("capability_status") and not values.get("capability"):
        problems.append(Problem("wg_capability_status_without_capability", "capability_status"))
    if section == "legislative":
        position, alignment = values.get("ncmec_position"), values.get("alignment")
        if position and not alignment:
            problems.append(Problem("wg_position_alignment_pair", "alignment"))
        elif alignment and not position:
            problems.append(Problem("wg_position_alignment_pair", "ncmec_position"))
    return problems


# ------------------------------------------------------------------------------ intake
def slot_key(facts: dict[str, Any]) -> str:
    """What a report covers: a later report for the same working group and quarter supersedes it."""
    return f"{facts['working_group']}:{facts['quarter']}"


def ingest_report(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    entry: SourceEntry,
    *,
    resolve_area: Callable[[str], str | None],
    db_path: Path,
    via: str = "cli",
) -> IngestResult:
    """Ingest one quarterly report workbook (see the module docstring)."""
    ensure_tables(con)
    sha, parsed, early = receive_and_parse(con, path, entry)
    if early is not None:
        return early

    file_id = sha[:16]
    frames, quarantine = check_report(parsed, file_id=file_id, resolve_area=resolve_area, source_id=entry.id)
    stored = _store_raw(path, sha, db_path)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    slot = slot_key(parsed.facts)
    facts = dict(parsed.facts)
    facts["rows_staged_per_section"] = {key: len(frame) for key, frame in frames.items()}
    staged_total = sum(len(frame) for frame in frames.values())

    con.execute("BEGIN TRANSACTION")
    try:
        record_file(con, file_id=file_id, sha=sha, path=path, entry=entry, now=now, stored=stored, via=via)
        for key, frame in frames.items():
            insert_frame(con, TABLES[key], frame)
        insert_frame(con, "staging.quarantine", quarantine)
        superseded = record_parse(
            con,
            file_id=file_id,
            entry=entry,
            now=now,
            slot=slot,
            rows_read=parsed.rows_read,
            rows_staged=staged_total,
            rows_quarantined=len(quarantine),
            facts=facts,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return IngestResult(
        path,
        entry.id,
        "staged",
        file_id=file_id,
        rows_read=parsed.rows_read,
        rows_staged=staged_total,
        rows_quarantined=len(quarantine),
        superseded=superseded,
        facts=facts,
    )


def conservation_failures(con: duckdb.DuckDBPyConnection, source_id: str = SOURCE_ID) -> list[dict[str, Any]]:
    """Reports whose rows read differ from rows staged (three tables) + rows quarantined."""
    ensure_tables(con)
    staged = " + ".join(f"(SELECT count(*) FROM {t} s WHERE s.FILE_ID = p.FILE_ID)" for t in TABLES.values())
    rows = con.execute(
        f"""
        SELECT p.FILE_ID, f.ORIGINAL_NAME, p.ROWS_READ, {staged} AS staged,
               (SELECT count(*) FROM staging.quarantine q WHERE q.FILE_ID = p.FILE_ID) AS quarantined
        FROM raw.parses p JOIN raw.files f USING (FILE_ID)
        WHERE p.SOURCE_ID = ?
        ORDER BY f.ORIGINAL_NAME
    """,
        [source_id],
    ).fetchall()
    return [
        {"file_id": fid, "file": name, "rows_read": read, "rows_staged": st, "rows_quarantined": qu}
        for fid, name, read, st, qu in rows
        if read != st + qu
    ]
