/* A small ECharts map of one region from our own GeoJSON (/map/<code>.json): the region's outline (or its
 * children), a point, and optionally a tap to pick a point (WGS-84). No tile server, nothing from outside.
 *
 * A map shown as is needs no script of its page: <div hidden data-case-map-for="<map element id>"
 * data-map-url=".." data-code=".." data-point="[lng, lat]" data-error=".."> (cases/_map_data.html) is drawn
 * when the page loads. A page that picks a point calls window.wanggeCaseMap(el, {url, code, point, pick})
 * itself (case_report.js, dispute_form.js). */
window.wanggeCaseMap = function (el, options) {
  "use strict";
  var chart = echarts.init(el, null, { renderer: "canvas" });
  var state = { point: options.point || null, ready: false };
  function draw() {
    chart.setOption({
      series: [{ type: "scatter", coordinateSystem: "geo", geoIndex: 0, symbolSize: 14,
                 itemStyle: { color: "#d92d20", borderColor: "#fff", borderWidth: 2 },
                 data: state.point ? [state.point] : [] }]
    });
  }
  fetch(options.url, { credentials: "same-origin" }).then(function (r) {
    if (!r.ok) { throw new Error(r.status); }
    return r.json();
  }).then(function (data) {
    var features = (data.features || []).filter(function (f) { return f.geometry; });
    if (!features.length && data.outline && data.outline.geometry) { features = [data.outline]; }
    var name = "case-map-" + options.code;
    echarts.registerMap(name, { type: "FeatureCollection", features: features.map(function (f) {
      return { type: "Feature", geometry: f.geometry, properties: { name: f.properties.name } };
    }) });
    chart.setOption({
      animation: false,
      geo: { map: name, roam: false, silent: !options.pick, label: { show: true, fontSize: 11, color: "#334" },
             itemStyle: { areaColor: "#cfe0f4", borderColor: "#5b7fa6" },
             emphasis: { disabled: true } },
      series: []
    });
    state.ready = true;
    draw();
    el.dataset.ready = "1";
  }).catch(function () {
    el.dataset.ready = "failed";
    el.textContent = el.dataset.error || "The map could not be loaded.";
  });
  if (options.pick) {
    chart.getZr().on("click", function (e) {
      if (!state.ready) { return; }
      var p = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
      if (!p) { return; }
      state.point = [Number(p[0].toFixed(7)), Number(p[1].toFixed(7))];
      draw();
      options.pick(state.point[0], state.point[1]);
    });
  }
  window.addEventListener("resize", function () { chart.resize(); });
  return {
    chart: chart,
    setPoint: function (lng, lat) { state.point = [lng, lat]; if (state.ready) { draw(); } }
  };
};

/* The point a pick map starts with: the form's own longitude and latitude, if it has them. */
window.wanggeFormPoint = function (lng, lat) {
  "use strict";
  return lng.value && lat.value ? [Number(lng.value), Number(lat.value)] : null;
};

document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("[data-case-map-for]").forEach(function (data) {
    var el = document.getElementById(data.dataset.caseMapFor);
    el.dataset.error = data.dataset.error;
    window.wanggeCaseMap(el, { url: data.dataset.mapUrl, code: data.dataset.code,
                               point: data.dataset.point ? JSON.parse(data.dataset.point) : null });
  });
});
