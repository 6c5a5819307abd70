"""The pages of one language, and the language-neutral downloads (see :mod:`dashboards.site`)."""

from __future__ import annotations

import re
from functools import partial

import pandas as pd

from dashboards import downloads, precision, site_cache
from dashboards.data import AGGREGATE_AREAS, is_missing, most_restrictive
from dashboards.i18n import Translator, format_percent
from dashboards.site import (
    Builder,
    conf_mark,
    conf_notes,
    goal_status,
    markdown_html,
    measure_name,
    status_badge,
    withheld_text,
)
from warehouse import kept_files

SUBREGION_ORDER = ("LAC_SOUTH", "LAC_CENTRAL", "LAC_CARIB", "OTHER")


def _by_goal(builder: Builder) -> dict[int, list]:
    groups: dict[int, list] = {goal: [] for goal in range(1, 9)}
    for ind in builder.data.registry.values():
        groups[ind.goal].append(ind)
    return groups


ALL_DATA_ZIP = "downloads/clac-all-data.zip"


def write_downloads(builder: Builder) -> None:
    """All data (zip), SDMX-CSV and SDMX-ML of the indicator values, per-indicator CSVs.

    With a cache folder, the CSVs and the zip made from the same inputs before (the SDMX files'
    key, which covers their inputs and the rendering code, and the progress table) are copied
    from ``<cache>-downloads`` (:mod:`dashboards.site_cache`; "downloads" is added to the
    manifest's reused parts), else made and kept there; the SDMX files have their own."""
    from dashboards.sdmx.publish import sdmx_key, write_sdmx  # sdmx1 only when the site is built

    data, out = builder.site_data, builder.out_dir
    folder = builder.cache_dir.with_name(builder.cache_dir.name + "-downloads") if builder.cache_dir else None
    made_by = sdmx_key(data) if folder is not None else None
    key = kept_files.value_key(made_by, data.progress) if made_by else None
    files = site_cache.lookup(folder, key) if key else None
    sdmx = write_sdmx(data, out, cache_dir=builder.cache_dir, reused=builder.manifest.reused_parts, key=made_by)
    if files is not None:
        builder.manifest.reused_parts.append("downloads")
    else:
        files = _download_files(data, sdmx)
        if key:
            site_cache.store(folder, key, files)
    for rel, payload in files.items():
        downloads.write_bytes(out / rel, payload)
    builder.manifest.downloads += [
        rel for ind in data.registry.values() if (rel := f"downloads/indicators/{ind.id}.csv") in files
    ]
    # the SDMX files are written in downloads/sdmx/ and in the REST layout sdmx/
    builder.manifest.downloads += [rel for rel in sdmx if rel.startswith("downloads/sdmx/")]
    builder.manifest.downloads.append(ALL_DATA_ZIP)


def _download_files(data, sdmx: dict[str, bytes]) -> dict[str, bytes]:
    """The per-indicator CSVs and the all-data zip (with ``sdmx``'s downloads), by path."""
    files: dict[str, bytes] = {}
    members: dict[str, bytes] = {}
    values = data.values if data.values is not None else pd.DataFrame(columns=downloads.CSV_COLUMNS)
    all_values = downloads.csv_frame(
        values.sort_values(["INDICATOR", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"], kind="mergesort")
        if len(values)
        else values
    )
    members["indicator_values.csv"] = downloads.csv_bytes(all_values)
    for ind in data.registry.values():
        rows = data.indicator_values(ind.id)
        if len(rows):
            payload = downloads.csv_bytes(
                downloads.csv_frame(
                    rows.sort_values(["REF_AREA", "SEX", "AGE", "DISAGGREGATION", "TIME_PERIOD"], kind="mergesort")
                )
            )
            files[f"downloads/indicators/{ind.id}.csv"] = payload
            members[f"indicators/{ind.id}.csv"] = payload
    for rel, payload in sdmx.items():
        if rel.startswith("downloads/sdmx/"):
            members[rel.removeprefix("downloads/")] = payload
    obs = data.observations
    if len(obs):
        members["observations.csv"] = downloads.csv_bytes(obs.drop(columns=["REF_YEAR"]))
    if data.progress is not None and len(data.progress):
        members["indicator_progress.csv"] = downloads.csv_bytes(data.progress)
    members["sources.csv"] = downloads.csv_bytes(data.sources)
    members["README.txt"] = (
        "CLAC indicators observatory: all data of this edition.\n"
        f"Sharing levels included: {', '.join(data.allowed_sharing)} (audience: {data.audience}).\n"
        "Every row carries its SHARING level; rows from SYNTHETIC sources (SYNTHETIC = True) are invented\n"
        "test data, not real statistics. Aggregated statistics only.\n"
        "indicator_values.csv: every indicator value; indicators/<id>.csv: one indicator;\n"
        "sdmx/: SDMX 2.1 structures (structure.xml), the indicator values and the observations as\n"
        "SDMX-ML 2.1 structure-specific data (with their .xsd) and SDMX-CSV 2.0 (see docs/sdmx.md);\n"
        "observations.csv: the source observations with their provenance (file, sha256, page/row);\n"
        "indicator_progress.csv: the progress assessments; sources.csv: the sources.\n"
    ).encode("utf-8")
    files[ALL_DATA_ZIP] = downloads.zip_bytes(members)
    return files


def write_language(builder: Builder, lang: str) -> None:
    """Every page of ``lang``, a group at a time (:meth:`Builder.group`: a group whose data did
    not change since it was kept is copied instead of rendered)."""
    group = builder.group
    group(f"{lang}/home", partial(write_home, builder, lang))
    for goal in range(1, 9):
        group(f"{lang}/goal/{goal}", partial(write_goal, builder, lang, goal))
    for ind_id in builder.data.registry:
        group(f"{lang}/indicator/{ind_id}", partial(_write_indicator_by_id, builder, lang, ind_id))
    write_countries(builder, lang)
    for name, writer in (
        ("reporting", write_reporting),
        ("quality", write_quality),
        ("methodology", write_methodology),
        ("sources", write_sources),
        ("downloads", write_downloads_page),
        ("search", write_search),
    ):
        group(f"{lang}/{name}", partial(writer, builder, lang))


# --------------------------------------------------------------------------- home and goals


def _goal_card(builder: Builder, lang: str, goal: int, indicators: list) -> dict:
    t = Translator(lang)
    status, score, levels = goal_status(builder.data, indicators)
    summaries = [builder.indicator_summary(ind, lang) for ind in indicators]
    groups = sorted({ind.working_group for ind in indicators})
    return {
        "n": goal,
        "name": t.goal(goal),
        "badge": status_badge(status, t),
        "score": t.number(score, 2) if score is not None else "",
        "sharing": most_restrictive(levels) if levels else "",
        "indicators": summaries,
        "working_groups": [t.working_group(g) for g in groups],
        "synthetic": any(s["synthetic"] and s["n_values"] for s in summaries),
    }


def write_home(builder: Builder, lang: str) -> None:
    t = Translator(lang)
    cards = [_goal_card(builder, lang, goal, inds) for goal, inds in _by_goal(builder).items()]
    levels = [c["sharing"] for c in cards if c["sharing"]]
    builder.render(
        "home.html",
        lang,
        "index.html",
        title=t("site_title"),
        cards=cards,
        synthetic=any(c["synthetic"] for c in cards),
        page_sharing=most_restrictive(levels) if levels else "",
        progress_notice=builder.table_notice("progress", t),
        values_notice=builder.table_notice("values", t),
        registry_error=builder.data.registry_error,
    )


def _goal_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """On goal pages: the regional aggregates when there are any, else every country."""
    aggregates = rows[rows["REF_AREA"].isin(AGGREGATE_AREAS)]
    return aggregates if len(aggregates) else rows


def write_goal(builder: Builder, lang: str, goal: int) -> None:
    t = Translator(lang)
    indicators = _by_goal(builder)[goal]
    card = _goal_card(builder, lang, goal, indicators)
    root = "../../"
    blocks = []
    for ind in indicators:
        rows = _goal_rows(builder.indicator_rows(ind))
        block = builder.figure_block(ind, rows, lang, f"goal{goal}-{ind.id}", root, height=360)
        block["summary"] = builder.indicator_summary(ind, lang)
        block["definition"] = ind.definition.__getattribute__(lang)
        blocks.append(block)
    levels = [b["sharing"] for b in blocks if b["sharing"]] + ([card["sharing"]] if card["sharing"] else [])
    builder.render(
        "goal.html",
        lang,
        f"goal/{goal}.html",
        title=f"{t('goal_n', n=goal)}: {t.goal(goal)}",
        card=card,
        blocks=blocks,
        synthetic=any(b["synthetic"] for b in blocks),
        has_charts=any(b["figure"] for b in blocks),
        page_sharing=most_restrictive(levels) if levels else "",
        values_notice=builder.table_notice("values", t),
        progress_notice=builder.table_notice("progress", t),
    )


def write_indicator(builder: Builder, lang: str, ind) -> None:
    t = Translator(lang)
    root = "../../"
    block = builder.figure_block(ind, builder.indicator_rows(ind), lang, ind.id, root, views=True)
    summary = builder.indicator_summary(ind, lang)
    assessments = builder.assessment_rows(ind, lang)
    sources = builder.data.sources_of(*ind.sources)
    files = builder.data.files_of(*ind.sources)
    labels = _framework_labels(ind, lang)
    levels = [x for x in [block["sharing"], summary["sharing"]] if x] + [a["sharing"] for a in assessments]
    builder.render(
        "indicator.html",
        lang,
        f"indicator/{ind.id}.html",
        title=summary["name"],
        ind=ind,
        summary=summary,
        block=block,
        assessments=assessments,
        goal_name=t.goal(ind.goal),
        definition=getattr(ind.definition, lang),
        limitations=getattr(ind.limitations, lang),
        direction=t.direction(ind.direction or "none"),
        method=t.method(ind.progress_method),
        base_year=ind.base_year,
        target=(t.number(ind.target.value) if ind.target else ""),
        target_year=(ind.target.year if ind.target else ""),
        frameworks=labels,
        sources=_source_items(sources, lang),
        files=_file_items(files, dict(zip(sources["SOURCE_ID"], sources[f"TITLE_{lang.upper()}"]))),
        synthetic=block["synthetic"] or any(a["synthetic"] for a in assessments),
        has_charts=bool(block["figure"]),
        page_sharing=most_restrictive(levels) if levels else "",
        values_notice=builder.table_notice("values", t),
        progress_notice=builder.table_notice("progress", t),
        **_dates_and_citation(builder, ind, lang, sources, files, block),
    )


def _dates_and_citation(
    builder: Builder, ind, lang: str, sources: pd.DataFrame, files: pd.DataFrame, block: dict
) -> dict:
    """The last update (newest file received from the indicator's sources, as a date in the page's
    language), the latest period the sources published, and the "cite this" text."""
    from dashboards.i18n import format_date

    t = Translator(lang)
    received = (
        pd.to_datetime(files["RECEIVED_AT"], errors="coerce", utc=True).dropna()
        if "RECEIVED_AT" in files.columns and len(files)
        else pd.Series(dtype="datetime64[ns, UTC]")
    )
    last = received.max() if len(received) else None
    date = format_date(last, lang) if last is not None else ""
    latest_period = max((r["period"] for r in block["rows"]), default="")
    titles = "; ".join(str(x) for x in sources[f"TITLE_{lang.upper()}"]) if len(sources) else ""
    url = f"{lang}/indicator/{ind.id}.html"
    cite = (
        t(
            "cite_text",
            year=last.year if last is not None else "",
            name=getattr(ind.name, lang),
            sources=titles,
            date=date,
            url=url,
        )
        if date
        else ""
    )
    return {"last_update": date, "latest_period": latest_period, "cite": cite}


def _framework_labels(ind, lang: str) -> list[str]:
    from dashboards.i18n import registry_labels

    labels = registry_labels()
    items = []
    for number in ind.frameworks.weprotect_capabilities:
        entry = labels["weprotect_capabilities"].get(number) or labels["weprotect_capabilities"].get(str(number), {})
        items.append(f"WeProtect GSR {number}: {entry.get(lang, number)}")
    for code in ind.frameworks.ncmec_positions:
        items.append(f"NCMEC: {labels['ncmec_positions'].get(code, {}).get(lang, code)}")
    if ind.frameworks.sdg_indicator:
        items.append(f"SDG {ind.frameworks.sdg_indicator}")
    return items


def _source_items(sources: pd.DataFrame, lang: str) -> list[dict]:
    from indicators.methodology import catalogue_label

    suffix = lang.upper()
    items = []
    for row in sources.itertuples(index=False):
        items.append(
            {
                "id": row.SOURCE_ID,
                "title": getattr(row, f"TITLE_{suffix}"),
                "description": getattr(row, f"DESCRIPTION_{suffix}"),
                "publisher": catalogue_label("publishers", row.PUBLISHER, lang),
                "licence": catalogue_label("licences", row.LICENCE, lang),
                "url": row.URL if str(row.URL).startswith(("http://", "https://")) else "",
                "sharing": row.SHARING,
                "synthetic": bool(row.SYNTHETIC),
                "frequency": row.UPDATE_FREQUENCY,
            }
        )
    return items


def _revision_items(summary: pd.DataFrame | None, source_id: str, lang: str) -> list[dict]:
    """What the newest release of a source changed, per measure (marts.revision_summary), each
    measure by its name in ``lang``."""
    if summary is None or not len(summary):
        return []
    rows = summary[summary["SOURCE_ID"] == source_id]
    return [
        {
            "measure": measure_name(r.MEASURE, lang),
            "revised": int(r.REVISED),
            "added": int(r.ADDED),
            "withdrawn": int(r.WITHDRAWN),
            "unchanged": int(r.UNCHANGED),
            "median_pct": None if is_missing(r.MEDIAN_ABS_CHANGE_PCT) else float(r.MEDIAN_ABS_CHANGE_PCT),
        }
        for r in rows.itertuples(index=False)
    ]


def _file_items(files: pd.DataFrame, titles: dict[str, str] | None = None) -> list[dict]:
    """The files of a source; ``source`` is the source's title when ``titles`` maps ids to titles."""
    titles = titles or {}
    return [
        {
            "id": row.FILE_ID,
            "name": row.ORIGINAL_NAME,
            "sha256": row.SHA256,
            "source": titles.get(row.SOURCE_ID, row.SOURCE_ID),
            "size": int(row.SIZE_BYTES) if not is_missing(getattr(row, "SIZE_BYTES", None)) else "",
            "rows": int(row.ROWS_STAGED) if not is_missing(getattr(row, "ROWS_STAGED", None)) else "",
        }
        for row in files.itertuples(index=False)
    ]


# --------------------------------------------------------------------------- countries


def _country_column(frame: pd.DataFrame | None) -> str | None:
    if frame is None:
        return None
    for column in ("REF_AREA", "COUNTRY", "ISO3", "AREA"):
        if column in frame.columns:
            return column
    return None


def write_countries(builder: Builder, lang: str) -> None:
    """The countries' index and each country's profile, a page group each."""
    builder.group(f"{lang}/country/index", partial(write_country_index, builder, lang))
    for code in builder.data.lac_countries["REF_AREA"]:
        builder.group(f"{lang}/country/{code}", partial(_write_country_by_code, builder, lang, code))


def _write_indicator_by_id(builder: Builder, lang: str, ind_id: str) -> None:
    """A page group's writer takes names only and reads its data inside the group."""
    write_indicator(builder, lang, builder.data.registry[ind_id])


def _write_country_by_code(builder: Builder, lang: str, code: str) -> None:
    """A page group's writer takes names only and reads its data inside the group."""
    countries = builder.data.lac_countries
    row = next(countries[countries["REF_AREA"] == code].itertuples(index=False))
    write_country(builder, lang, row)


def write_country_index(builder: Builder, lang: str) -> None:
    t = Translator(lang)
    data = builder.data
    groups: dict[str, list] = {}
    for row in data.lac_countries.itertuples(index=False):
        region = row.LAC_SUBREGION if row.LAC_SUBREGION in SUBREGION_ORDER else "OTHER"
        groups.setdefault(region, []).append({"code": row.REF_AREA, "name": data.area_name(row.REF_AREA, lang)})
    grouped = [
        {"name": t(f"subregions.{r}"), "countries": sorted(groups[r], key=lambda c: c["name"])}
        for r in SUBREGION_ORDER
        if r in groups
    ]
    builder.render("countries.html", lang, "country/index.html", title=t("countries_title"), groups=grouped)


def _tracker(builder: Builder, name: str, code: str, lang: str) -> dict:
    t = Translator(lang)
    frame = builder.data.marts.get(name)
    notice = builder.mart_notice(name, frame, t)
    column = _country_column(frame)
    rows = frame[frame[column] == code] if frame is not None and column else None
    table = builder.generic_table(
        rows,
        lang,
        drop=((column,) if column else ()) + ("SOURCE_ID", "AREA_NAME_ES", "AREA_NAME_EN", "AREA_NAME_PT"),
        mart=name,
    )
    levels = list(rows["SHARING"]) if rows is not None and len(rows) else []
    return {"notice": notice, "table": table, "levels": levels}


def _latest_rows(builder: Builder, code: str) -> list[dict]:
    """A country's latest period's rows of every indicator, in registry order (computed once)."""
    return builder.language_neutral(("latest rows", code), partial(_latest_rows_of_country, builder.data, code))


def _latest_rows_of_country(data, code: str) -> list[dict]:
    frame = data.area_values(code).copy()
    if not len(frame):
        return []
    frame["PERIOD_TEXT"] = frame["TIME_PERIOD"].astype(str)
    latest = frame.groupby("INDICATOR")["PERIOD_TEXT"].transform("max")
    frame = frame[frame["PERIOD_TEXT"] == latest]
    order = {ind_id: n for n, ind_id in enumerate(data.registry)}
    frame = frame.assign(ORDER=frame["INDICATOR"].map(order)).sort_values(
        ["ORDER", "SEX", "AGE", "DISAGGREGATION"], kind="mergesort"
    )
    return frame.to_dict("records")


def _country_statuses(builder: Builder, code: str) -> dict[str, tuple[str, str]]:
    """``{indicator: (status, sharing)}`` of a country's indicator-level assessments (computed once)."""
    return builder.language_neutral(("country statuses", code), partial(_statuses_of_country, builder.data, code))


def _statuses_of_country(data, code: str) -> dict[str, tuple[str, str]]:
    progress = data.area_progress(code)
    if not len(progress):
        return {}
    frame = progress[progress["LEVEL"] == "indicator"] if "LEVEL" in progress.columns else progress
    return {
        ind_id: (str(status), str(sharing))
        for ind_id, status, sharing in zip(frame["INDICATOR"], frame["STATUS"], frame["SHARING"])
    }


def write_country(builder: Builder, lang: str, area) -> None:
    t = Translator(lang)
    data = builder.data
    code = area.REF_AREA
    indicator_rows = []
    levels: list[str] = []
    synthetic = False
    if data.table_state("values") != "missing":
        statuses = _country_statuses(builder, code)
        for row in _latest_rows(builder, code):
            ind = data.registry[row["INDICATOR"]]
            status, status_sharing = statuses.get(ind.id, ("not_available", ""))
            if status_sharing:
                levels.append(status_sharing)
            mark = conf_mark(row.get("CONF_STATUS"))
            indicator_rows.append(
                {
                    "id": ind.id,
                    "name": getattr(ind.name, lang),
                    "goal": ind.goal,
                    "series": t.series_label(row["SEX"], row["AGE"], row["DISAGGREGATION"]),
                    "period": str(row["TIME_PERIOD"]),
                    "value": withheld_text(mark, row.get("OBS_TEXT"), t)
                    if mark
                    else t("suppressed")
                    if is_missing(row["OBS_VALUE"])
                    else t.value(row["OBS_VALUE"], ind.unit),
                    "conf": mark,
                    "conf_label": t(f"conf_status_codes.{mark.upper()}", threshold=data.threshold) if mark else "",
                    "unit": t.unit(ind.unit),
                    "obs_status": row["OBS_STATUS"],
                    "badge": status_badge(status, t),
                    "sharing": row["SHARING"],
                    "synthetic": bool(row["SYNTHETIC"]),
                }
            )
            levels.append(row["SHARING"])
            synthetic = synthetic or bool(row["SYNTHETIC"])
    small_charts = _country_charts(builder, lang, area, indicator_rows)
    legislative = _tracker(builder, "legislative_tracker", code, lang)
    capability = _tracker(builder, "capability_tracker", code, lang)
    covering = []
    if data.table_state("observations") == "rows":
        mine = data.area_observations(code)
        for source_id, part in mine.groupby("SOURCE_ID", sort=True):
            source = data.sources_of(source_id)
            if not len(source):
                continue
            src = source.iloc[0]
            covering.append(
                {
                    "id": source_id,
                    "title": src[f"TITLE_{lang.upper()}"],
                    "n": len(part),
                    "first": str(part["TIME_PERIOD"].min()),
                    "last": str(part["TIME_PERIOD"].max()),
                    "sharing": src["SHARING"],
                    "synthetic": bool(src["SYNTHETIC"]),
                }
            )
            levels.append(src["SHARING"])
            synthetic = synthetic or bool(src["SYNTHETIC"])
    levels += legislative["levels"] + capability["levels"]
    footnotes = sorted({r["obs_status"] for r in indicator_rows if r["obs_status"] and r["obs_status"] != "A"})
    withheld_notes, disclosure_note = conf_notes([r["conf"] for r in indicator_rows], t, data.threshold)
    builder.render(
        "country.html",
        lang,
        f"country/{code}.html",
        title=data.area_name(code, lang),
        code=code,
        subregion=t(f"subregions.{area.LAC_SUBREGION}") if area.LAC_SUBREGION in SUBREGION_ORDER else "",
        indicator_rows=indicator_rows,
        legislative=legislative,
        capability=capability,
        covering=covering,
        small_charts=small_charts,
        has_charts=bool(small_charts),
        synthetic=synthetic,
        page_sharing=most_restrictive(levels) if levels else "",
        footnotes=withheld_notes + [(c, t.obs_status(c)) for c in footnotes],
        disclosure_note=disclosure_note,
        values_notice=builder.table_notice("values", t),
    )


def _indicator_chart_rows(data, ind) -> tuple[pd.DataFrame, pd.Series]:
    """Every row of ``ind`` as the countries' small charts draw it (withheld values blank, values
    rounded by the unit's rule, sorted by area and period), and each row's series key: made once
    per indicator, then cut per country by :func:`_country_chart_rows`."""
    from dashboards import charts

    values = data.indicator_values(ind.id)
    frame = (
        values.assign(CONF_MARK=[conf_mark(c) for c in values["CONF_STATUS"]])
        if "CONF_STATUS" in values.columns
        else values.assign(CONF_MARK="")
    )
    frame.loc[frame["CONF_MARK"] != "", "OBS_VALUE"] = None
    frame["OBS_VALUE"] = precision.round_column(frame["OBS_VALUE"], ind.unit).astype("float64")
    frame = frame.sort_values(["REF_AREA", "TIME_PERIOD"], kind="mergesort")  # stable: any cut stays sorted
    keys = pd.Series(
        [charts.series_key(s, a, d) for s, a, d in zip(frame["SEX"], frame["AGE"], frame["DISAGGREGATION"])],
        index=frame.index,
        dtype=object,
    )
    return frame, keys


def _country_chart_rows(builder: Builder, area, ind):
    """The language-neutral part of a country's small chart of ``ind``: the rows drawn (the
    country's series of its latest value, beside the region and its sub-region; withheld values
    blank, values rounded by the unit's rule), that series' key, the country's own rows with a
    value, and the facts of the regions' text alternative. None: no value for the country."""
    from dashboards import charts
    from dashboards.site import chart_facts

    code = area.REF_AREA
    values = builder.data.indicator_values(ind.id)
    mine = values[values["REF_AREA"] == code]
    if not len(mine) or mine["OBS_VALUE"].notna().sum() == 0:
        return None
    own_keys = sorted(
        {charts.series_key(s, a, d) for s, a, d in zip(mine["SEX"], mine["AGE"], mine["DISAGGREGATION"])},
        key=charts._series_order,
    )
    rows, keys = builder.language_neutral(("chart rows", ind.id), partial(_indicator_chart_rows, builder.data, ind))
    frame = rows[rows["REF_AREA"].isin([code, "LAC", area.LAC_SUBREGION]) & (keys == own_keys[0])].copy()
    own = frame[(frame["REF_AREA"] == code) & frame["OBS_VALUE"].notna()]
    return frame, own_keys[0], own, chart_facts(frame[frame["REF_AREA"] != code], own_keys[0])


def _country_charts(builder: Builder, lang: str, area, indicator_rows: list[dict]) -> list[dict]:
    """One small chart per indicator with values for the country: the country's series (that of its
    latest value shown in the table) beside the region (LAC) and its sub-region, with a text
    alternative that says what it shows."""
    from dashboards import charts
    from dashboards.site import chart_summary

    t = Translator(lang)
    data = builder.data
    code = area.REF_AREA
    name_of = lambda c: data.area_name(c, lang)  # noqa: E731
    out, seen = [], set()
    for row in indicator_rows:
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        ind = data.registry[row["id"]]
        prepared = builder.language_neutral(("country", code, ind.id), partial(_country_chart_rows, builder, area, ind))
        if prepared is None:
            continue
        frame, own_key, own, region_facts = prepared
        unit = t.unit(ind.unit)
        figure, _ = charts.indicator_figure(
            frame,
            name=row["name"],
            unit_label=unit,
            t=t,
            area_name=name_of,
            synthetic=bool(frame["SYNTHETIC"].astype(bool).any()),
            height=280,
            focus=code,
        )
        regions = [name_of(c) for c in ("LAC", area.LAC_SUBREGION) if c in set(frame["REF_AREA"])]
        first, last = own.iloc[0], own.iloc[-1]
        if len(own) >= 2:
            change = float(last["OBS_VALUE"]) - float(first["OBS_VALUE"])
            trend = t("trend_up") if change > 0 else t("trend_down") if change < 0 else t("trend_flat")
            summary = t(
                "chart_trend",
                area=name_of(code),
                trend=trend,
                first=t.number(first["OBS_VALUE"]),
                first_period=str(first["TIME_PERIOD"]),
                last=t.number(last["OBS_VALUE"]),
                last_period=str(last["TIME_PERIOD"]),
            )
        else:
            summary = f"{name_of(code)}: {t.number(last['OBS_VALUE'])} ({last['TIME_PERIOD']})."
        region_summary = chart_summary(frame[frame["REF_AREA"] != code], own_key, t, name_of, region_facts)
        summary = f"{summary} {region_summary}".strip()
        out.append(
            {
                "id": f"country-{code}-{ind.id}",
                "ind": ind.id,
                "name": row["name"],
                "badge": row["badge"],
                "value": row["value"],
                "period": row["period"],
                "unit": unit,
                "figure": charts.figure_script(figure),
                "heading": t("country_vs_region", country=name_of(code), region=" · ".join(regions))
                if regions
                else name_of(code),
                "description": t(
                    "country_chart_desc",
                    name=row["name"],
                    country=name_of(code),
                    unit=unit,
                    region=" · ".join(regions) or "–",
                    summary=summary,
                ),
            }
        )
    return out


# --------------------------------------------------------------------------- reporting, quality


WG_TITLES = {
    "wg_activities": "activities",
    "wg_policies": "policies",
    "wg_legislative_advances": "legislative_advances",
}


def wg_title(name: str, t: Translator) -> str:
    return t(WG_TITLES[name]) if name in WG_TITLES else name


def _reporting_matrix(frame: pd.DataFrame, t: Translator, codelists: dict | None = None) -> dict | None:
    """Working groups x quarters, when the mart has those columns."""
    group_col = next((c for c in ("WORKING_GROUP", "WG", "GROUP") if c in frame.columns), None)
    quarter_col = next((c for c in ("QUARTER", "PERIOD", "TIME_PERIOD") if c in frame.columns), None)
    status_col = next((c for c in ("STATUS", "REPORTING_STATUS", "SUBMISSION_STATUS") if c in frame.columns), None)
    if not (group_col and quarter_col and status_col):
        return None
    quarters = sorted({str(q) for q in frame[quarter_col]})
    groups = sorted({str(g) for g in frame[group_col]})
    cells = {(str(r[group_col]), str(r[quarter_col])): str(r[status_col]) for _, r in frame.iterrows()}
    labels = codelists or {}

    def cell(code: str) -> dict:
        label = labels.get(("reporting_status", code), {}).get(t.lang, code.replace("_", " "))
        return {"code": code, "label": label}

    return {
        "quarters": quarters,
        "rows": [
            {"group": t.working_group(g), "cells": [cell(cells.get((g, q), "")) for q in quarters]} for g in groups
        ],
    }


def write_reporting(builder: Builder, lang: str) -> None:
    t = Translator(lang)
    frame = builder.data.marts.get("reporting_status")
    matrix = _reporting_matrix(frame, t, builder.data.codelists) if frame is not None and len(frame) else None
    wg = [
        {
            "name": wg_title(name, t),
            "notice": builder.mart_notice(name, f, t),
            "table": builder.generic_table(f, lang, drop=("SOURCE_ID",), mart=name),
        }
        for name, f in builder.data.wg_marts.items()
    ]
    levels = (list(frame["SHARING"]) if frame is not None else []) + [
        s for f in builder.data.wg_marts.values() for s in f["SHARING"]
    ]
    builder.render(
        "reporting.html",
        lang,
        "reporting.html",
        title=t("reporting_title"),
        notice=builder.mart_notice("reporting_status", frame, t),
        matrix=matrix,
        table=builder.generic_table(frame, lang, mart="reporting_status"),
        wg=wg,
        page_sharing=most_restrictive(levels) if levels else "",
    )


def write_quality(builder: Builder, lang: str) -> None:
    t = Translator(lang)
    sections = []
    levels = []
    for name in ("dq_coverage", "dq_freshness", "dq_validation_history"):
        frame = builder.data.marts.get(name)
        sections.append(
            {
                "id": name,
                "title": t(name),
                "notice": builder.mart_notice(name, frame, t),
                "table": builder.generic_table(frame, lang, mart=name),
            }
        )
        if frame is not None:
            levels += list(frame["SHARING"])
    quarantine = builder.generic_table(builder.data.quarantine, lang)
    builder.render(
        "quality.html",
        lang,
        "quality.html",
        title=t("quality_title"),
        sections=sections,
        quarantine=quarantine,
        page_sharing=most_restrictive(levels) if levels else "",
    )


# --------------------------------------------------------------------------- methodology, sources, downloads


def _md_links(html_text: str) -> str:
    """Links between methodology pages: ``x.md`` -> ``x.html``."""
    return re.sub(r'href="([a-z0-9_]+)\.md"', r'href="\1.html"', html_text)


def write_methodology(builder: Builder, lang: str) -> None:
    t = Translator(lang)
    registry = builder.data.registry
    pages: dict[str, str] = {}
    index = ""
    try:
        from indicators.methodology import methodology_index, methodology_pages

        pages = methodology_pages(registry, lang)
        index = methodology_index(registry, lang)
    except Exception as exc:  # noqa: BLE001 - the page says what is missing
        index = f"# {t('methodology_title')}\n\n{t('missing_mart', mart='indicators.methodology')} ({exc})\n"
    builder.render(
        "methodology.html",
        lang,
        "methodology/index.html",
        title=t("methodology_title"),
        body=_md_links(markdown_html(index)),
        back="",
    )
    for ind_id, text in pages.items():
        ind = registry[ind_id]
        builder.render(
            "methodology.html",
            lang,
            f"methodology/{ind_id}.html",
            title=getattr(ind.name, lang),
            body=_md_links(markdown_html(text)),
            back=ind_id,
            synthetic=all(s in builder.data.synthetic_sources for s in ind.sources),
        )


def write_sources(builder: Builder, lang: str) -> None:
    t = Translator(lang)
    data = builder.data
    items = _source_items(data.sources, lang)
    for item in items:
        item["files"] = _file_items(data.files[data.files["SOURCE_ID"] == item["id"]])
        item["revisions"] = _revision_items(data.marts.get("revision_summary"), item["id"], lang)
    builder.render(
        "sources.html",
        lang,
        "sources.html",
        title=t("sources_title"),
        items=items,
        synthetic=any(i["synthetic"] for i in items),
        page_sharing=most_restrictive([i["sharing"] for i in items]) if items else "",
    )


def write_downloads_page(builder: Builder, lang: str) -> None:
    t = Translator(lang)
    out = builder.out_dir

    def entry(rel: str, label: str) -> dict | None:
        path = out / rel
        if not path.exists():
            return None
        return {"href": f"../{rel}", "label": label, "size": t.number(path.stat().st_size / 1024, 1) + " KB"}

    main = [
        e
        for e in (
            entry("downloads/clac-all-data.zip", t("download_all")),
            entry("downloads/sdmx/structure.xml", t("download_sdmx_structure")),
            entry("downloads/sdmx/DF_CLAC_INDICATOR_VALUES.xml", t("download_sdmx_xml")),
            entry("downloads/sdmx/DF_CLAC_INDICATOR_VALUES.csv", t("download_sdmx_csv")),
            entry("downloads/sdmx/DF_CLAC_OBSERVATIONS.xml", t("download_sdmx_obs_xml")),
            entry("downloads/sdmx/DF_CLAC_OBSERVATIONS.csv", t("download_sdmx_obs_csv")),
        )
        if e
    ]
    per_indicator = [
        e
        for e in (
            entry(f"downloads/indicators/{ind.id}.csv", getattr(ind.name, lang))
            for ind in builder.data.registry.values()
        )
        if e
    ]
    builder.render(
        "downloads.html",
        lang,
        "downloads.html",
        title=t("downloads_title"),
        main=main,
        per_indicator=per_indicator,
        notice=builder.table_notice("values", t),
    )


# --------------------------------------------------------------------------- search


def search_entries(builder: Builder, lang: str) -> list[dict]:
    """What the site search finds in ``lang``: every indicator (name, definition, goal, working group),
    every country, and the site's other pages; ``url`` relative to the search page."""
    t = Translator(lang)
    data = builder.data
    entries = []
    for ind in data.registry.values():
        definition = getattr(ind.definition, lang)
        entries.append(
            {
                "title": getattr(ind.name, lang),
                "kind": "indicator",
                "url": f"indicator/{ind.id}.html",
                "summary": definition,
                "text": " ".join([definition, t.goal(ind.goal), t.working_group(ind.working_group), t.unit(ind.unit)]),
            }
        )
    for row in data.lac_countries.itertuples(index=False):
        names = [data.area_name(row.REF_AREA, other) for other in ("es", "en", "pt")]
        subregion = t(f"subregions.{row.LAC_SUBREGION}") if row.LAC_SUBREGION in SUBREGION_ORDER else ""
        entries.append(
            {
                "title": data.area_name(row.REF_AREA, lang),
                "kind": "country",
                "url": f"country/{row.REF_AREA}.html",
                "summary": subregion,
                "text": " ".join(names + [row.REF_AREA, subregion]),
            }
        )
    for goal in range(1, 9):
        entries.append(
            {
                "title": f"{t('goal_n', n=goal)}: {t.goal(goal)}",
                "kind": "page",
                "url": f"goal/{goal}.html",
                "summary": "",
                "text": t.goal(goal),
            }
        )
    for href, label in builder.page_context(lang, "search.html", "")["nav"]:
        if href != "search.html":
            entries.append({"title": label, "kind": "page", "url": href, "summary": "", "text": label})
    for n, entry in enumerate(entries):
        entry["id"] = n
    return entries


def write_search(builder: Builder, lang: str) -> None:
    """The search page and its index (``assets/search-<lang>.js``, read by the vendored MiniSearch)."""
    import json

    t = Translator(lang)
    words = {
        "results": t("search_results", n="{n}"),
        "none": t("search_no_results"),
        "indicator": t("kind_indicator"),
        "country": t("kind_country"),
        "page": t("kind_page"),
    }
    payload = json.dumps(
        {"entries": search_entries(builder, lang), "words": words},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    builder.write_asset(f"assets/search-{lang}.js", f"window.CLAC_SEARCH={payload};\n")
    builder.render("search.html", lang, "search.html", title=t("search_title"))


__all__ = ["write_downloads", "write_language", "format_percent"]
