// Draws the dashboard's charts from the figures the page carries in
// <script type="application/json" id="dashboard-data"> (json_script): no inline
// script, so the Content-Security-Policy stays strict. Each chart's figures are
// also in the table under it, for screen readers and without JavaScript.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var style = getComputedStyle(document.documentElement);
    var colours = [
      style.getPropertyValue("--bs-primary").trim() || "#0d6efd",
      style.getPropertyValue("--bs-danger").trim() || "#dc3545",
      style.getPropertyValue("--bs-success").trim() || "#198754",
      style.getPropertyValue("--bs-warning").trim() || "#ffc107",
    ];

    function chart(id, config) {
      var canvas = document.getElementById(id);
      if (!canvas) {
        return;
      }
      canvas.closest(".dashboard-chart").hidden = false;
      config.options = Object.assign(
        { animation: false, plugins: { legend: { display: config.data.datasets.length > 1 } } },
        config.options || {}
      );
      new window.Chart(canvas, config);
    }

    var label = function (id) {
      var element = document.getElementById(id);
      return element ? element.textContent.trim() : "";
    };

    chart("chart-activity", {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: label("label-complaints"), data: data.complaints, borderColor: colours[0], backgroundColor: colours[0] },
          { label: label("label-detections"), data: data.detections, borderColor: colours[1], backgroundColor: colours[1] },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    chart("chart-median", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: label("label-median"), data: data.median_hours, backgroundColor: colours[2] }],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
    chart("chart-rights-holders", {
      type: "bar",
      data: {
        labels: data.rights_holders.labels,
        datasets: [{ label: label("label-acceptance"), data: data.rights_holders.rates, backgroundColor: colours[2] }],
      },
      options: { indexAxis: "y", scales: { x: { min: 0, max: 100 } } },
    });
    chart("chart-sellers", {
      type: "bar",
      data: {
        labels: data.sellers.labels,
        datasets: [{ label: label("label-sellers"), data: data.sellers.cases, backgroundColor: colours[1] }],
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    chart("chart-queue-age", {
      type: "bar",
      data: {
        labels: data.queue_age.labels,
        datasets: [{ label: label("label-queue-age"), data: data.queue_age.cases, backgroundColor: colours[3] }],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
