/* Statistics charts: every element with data-chart is drawn with ECharts from a json_script block.
 *
 *   data-chart   line | bar | pie
 *   data-source  the id of the <script type="application/json"> holding the data
 *   data-key     the part of that data to draw (none: all of it)
 *   data-series  [{"key": …, "name": …}]: for line and bar, the lists to draw and their legends
 *   data-rotate  slant the axis labels when there are more than this many (default 6)
 */
(function () {
  "use strict";

  function optionFor(kind, data, series, rotateAfter) {
    if (kind === "pie") {
      return {
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        series: [{ type: "pie", radius: ["35%", "65%"], data: data, label: { formatter: "{b}\n{c}" } }]
      };
    }
    var bars = kind === "bar";
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 30, bottom: bars ? 60 : 30 },
      xAxis: { type: "category", data: data.labels,
               axisLabel: bars ? { interval: 0, rotate: data.labels.length > rotateAfter ? 30 : 0 } : {} },
      yAxis: { type: "value", minInterval: 1 },
      series: series.map(function (s) { return { name: s.name, type: kind, data: data[s.key] }; })
    };
  }

  function draw(el) {
    var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
    if (el.dataset.key) { data = data[el.dataset.key]; }
    var series = el.dataset.series ? JSON.parse(el.dataset.series) : [];
    var rotateAfter = el.dataset.rotate ? parseInt(el.dataset.rotate, 10) : 6;
    var chart = window.echarts.init(el);
    chart.setOption(optionFor(el.dataset.chart, data, series, rotateAfter));
    return chart;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    var charts = Array.prototype.map.call(document.querySelectorAll("[data-chart]"), draw);
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
}());
