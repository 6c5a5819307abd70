"""Chart builders: plotly figures as JSON, drawn in the page by the shared ``site.js``.

The figure dictionaries are plotly.js's own schema, serialised with plotly's JSON
encoder (what ``Figure.to_json()`` does, without building ``graph_objects``, whose
validation made the site build several times slower).

One line chart per indicator: the regional aggregates (LAC and its sub-regions) as
coloured lines with distinct dashes and markers (colour is never the only cue), the
countries as thin grey lines that a ``<select>`` can highlight, one set of traces per
disaggregation series (a ``<select>`` shows one series at a time). Colours: the
Okabe–Ito palette, safe for the common colour-vision deficiencies.

Every trace carries ``meta = {"series": key, "area": code, "kind": "aggregate"|"country"}``
so the page script can show, hide and highlight traces. The figure holds exactly the
rows of the data table beside it.
"""

from __future__ import annotations

import json

import pandas as pd
from plotly.utils import PlotlyJSONEncoder

from dashboards.i18n import PLOTLY_SEPARATORS, Translator

#: Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
AGGREGATE_STYLE = {
    "LAC": (OKABE_ITO["black"], "solid", "circle"),
    "LAC_SOUTH": (OKABE_ITO["blue"], "dash", "square"),
    "LAC_CENTRAL": (OKABE_ITO["bluish_green"], "dot", "diamond"),
    "LAC_CARIB": (OKABE_ITO["reddish_purple"], "dashdot", "triangle-up"),
    "M49_001": (OKABE_ITO["black"], "solid", "circle"),  # the world: the one series of a world indicator
}
COUNTRY_GREY = "#8C8C8C"  # 3.4:1 on white (WCAG 1.4.11 asks 3:1 for graphical objects)
HIGHLIGHT = OKABE_ITO["vermillion"]

#: Progress status colours (Okabe–Ito) and the text colour readable on each.
STATUS_COLOURS = {
    "target_achieved": (OKABE_ITO["bluish_green"], "#000000"),
    "substantial_progress": (OKABE_ITO["blue"], "#FFFFFF"),
    "moderate_progress": (OKABE_ITO["sky_blue"], "#000000"),
    "limited_progress": (OKABE_ITO["orange"], "#000000"),
    "deterioration": (OKABE_ITO["vermillion"], "#000000"),
    "not_available": ("#DDDDDD", "#000000"),
}
#: A symbol beside each status label, a third cue after the words and the colour.
STATUS_SYMBOLS = {
    "target_achieved": "★",
    "substantial_progress": "▲",
    "moderate_progress": "◆",
    "limited_progress": "▼",
    "deterioration": "✖",
    "not_available": "–",
}

#: Layout defaults (plotly's own default template is left out: it would add ~10 KB per chart).
_BASE_LAYOUT = {
    "font": {"family": "DejaVu Sans, Verdana, Arial, sans-serif", "size": 13, "color": "#1a1a1a"},
    "paper_bgcolor": "#FFFFFF",
    "plot_bgcolor": "#FFFFFF",
}
WITHHELD_COLOUR = "#6B3FA0"  # purple: distinct from the aggregates' Okabe-Ito colours and the country grey
_XAXIS = {"showgrid": False, "linecolor": "#444", "ticks": "outside", "showline": True}
_YAXIS = {"gridcolor": "#E5E5E5", "zeroline": False, "linecolor": "#444", "showline": True}


def series_key(sex: str, age: str, dis: str) -> str:
    return f"{sex or ''}|{age or ''}|{dis or ''}"


def _x_values(periods: pd.Series) -> tuple[list, bool]:
    """Years as numbers when every period is a year, else the period codes (category axis)."""
    text = periods.astype(str)
    if text.str.fullmatch(r"\d{4}").all():
        return [int(p) for p in text], True
    return list(text), False


def indicator_figure(
    rows: pd.DataFrame,
    *,
    name: str,
    unit_label: str,
    t: Translator,
    area_name,
    synthetic: bool,
    height: int = 420,
    focus: str = "",
) -> tuple[str, list[str]]:
    """The figure JSON for the rows of one indicator, and the series keys in display order.

    ``rows``: indicator values (REF_AREA, TIME_PERIOD, OBS_VALUE, SEX, AGE, DISAGGREGATION,
    AREA_KIND, OBS_STATUS, SHARING), already sorted. ``focus``: a country drawn in the highlight
    colour with its name in the legend (the country profile's small charts)."""
    traces: list[dict] = []
    keys: list[str] = []
    numeric_x = True
    if len(rows):
        numeric_x = rows["TIME_PERIOD"].astype(str).str.fullmatch(r"\d{4}").all()
    frame = rows.assign(_KEY=[series_key(s, a, d) for s, a, d in zip(rows["SEX"], rows["AGE"], rows["DISAGGREGATION"])])
    for key in sorted(frame["_KEY"].unique(), key=_series_order):
        keys.append(key)
    first_key = keys[0] if keys else ""
    groups: dict[tuple[str, str], list[tuple]] = {}
    for record in zip(
        frame["_KEY"],
        frame["REF_AREA"],
        frame["TIME_PERIOD"].astype(str),
        frame["OBS_VALUE"],
        frame["OBS_STATUS"],
        frame["SHARING"],
    ):
        groups.setdefault((record[0], record[1]), []).append(record[2:])
    for key in keys:
        areas = {area for (k, area) in groups if k == key}
        countries = sorted((a for a in areas if a not in AGGREGATE_STYLE), key=lambda c: area_name(c))
        aggregates = [a for a in AGGREGATE_STYLE if a in areas]
        for code in countries + aggregates:
            points = sorted(groups[(key, code)])
            points = _break_gaps(points) if numeric_x else points
            periods = [p for p, *_ in points]
            x = [int(p) for p in periods] if numeric_x else periods
            y = [None if v is None or pd.isna(v) else float(v) for _, v, _, _ in points]
            label = area_name(code)
            hover = [
                f"{label}<br>{p}: {t.number(v) if v is not None else t('suppressed')}"
                if s != GAP
                else f"{' (' + t.obs_status(s) + ')' if s and s != 'A' else ''}<br>{t('sharing')}: {sh}"
                for (p, _, s, sh), v in zip(points, y)
            ]
            if code in AGGREGATE_STYLE:
                colour, dash, symbol = AGGREGATE_STYLE[code]
                traces.append(
                    dict(
                        # the legend keeps the short name (fits a phone's width); the hover has the full one
                        type="scatter",
                        x=x,
                        y=y,
                        name=label.split(" (")[0],
                        mode="lines+markers",
                        hovertext=hover,
                        hoverinfo="text",
                        line={"color": colour, "width": 3, "dash": dash},
                        marker={"symbol": symbol, "size": 8, "color": colour},
                        visible=key == first_key,
                        meta={"series": key, "area": code, "kind": "aggregate"},
                        legendgroup="aggregates",
                    )
                )
            elif code == focus:
                traces.append(
                    dict(
                        type="scatter",
                        x=x,
                        y=y,
                        name=label,
                        mode="lines+markers",
                        hovertext=hover,
                        hoverinfo="text",
                        line={"color": HIGHLIGHT, "width": 3},
                        marker={"size": 8, "color": HIGHLIGHT},
                        visible=key == first_key,
                        meta={"series": key, "area": code, "kind": "focus"},
                    )
                )
            else:
                traces.append(
                    dict(
                        type="scatter",
                        x=x,
                        y=y,
                        name=label,
                        mode="lines+markers",
                        hovertext=hover,
                        hoverinfo="text",
                        line={"color": COUNTRY_GREY, "width": 1.2},
                        marker={"size": 5, "color": COUNTRY_GREY},
                        visible=key == first_key,
                        showlegend=False,
                        meta={"series": key, "area": code, "kind": "country"},
                    )
                )
        withheld = _withheld_trace(
            frame[frame["_KEY"] == key],
            key=key,
            numeric_x=numeric_x,
            t=t,
            area_name=area_name,
            visible=key == first_key,
        )
        if withheld:
            traces.append(withheld)
    layout: dict = {
        **_BASE_LAYOUT,
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 90},
        "separators": PLOTLY_SEPARATORS[t.lang],
        # the unit above the plot, left-aligned: long units do not fit along the y axis
        "title": {
            "text": unit_label,
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
            "font": {"size": 12, "color": "#444"},
        },
        "yaxis": {**_YAXIS, "rangemode": "tozero"},
        "xaxis": {**_XAXIS, "type": "linear" if numeric_x else "category"},
        "legend": {"orientation": "h", "y": -0.2, "x": 0, "yanchor": "top"},
        "hovermode": "closest",
    }
    if numeric_x:
        layout["xaxis"].update({"dtick": 1, "tickformat": "d"})
    if any(trace["meta"]["kind"] == "withheld" for trace in traces):
        # withheld values are marked along the bottom of the plot, on an axis of their own (never a value)
        layout["yaxis2"] = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
    if synthetic:
        layout["annotations"] = [
            {
                "text": t("synthetic_chart"),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 40, "color": "rgba(213,94,0,0.18)"},
                "textangle": -20,
            }
        ]
    figure = {"data": traces, "layout": layout}
    return json.dumps(figure, cls=PlotlyJSONEncoder, separators=(",", ":"), ensure_ascii=False), keys


#: OBS_STATUS of the None point put between two years that are not consecutive (no line across a gap).
GAP = "__gap__"


def _break_gaps(points: list[tuple]) -> list[tuple]:
    """Annual points with a ``None`` between years that are not consecutive, so that a line joins
    only consecutive years: an annual series reads as a line, a survey every few years as dots."""
    out: list[tuple] = []
    for point in points:
        if out and int(point[0]) - int(out[-1][0]) > 1:
            out.append((str(int(out[-1][0]) + 1), None, GAP, ""))
        out.append(point)
    return out


def _withheld_trace(
    rows: pd.DataFrame, *, key: str, numeric_x: bool, t: Translator, area_name, visible: bool
) -> dict | None:
    """One marker per value withheld by disclosure control (``CONF_MARK`` c/d), drawn at the foot
    of the plot on a hidden axis so that no position reads as a value; the hover names the area."""
    if "CONF_MARK" not in rows.columns:
        return None
    hidden = rows[rows["CONF_MARK"] != ""].sort_values(["TIME_PERIOD", "REF_AREA"], kind="mergesort")
    if not len(hidden):
        return None
    periods = hidden["TIME_PERIOD"].astype(str)
    return dict(
        type="scatter",
        x=[int(p) for p in periods] if numeric_x else list(periods),
        y=[0.03] * len(hidden),
        yaxis="y2",
        mode="markers",
        name=t("withheld_legend"),
        hoverinfo="text",
        hovertext=[
            f"{area_name(a)}<br>{p}: {t('withheld_hover', mark=m)}"
            for a, p, m in zip(hidden["REF_AREA"], periods, hidden["CONF_MARK"])
        ],
        marker={"symbol": "x-thin-open", "size": 9, "color": WITHHELD_COLOUR, "line": {"width": 2}},
        line={"color": WITHHELD_COLOUR, "width": 2},
        visible=visible,
        meta={"series": key, "kind": "withheld"},
        legendgroup="withheld",
    )


def series_mask(rows: pd.DataFrame, key: str) -> pd.Series:
    """True for the rows of series ``key`` (see :func:`series_key`)."""
    return pd.Series(
        [series_key(s, a, d) == key for s, a, d in zip(rows["SEX"], rows["AGE"], rows["DISAGGREGATION"])],
        index=rows.index,
        dtype=bool,
    )


def latest_by_country(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per country (aggregates left out), the latest period with a published value of series ``key``:
    REF_AREA, TIME_PERIOD, OBS_VALUE, sorted by value (largest first)."""
    frame = rows[series_mask(rows, key)]
    frame = frame[~frame["REF_AREA"].isin(AGGREGATE_STYLE) & frame["OBS_VALUE"].notna()]
    if "CONF_MARK" in frame.columns:
        frame = frame[frame["CONF_MARK"] == ""]
    frame = frame.assign(_P=frame["TIME_PERIOD"].astype(str)).sort_values(["REF_AREA", "_P"], kind="mergesort")
    latest = frame.groupby("REF_AREA", sort=False).tail(1)
    return latest.sort_values(["OBS_VALUE", "REF_AREA"], ascending=[False, True], kind="mergesort")[
        ["REF_AREA", "TIME_PERIOD", "OBS_VALUE"]
    ].reset_index(drop=True)


def map_figure(
    rows: pd.DataFrame, keys: list[str], *, unit_label: str, t: Translator, area_name, height: int = 460
) -> str:
    """A choropleth of the latest value per country, one trace per series (the first visible),
    on the region only (plotly geo, Natural Earth 1:110m countries shipped with the site)."""
    traces = []
    for key in keys:
        latest = latest_by_country(rows, key)
        if not len(latest):
            continue
        traces.append(
            dict(
                type="choropleth",
                locationmode="ISO-3",
                locations=list(latest["REF_AREA"]),
                z=[float(v) for v in latest["OBS_VALUE"]],
                hovertext=[
                    f"{area_name(a)}<br>{p}: {t.number(v)}"
                    for a, p, v in zip(latest["REF_AREA"], latest["TIME_PERIOD"].astype(str), latest["OBS_VALUE"])
                ],
                hoverinfo="text",
                colorscale="Viridis",
                reversescale=True,
                marker={"line": {"color": "#333", "width": 0.4}},
                colorbar={"title": {"text": unit_label, "side": "right"}, "thickness": 14, "len": 0.8},
                visible=key == keys[0],
                meta={"series": key, "kind": "map"},
            )
        )
    layout = {
        **_BASE_LAYOUT,
        "height": height,
        "margin": {"l": 0, "r": 0, "t": 10, "b": 0},
        "separators": PLOTLY_SEPARATORS[t.lang],
        "geo": {
            "scope": "world",
            "resolution": 110,
            "projection": {"type": "mercator"},
            "lonaxis": {"range": [-118, -32]},
            "lataxis": {"range": [-58, 33]},
            "showcountries": True,
            "countrycolor": "#999",
            "showland": True,
            "landcolor": "#EEEEEE",
            "showframe": False,
            "showcoastlines": False,
            "bgcolor": "#FFFFFF",
        },
    }
    return json.dumps(
        {"data": traces, "layout": layout}, cls=PlotlyJSONEncoder, separators=(",", ":"), ensure_ascii=False
    )


def ranking_figure(rows: pd.DataFrame, keys: list[str], *, unit_label: str, t: Translator, area_name) -> str:
    """Horizontal bars of the latest value per country, largest on top, one trace per series.

    The site's plotly bundle (geo) has no bar trace: each bar is a thick line from 0 to the value
    (a break between bars), with a marker at the value that carries the hover text."""
    traces = []
    most = 0
    for key in keys:
        latest = latest_by_country(rows, key)
        most = max(most, len(latest))
        names = [area_name(a) for a in latest["REF_AREA"]]
        labels = [f"{n} ({p})" for n, p in zip(names, latest["TIME_PERIOD"].astype(str))]
        x: list = []
        y: list = []
        for label, value in zip(labels, latest["OBS_VALUE"]):
            x += [0, float(value), None]
            y += [label, label, None]
        visible = key == keys[0]
        meta = {"series": key, "kind": "ranking", "areas": list(latest["REF_AREA"])}
        traces.append(
            dict(
                type="scatter",
                mode="lines",
                x=x,
                y=y,
                hoverinfo="skip",
                showlegend=False,
                line={"color": OKABE_ITO["blue"], "width": 12},
                visible=visible,
                meta=meta,
            )
        )
        traces.append(
            dict(
                type="scatter",
                mode="markers",
                x=[float(v) for v in latest["OBS_VALUE"]],
                y=labels,
                hovertext=[f"{lb}: {t.number(v)}" for lb, v in zip(labels, latest["OBS_VALUE"])],
                hoverinfo="text",
                showlegend=False,
                marker={"color": OKABE_ITO["blue"], "size": 6, "symbol": "line-ns-open"},
                visible=visible,
                meta={**meta, "kind": "ranking-values"},
            )
        )
    layout = {
        **_BASE_LAYOUT,
        "height": max(240, 26 * most + 80),
        "margin": {"l": 10, "r": 20, "t": 40, "b": 40},
        "separators": PLOTLY_SEPARATORS[t.lang],
        "title": {
            "text": unit_label,
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": 0.99,
            "yanchor": "top",
            "font": {"size": 12, "color": "#444"},
        },
        "xaxis": {**_YAXIS, "rangemode": "tozero", "side": "top"},
        "yaxis": {**_XAXIS, "type": "category", "autorange": "reversed", "automargin": True, "ticks": ""},
        "hovermode": "closest",
    }
    return json.dumps(
        {"data": traces, "layout": layout}, cls=PlotlyJSONEncoder, separators=(",", ":"), ensure_ascii=False
    )


def _series_order(key: str) -> tuple:
    sex, age, dis = key.split("|", 2)  # a disaggregation holds "|" between its parts
    is_total = lambda v: v in ("", "_T")  # noqa: E731
    return (not (is_total(sex) and is_total(age) and is_total(dis)), sex, age, dis)


def figure_script(figure_json: str) -> str:
    """The figure JSON made safe inside ``<script type="application/json">``."""
    return figure_json.replace("</", "<\\/")


def compact(data: dict) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
