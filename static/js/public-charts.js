/* Charts of the public site (Chart.js, vendored). The figures come from
   json_script data blocks; every chart has a table with the same figures. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var red = "#c8102e";
  var grey = "#57606a";
  var green = "#1a7f37";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var histories = readJson("price-history-data") || [];
  histories.forEach(function (data) {
    var canvas = document.querySelector('[data-price-chart="' + data.id + '"]');
    if (!canvas) { return; }
    var labels = data.labels.slice();
    var prices = data.prices.map(Number);
    if (labels.indexOf(data.start) === -1) { labels.push(data.start); prices.push(null); }
    var promo = labels.map(function (label) { return label === data.start ? Number(data.promo) : null; });
    var datasets = [
      { label: canvas.dataset.labelPrice, data: prices, borderColor: grey, backgroundColor: grey, stepped: true, spanGaps: true, pointRadius: 2 },
      { label: canvas.dataset.labelPromo, data: promo, borderColor: red, backgroundColor: red, pointRadius: 6, pointStyle: "rectRot", showLine: false }
    ];
    if (data.reference !== null) {
      datasets.push({ label: canvas.dataset.labelReference, data: labels.map(function () { return Number(data.reference); }), borderColor: green, borderDash: [6, 4], pointRadius: 0 });
    }
    new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { ticks: { callback: function (v) { return "¥" + v; } } } } }
    });
  });

  var sales = readJson("sales-data");
  var salesCanvas = document.querySelector("[data-sales-chart]");
  if (sales && salesCanvas) {
    new window.Chart(salesCanvas, {
      type: "bar",
      data: { labels: sales.labels, datasets: [{ label: salesCanvas.dataset.labelGmv, data: sales.gmv.map(Number), backgroundColor: red }] },
      options: { animation: false, maintainAspectRatio: false }
    });
  }

  // Parcels per day (bars) with the rural share (a line on its own axis, in percent).
  var parcels = readJson("parcels-data");
  var parcelsCanvas = document.querySelector("[data-parcels-chart]");
  if (parcels && parcelsCanvas) {
    new window.Chart(parcelsCanvas, {
      type: "bar",
      data: {
        labels: parcels.labels,
        datasets: [
          { label: parcelsCanvas.dataset.labelCollected, data: parcels.collected, backgroundColor: grey, yAxisID: "y" },
          { type: "line", label: parcelsCanvas.dataset.labelShare, data: parcels.rural_share.map(function (v) { return v === null ? null : Number(v); }), borderColor: green, backgroundColor: green, yAxisID: "share", spanGaps: false }
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true }, share: { position: "right", beginAtZero: true, suggestedMax: 40, grid: { drawOnChartArea: false }, ticks: { callback: function (v) { return v + "%"; } } } }
      }
    });
  }
})();
