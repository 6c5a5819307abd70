"""Which assets a build runs: the whole graph, or what a changed inbox folder feeds.

When only some sources' inbox folders changed since the last successful build (the code,
catalogues, rules and bundled data did not, nor the year; :func:`pipelines.workspace.sources_to_rebuild`),
a build stages those sources and rebuilds only what is downstream of them and of the assets that
read today's date (tagged ``DATE_TAG``: freshness, reporting status). Everything else in the
run's working copy is the live warehouse's, which the stamp says is up to date with the other
inputs. ``clac build`` and the inbox sensor choose this way; ``clac build --force``, the
schedule and "Materialize all" in the UI run the whole graph.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

#: Asset tag of the assets whose result depends on the day they run, rebuilt by every partial build.
DATE_TAG = "clac/reads_the_date"
DATE_TAGS = {DATE_TAG: "true"}


def staging_key(source_id: str) -> dg.AssetKey:
    """The staging asset of a source: ``staging/<source_id>``."""
    return dg.AssetKey(["staging", source_id])


def _source_id(key: dg.AssetKey) -> str | None:
    return key.path[1] if len(key.path) == 2 and key.path[0] == "staging" else None


def stageable_sources(graph) -> set[str]:
    """The sources that have a staging asset."""
    return {source for key in graph.get_all_asset_keys() if (source := _source_id(key))}


def partial_selection(graph, sources: Iterable[str]) -> list[dg.AssetKey]:
    """The staging assets of ``sources``, the assets that read the date, and everything downstream."""
    roots = dg.AssetSelection.assets(*(staging_key(s) for s in sources)) | dg.AssetSelection.tag(DATE_TAG, "true")
    return sorted(roots.downstream().resolve(graph), key=lambda key: key.to_user_string())


def staged_sources(run_selection: Iterable[dg.AssetKey] | None, job_graph) -> frozenset[str] | None:
    """The sources a run staged when it ran part of the graph; ``None`` when it ran all of it.

    ``run_selection``: the run's asset selection (empty or ``None`` when the run ran its whole
    job); ``job_graph``: the asset graph of the run's job, which also holds the assets upstream
    of a job of part of the graph."""
    ran = set(run_selection or ()) or set(job_graph.executable_asset_keys)
    if job_graph.get_all_asset_keys() <= ran:
        return None
    return frozenset(source for key in ran if (source := _source_id(key)))
