/* Region maps drawn by ECharts from our own GeoJSON (GET /map/<code>.json); no tile server.
 *
 * <div data-region-map="explore" ...>  the map page: click a region to drill down, a grid to open it;
 *                                      the side panel follows through HTMX, the URL through history.
 * <div data-region-map="single" ...>   one region's own boundary (the grid page).
 *
 * A [data-layer-switch] next to the explore map colours the children by a number instead of the
 * neighbour palette: households (from the map data) or population / floating / care, read from
 * data-layer-url (GET /api/v1/regions/<code>/population?layer=..., scoped like everything else).
 *
 * The instance is exposed as window.wanggeMap (tests and the console use it).
 */
(function () {
  "use strict";

  // Muted, clearly distinct fills; the server colours neighbours differently (properties.colour).
  var PALETTE = ["#9cc0e6", "#a9d8b8", "#f3cd95", "#c9b9e4", "#f1aeae", "#9fd6d5",
                 "#dccb9f", "#b9d38f", "#e6b6d3", "#b0bfd4", "#f5b88a", "#8fcfb0"];
  var OUTLINE_FILL = "#eef1f5";
  var SINGLE_FILL = "#cfe0f4";

  function fill(template, code) { return template.replace("{code}", encodeURIComponent(code)); }

  function labels() {
    var el = document.getElementById("map-labels");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  function shade(hex, amount) {
    var n = parseInt(hex.slice(1), 16);
    var r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    var f = function (c) { return Math.max(0, Math.min(255, Math.round(c * (1 - amount)))); };
    return "#" + ((1 << 24) + (f(r) << 16) + (f(g) << 8) + f(b)).toString(16).slice(1);
  }

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Map labels drop the administrative suffix (居委会, 村委会, 办事处): 玉林社区居委会 -> 玉林社区.
  function shortName(name) {
    return String(name || "").replace(/(居民委员会|村民委员会|居委会|村委会|办事处)$/, "");
  }

  function formatNumber(n) {
    return n == null ? "—" : Number(n).toLocaleString();
  }

  // Bounding box [minLng, minLat, maxLng, maxLat] of GeoJSON features.
  function bbox(features) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    function walk(c) {
      if (typeof c[0] === "number") {
        if (c[0] < box[0]) { box[0] = c[0]; }
        if (c[1] < box[1]) { box[1] = c[1]; }
        if (c[0] > box[2]) { box[2] = c[0]; }
        if (c[1] > box[3]) { box[3] = c[1]; }
        return;
      }
      for (var i = 0; i < c.length; i++) { walk(c[i]); }
    }
    features.forEach(function (f) { if (f.geometry) { walk(f.geometry.coordinates); } });
    return box;
  }

  function RegionMap(el, options) {
    this.el = el;
    this.options = options;
    this.labels = labels();
    this.chart = echarts.init(el, null, { renderer: "canvas" });
    this.code = null;
    this.data = null;
    this.byCode = {};
    this.layer = null;        // null: the neighbour palette; else "households", "population", "floating", "care"
    this.layerValues = null;  // {child code: number} for the drawn region
    var self = this;
    this.chart.on("click", function (params) { self.onClick(params); });
    var resize = function () { self.chart.resize(); self.relayout(); };
    if (window.ResizeObserver) {
      new ResizeObserver(resize).observe(el);
    } else {
      window.addEventListener("resize", resize);
    }
  }

  RegionMap.prototype.load = function (code) {
    var self = this;
    this.clearMessage();
    this.chart.dispatchAction({ type: "hideTip" });
    this.chart.showLoading({ text: this.labels.loading || "", color: "#1d4f91", textColor: "#4a5668",
                             maskColor: "rgba(255,255,255,0.6)" });
    this.pending = code;
    var layer = this.layer;
    return Promise.all([getJson(fill(this.options.mapUrl, code)), this.fetchLayer(code, layer)])
      .then(function (answers) {
        if (self.pending !== code || self.layer !== layer) { return; } // a later click won
        self.chart.hideLoading();
        self.layerValues = answers[1];
        self.draw(code, answers[0]);
      })
      .catch(function () {
        self.chart.hideLoading();
        self.showMessage(self.labels.error || "Error");
      });
  };

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  // Values of a counted layer for the children of `code` (households come with the map data).
  RegionMap.prototype.fetchLayer = function (code, layer) {
    if (!layer || layer === "households" || !this.options.layerUrl) { return Promise.resolve(null); }
    var url = fill(this.options.layerUrl, code) + "?layer=" + encodeURIComponent(layer);
    return getJson(url).then(function (body) { return body.children || {}; });
  };

  RegionMap.prototype.setLayer = function (layer) {
    this.layer = layer || null;
    if (this.code) { return this.load(this.code); }
    return Promise.resolve();
  };

  RegionMap.prototype.layerValue = function (props) {
    if (!this.layer) { return null; }
    if (this.layer === "households") { return props.households == null ? 0 : props.households; }
    var v = this.layerValues ? this.layerValues[props.code] : null;
    return v == null ? 0 : v;
  };

  // Light to dark brand blue; the square root keeps small values apart from zero.
  var LAYER_LOW = [232, 240, 250], LAYER_HIGH = [23, 63, 117];
  function layerColour(value, max) {
    var t = max > 0 ? Math.sqrt(Math.max(value, 0) / max) : 0;
    var c = LAYER_LOW.map(function (lo, i) { return Math.round(lo + (LAYER_HIGH[i] - lo) * t); });
    return "#" + ((1 << 24) + (c[0] << 16) + (c[1] << 8) + c[2]).toString(16).slice(1);
  }

  function isDark(hex) {
    var n = parseInt(hex.slice(1), 16);
    return (0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) < 140;
  }

  RegionMap.prototype.paintLegend = function (max) {
    var legend = this.options.legend;
    if (!legend) { return; }
    if (!this.layer) { legend.hidden = true; return; }
    legend.hidden = false;
    legend.querySelector("[data-legend-max]").textContent = formatNumber(max);
    legend.querySelector("[data-legend-bar]").style.background =
      "linear-gradient(90deg, " + layerColour(0, 1) + ", " + layerColour(0.25, 1) + ", " + layerColour(1, 1) + ")";
  };

  RegionMap.prototype.draw = function (code, data) {
    var single = this.options.mode === "single";
    var features = [], items = [], byCode = {};
    var outline = data.outline;
    if (outline && outline.geometry) {
      features.push(outline);
      byCode[outline.properties.code] = outline;
      items.push({
        name: outline.properties.code,
        isOutline: !single,
        label: { show: single },
        itemStyle: single
          ? { areaColor: SINGLE_FILL, borderColor: "#1d4f91", borderWidth: 2 }
          : { areaColor: OUTLINE_FILL, borderColor: "#8796aa", borderWidth: 1.5 },
        emphasis: { disabled: !single, itemStyle: { areaColor: SINGLE_FILL }, label: { show: single } },
        tooltip: { show: single },
        regionName: outline.properties.name,
        props: outline.properties
      });
    }
    var self = this, layerMax = 0;
    if (!single && this.layer) {
      (data.features || []).forEach(function (f) { layerMax = Math.max(layerMax, self.layerValue(f.properties)); });
    }
    if (!single) {
      (data.features || []).forEach(function (f) {
        if (!f.geometry) { return; }
        var colour = self.layer ? layerColour(self.layerValue(f.properties), layerMax)
                                : PALETTE[(f.properties.colour || 0) % PALETTE.length];
        features.push(f);
        byCode[f.properties.code] = f;
        items.push({
          name: f.properties.code,
          value: f.properties.households,
          label: isDark(colour) ? { color: "#ffffff", textBorderColor: "rgba(15,26,40,0.55)" } : undefined,
          itemStyle: { areaColor: colour },
          emphasis: { itemStyle: { areaColor: shade(colour, 0.16) } },
          regionName: f.properties.name,
          props: f.properties
        });
      });
    }
    this.code = code;
    this.data = data;
    this.byCode = byCode;
    this.items = items;
    if (!features.length) {
      this.chart.clear();
      this.showMessage(this.labels.no_boundary || "");
      return;
    }
    var mapName = "wangge-" + code + (single ? "-single" : "");
    echarts.registerMap(mapName, { type: "FeatureCollection", features: features });
    var box = bbox(features);
    var lat = (box[1] + box[3]) / 2;
    // Equirectangular with the right width at this latitude, so shapes are not stretched.
    this.aspectScale = Math.cos(lat * Math.PI / 180);
    this.aspect = ((box[2] - box[0]) / Math.max(box[3] - box[1], 1e-9)) * this.aspectScale;
    this.fitHeight();
    if (!single) { this.paintLegend(layerMax); }
    this.chart.setOption({
      animationDurationUpdate: 250,
      tooltip: {
        trigger: "item",
        confine: true,
        borderColor: "#dfe4ea",
        textStyle: { color: "#1c2633", fontSize: 13 },
        formatter: function (p) { return self.tooltip(p); }
      },
      series: [{
        type: "map",
        map: mapName,
        nameProperty: "code",
        roam: true,
        scaleLimit: { min: 0.8, max: 12 },
        selectedMode: false,
        aspectScale: this.aspectScale,
        left: "center", top: "center", width: this.fit().width, height: this.fit().height,
        label: {
          show: true,
          color: "#1c2633",
          fontSize: this.el.clientWidth < 500 ? 11 : 12,
          textBorderColor: "rgba(255,255,255,0.85)",
          textBorderWidth: 2,
          formatter: function (p) { return shortName(p.data && p.data.regionName); }
        },
        labelLayout: { hideOverlap: true },
        itemStyle: { borderColor: "#ffffff", borderWidth: 1.2, areaColor: OUTLINE_FILL },
        emphasis: { label: { show: true, fontWeight: "bold", color: "#0f1a28" } },
        data: items
      }]
    }, { replaceMerge: ["series"] }); // keep the tooltip component: a pending tip must not outlive its DOM
    if (this.options.onDraw) { this.options.onDraw(this); }
  };

  // The largest box of the map's aspect that fits the container with a small margin.
  RegionMap.prototype.fit = function () {
    var w = Math.max(this.el.clientWidth - 24, 10), h = Math.max(this.el.clientHeight - 24, 10);
    if (!this.aspect || !isFinite(this.aspect)) { return { width: w, height: h }; }
    return this.aspect > w / h ? { width: w, height: w / this.aspect } : { width: h * this.aspect, height: h };
  };

  // On narrow screens the map box takes the map's own proportions instead of a fixed height,
  // so a wide district does not leave half the phone screen empty.
  RegionMap.prototype.fitHeight = function () {
    if (this.options.mode !== "explore" || window.innerWidth > 1000 || !this.aspect) { return; }
    var wanted = (this.el.clientWidth - 24) / this.aspect + 24;
    var height = Math.round(Math.min(Math.max(wanted, 260), window.innerHeight * 0.7));
    if (Math.abs(this.el.clientHeight - height) > 2) {
      this.el.style.height = height + "px";
      this.el.style.minHeight = "0";
      this.chart.resize();
    }
  };

  RegionMap.prototype.relayout = function () {
    if (!this.items || !this.aspect) { return; }
    var fit = this.fit();
    this.chart.setOption({ series: [{ width: fit.width, height: fit.height }] });
  };

  RegionMap.prototype.tooltip = function (p) {
    var d = p.data;
    if (!d || d.isOutline) { return ""; }
    var props = d.props || {}, L = this.labels;
    var lines = ["<strong>" + escapeHtml(d.regionName) + "</strong>",
                 escapeHtml(L.code || "Code") + "：" + escapeHtml(props.code),
                 escapeHtml(L.households || "Households") + "：" + formatNumber(props.households)];
    if (props.level !== "grid" && props.grid_count != null) {
      lines.push(escapeHtml(L.grids || "Grids") + "：" + formatNumber(props.grid_count));
    }
    if (this.layer && this.layer !== "households") {
      lines.push(escapeHtml(L["layer_" + this.layer] || this.layer) + "：" + formatNumber(this.layerValue(props)));
    }
    if (this.options.mode !== "single") {
      var hint = props.level === "grid" ? L.open_grid : (props.has_children ? L.drill : "");
      if (hint) { lines.push('<span class="map-tip-hint">' + escapeHtml(hint) + "</span>"); }
    }
    return lines.join("<br>");
  };

  RegionMap.prototype.onClick = function (params) {
    if (this.options.mode === "single" || params.componentType !== "series") { return; }
    var feature = this.byCode[params.name];
    if (!feature || params.name === this.code) { return; }
    var props = feature.properties;
    if (props.level === "grid") {
      window.location.href = fill(this.options.regionUrl, props.code);
    } else if (props.has_children && this.options.onDrill) {
      this.options.onDrill(props.code);
    }
  };

  // Pixel position (page coordinates) of a region's label point: tests click there.
  RegionMap.prototype.pointOf = function (code) {
    var f = this.byCode[code];
    if (!f) { return null; }
    var xy = this.chart.convertToPixel({ seriesIndex: 0 }, f.properties.cp);
    var box = this.el.getBoundingClientRect();
    return xy ? [box.left + xy[0], box.top + xy[1]] : null;
  };

  RegionMap.prototype.highlight = function (code, on) {
    if (!this.byCode[code]) { return; }
    this.chart.dispatchAction({ type: on ? "highlight" : "downplay", seriesIndex: 0, name: code });
  };

  RegionMap.prototype.colourOf = function (code) {
    var item = (this.items || []).filter(function (i) { return i.name === code; })[0];
    return item && !item.isOutline ? item.itemStyle.areaColor : null;
  };

  RegionMap.prototype.showMessage = function (text) {
    this.clearMessage();
    var div = document.createElement("div");
    div.className = "map-message";
    div.textContent = text;
    this.el.appendChild(div);
    this.message = div;
  };

  RegionMap.prototype.clearMessage = function () {
    if (this.message) { this.message.remove(); this.message = null; }
  };

  /* The map page: map + side panel + URL, kept on the same region. */
  function Explorer(el) {
    var self = this;
    this.el = el;
    this.panel = document.querySelector(el.dataset.panel || "#region-panel");
    this.urls = { map: el.dataset.mapUrl, region: el.dataset.regionUrl, panel: el.dataset.panelUrl };
    this.map = new RegionMap(el, {
      mode: "explore",
      mapUrl: this.urls.map,
      regionUrl: this.urls.region,
      layerUrl: el.dataset.layerUrl,
      legend: document.querySelector("[data-layer-legend]"),
      onDrill: function (code) { self.go(code, true); },
      onDraw: function (map) {
        self.paintSwatches();
        if (map.data && map.data.region && map.data.region.code === self.code && map.labels.suffix) {
          document.title = map.data.region.name + " · " + map.labels.suffix;
        }
      }
    });
    this.code = el.dataset.code;
    history.replaceState({ regionCode: this.code }, "");
    window.addEventListener("popstate", function (e) {
      if (e.state && e.state.regionCode) { self.go(e.state.regionCode, false); }
    });
    document.addEventListener("click", function (e) {
      var link = e.target.closest && e.target.closest("[data-drill]");
      if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) { return; }
      e.preventDefault();
      self.go(link.dataset.drill, true);
    });
    if (this.panel) {
      this.panel.addEventListener("mouseover", function (e) { self.hover(e, true); });
      this.panel.addEventListener("mouseout", function (e) { self.hover(e, false); });
    }
    document.body.addEventListener("htmx:afterSwap", function () { self.paintSwatches(); });
    this.layerSwitch(document.querySelector("[data-layer-switch]"));
    this.map.load(this.code);
  }

  // 分区 / 户数 / 人口 / 流动人口 / 关爱人群: one pressed button; the choice survives drilling down.
  Explorer.prototype.layerSwitch = function (group) {
    if (!group) { return; }
    var map = this.map;
    var buttons = group.querySelectorAll("button[data-layer]");
    group.addEventListener("click", function (e) {
      var button = e.target.closest("button[data-layer]");
      if (!button) { return; }
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
      map.setLayer(button.dataset.layer || null);
    });
  };

  Explorer.prototype.go = function (code, push) {
    if (!code) { return; }
    this.code = code;
    this.el.dataset.code = code;
    this.map.load(code);
    if (this.panel && window.htmx) {
      htmx.ajax("GET", fill(this.urls.panel, code), { target: this.panel, swap: "innerHTML" });
    } else {
      window.location.href = fill(this.urls.region, code);
      return;
    }
    if (push) { history.pushState({ regionCode: code }, "", fill(this.urls.region, code)); }
    var box = this.el.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight * 0.6) { this.el.scrollIntoView({ behavior: "smooth", block: "start" }); }
  };

  Explorer.prototype.hover = function (e, on) {
    var row = e.target.closest && e.target.closest("tr[data-code]");
    if (!row) { return; }
    if (!on && row.contains(e.relatedTarget)) { return; }
    row.classList.toggle("is-hot", on);
    this.map.highlight(row.dataset.code, on);
  };

  // The list's colour chips match the map's fills.
  Explorer.prototype.paintSwatches = function () {
    var map = this.map;
    document.querySelectorAll("[data-swatch]").forEach(function (s) {
      var colour = map.colourOf(s.dataset.swatch);
      if (colour) { s.style.background = colour; }
    });
  };

  function start() {
    if (!window.echarts) { return; }
    var el = document.querySelector("[data-region-map]");
    if (!el) { return; }
    if (el.dataset.regionMap === "explore") {
      var explorer = new Explorer(el);
      window.wanggeExplorer = explorer;
      window.wanggeMap = explorer.map;
    } else {
      var map = new RegionMap(el, { mode: "single", mapUrl: el.dataset.mapUrl });
      window.wanggeMap = map;
      map.load(el.dataset.code);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
