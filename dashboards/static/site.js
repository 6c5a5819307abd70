/* CLAC observatory: draws every chart of a page from its JSON (one shared plotly.js), wires the
   native <select> controls (series, highlighted country) and the view tabs (chart, map, ranking,
   table), and keeps the view, series and country in the address (#view=map&series=...&country=BRA)
   so that a link restores the view. No network: the map geometry is a local script. */
(function () {
  "use strict";
  var script = document.currentScript;
  var locale = (script && script.getAttribute("data-locale")) || "en";
  var staticPlot = !!(script && script.getAttribute("data-static") === "true");
  var assets = script ? script.src.replace(/site\.js(\?.*)?$/, "") : "";
  var GREY = "#8C8C8C", HIGHLIGHT = "#D55E00";
  var geoLoading = null;

  function loadGeometry() {
    // plotly would fetch the topojson itself; a script tag works from file:// and makes no request out
    if (!geoLoading) {
      geoLoading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = assets + "world_110m.js";
        tag.onload = resolve;
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return geoLoading;
  }

  function config(div) {
    return {locale: locale, responsive: true, displaylogo: false, showLink: false,
            showSendToCloud: false, showEditInChartStudio: false, topojsonURL: assets,
            modeBarButtonsToRemove: ["select2d", "lasso2d", "sendDataToCloud", "editInChartStudio"],
            toImageButtonOptions: {format: "svg", filename: div.id}, staticPlot: staticPlot};
  }

  function draw(div) {
    if (div.getAttribute("data-drawn") === "true") { return Promise.resolve(); }
    var source = document.getElementById(div.getAttribute("data-figure"));
    if (!source || typeof Plotly === "undefined") { return Promise.resolve(); }
    div.setAttribute("data-drawn", "true");
    var fig = JSON.parse(source.textContent);
    var ready = div.getAttribute("data-geo") === "true" ? loadGeometry() : Promise.resolve();
    return ready.then(function () {
      return Plotly.newPlot(div, fig.data, fig.layout, config(div));
    }).then(function () {
      update(div);
      div.setAttribute("data-rendered", "true");
    });
  }

  function traces(div) { return (div && div.data) ? div.data : []; }

  function controlFor(div, kind) {
    var selects = document.querySelectorAll("select." + kind + "-select");
    for (var i = 0; i < selects.length; i++) {
      if ((" " + selects[i].getAttribute("data-chart") + " ").indexOf(" " + div.id + " ") >= 0) {
        return selects[i];
      }
    }
    return null;
  }

  function update(div) {
    var data = traces(div);
    if (!data.length) { return; }
    var seriesSelect = controlFor(div, "series"), countrySelect = controlFor(div, "country");
    var first = data[0].meta ? data[0].meta.series : null;
    var wanted = seriesSelect ? seriesSelect.value : first;
    var country = countrySelect ? countrySelect.value : "";
    var visible = [], colour = [], width = [], legend = [], index = [];
    for (var i = 0; i < data.length; i++) {
      var meta = data[i].meta || {};
      visible.push(meta.series === wanted);
      index.push(i);
      if (meta.kind === "country") {
        var on = country !== "" && meta.area === country;
        colour.push(on ? HIGHLIGHT : GREY);
        width.push(on ? 3 : 1.2);
        legend.push(on);
      } else {
        var line = data[i].line || {}, marker = data[i].marker || {};
        colour.push(line.color || marker.color);
        width.push(line.width || 0);
        legend.push(data[i].showlegend !== false);
      }
    }
    if (data[0].type === "choropleth") {
      Plotly.restyle(div, {"visible": visible}, index);
      return;
    }
    Plotly.restyle(div, {"visible": visible, "line.color": colour, "line.width": width,
                         "marker.color": colour, "showlegend": legend}, index);
  }

  // ------------------------------------------------------------------ address (permalinks)
  function readState() {
    var state = {};
    var hash = window.location.hash.replace(/^#/, "");
    if (hash.indexOf("=") < 0) { return state; }
    hash.split("&").forEach(function (part) {
      var kv = part.split("=");
      if (kv.length === 2) { state[decodeURIComponent(kv[0])] = decodeURIComponent(kv[1]); }
    });
    return state;
  }

  function writeState() {
    var parts = [];
    var tab = document.querySelector('[role="tab"][aria-selected="true"]');
    if (tab && tab.getAttribute("data-view") !== "chart") { parts.push("view=" + tab.getAttribute("data-view")); }
    var selects = document.querySelectorAll("select[data-state]");
    for (var i = 0; i < selects.length; i++) {
      var select = selects[i];
      if (select.value && select.selectedIndex > 0) {
        parts.push(select.getAttribute("data-state") + "=" + encodeURIComponent(select.value));
      }
    }
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (window.location.hash !== hash && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", hash || window.location.pathname + window.location.search);
    }
  }

  // ------------------------------------------------------------------ tabs (WAI-ARIA tabs pattern)
  function selectTab(tab, focus) {
    var list = tab.parentNode;
    var tabs = list.querySelectorAll('[role="tab"]');
    for (var i = 0; i < tabs.length; i++) {
      var on = tabs[i] === tab;
      tabs[i].setAttribute("aria-selected", on ? "true" : "false");
      tabs[i].tabIndex = on ? 0 : -1;
      var panel = document.getElementById(tabs[i].getAttribute("aria-controls"));
      if (panel) { panel.hidden = !on; }
    }
    if (focus) { tab.focus(); }
    var shown = document.getElementById(tab.getAttribute("aria-controls"));
    var lazy = shown ? shown.querySelectorAll(".chart[data-figure]") : [];
    for (var j = 0; j < lazy.length; j++) {
      if (lazy[j].getAttribute("data-drawn") === "true") { Plotly.Plots.resize(lazy[j]); } else { draw(lazy[j]); }
    }
  }

  function wireTabs() {
    var lists = document.querySelectorAll('[role="tablist"]');
    for (var i = 0; i < lists.length; i++) {
      lists[i].addEventListener("click", function (event) {
        var tab = event.target.closest('[role="tab"]');
        if (tab) { selectTab(tab, false); writeState(); }
      });
      lists[i].addEventListener("keydown", function (event) {
        var tabs = Array.prototype.slice.call(event.currentTarget.querySelectorAll('[role="tab"]'));
        var at = tabs.indexOf(document.activeElement);
        if (at < 0) { return; }
        var next = {ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1}[event.key];
        if (next === undefined) { return; }
        event.preventDefault();
        selectTab(tabs[(next + tabs.length) % tabs.length], true);
        writeState();
      });
    }
  }

  function restore() {
    var state = readState();
    var selects = document.querySelectorAll("select[data-state]");
    for (var i = 0; i < selects.length; i++) {
      var wanted = state[selects[i].getAttribute("data-state")];
      if (wanted !== undefined && selects[i].querySelector('option[value="' + wanted.replace(/"/g, "") + '"]')) {
        selects[i].value = wanted;
      }
    }
    var tab = state.view ? document.querySelector('[role="tab"][data-view="' + state.view.replace(/"/g, "") + '"]') : null;
    if (tab) { selectTab(tab, false); }
  }

  function visibleCharts() {
    var charts = document.querySelectorAll(".chart[data-figure]");
    return Array.prototype.filter.call(charts, function (div) { return !div.closest("[hidden]"); });
  }

  function restoreAndRedraw() {
    restore();
    var charts = document.querySelectorAll(".chart[data-figure]");
    for (var i = 0; i < charts.length; i++) { if (charts[i].data) { update(charts[i]); } }
  }

  function init() {
    wireTabs();
    restore();
    window.addEventListener("hashchange", restoreAndRedraw);
    visibleCharts().forEach(draw);
    var selects = document.querySelectorAll("select.series-select, select.country-select");
    for (var j = 0; j < selects.length; j++) {
      selects[j].addEventListener("change", function (event) {
        event.target.getAttribute("data-chart").split(" ").forEach(function (id) {
          var div = document.getElementById(id);
          if (div && div.data) { update(div); }
        });
        writeState();
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
