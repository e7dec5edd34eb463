/* Draws a report's frozen price history in the admin from the JSON the page embeds. */
(function () {
  "use strict";
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.reportChart);
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var flat = function (value) { return data.labels.map(function () { return value === null ? null : Number(value); }); };
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.label_price, data: data.prices.map(Number), stepped: true, borderColor: "#2563eb", backgroundColor: "#2563eb" },
          { label: data.label_declared, data: flat(data.declared), borderColor: "#15803d", borderDash: [6, 4], pointRadius: 0 },
          { label: data.label_seen, data: flat(data.seen), borderColor: "#b91c1c", borderDash: [2, 3], pointRadius: 0 }
        ]
      },
      options: { responsive: false, animation: false, scales: { y: { beginAtZero: false } } }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-report-chart]").forEach(draw);
  });
})();
