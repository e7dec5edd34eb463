/* Draws the festival dashboard's charts from the JSON the page embeds (no network access). */
(function () {
  "use strict";
  // The festival picker goes to the chosen festival's dashboard (its options are URLs).
  document.querySelectorAll(".dashboard-festival-picker").forEach(function (form) {
    var select = form.querySelector("select[data-navigate]");
    if (!select) { return; }
    select.addEventListener("change", function () { window.location = select.value; });
    form.addEventListener("submit", function (event) { event.preventDefault(); window.location = select.value; });
  });
  var palette = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#84cc16", "#ec4899"];
  var checkColours = ["#15803d", "#b45309", "#b91c1c", "#9ca3af"];

  function draw(canvas, chart) {
    var type = canvas.dataset.type;
    var horizontal = canvas.dataset.horizontal === "1";
    var stacked = canvas.dataset.stacked === "1";
    var datasets = chart.datasets.map(function (set, index) {
      var colour = palette[index % palette.length];
      var out = { label: set.label, data: set.data, backgroundColor: colour, borderColor: colour };
      if (type === "doughnut") {
        out.backgroundColor = canvas.dataset.colors === "check" ? checkColours : palette;
        out.borderColor = "#fff";
      }
      if (type === "sales") {
        out.type = index === 0 ? "bar" : "line";
        out.yAxisID = index === 0 ? "y" : "orders";
      }
      return out;
    });
    var options = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: type === "doughnut" || datasets.length > 1 } } };
    if (type !== "doughnut") {
      options.indexAxis = horizontal ? "y" : "x";
      options.scales = { x: { stacked: stacked, ticks: { autoSkip: !horizontal } }, y: { stacked: stacked, beginAtZero: true } };
      var countAxis = horizontal ? options.scales.x : options.scales.y;
      countAxis.ticks = { precision: 0 };
      if (type === "sales") {
        options.scales.orders = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } };
      }
    }
    // Labels are never clipped: room around the plot, and a horizontal chart grows with its rows.
    options.layout = { padding: { top: 4, right: 16, bottom: 4, left: 4 } };
    if (type !== "doughnut" && !horizontal) {
      options.scales.x.ticks = { autoSkip: false, maxRotation: 60, minRotation: 0 };
    }
    if (horizontal && canvas.parentNode) {
      canvas.parentNode.style.height = Math.max(280, chart.labels.length * 26 + 60) + "px";
    }
    new window.Chart(canvas, { type: type === "sales" ? "bar" : type, data: { labels: chart.labels, datasets: datasets }, options: options });
  }

  function init() {
    var source = document.getElementById("dashboard-charts");
    if (!source || !window.Chart) { return; }
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = charts[canvas.dataset.chart];
      if (chart) { draw(canvas, chart); }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
