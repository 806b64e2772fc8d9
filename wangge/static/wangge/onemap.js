/* The one map (一张图): a region's children coloured by the chosen layer, drawn by ECharts from our own GeoJSON
 * (GET /map/<code>.json); no tile server, nothing from the internet.
 *
 * Data: #onemap-data (the figures the side panel shows, the same as GET /api/v1/insight/map/<code>),
 * #onemap-config (URLs), #onemap-building-points (a grid's buildings as points). A click on an area opens its page
 * (drill-down keeps the range); at grid level a click on a building opens its card. The population, care and
 * special-group layers are per-area counts from GET /api/v1/regions/<code>/population?layer=… .
 * Wall mode (body.wall) reloads itself every minute.
 */
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    try { return el ? JSON.parse(el.textContent) : null; } catch (e) { return null; }
  }

  var RAMP = ["#eef4fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

  // What each layer reads from a child's figures (the population layers are fetched).
  var LAYERS = {
    cases: function (c) { return c.case ? c.case.total : 0; },
    cases_open: function (c) { return c.case ? c.case.open : 0; },
    disputes: function (c) { return c.dispute ? c.dispute.total : 0; },
    alerts: function (c) { return c.alert ? c.alert.total : 0; },
    offline: function (c) { return (c.devices && c.devices.offline) || 0; },
    places: function (c) { return c.places || 0; },
    coverage: function (c) {
      return c.coverage && c.coverage.shares ? c.coverage.shares.all_three : null;
    }
  };
  var FETCHED = { population: true, care: true, special: true };

  function OneMap(el) {
    this.el = el;
    this.data = json("onemap-data") || { children: [] };
    this.config = json("onemap-config") || {};
    this.buildings = json("onemap-building-points") || [];
    this.chart = echarts.init(el, null, { renderer: "canvas" });
    this.mapName = "onemap-" + this.config.code;
    this.byName = {};
    var self = this;
    this.data.children.forEach(function (c) { self.byName[c.name] = c; });
    this.chart.on("click", function (params) { self.onClick(params); });
    window.addEventListener("resize", function () { self.chart.resize(); });
    this.load();
  }

  OneMap.prototype.load = function () {
    var self = this;
    fetch(this.config.outline_url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (geo) {
        var features = geo.features && geo.features.length ? geo.features : (geo.outline ? [geo.outline] : []);
        features = features.filter(function (f) { return f.geometry; });
        features.forEach(function (f) { f.properties.name = f.properties.name || f.properties.code; });
        echarts.registerMap(self.mapName, { type: "FeatureCollection", features: features });
        self.features = features;
        self.show("cases");
      })
      .catch(function () { self.el.setAttribute("data-error", "outline"); });
  };

  OneMap.prototype.values = function (layer) {
    var self = this;
    if (FETCHED[layer]) {
      var url = this.config.layer_url + "?layer=" + encodeURIComponent(layer);
      return fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) {
          var byCode = body.children || {};
          return self.data.children.map(function (c) { return { name: c.name, code: c.code, value: byCode[c.code] || 0 }; });
        });
    }
    var read = LAYERS[layer] || LAYERS.cases;
    return Promise.resolve(this.data.children.map(function (c) {
      return { name: c.name, code: c.code, value: read(c) };
    }));
  };

  OneMap.prototype.show = function (layer) {
    var self = this;
    this.layer = layer;
    this.el.setAttribute("data-layer", layer);
    if (layer === "heat") { this.drawHeat(); return; }
    this.values(layer).then(function (rows) { self.draw(rows); })
      .catch(function () { self.el.setAttribute("data-error", layer); });
  };

  OneMap.prototype.base = function () {
    return {
      map: this.mapName, roam: true, layoutCenter: ["50%", "50%"], layoutSize: "95%",
      label: { show: true, fontSize: 11, color: "#223" },
      itemStyle: { borderColor: "#fff", borderWidth: 1 },
      emphasis: { label: { show: true }, itemStyle: { areaColor: "#ffd27f" } }
    };
  };

  OneMap.prototype.draw = function (rows) {
    var max = 0;
    rows.forEach(function (r) { if (r.value != null && r.value > max) { max = r.value; } });
    var geo = this.base();
    var series = [];
    if (this.data.children.length) {
      series.push(Object.assign({ type: "map", geoIndex: 0, data: rows, name: this.layer }, {}));
    }
    if (this.buildings.length) {
      series.push({
        type: "scatter", coordinateSystem: "geo", name: "buildings", symbolSize: 9,
        data: this.buildings.filter(function (b) { return b.lng != null; }).map(function (b) {
          return { name: b.name + " " + (b.address || ""), value: [b.lng, b.lat, b.residents], id: b.id,
                   itemStyle: { color: b.open_alerts ? "#d9534f" : (b.three_ones ? "#2e8b57" : "#3182bd") } };
        })
      });
    }
    this.chart.setOption({
      tooltip: { trigger: "item", formatter: function (p) {
        if (p.seriesName === "buildings") { return p.name + "：" + p.value[2]; }
        return p.name + "：" + (p.value == null || isNaN(p.value) ? "—" : p.value);
      } },
      visualMap: this.data.children.length ? {
        min: 0, max: Math.max(max, 1), left: 8, bottom: 8, calculable: true, inRange: { color: RAMP },
        seriesIndex: 0, textStyle: { fontSize: 11 }
      } : undefined,
      geo: geo,
      series: series
    }, true);
    this.el.setAttribute("data-drawn", this.layer);
  };

  OneMap.prototype.drawHeat = function () {
    var self = this;
    if (!this.heat) {
      var url = this.config.heat_url + (this.config.query ? "?" + this.config.query : "");
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) { self.heat = body.points || []; if (self.layer === "heat") { self.drawHeat(); } })
        .catch(function () { self.el.setAttribute("data-error", "heat"); });
      return;
    }
    var heat = this.heat;
    var max = 0;
    heat.forEach(function (p) { if (p[2] > max) { max = p[2]; } });
    this.chart.setOption({
      tooltip: { trigger: "item" },
      visualMap: { min: 0, max: Math.max(max, 1), left: 8, bottom: 8, calculable: true,
                   inRange: { color: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"] } },
      geo: Object.assign(this.base(), { itemStyle: { areaColor: "#eef1f5", borderColor: "#99a" } }),
      series: [{ type: "heatmap", coordinateSystem: "geo", data: heat, pointSize: 18, blurSize: 24 }]
    }, true);
    this.el.setAttribute("data-drawn", "heat");
  };

  OneMap.prototype.onClick = function (params) {
    var query = this.config.query ? "?" + this.config.query : "";
    if (document.body.classList.contains("wall")) { query += (query ? "&" : "?") + "screen=1"; }
    if (params.seriesName === "buildings" && params.data) {
      window.location.href = this.config.building_url.replace("/0/", "/" + params.data.id + "/");
      return;
    }
    var child = this.byName[params.name];
    if (child) { window.location.href = this.config.page_url.replace("CODE", child.code) + query; }
  };

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("onemap");
    if (!el || typeof echarts === "undefined") { return; }
    var map = new OneMap(el);
    window.wanggeOneMap = map;
    document.querySelectorAll("[data-onemap-layers] [data-layer]").forEach(function (button) {
      button.addEventListener("click", function () {
        document.querySelectorAll("[data-onemap-layers] [data-layer]").forEach(function (b) {
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
        map.show(button.getAttribute("data-layer"));
      });
    });
    if (document.body.classList.contains("wall")) {
      window.setTimeout(function () { window.location.reload(); }, 60000);
    }
  });
})();
