/* Draws every Plotly figure whose JSON is embedded as <script type="application/json">.
   The figures' data tables are in the page, so nothing is lost without JavaScript. */
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll(".chart[data-figure]").forEach(function (div) {
      var source = document.getElementById(div.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      var layout = figure.layout || {};
      layout.autosize = true;
      window.Plotly.newPlot(div, figure.data || [], layout,
        // No mode bar: it would add inline <style> rules the CSP refuses; the table has the data.
        { responsive: true, displayModeBar: false });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
