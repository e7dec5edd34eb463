/* Draws the Post Bureau's logistics dashboard from the JSON the page embeds (no network access).
   A day a carrier has not reported is drawn apart, as incomplete; a day nobody reported is a gap. */
(function () {
  "use strict";
  document.querySelectorAll(".dashboard-festival-picker").forEach(function (form) {
    var select = form.querySelector("select[data-navigate]");
    if (!select) { return; }
    select.addEventListener("change", function () { window.location = select.value; });
    form.addEventListener("submit", function (event) { event.preventDefault(); window.location = select.value; });
  });

  function number(value) { return value === null ? null : Number(value); }

  function draw(canvas, chart) {
    var type = canvas.dataset.type;
    var horizontal = canvas.dataset.horizontal === "1";
    var datasets = chart.datasets.map(function (set) {
      return {
        label: set.label,
        data: set.data.map(number),
        backgroundColor: set.pattern === "incomplete" ? "rgba(245, 158, 11, 0.45)" : set.colour,
        borderColor: set.colour,
        borderWidth: set.pattern === "incomplete" ? 2 : 1,
        borderDash: set.pattern === "incomplete" ? [4, 3] : undefined,
        spanGaps: false,
        skipNull: true,
        pointRadius: type === "line" ? 2 : undefined
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: horizontal ? "y" : "x",
      plugins: { legend: { display: datasets.length > 1 } },
      scales: {
        x: { ticks: { autoSkip: !horizontal, maxRotation: 60 } },
        y: { beginAtZero: true }
      },
      layout: { padding: { top: 4, right: 16, bottom: 4, left: 4 } }
    };
    if (type === "bar" && !horizontal) { options.datasets = { bar: { grouped: false } }; }
    if (horizontal && canvas.parentNode) {
      canvas.parentNode.style.height = Math.max(280, chart.labels.length * (datasets.length > 1 ? 30 : 22) + 60) + "px";
    }
    new window.Chart(canvas, { type: type, data: { labels: chart.labels, datasets: datasets }, options: options });
  }

  function init() {
    var source = document.getElementById("logistics-charts");
    if (!source || !window.Chart) { return; }
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = charts[canvas.dataset.chart];
      if (chart) { draw(canvas, chart); canvas.dataset.drawn = "1"; }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
