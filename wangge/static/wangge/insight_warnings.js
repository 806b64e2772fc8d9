/* The concentration curve beside the early-warning board: share of grids (busiest first) against the share of
 * incidents they hold, with the even-spread diagonal. Data from the json_script block "concentration-data". */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("concentration-chart");
    var source = document.getElementById("concentration-data");
    if (!el || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return (v * 100).toFixed(1) + "%"; } },
      grid: { left: 44, right: 12, top: 12, bottom: 36 },
      xAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return v * 100 + "%"; } } },
      yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return v * 100 + "%"; } } },
      series: [
        { type: "line", data: data.points, showSymbol: false, areaStyle: { opacity: 0.15 } },
        { type: "line", data: [[0, 0], [1, 1]], showSymbol: false, lineStyle: { type: "dashed" }, silent: true }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
