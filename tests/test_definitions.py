"""The Dagster definitions load, and the asset graph is the one we expect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
from sources.catalogue import load_catalogue, observation_sources


def _defs() -> dg.Definitions:
    return defs() if callable(defs) else defs


def test_definitions_load_with_every_catalogue_source():
    graph = _defs().resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    expected = {
        "marts/areas",
        "marts/population",
        "marts/sources",
        "marts/measures",
        "marts/observations",
        "marts/files",
    }
    expected |= {f"staging/{source_id}" for source_id in observation_sources(load_catalogue())}
    assert expected <= keys


def test_observations_depend_on_every_source_and_the_dimensions():
    graph = _defs().resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["marts", "observations"])).parent_keys}
    assert {f"staging/{s}" for s in observation_sources(load_catalogue())} <= parents
    assert {"marts/areas", "marts/sources", "marts/measures"} <= parents
    for source_id in observation_sources(load_catalogue()):
        node = graph.get(dg.AssetKey(["staging", source_id]))
        assert dg.AssetKey(["marts", "areas"]) in node.parent_keys


READ_ONLY = {"outputs/site", "outputs/downloads", "outputs/annual_report"}


def test_every_asset_is_described_and_writers_share_one_pool():
    definitions = _defs()
    for assets_def in definitions.assets:
        for spec in assets_def.specs:
            assert spec.description and len(spec.description) > 40, spec.key
    graph = definitions.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        expected = set() if key.to_user_string() in READ_ONLY else {"duckdb_writer"}
        assert node.pools == expected, (key, node.pools)


def test_one_click_builds_everything_in_one_process():
    """'Materialize all' and the build job: unpartitioned, in-process, ending in outputs/commit."""
    definitions = _defs()
    graph = definitions.resolve_asset_graph()
    assert all(graph.get(key).partitions_def is None for key in graph.get_all_asset_keys())
    for job in (definitions.resolve_job_def("build"), definitions.resolve_implicit_global_asset_job_def()):
        assert job.executor_def is dg.in_process_executor, job.name
        assert job.partitions_def is None
    commit = dg.AssetKey(["outputs", "commit"])
    assert graph.get(commit).parent_keys == set(graph.get_all_asset_keys()) - {commit}


def test_audience_is_run_config_public_by_default():
    from pipelines.defs.resources import WarehouseResource

    assert WarehouseResource().audience == "public"
    job = _defs().resolve_job_def("build")
    config = job.run_config_schema.config_type.fields["resources"].config_type.fields["warehouse"]
    assert "audience" in config.config_type.fields["config"].config_type.fields


def test_blocking_checks_guard_each_source():
    graph = _defs().resolve_asset_graph()
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for source_id in observation_sources(load_catalogue()):
        assert (f"staging/{source_id}", "rows_conserved") in checks
        assert graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey(["staging", source_id]), "gx_suite")).blocking
    assert ("staging/ncmec_cybertipline_by_country", "stated_total_matches") in checks
    assert {
        ("marts/observations", "key_unique_and_complete"),
        ("marts/observations", "rows_conserved"),
        ("marts/indicator_values", "key_unique_and_complete"),
    } <= checks
    assert all(graph.get_check_spec(key).blocking for key in graph.asset_check_keys if key.asset_key.path[0] == "marts")


def test_sensor_schedule_and_job_exist():
    definitions = _defs()
    assert definitions.resolve_sensor_def("inbox_sensor")
    assert definitions.resolve_schedule_def("nightly_build")
    assert definitions.resolve_job_def("build")


def test_the_catalogue_shows_standard_metadata_and_live_paths(built_home, monkeypatch):
    """What Dagster users read: dagster/row_count, dagster/column_schema, dagster/table_name on the
    warehouse tables; outputs record where the files are once the run is committed."""
    import duckdb

    monkeypatch.setenv("DAGSTER_HOME", str(built_home / "dagster_home"))
    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    with dg.DagsterInstance.get() as instance:
        for table in ("observations", "indicator_values", "sources", "files"):
            meta = instance.get_latest_materialization_event(
                dg.AssetKey(["marts", table])
            ).asset_materialization.metadata
            assert meta["dagster/table_name"].value == f"warehouse.marts.{table}"
            assert meta["dagster/row_count"].value == con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0]
            columns = [c.name for c in meta["dagster/column_schema"].value.columns]
            assert columns == [r[0] for r in con.execute(f"DESCRIBE marts.{table}").fetchall()]
        site = instance.get_latest_materialization_event(dg.AssetKey(["outputs", "site"])).asset_materialization
        assert (Path(site.metadata["path"].value) / "es").is_dir()
    con.close()


def test_dg_check_defs_loads_the_project_under_its_own_name(tmp_path):
    """`dg check defs`, the way a Dagster user checks a project: everything loads, and the code
    location is named in pyproject.toml (no warning that it falls back to the folder's name)."""
    dg_cli = Path(sys.executable).with_name("dg")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAC_", "DAGSTER_"))}
    env |= {"DAGSTER_HOME": str(tmp_path), "VIRTUAL_ENV": str(Path(sys.executable).parents[1])}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    result = subprocess.run(
        [str(dg_cli), "check", "defs"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "All definitions loaded successfully" in output
    assert "code_location_name" not in output and "Traceback" not in output
