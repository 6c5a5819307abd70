"""The Dagster definitions load, and the asset graph is the one we expect."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs
from sources.catalogue import load_catalogue, observation_sources


def _defs() -> dg.Definitions:
    return defs() if callable(defs) else defs


def test_definitions_load_with_every_catalogue_source():
    graph = _defs().resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    expected = {"marts/areas", "marts/population", "marts/sources", "marts/measures",
                "marts/observations", "marts/files"}
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


def test_every_asset_is_described_and_writers_share_one_pool():
    definitions = _defs()
    for assets_def in definitions.assets:
        for spec in assets_def.specs:
            assert spec.description and len(spec.description) > 40, spec.key
    graph = definitions.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.pools == {"duckdb_writer"}, (key, node.pools)


def test_blocking_checks_guard_each_source():
    graph = _defs().resolve_asset_graph()
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for source_id in observation_sources(load_catalogue()):
        assert (f"staging/{source_id}", "rows_conserved") in checks
    assert ("staging/ncmec_cybertipline_by_country", "stated_total_matches") in checks


def test_sensor_schedule_and_job_exist():
    definitions = _defs()
    assert definitions.resolve_sensor_def("inbox_sensor")
    assert definitions.resolve_schedule_def("nightly_build")
    assert definitions.resolve_job_def("build")
