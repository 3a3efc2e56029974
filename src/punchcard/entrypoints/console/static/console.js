// The dashboard's chart: the figures come from the page (a JSON script element the
// server rendered from the analytics report); nothing is fetched.
(function () {
  "use strict";
  var canvas = document.getElementById("daily-chart");
  var source = document.getElementById("daily-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: "Issued", data: data.issued, backgroundColor: "#1f5fbf" },
        { label: "Redeemed", data: data.redeemed, backgroundColor: "#e08a00" }
      ]
    },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } }
  });
})();
