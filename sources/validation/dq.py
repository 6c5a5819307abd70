"""The data-quality record the dashboards show: coverage, freshness, validation history.

Definitions (thresholds, expected areas) are in ``quality.yaml`` beside this module:

* ``marts.dq_coverage``: per source, and per source and measure, the expected cells
  (expected areas x expected years) and how many have at least one current observation;
* ``marts.dq_freshness``: per source, the last file received, its age in days and a
  status against the catalogue's ``update_frequency`` (on_time, late, overdue, never,
  not_scheduled), with the latest period the data covers;
* ``marts.dq_validation_history``: one row per check per run (run id, time, source,
  check, passed, failures count), appended, never rewritten.

Plain Python and DuckDB; the Dagster asset (``pipelines/defs/quality.py``) only reads the
check evaluations from the Dagster instance and calls these functions.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sources.catalogue import SourceEntry

QUALITY_FILE = Path(__file__).resolve().parent / "quality.yaml"
STATUSES = ("on_time", "late", "overdue", "never", "not_scheduled")
ALL_MEASURES = "*"

HISTORY_DDL = """
CREATE TABLE IF NOT EXISTS marts.dq_validation_history (
    RUN_ID VARCHAR NOT NULL,
    CHECKED_AT TIMESTAMP NOT NULL,       -- when the check was evaluated (UTC)
    SOURCE_ID VARCHAR NOT NULL,          -- the source of the checked staging table
    ASSET_KEY VARCHAR NOT NULL,
    CHECK_NAME VARCHAR NOT NULL,         -- rows_conserved, stated_total_matches, gx_suite, ...
    PASSED BOOLEAN NOT NULL,
    FAILURES_COUNT BIGINT,               -- failing files (conservation, totals) or rows (gx_suite)
    RECORDED_AT TIMESTAMP NOT NULL
)
"""


@lru_cache(maxsize=2)
def load_quality(path: Path = QUALITY_FILE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for freq, limits in data["freshness"]["update_frequency"].items():
        late, overdue = limits.get("late_after_days"), limits.get("overdue_after_days")
        if (late is None) != (overdue is None) or (late is not None and overdue < late):
            raise ValueError(
                f"{path.name}: freshness.update_frequency.{freq}: "
                "give both late_after_days and overdue_after_days, overdue >= late"
            )
    return data


# --------------------------------------------------------------------------- coverage


def expected_areas(
    entry: SourceEntry, lac_codes: list[str], *, quality: dict[str, Any] | None = None
) -> tuple[list[str], str]:
    """(area codes, how they were chosen) for a source, per ``quality.yaml``."""
    quality = quality or load_quality()
    own = (quality["coverage"].get("sources") or {}).get(entry.id) or {}
    areas = own.get("areas", None)
    if isinstance(areas, list):
        return sorted(areas), "listed in quality.yaml"
    if areas is None and entry.parser_options.get("area"):
        from sources.harmonise.areas import resolve

        code = resolve(entry.parser_options["area"])
        if code:
            return [code], "the source's single area (parser option 'area')"
    return sorted(lac_codes), f"LAC countries and territories ({len(lac_codes)})"


def coverage_frame(
    observations: pd.DataFrame,
    catalogue: dict[str, SourceEntry],
    lac_codes: list[str],
    *,
    quality: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Coverage rows from observations (columns SOURCE_ID, MEASURE, REF_AREA, REF_YEAR)."""
    quality = quality or load_quality()
    rows = []
    for entry in catalogue.values():
        areas, areas_rule = expected_areas(entry, lac_codes, quality=quality)
        mine = observations[observations["SOURCE_ID"] == entry.id]
        first = int(mine["REF_YEAR"].min()) if len(mine) else None
        last = int(mine["REF_YEAR"].max()) if len(mine) else None
        years = list(range(first, last + 1)) if first is not None else []
        inside = mine[mine["REF_AREA"].isin(areas)]
        for measure in [ALL_MEASURES] + list(entry.measures):
            part = inside if measure == ALL_MEASURES else inside[inside["MEASURE"] == measure]
            cells = part[["REF_AREA", "REF_YEAR"]].drop_duplicates()
            expected = len(areas) * len(years)
            present_areas = set(cells["REF_AREA"])
            rows.append(
                {
                    "SOURCE_ID": entry.id,
                    "MEASURE": measure,
                    "FIRST_YEAR": first,
                    "LAST_YEAR": last,
                    "EXPECTED_AREAS": len(areas),
                    "EXPECTED_YEARS": len(years),
                    "EXPECTED_CELLS": expected,
                    "PRESENT_CELLS": len(cells),
                    "COVERAGE_PCT": round(100.0 * len(cells) / expected, 1) if expected else None,
                    "AREAS_PRESENT": len(present_areas),
                    "AREAS_MISSING": ",".join(a for a in areas if a not in present_areas),
                    "AREAS_DEFINITION": areas_rule,
                    "YEARS_DEFINITION": "every year from the source's first to its last observed year"
                    + (f" ({first}-{last})" if first is not None else " (no observations)"),
                }
            )
    frame = pd.DataFrame(rows)
    for col in ("FIRST_YEAR", "LAST_YEAR"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    return frame


def build_coverage(con, catalogue: dict[str, SourceEntry]) -> int:
    observations = con.execute("SELECT SOURCE_ID, MEASURE, REF_AREA, REF_YEAR FROM marts.observations").df()
    lac = [r[0] for r in con.execute("SELECT REF_AREA FROM marts.areas WHERE IS_LAC ORDER BY 1").fetchall()]
    frame = coverage_frame(observations, catalogue, lac)
    con.register("dq_coverage_frame", frame)
    con.execute(
        "CREATE OR REPLACE TABLE marts.dq_coverage AS SELECT * FROM dq_coverage_frame ORDER BY SOURCE_ID, MEASURE"
    )
    con.unregister("dq_coverage_frame")
    return len(frame)


# --------------------------------------------------------------------------- freshness


def freshness_status(age_days: int | None, frequency: str, *, quality: dict[str, Any] | None = None) -> str:
    quality = quality or load_quality()
    limits = quality["freshness"]["update_frequency"].get(frequency) or {}
    if age_days is None:
        return "never"
    if limits.get("late_after_days") is None:
        return "not_scheduled"
    if age_days <= limits["late_after_days"]:
        return "on_time"
    if age_days <= limits["overdue_after_days"]:
        return "late"
    return "overdue"


def freshness_frame(
    received: pd.DataFrame, catalogue: dict[str, SourceEntry], *, today: dt.date, quality: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Freshness rows from ``received`` (SOURCE_ID, LAST_RECEIVED, FILES, LAST_PERIOD, LAST_REF_YEAR)."""
    quality = quality or load_quality()
    by_source = {r["SOURCE_ID"]: r for r in received.to_dict("records")}
    rows = []
    for entry in catalogue.values():
        info = by_source.get(entry.id, {})
        last = info.get("LAST_RECEIVED")
        last = None if last is None or pd.isna(last) else pd.Timestamp(last).to_pydatetime()
        age = (today - last.date()).days if last else None
        limits = quality["freshness"]["update_frequency"].get(entry.update_frequency) or {}
        ref_year = info.get("LAST_REF_YEAR")
        rows.append(
            {
                "SOURCE_ID": entry.id,
                "UPDATE_FREQUENCY": entry.update_frequency,
                "LAST_RECEIVED": last,
                "AGE_DAYS": age,
                "LATE_AFTER_DAYS": limits.get("late_after_days"),
                "OVERDUE_AFTER_DAYS": limits.get("overdue_after_days"),
                "STATUS": freshness_status(age, entry.update_frequency, quality=quality),
                "FILES_CURRENT": int(info.get("FILES") or 0),
                "LAST_PERIOD": info.get("LAST_PERIOD") or None,
                "LAST_REF_YEAR": None if ref_year is None or pd.isna(ref_year) else int(ref_year),
                "AS_OF": today,
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("AGE_DAYS", "LATE_AFTER_DAYS", "OVERDUE_AFTER_DAYS", "LAST_REF_YEAR"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    frame["LAST_RECEIVED"] = pd.to_datetime(frame["LAST_RECEIVED"])
    frame["AS_OF"] = pd.to_datetime(frame["AS_OF"])
    return frame


def build_freshness(con, catalogue: dict[str, SourceEntry], *, today: dt.date | None = None) -> int:
    today = today or dt.datetime.now(dt.timezone.utc).date()
    received = con.execute("""
        WITH f AS (
            SELECT f.SOURCE_ID, max(f.RECEIVED_AT) AS LAST_RECEIVED,
                   count(*) FILTER (WHERE p.SUPERSEDED_BY IS NULL AND p.FILE_ID IS NOT NULL) AS FILES
            FROM raw.files f LEFT JOIN raw.parses p USING (FILE_ID) GROUP BY 1),
        o AS (SELECT SOURCE_ID, max(REF_YEAR) AS LAST_REF_YEAR, arg_max(TIME_PERIOD, REF_YEAR) AS LAST_PERIOD
              FROM marts.observations GROUP BY 1)
        SELECT f.*, o.LAST_REF_YEAR, o.LAST_PERIOD FROM f LEFT JOIN o USING (SOURCE_ID)
    """).df()
    frame = freshness_frame(received, catalogue, today=today)
    con.register("dq_freshness_frame", frame)
    con.execute("CREATE OR REPLACE TABLE marts.dq_freshness AS SELECT * FROM dq_freshness_frame ORDER BY SOURCE_ID")
    con.unregister("dq_freshness_frame")
    return len(frame)


# --------------------------------------------------------------------------- history


def failures_count(passed: bool, metadata: dict[str, Any]) -> int | None:
    """How many failures a check evaluation reports (files or rows), from its metadata."""
    if "failures_count" in metadata:
        return int(metadata["failures_count"])
    failures = metadata.get("failures")
    if isinstance(failures, str):
        try:
            failures = json.loads(failures)
        except ValueError:
            failures = None
    if isinstance(failures, list):
        return len(failures)
    return 0 if passed else None


def history_frame(evaluations: list[dict[str, Any]], *, now: dt.datetime | None = None) -> pd.DataFrame:
    """Rows for ``marts.dq_validation_history`` from check evaluations.

    Each evaluation: ``run_id``, ``timestamp`` (POSIX seconds), ``asset_key`` ("staging/x"),
    ``check_name``, ``passed``, ``metadata`` (plain values).
    """
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = []
    for item in evaluations:
        key = item["asset_key"]
        rows.append(
            {
                "RUN_ID": item["run_id"],
                "CHECKED_AT": dt.datetime.fromtimestamp(item["timestamp"], dt.timezone.utc).replace(tzinfo=None),
                "SOURCE_ID": key.split("/", 1)[1] if key.startswith("staging/") else key,
                "ASSET_KEY": key,
                "CHECK_NAME": item["check_name"],
                "PASSED": bool(item["passed"]),
                "FAILURES_COUNT": failures_count(bool(item["passed"]), item.get("metadata") or {}),
                "RECORDED_AT": now,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "RUN_ID",
            "CHECKED_AT",
            "SOURCE_ID",
            "ASSET_KEY",
            "CHECK_NAME",
            "PASSED",
            "FAILURES_COUNT",
            "RECORDED_AT",
        ],
    )
    frame["FAILURES_COUNT"] = pd.array(frame["FAILURES_COUNT"], dtype="Int64")
    return frame


def append_history(con, frame: pd.DataFrame) -> int:
    """Append the evaluations not yet recorded (same run, asset and check); returns rows added."""
    con.execute(HISTORY_DDL)
    if frame.empty:
        return 0
    con.register("dq_history_frame", frame)
    before = con.execute("SELECT count(*) FROM marts.dq_validation_history").fetchall()[0][0]
    con.execute("""
        INSERT INTO marts.dq_validation_history BY NAME
        SELECT n.* FROM dq_history_frame n
        WHERE NOT EXISTS (SELECT 1 FROM marts.dq_validation_history h
                          WHERE h.RUN_ID = n.RUN_ID AND h.ASSET_KEY = n.ASSET_KEY
                            AND h.CHECK_NAME = n.CHECK_NAME)
        ORDER BY n.CHECKED_AT
    """)
    con.unregister("dq_history_frame")
    return con.execute("SELECT count(*) FROM marts.dq_validation_history").fetchall()[0][0] - before
