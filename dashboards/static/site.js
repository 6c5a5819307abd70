/* CLAC observatory: draws every chart of a page from its JSON (one shared plotly.js),
   and wires the native <select> controls (series, highlighted country). No network. */
(function () {
  "use strict";
  var script = document.currentScript;
  var locale = (script && script.getAttribute("data-locale")) || "en";
  var staticPlot = !!(script && script.getAttribute("data-static") === "true");
  var GREY = "#B0B0B0", HIGHLIGHT = "#D55E00";

  function draw(div) {
    var source = document.getElementById(div.getAttribute("data-figure"));
    if (!source || typeof Plotly === "undefined") { return; }
    var fig = JSON.parse(source.textContent);
    var config = {locale: locale, responsive: true, displaylogo: false,
                  modeBarButtonsToRemove: ["select2d", "lasso2d", "sendDataToCloud"],
                  toImageButtonOptions: {format: "svg", filename: div.id}, staticPlot: staticPlot};
    Plotly.newPlot(div, fig.data, fig.layout, config).then(function () {
      div.setAttribute("data-rendered", "true");
    });
  }

  function traces(div) { return (div && div.data) ? div.data : []; }

  function currentSeries(div) {
    var select = document.querySelector('select.series-select[data-chart="' + div.id + '"]');
    return select ? select.value : null;
  }

  function currentCountry(div) {
    var select = document.querySelector('select.country-select[data-chart="' + div.id + '"]');
    return select ? select.value : "";
  }

  function update(div) {
    var data = traces(div);
    if (!data.length) { return; }
    var series = currentSeries(div), country = currentCountry(div);
    var first = data[0].meta ? data[0].meta.series : null;
    var visible = [], colour = [], width = [], legend = [], index = [];
    for (var i = 0; i < data.length; i++) {
      var meta = data[i].meta || {};
      var wanted = series === null ? first : series;
      visible.push(meta.series === wanted);
      index.push(i);
      if (meta.kind === "country") {
        var on = country !== "" && meta.area === country;
        colour.push(on ? HIGHLIGHT : GREY);
        width.push(on ? 3 : 1.2);
        legend.push(on);
      } else {
        colour.push(data[i].line.color);
        width.push(data[i].line.width);
        legend.push(true);
      }
    }
    Plotly.restyle(div, {"visible": visible, "line.color": colour, "line.width": width,
                         "marker.color": colour, "showlegend": legend}, index);
  }

  function init() {
    var charts = document.querySelectorAll(".chart[data-figure]");
    for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
    var selects = document.querySelectorAll("select.series-select, select.country-select");
    for (var j = 0; j < selects.length; j++) {
      selects[j].addEventListener("change", function (event) {
        var div = document.getElementById(event.target.getAttribute("data-chart"));
        if (div) { update(div); }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
