"""A build after new inbox files runs what they feed, and gives what a whole build gives.

* When only inbox folders changed since the last successful build, ``clac build`` (and the
  inbox sensor) stage those sources and rebuild what is downstream of them and of the assets
  that read the date; the warehouse and the site then equal those of a whole build, but for
  the forced build's own validation history.
* The stamp of the live warehouse says which inputs it is up to date with: a run of part of the
  graph claims only its sources' inbox folders, and anything else (code, a new year, a touched
  warehouse, an inbox entry that is no source's folder) asks for the whole graph.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import workspace
from pipelines.workspace import INBOX_PREFIX, PROJECT_PART, sources_to_rebuild, stamp_parts
from sources.catalogue import BUNDLED_DATA_DIR
from tests.conftest import clac_env, copy_of, run_clac

HOTLINE_CSV = BUNDLED_DATA_DIR / "synthetic" / "hotline-reports-SYNTHETIC.csv"
KNOWN = {"unodc_glotip", "synthetic_hotline_reports", "wg_quarterly_report"}
PARTS = {PROJECT_PART: "code-1", INBOX_PREFIX + "unodc_glotip": "glotip-1"}


# --- the stamp: which inputs the live warehouse is up to date with ---


def _stamped(tmp_path: Path, parts: dict[str, str] | None = PARTS) -> Path:
    live = tmp_path / "warehouse.duckdb"
    live.write_bytes(b"a warehouse")
    workspace._write_stamp(live, parts, "run-1", "public")
    return live


def test_only_changed_inbox_folders_of_known_sources_allow_a_partial_build(tmp_path):
    live = _stamped(tmp_path)
    assert sources_to_rebuild(live, dict(PARTS), KNOWN) == frozenset()  # nothing new: outputs only
    new_file = PARTS | {INBOX_PREFIX + "synthetic_hotline_reports": "hotline-1"}
    assert sources_to_rebuild(live, new_file, KNOWN) == {"synthetic_hotline_reports"}
    changed_and_removed = {PROJECT_PART: "code-1", INBOX_PREFIX + "wg_quarterly_report": "wg-1"}
    assert sources_to_rebuild(live, changed_and_removed, KNOWN) == {"unodc_glotip", "wg_quarterly_report"}
    # anything else runs the whole graph
    assert sources_to_rebuild(live, PARTS | {PROJECT_PART: "code-2"}, KNOWN) is None
    assert sources_to_rebuild(live, PARTS | {INBOX_PREFIX + "notes.txt": "x"}, KNOWN) is None
    assert sources_to_rebuild(live, PARTS | {INBOX_PREFIX + "no_such_source": "x"}, KNOWN) is None


def test_a_stamp_that_does_not_describe_the_warehouse_asks_for_the_whole_graph(tmp_path, monkeypatch):
    live = _stamped(tmp_path)
    monkeypatch.setattr(workspace, "_this_year", lambda: 2099)  # row rules and indicators read the year
    assert sources_to_rebuild(live, dict(PARTS), KNOWN) is None
    monkeypatch.undo()
    live.write_bytes(b"a warehouse written since (an approval)")
    assert sources_to_rebuild(live, dict(PARTS), KNOWN) is None
    old = tmp_path / "old" / "warehouse.duckdb"  # a stamp from before parts were recorded
    old.parent.mkdir()
    old.write_bytes(b"x")
    stamp = workspace._stamp_path(old)
    stamp.write_text(json.dumps({"fingerprint": "f", "warehouse": workspace._warehouse_state(old), "year": 2026}))
    assert sources_to_rebuild(old, dict(PARTS), KNOWN) is None
    assert sources_to_rebuild(tmp_path / "none.duckdb", dict(PARTS), KNOWN) is None


def test_a_partial_run_claims_only_the_inbox_folders_it_staged(tmp_path):
    live = _stamped(tmp_path)
    now = {
        PROJECT_PART: "code-2",  # changed, but the run did not rebuild everything
        INBOX_PREFIX + "synthetic_hotline_reports": "hotline-1",
        INBOX_PREFIX + "wg_quarterly_report": "wg-1",
    }
    merged = stamp_parts(live, now, frozenset({"synthetic_hotline_reports", "unodc_glotip"}))
    assert merged == {PROJECT_PART: "code-1", INBOX_PREFIX + "synthetic_hotline_reports": "hotline-1"}
    assert stamp_parts(live, now, None) == now  # the whole graph ran: everything it read
    live.write_bytes(b"touched since the stamp")
    assert stamp_parts(live, now, frozenset({"synthetic_hotline_reports"})) is None
    workspace._write_stamp(live, None, "run-2", "public")
    assert not workspace.is_up_to_date(live, workspace.fingerprint_of(now), "public")


def test_input_parts_has_one_part_per_inbox_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAC_HOME", str(tmp_path))
    before = workspace.input_parts()
    folder = tmp_path / "inbox" / "synthetic_hotline_reports"
    folder.mkdir(parents=True)
    shutil.copyfile(HOTLINE_CSV, folder / "drop.csv")
    after = workspace.input_parts()
    assert set(after) - set(before) == {INBOX_PREFIX + "synthetic_hotline_reports"}
    assert after[PROJECT_PART] == before[PROJECT_PART]
    (folder / "drop.csv").write_text("other bytes")
    assert (
        workspace.input_parts()[INBOX_PREFIX + "synthetic_hotline_reports"]
        != after[INBOX_PREFIX + "synthetic_hotline_reports"]
    )


def test_a_partial_build_always_rebuilds_what_reads_the_date_and_the_outputs():
    from pipelines.definitions import defs
    from pipelines.selection import partial_selection

    graph = defs().resolve_asset_graph()
    outputs_only = {key.to_user_string() for key in partial_selection(graph, [])}
    assert outputs_only == {
        "marts/dq_freshness",  # ages against today
        "marts/reporting_status",  # late or missing as of today
        "marts/wg_quarter_summary",
        "outputs/site",
        "outputs/downloads",
        "outputs/annual_report",
        "outputs/commit",
    }
    quarterly = {key.to_user_string() for key in partial_selection(graph, ["wg_quarterly_report"])}
    assert outputs_only | {"staging/wg_quarterly_report", "marts/wg_activities", "marts/indicator_values"} <= quarterly
    assert not {"marts/observations", "staging/unodc_glotip", "marts/dq_coverage"} & quarterly


# --- end to end, on a built home ---


def _current_copy(built_home: Path, target: Path) -> Path:
    """A copy of the built home whose last build read this code (up to date in CI; a home kept
    between runs with CLAC_TEST_HOMES is built again here)."""
    home = copy_of(built_home, target)
    run_clac(home, "build")
    return home


def _drop_hotline_file(home: Path) -> None:
    folder = home / "inbox" / "synthetic_hotline_reports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "revised-SYNTHETIC.csv").write_text(HOTLINE_CSV.read_text(encoding="utf-8-sig").replace("1.110", "1.331"))


def _tables(path: Path) -> dict[str, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2").fetchall()
        return {f"{s}.{t}": sorted(map(repr, con.execute(f"SELECT * FROM {s}.{t}").fetchall())) for s, t in names}
    finally:
        con.close()


def _materialized_in_last_run(home: Path, monkeypatch) -> set[str]:
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster_home"))
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        records = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        return {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records}


def test_a_new_inbox_file_rebuilds_what_it_feeds_like_a_whole_build(built_home, tmp_path, monkeypatch):
    home = _current_copy(built_home, tmp_path / "home")
    _drop_hotline_file(home)
    partial = run_clac(home, "build")
    assert "Only what changed was rebuilt: the sources with new inbox files (synthetic_hotline_reports)" in " ".join(
        partial.stdout.split()
    )
    ran = _materialized_in_last_run(home, monkeypatch)
    assert {"staging/synthetic_hotline_reports", "marts/observations", "marts/indicator_values", "outputs/site"} <= ran
    assert "staging/unodc_glotip" not in ran and "marts/areas" not in ran and "marts/revisions" in ran
    assert "up to date" in run_clac(home, "build").stdout
    after_partial = _tables(home / "warehouse.duckdb")
    site = home / "build" / "public" / "site"
    pages = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}

    run_clac(home, "build", "--force")
    assert len(_materialized_in_last_run(home, monkeypatch)) > len(ran)
    after_whole = _tables(home / "warehouse.duckdb")
    # the forced build adds its own check results to the validation history; nothing else differs
    assert len(after_whole.pop("marts.dq_validation_history")) > len(after_partial.pop("marts.dq_validation_history"))
    assert after_partial == after_whole
    whole = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert pages.keys() == whole.keys()
    differing = sorted(str(name) for name in pages if pages[name] != whole[name])
    assert differing == [f"{lang}/quality.html" for lang in ("en", "es", "pt")]  # the history again


def test_the_sensor_asks_for_the_new_file_s_part_of_the_graph(built_home, tmp_path, monkeypatch):
    from pipelines.definitions import defs
    from pipelines.defs.automation import inbox_sensor

    home = _current_copy(built_home, tmp_path / "home")
    for key, value in clac_env(home).items():
        monkeypatch.setenv(key, value)
    _drop_hotline_file(home)
    with dg.build_sensor_context(definitions=defs()) as context:
        (request,) = list(inbox_sensor(context))
    selected = {key.to_user_string() for key in request.asset_selection}
    assert {"staging/synthetic_hotline_reports", "marts/dq_freshness", "outputs/commit"} <= selected
    assert "staging/unodc_glotip" not in selected and "marts/areas" not in selected
    # code, catalogues or rules changed since the last build: the whole graph
    workspace._stamp_path(home / "warehouse.duckdb").write_text(
        json.dumps(json.loads(workspace._stamp_path(home / "warehouse.duckdb").read_text()) | {"parts": {}})
    )
    with dg.build_sensor_context(definitions=defs()) as context:
        (request,) = list(inbox_sensor(context))
    assert request.asset_selection is None
