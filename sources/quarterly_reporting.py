"""Marts built from the working groups' quarterly reports.

Every mart reads the current reports only (files not superseded by a re-submission for
the same working group and quarter); superseded reports stay in staging and raw as
history.

``marts.wg_activities``, ``marts.wg_policies``, ``marts.wg_legislative_advances``
    The current rows with provenance (file id, name, sha256, sheet and row) and the
    sharing level of the source.
``marts.wg_codelists``
    Every code the reports use with its labels in es/en/pt (LIST, CODE, LABEL_*, THEME).
``marts.reporting_status``
    One row per working group x quarter, from ``settings.first_quarter`` to the last
    quarter that has ended (plus any later quarter already reported): ``on_time``,
    ``late``, ``missing`` or ``pending`` (not yet due, nothing received). The due date is
    the quarter's last day + ``settings.deadline_days_after_quarter_end`` (30).
    **Which date counts as received**: the date the observatory received the *first*
    report for that working group and quarter (``raw.files.RECEIVED_AT``; a later
    correction does not make an on-time report late), except for the bundled SYNTHETIC
    examples, which are all "received" when the observatory is built: for them the
    workbook's own "submitted on" field is used (``RECEIVED_BASIS`` says which).
``marts.legislative_tracker`` / ``marts.legislative_tracker_history``
    Per country x NCMEC policy position: the alignment (no_provision / partial /
    aligned) with the date, instrument, stage and source of the latest advance, and which
    working group reported it; the history has every reported advance in date order with
    the previous status and what changed.
``marts.capability_tracker`` / ``marts.capability_tracker_history``
    Per country x WeProtect capability: not_in_place / in_development / in_place, from
    the policies and legislative advances that state a capability status for a country.
``marts.wg_quarter_summary``
    Per quarter x working group: the reporting status and counts (activities implemented
    and planned, regional and in-country, countries reached, people reached, policies,
    legislative advances, quarantined rows). Written one quarter at a time by the
    partitioned Dagster asset.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd

from sources.catalogue import LANGUAGES
from sources.quarterly.codelists import WORKBOOK_LISTS, load_codelist, weprotect_themes, working_groups
from sources.quarterly.template import Quarter, parse_quarter, quarter_of, quarters_between, settings
from sources.quarterly_intake import SOURCE_ID, TABLES, ensure_tables

REPORT_MARTS = {
    "activities": "marts.wg_activities",
    "policies": "marts.wg_policies",
    "legislative": "marts.wg_legislative_advances",
}
TRACKER_MARTS = (
    "marts.legislative_tracker",
    "marts.legislative_tracker_history",
    "marts.capability_tracker",
    "marts.capability_tracker_history",
)


def _current(table: str) -> str:
    return f"""
        SELECT t.*, f.ORIGINAL_NAME AS FILE_NAME, f.SHA256 AS FILE_SHA256, f.RECEIVED_AT,
               coalesce(s.SHARING, 'GREEN') AS SHARING
        FROM {table} t
        JOIN raw.parses p ON p.FILE_ID = t.FILE_ID AND p.SUPERSEDED_BY IS NULL
        JOIN raw.files f ON f.FILE_ID = t.FILE_ID
        LEFT JOIN (SELECT SOURCE_ID, SHARING FROM marts.sources) s ON s.SOURCE_ID = t.SOURCE_ID
    """


def _ensure_sources(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS marts.sources (SOURCE_ID VARCHAR, SHARING VARCHAR)")


def build_report_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The current activities, policies and legislative advances, and the code-list labels."""
    ensure_tables(con)
    _ensure_sources(con)
    counts = {}
    order = {
        "activities": "QUARTER, WORKING_GROUP, GOAL, REF_AREA, ACTIVITY_DATE, LOC_ROW",
        "policies": "QUARTER, WORKING_GROUP, GOAL, REF_AREA, POLICY_DATE, LOC_ROW",
        "legislative": "QUARTER, WORKING_GROUP, REF_AREA, ADVANCE_DATE, LOC_ROW",
    }
    for key, table in TABLES.items():
        con.execute(f"CREATE OR REPLACE TABLE {REPORT_MARTS[key]} AS {_current(table)} ORDER BY {order[key]}")
        counts[REPORT_MARTS[key]] = con.execute(f"SELECT count(*) FROM {REPORT_MARTS[key]}").fetchall()[0][0]
    counts["marts.wg_codelists"] = build_codelists(con)
    return counts


def codelist_frame() -> pd.DataFrame:
    rows = []
    lists = {"working_group": "working_groups", **WORKBOOK_LISTS, "reporting_status": "reporting_status"}
    for list_key, name in lists.items():
        codelist = load_codelist(name)
        for code in codelist.codes:
            rows.append(
                {
                    "LIST": list_key,
                    "CODE": code,
                    **{f"LABEL_{lang.upper()}": codelist.label(code, lang) for lang in LANGUAGES},
                    "THEME": codelist.extra.get(code, {}).get("theme", ""),
                }
            )
    for code, label in weprotect_themes().items():
        rows.append(
            {
                "LIST": "weprotect_theme",
                "CODE": code,
                **{f"LABEL_{lang.upper()}": label.get(lang) for lang in LANGUAGES},
                "THEME": code,
            }
        )
    return pd.DataFrame(rows)


def build_codelists(con: duckdb.DuckDBPyConnection) -> int:
    frame = codelist_frame()
    con.register("wg_codelist_frame", frame)
    con.execute("CREATE OR REPLACE TABLE marts.wg_codelists AS SELECT * FROM wg_codelist_frame")
    con.unregister("wg_codelist_frame")
    return len(frame)


# -------------------------------------------------------------------- reporting status
def submissions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every received report (current and superseded) with its received date and basis."""
    frame = con.execute(
        """
        SELECT p.FILE_ID, f.ORIGINAL_NAME, f.RECEIVED_AT, f.RECEIVED_VIA, p.SUPERSEDED_BY,
               p.ROWS_READ, p.ROWS_STAGED, p.ROWS_QUARANTINED, p.FACTS
        FROM raw.parses p JOIN raw.files f USING (FILE_ID)
        WHERE p.SOURCE_ID = ?
        ORDER BY f.RECEIVED_AT, f.ORIGINAL_NAME
    """,
        [SOURCE_ID],
    ).df()
    trusted = settings().get("submitted_on_trusted_for", "bundled_synthetic")
    rows = []
    for rec in frame.to_dict("records"):
        facts = json.loads(rec["FACTS"]) if isinstance(rec["FACTS"], str) else dict(rec["FACTS"] or {})
        received = pd.Timestamp(rec["RECEIVED_AT"]).date()
        basis = "received_at"
        submitted = facts.get("submitted_on")
        if trusted == "bundled_synthetic" and rec["RECEIVED_VIA"] == "bundled" and facts.get("synthetic") and submitted:
            received, basis = dt.date.fromisoformat(submitted), "submitted_on_synthetic"
        rows.append(
            {
                "FILE_ID": rec["FILE_ID"],
                "FILE_NAME": rec["ORIGINAL_NAME"],
                "WORKING_GROUP": facts.get("working_group"),
                "QUARTER": facts.get("quarter"),
                "RECEIVED_ON": received,
                "RECEIVED_BASIS": basis,
                "CURRENT": rec["SUPERSEDED_BY"] is None,
                "ROWS_QUARANTINED": int(rec["ROWS_QUARANTINED"]),
                "SYNTHETIC": bool(facts.get("synthetic")),
                "SUBMITTED_ON": submitted,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "FILE_ID",
            "FILE_NAME",
            "WORKING_GROUP",
            "QUARTER",
            "RECEIVED_ON",
            "RECEIVED_BASIS",
            "CURRENT",
            "ROWS_QUARANTINED",
            "SYNTHETIC",
            "SUBMITTED_ON",
        ],
    )


def expected_quarters(as_of: dt.date, reported: list[str] | None = None) -> list[Quarter]:
    """From the first expected quarter to the last one that has ended by ``as_of``, plus
    any later quarter already reported."""
    first = parse_quarter(settings()["first_quarter"])
    current = quarter_of(as_of)
    last_ended = Quarter(current.year - (current.number == 1), (current.number - 2) % 4 + 1)
    quarters = (
        quarters_between(first, last_ended)
        if (last_ended.year, last_ended.number) >= (first.year, first.number)
        else []
    )
    for label in reported or []:
        q = parse_quarter(label)
        if q is not None and q not in quarters and (q.year, q.number) >= (first.year, first.number):
            quarters.append(q)
    return sorted(quarters, key=lambda q: (q.year, q.number))


def status_for(first_received: dt.date | None, due: dt.date, as_of: dt.date) -> str:
    """on_time / late when a report was received, else missing (past due) or pending."""
    if first_received is not None:
        return "on_time" if first_received <= due else "late"
    return "missing" if as_of > due else "pending"


def reporting_status_frame(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    ensure_tables(con)
    subs = submissions(con)
    quarters = expected_quarters(as_of, sorted(set(subs["QUARTER"].dropna())))
    days = int(settings()["deadline_days_after_quarter_end"])
    groups = working_groups()
    counts = {}
    for key, table in TABLES.items():
        for wg, quarter, n in con.execute(
            f"SELECT WORKING_GROUP, QUARTER, count(*) FROM ({_current(table)}) GROUP BY ALL"
        ).fetchall():
            counts[(key, wg, quarter)] = n
    rows = []
    for q in quarters:
        due = q.due(days)
        for wg in groups.codes:
            mine = subs[(subs["WORKING_GROUP"] == wg) & (subs["QUARTER"] == q.label)]
            first = mine.sort_values("RECEIVED_ON").iloc[0] if len(mine) else None
            current = mine[mine["CURRENT"]]
            current = current.iloc[-1] if len(current) else None
            first_received = first["RECEIVED_ON"] if first is not None else None
            status = status_for(first_received, due, as_of)
            rows.append(
                {
                    "WORKING_GROUP": wg,
                    **{f"WORKING_GROUP_NAME_{lang.upper()}": groups.label(wg, lang) for lang in LANGUAGES},
                    "QUARTER": q.label,
                    "REF_YEAR": q.year,
                    "QUARTER_START": q.start,
                    "QUARTER_END": q.end,
                    "DEADLINE_DAYS": days,
                    "DUE_DATE": due,
                    "STATUS": status,
                    "RECEIVED_ON": first_received,
                    "RECEIVED_BASIS": first["RECEIVED_BASIS"] if first is not None else None,
                    "DAYS_LATE": (first_received - due).days
                    if status == "late"
                    else ((as_of - due).days if status == "missing" else 0),
                    "SUBMISSIONS": len(mine),
                    "CURRENT_FILE_ID": current["FILE_ID"] if current is not None else None,
                    "CURRENT_FILE_NAME": current["FILE_NAME"] if current is not None else None,
                    "ACTIVITIES": counts.get(("activities", wg, q.label), 0),
                    "POLICIES": counts.get(("policies", wg, q.label), 0),
                    "LEGISLATIVE_ADVANCES": counts.get(("legislative", wg, q.label), 0),
                    "ROWS_QUARANTINED": int(current["ROWS_QUARANTINED"]) if current is not None else 0,
                    "SYNTHETIC": bool(current["SYNTHETIC"]) if current is not None else False,
                    "AS_OF": as_of,
                }
            )
    return pd.DataFrame(rows)


def build_reporting_status(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> int:
    frame = reporting_status_frame(con, as_of or dt.date.today())
    if frame.empty:
        con.execute("""CREATE OR REPLACE TABLE marts.reporting_status (WORKING_GROUP VARCHAR, QUARTER VARCHAR,
                       DUE_DATE DATE, STATUS VARCHAR, RECEIVED_ON DATE)""")
        return 0
    con.register("reporting_status_frame", frame)
    con.execute("""CREATE OR REPLACE TABLE marts.reporting_status AS
                   SELECT * REPLACE (CAST(QUARTER_START AS DATE) AS QUARTER_START,
                                     CAST(QUARTER_END AS DATE) AS QUARTER_END,
                                     CAST(DUE_DATE AS DATE) AS DUE_DATE,
                                     CAST(RECEIVED_ON AS DATE) AS RECEIVED_ON,
                                     CAST(AS_OF AS DATE) AS AS_OF)
                   FROM reporting_status_frame ORDER BY QUARTER, WORKING_GROUP""")
    con.unregister("reporting_status_frame")
    return len(frame)


# ----------------------------------------------------------------------------- trackers
def build_trackers(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The legislative and capability trackers, current state and history."""
    ensure_tables(con)
    _ensure_sources(con)
    build_codelists(con)
    con.execute(f"""
        CREATE OR REPLACE TABLE marts.legislative_tracker_history AS
        WITH events AS (
            SELECT REF_AREA, NCMEC_POSITION, ADVANCE_DATE AS EVENT_DATE, QUARTER, WORKING_GROUP AS REPORTED_BY,
                   STAGE, ALIGNMENT AS STATUS, INSTRUMENT, SOURCE_REFERENCE, DESCRIPTION, FILE_ID, FILE_NAME,
                   LOC_SHEET, LOC_ROW, RECEIVED_AT, SHARING, SYNTHETIC
            FROM ({_current(TABLES["legislative"])})
            WHERE NCMEC_POSITION IS NOT NULL AND ALIGNMENT IS NOT NULL
        ), ordered AS (
            SELECT *, row_number() OVER w AS SEQ,
                   lag(STATUS) OVER w AS PREVIOUS_STATUS, lag(STAGE) OVER w AS PREVIOUS_STAGE,
                   lag(INSTRUMENT) OVER w AS PREVIOUS_INSTRUMENT
            FROM events
            WINDOW w AS (PARTITION BY REF_AREA, NCMEC_POSITION
                         ORDER BY EVENT_DATE, QUARTER, RECEIVED_AT, FILE_ID, LOC_ROW)
        )
        SELECT REF_AREA, NCMEC_POSITION, SEQ, EVENT_DATE, QUARTER, REPORTED_BY,
               PREVIOUS_STATUS, STATUS, PREVIOUS_STAGE, STAGE, INSTRUMENT, SOURCE_REFERENCE, DESCRIPTION,
               CASE WHEN PREVIOUS_STATUS IS NULL THEN 'first_report'
                    WHEN PREVIOUS_STATUS <> STATUS THEN 'status_changed'
                    WHEN PREVIOUS_STAGE <> STAGE OR PREVIOUS_INSTRUMENT <> INSTRUMENT THEN 'stage_changed'
                    ELSE 'no_change' END AS CHANGE,
               FILE_ID, FILE_NAME, LOC_SHEET, LOC_ROW, SHARING, SYNTHETIC
        FROM ordered
        ORDER BY REF_AREA, NCMEC_POSITION, SEQ
    """)
    areas = (
        "SELECT REF_AREA, NAME_ES, NAME_EN, NAME_PT FROM marts.areas"
        if _has_areas(con)
        else "SELECT NULL::VARCHAR AS REF_AREA, NULL::VARCHAR AS NAME_ES, NULL::VARCHAR AS NAME_EN, "
        "NULL::VARCHAR AS NAME_PT WHERE false"
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE marts.legislative_tracker AS
        SELECT h.REF_AREA, a.NAME_ES AS AREA_NAME_ES, a.NAME_EN AS AREA_NAME_EN, a.NAME_PT AS AREA_NAME_PT,
               h.NCMEC_POSITION, c.LABEL_ES AS POSITION_LABEL_ES, c.LABEL_EN AS POSITION_LABEL_EN,
               c.LABEL_PT AS POSITION_LABEL_PT,
               h.STATUS, h.EVENT_DATE AS STATUS_DATE, h.STAGE, h.INSTRUMENT, h.SOURCE_REFERENCE,
               h.REPORTED_BY, h.QUARTER, n.EVENTS, h.FILE_ID, h.LOC_SHEET, h.LOC_ROW, h.SHARING, h.SYNTHETIC
        FROM marts.legislative_tracker_history h
        JOIN (SELECT REF_AREA, NCMEC_POSITION, max(SEQ) AS SEQ, count(*) AS EVENTS
              FROM marts.legislative_tracker_history GROUP BY ALL) n USING (REF_AREA, NCMEC_POSITION, SEQ)
        LEFT JOIN marts.wg_codelists c ON c.LIST = 'ncmec_position' AND c.CODE = h.NCMEC_POSITION
        LEFT JOIN ({areas}) a ON a.REF_AREA = h.REF_AREA
        ORDER BY h.REF_AREA, h.NCMEC_POSITION
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE marts.capability_tracker_history AS
        WITH events AS (
            SELECT REF_AREA, CAPABILITY, POLICY_DATE AS EVENT_DATE, QUARTER, WORKING_GROUP AS REPORTED_BY,
                   CAPABILITY_STATUS AS STATUS, 'policy' AS EVIDENCE_KIND, DESCRIPTION AS EVIDENCE,
                   FILE_ID, FILE_NAME, LOC_SHEET, LOC_ROW, RECEIVED_AT, SHARING, SYNTHETIC
            FROM ({_current(TABLES["policies"])})
            WHERE CAPABILITY IS NOT NULL AND CAPABILITY_STATUS IS NOT NULL AND NOT IS_REGIONAL
            UNION ALL BY NAME
            SELECT REF_AREA, CAPABILITY, ADVANCE_DATE AS EVENT_DATE, QUARTER, WORKING_GROUP AS REPORTED_BY,
                   CAPABILITY_STATUS AS STATUS, 'legislative_advance' AS EVIDENCE_KIND, INSTRUMENT AS EVIDENCE,
                   FILE_ID, FILE_NAME, LOC_SHEET, LOC_ROW, RECEIVED_AT, SHARING, SYNTHETIC
            FROM ({_current(TABLES["legislative"])})
            WHERE CAPABILITY IS NOT NULL AND CAPABILITY_STATUS IS NOT NULL
        ), ordered AS (
            SELECT *, row_number() OVER w AS SEQ, lag(STATUS) OVER w AS PREVIOUS_STATUS
            FROM events
            WINDOW w AS (PARTITION BY REF_AREA, CAPABILITY
                         ORDER BY EVENT_DATE, QUARTER, RECEIVED_AT, FILE_ID, LOC_SHEET, LOC_ROW)
        )
        SELECT REF_AREA, CAPABILITY, SEQ, EVENT_DATE, QUARTER, REPORTED_BY, PREVIOUS_STATUS, STATUS,
               CASE WHEN PREVIOUS_STATUS IS NULL THEN 'first_report'
                    WHEN PREVIOUS_STATUS <> STATUS THEN 'status_changed' ELSE 'no_change' END AS CHANGE,
               EVIDENCE_KIND, EVIDENCE, FILE_ID, FILE_NAME, LOC_SHEET, LOC_ROW, SHARING, SYNTHETIC
        FROM ordered
        ORDER BY REF_AREA, CAPABILITY, SEQ
    """)
    con.execute("""
        CREATE OR REPLACE TABLE marts.capability_tracker AS
        SELECT h.REF_AREA, h.CAPABILITY, c.THEME, c.LABEL_ES AS CAPABILITY_LABEL_ES,
               c.LABEL_EN AS CAPABILITY_LABEL_EN, c.LABEL_PT AS CAPABILITY_LABEL_PT,
               h.STATUS, h.EVENT_DATE AS STATUS_DATE, h.EVIDENCE_KIND, h.EVIDENCE, h.REPORTED_BY, h.QUARTER,
               n.EVENTS, h.FILE_ID, h.LOC_SHEET, h.LOC_ROW, h.SHARING, h.SYNTHETIC
        FROM marts.capability_tracker_history h
        JOIN (SELECT REF_AREA, CAPABILITY, max(SEQ) AS SEQ, count(*) AS EVENTS
              FROM marts.capability_tracker_history GROUP BY ALL) n USING (REF_AREA, CAPABILITY, SEQ)
        LEFT JOIN marts.wg_codelists c ON c.LIST = 'capability' AND c.CODE = CAST(h.CAPABILITY AS VARCHAR)
        ORDER BY h.REF_AREA, h.CAPABILITY
    """)
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TRACKER_MARTS}


def _has_areas(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' AND table_name = 'areas'"
    ).fetchall()[0]
    return bool(row and row[0])


# ------------------------------------------------------------------- quarter summaries
SUMMARY_DDL = """
CREATE TABLE IF NOT EXISTS marts.wg_quarter_summary (
    QUARTER VARCHAR NOT NULL,
    WORKING_GROUP VARCHAR NOT NULL,
    STATUS VARCHAR NOT NULL,
    DUE_DATE DATE,
    RECEIVED_ON DATE,
    CURRENT_FILE_ID VARCHAR,
    ACTIVITIES_IMPLEMENTED BIGINT NOT NULL,
    ACTIVITIES_PLANNED BIGINT NOT NULL,
    ACTIVITIES_REGIONAL BIGINT NOT NULL,
    ACTIVITIES_IN_COUNTRY BIGINT NOT NULL,
    COUNTRIES_REACHED BIGINT NOT NULL,
    PEOPLE_REACHED BIGINT NOT NULL,
    POLICIES BIGINT NOT NULL,
    LEGISLATIVE_ADVANCES BIGINT NOT NULL,
    ROWS_QUARANTINED BIGINT NOT NULL,
    SYNTHETIC BOOLEAN NOT NULL
)
"""


def build_quarter_summary(con: duckdb.DuckDBPyConnection, quarters: list[str] | None = None) -> dict[str, int]:
    """(Re)write the summary rows of the given quarters (None: every quarter of
    ``marts.reporting_status``); returns the rows written per quarter."""
    ensure_tables(con)
    con.execute(SUMMARY_DDL)
    if quarters is None:
        quarters = [
            r[0] for r in con.execute("SELECT DISTINCT QUARTER FROM marts.reporting_status ORDER BY 1").fetchall()
        ]
    written = {}
    for quarter in quarters:
        con.execute("DELETE FROM marts.wg_quarter_summary WHERE QUARTER = ?", [quarter])
        con.execute(
            f"""
            INSERT INTO marts.wg_quarter_summary
            SELECT r.QUARTER, r.WORKING_GROUP, r.STATUS, r.DUE_DATE, r.RECEIVED_ON, r.CURRENT_FILE_ID,
                   coalesce(a.IMPLEMENTED, 0), coalesce(a.PLANNED, 0), coalesce(a.REGIONAL, 0),
                   coalesce(a.IN_COUNTRY, 0), coalesce(a.COUNTRIES, 0), coalesce(a.PEOPLE, 0),
                   r.POLICIES, r.LEGISLATIVE_ADVANCES, r.ROWS_QUARANTINED, r.SYNTHETIC
            FROM marts.reporting_status r
            LEFT JOIN (
                SELECT WORKING_GROUP, QUARTER,
                       count(*) FILTER (WHERE STATUS = 'implemented') AS IMPLEMENTED,
                       count(*) FILTER (WHERE STATUS = 'planned') AS PLANNED,
                       count(*) FILTER (WHERE IS_REGIONAL) AS REGIONAL,
                       count(*) FILTER (WHERE NOT IS_REGIONAL) AS IN_COUNTRY,
                       count(DISTINCT REF_AREA) FILTER (WHERE STATUS = 'implemented' AND NOT IS_REGIONAL) AS COUNTRIES,
                       coalesce(sum(PEOPLE_REACHED) FILTER (WHERE STATUS = 'implemented'), 0) AS PEOPLE
                FROM ({_current(TABLES["activities"])}) GROUP BY ALL
            ) a USING (WORKING_GROUP, QUARTER)
            WHERE r.QUARTER = ?
            ORDER BY r.WORKING_GROUP
        """,
            [quarter],
        )
        written[quarter] = con.execute(
            "SELECT count(*) FROM marts.wg_quarter_summary WHERE QUARTER = ?", [quarter]
        ).fetchall()[0][0]
    return written
