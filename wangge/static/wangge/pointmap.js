/* Point maps (Leaflet): where a case or a dispute is, and picking that point (docs/maps.md).
 *
 * The base is the configured tile layer (#map-base, a json_script of settings.WANGGE_BASE_MAP) or, with none
 * (the demo, a sealed intranet), our own data: every community's and grid's outline with its name from
 * /map/outlines.json or the page's own #map-outlines (areas/outlines.py; community names when zoomed out, grid names when zoomed in) and, for
 * staff, the buildings and places of their area as labelled points when zoomed in (options.pointsUrl).
 * Our data is WGS-84; on a GCJ-02 base map (高德, 腾讯) it is drawn converted (gcj02.js) and a tapped point is
 * converted back, so what reaches a form is always WGS-84.
 *
 * window.wanggeMap(el, options) -> {map, setPoint(lng, lat, fly), pixelOf(lng, lat), ready}
 *   options: outlinesUrl; focus (a region code: its outline is stressed and fitted); point [lng, lat];
 *   pick(lng, lat) (a tap or a search result sets the point); pointsUrl; search ({input, list, url}).
 * When the outlines are first drawn, el gets data-ready="1" (and data-map-ready, with the time since the
 * navigation started, for the throttled-network test); "failed" when they could not be loaded.
 * <div hidden data-case-map-for="ID" data-code=".." data-point="[lng, lat]" data-error=".."> draws a map that
 * only shows (cases/_map_data.html). */
(function () {
  "use strict";
  var L = window.L;
  var configEl = document.getElementById("map-base");
  var base = configEl ? JSON.parse(configEl.textContent) : {};
  var gcj = Boolean(base.url) && base.crs === "gcj02" && window.wanggeCrs;
  var LABEL_PX = 64;       // grid names once most grids in view are this wide on screen
  var COMMUNITY_PX = 24;   // community names from this width on (as many as fit without overlapping)
  var POINTS_ZOOM = 17;    // buildings and places from this zoom on
  var loaded = {};

  function round7(v) { return Number(v.toFixed(7)); }
  function toMap(lng, lat) {
    var p = gcj ? window.wanggeCrs.toGcj02(lng, lat) : [lng, lat];
    return L.latLng(p[1], p[0]);
  }
  function fromMap(latlng) {
    var p = gcj ? window.wanggeCrs.toWgs84(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
    return [round7(p[0]), round7(p[1])];
  }

  /* The compact outlines (areas/outlines.py) as Leaflet lat/lngs, once per page. */
  function outlines(url) {
    var inline = document.getElementById("map-outlines");
    if (inline && !loaded[url]) {  // in the page itself (the portal's map pages): no round trip
      loaded[url] = Promise.resolve(inline.textContent).then(JSON.parse).then(decode);
    }
    if (!loaded[url]) {
      loaded[url] = fetch(url).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      }).then(decode);
    }
    return loaded[url];
  }
  function decode(data) {
    var s = data.scale, ox = data.origin[0], oy = data.origin[1];
    data.areas.forEach(function (a) {
      a.latlngs = a.polys.map(function (poly) {
        return poly.map(function (ring) {
          var x = 0, y = 0, out = [];
          for (var i = 0; i < ring.length; i += 2) {
            x += ring[i]; y += ring[i + 1];
            out.push(toMap((ox + x) / s, (oy + y) / s));
          }
          return out;
        });
      });
      a.labelAt = toMap((ox + a.label[0]) / s, (oy + a.label[1]) / s);
      a.bounds = L.latLngBounds(a.latlngs.map(function (p) { return p[0]; }));
    });
    return data;
  }

  function label(text, cls) {
    var span = document.createElement("span");
    span.textContent = text;
    return L.divIcon({ className: "map-label " + cls, html: span, iconSize: null });
  }

  window.wanggeMap = function (el, options) {
    var state = { point: options.point || null, ready: false, areas: [] };
    var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5, attributionControl: Boolean(base.url),
                          maxZoom: base.url ? (base.max_zoom || 18) : 19, minZoom: 3 });
    if (base.url) {
      L.tileLayer(base.url, { subdomains: base.subdomains || "abc", attribution: base.attribution || "",
                              maxZoom: base.max_zoom || 18 }).addTo(map);
    } else {
      el.classList.add("map-own-base");
    }
    var renderer = L.canvas({ padding: 0.2 });
    // The chosen point above the outlines and labels, whatever is drawn after it.
    map.createPane("wanggePoint").style.zIndex = 650;
    var pointRenderer = L.svg({ pane: "wanggePoint" });
    var shapes = L.layerGroup().addTo(map), labels = L.layerGroup().addTo(map), points = L.layerGroup().addTo(map);
    var marker = null;
    if (state.point) { map.setView(toMap(state.point[0], state.point[1]), 16); } else { map.setView([30.6, 104.05], 12); }

    function inFocus(a) { return options.focus && a.code.indexOf(options.focus) === 0; }
    function drawPoint() {
      if (marker) { marker.remove(); marker = null; }
      if (state.point) {
        marker = L.circleMarker(toMap(state.point[0], state.point[1]), {
          radius: 9, color: "#fff", weight: 3, fillColor: "#d92d20", fillOpacity: 1, interactive: false,
          pane: "wanggePoint", renderer: pointRenderer
        }).addTo(map);
      }
    }
    function drawAreas(data) {
      state.areas = data.areas;
      var focused = [];
      data.areas.forEach(function (a) {
        var community = a.level === "community", mine = inFocus(a);
        if (mine) { focused.push(a.bounds); }
        L.polygon(a.latlngs, {
          renderer: renderer, interactive: false,
          color: community ? "#1d4f91" : "#5b7fa6", weight: community ? 2 : 1, opacity: community ? 0.9 : 0.7,
          fill: !community, fillColor: mine ? "#cfe0f4" : "#eef3f9", fillOpacity: base.url ? 0.15 : (mine ? 0.8 : 0.6)
        }).addTo(shapes);
      });
      var bounds = null;
      focused.forEach(function (b) { bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast()); });
      // The focus (the user's area, the case's grid) whole on the map, with the point near it; else the point
      // alone; else everything.
      var point = state.point ? toMap(state.point[0], state.point[1]) : null;
      if (bounds && (!point || bounds.pad(0.5).contains(point))) {
        map.fitBounds(point ? bounds.extend(point) : bounds, { padding: [12, 12], animate: false });
      } else if (point) {
        map.setView(point, 16, { animate: false });
      } else if (data.bbox) {
        map.fitBounds(L.latLngBounds(toMap(data.bbox[0], data.bbox[1]), toMap(data.bbox[2], data.bbox[3])),
                      { padding: [8, 8], animate: false });
      }
      drawLabels();
    }
    function pxWidth(b) {
      var z = map.getZoom();
      return map.project(b.getNorthEast(), z).x - map.project(b.getSouthWest(), z).x;
    }
    /* Community names while communities are small on screen, grid names once grids are wide enough; only the
     * ones in view. */
    function drawLabels() {
      labels.clearLayers();
      if (!state.areas.length) { return; }
      var view = map.getBounds().pad(0.1), grids = [], communities = [];
      state.areas.forEach(function (a) {
        if (!view.contains(a.labelAt)) { return; }
        (a.level === "grid" ? grids : communities).push(a);
      });
      var gridMode = grids.length > 0 && grids.filter(function (a) { return pxWidth(a.bounds) >= LABEL_PX; }).length * 2 >= grids.length;
      var shown = gridMode ? grids : communities;
      if (shown.length > 250) { return; }
      // The focus first, then the larger areas; a name that would overlap one already placed is left out.
      shown.sort(function (a, b) { return (inFocus(b) - inFocus(a)) || (pxWidth(b.bounds) - pxWidth(a.bounds)); });
      var placed = [];
      shown.forEach(function (a) {
        if (!gridMode && pxWidth(a.bounds) < COMMUNITY_PX) { return; }
        var p = map.latLngToContainerPoint(a.labelAt), w = textWidth(a.name), h = 18;
        var y = p.y + 12 + h / 2;  // the name sits below its point (app.css)
        for (var i = 0; i < placed.length; i++) {
          if (Math.abs(p.x - placed[i][0]) < (w + placed[i][2]) / 2 + 4 && Math.abs(y - placed[i][1]) < h) { return; }
        }
        placed.push([p.x, y, w]);
        L.marker(a.labelAt, { icon: label(a.name, "map-label-" + a.level), interactive: false, keyboard: false })
          .addTo(labels);
      });
    }
    function textWidth(text) {
      var w = 0;
      for (var i = 0; i < text.length; i++) { w += text.charCodeAt(i) > 255 ? 13 : 7; }
      return w;
    }
    /* Buildings and places of the staff member's area, when zoomed in (a scoped endpoint; none on the portal). */
    var pointsAsked = "";
    function drawPoints() {
      if (!options.pointsUrl || base.url) { return; }
      if (map.getZoom() < POINTS_ZOOM) { points.clearLayers(); pointsAsked = ""; return; }
      var b = map.getBounds(), sw = fromMap(b.getSouthWest()), ne = fromMap(b.getNorthEast());
      var bbox = [sw[0], sw[1], ne[0], ne[1]].map(function (v) { return v.toFixed(5); }).join(",");
      if (bbox === pointsAsked) { return; }
      pointsAsked = bbox;
      fetch(options.pointsUrl + "?bbox=" + bbox, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { points: [] }; })
        .then(function (data) {
          if (pointsAsked !== bbox) { return; }
          points.clearLayers();
          (data.points || []).forEach(function (p) {
            var at = toMap(p.lng, p.lat);
            L.circleMarker(at, { renderer: renderer, radius: 4, weight: 1, color: "#fff", fillOpacity: 1,
                                 fillColor: p.kind === "building" ? "#667085" : "#b54708", interactive: false }).addTo(points);
            L.marker(at, { icon: label(p.label, "map-label-point"), interactive: false, keyboard: false }).addTo(points);
          });
        }).catch(function () { /* the outlines still show */ });
    }
    map.on("zoomend moveend", function () { drawLabels(); drawPoints(); });

    var api = {
      map: map,
      setPoint: function (lng, lat, fly) {
        state.point = [Number(lng), Number(lat)];
        drawPoint();
        if (fly) { map.flyTo(toMap(state.point[0], state.point[1]), Math.max(map.getZoom(), POINTS_ZOOM), { duration: 0.6 }); }
      },
      pixelOf: function (lng, lat) {
        var p = map.latLngToContainerPoint(toMap(Number(lng), Number(lat)));
        return [p.x, p.y];
      },
      areas: function () { return state.areas; }
    };
    if (options.pick) {
      map.on("click", function (e) {
        var p = fromMap(e.latlng);
        api.setPoint(p[0], p[1]);
        options.pick(p[0], p[1]);
      });
    }
    drawPoint();
    outlines(options.outlinesUrl).then(function (data) {
      drawAreas(data);
      state.ready = true;
      el.dataset.ready = "1";
      if (window.performance && performance.now) { el.dataset.mapReady = String(Math.round(performance.now())); }
    }).catch(function () {
      el.dataset.ready = "failed";
      var note = document.createElement("p");
      note.className = "map-failed";
      note.textContent = options.error || el.dataset.error || "The map could not be loaded.";
      el.appendChild(note);
    });
    if (options.search) { search(api, options.search, options.pick, options.outlinesUrl); }
    if (window.ResizeObserver) { new ResizeObserver(function () { map.invalidateSize(); }).observe(el); }
    return api;
  };

  /* The search box of a point map: our own addresses (options.url: the staff API, in the user's area) and the
   * names of communities and grids (searched in the page, pinyin initials too). Choosing a result flies there
   * and sets the point. */
  function search(api, opts, pick, outlinesUrl) {
    var input = opts.input, list = opts.list, words = list.dataset, timer = null, asked = "", results = [];
    function initialsQuery(q) { var s = q.replace(/\s+/g, "").toLowerCase(); return /^[0-9a-z]+$/.test(s) ? s : null; }
    function local(q) {
      var py = initialsQuery(q), out = [];
      return outlines(outlinesUrl).then(function (data) {
        data.areas.forEach(function (a) {
          if (out.length >= 8) { return; }
          if (a.name.indexOf(q) >= 0 || (py && a.py.indexOf(py) === 0)) {
            var c = a.labelAt, p = fromMap(c);
            out.push({ kind: a.level, label: a.name, detail: "", lng: p[0], lat: p[1] });
          }
        });
        return out;
      }).catch(function () { return []; });
    }
    function remote(q) {
      if (!opts.url) { return Promise.resolve([]); }
      return fetch(opts.url + "?q=" + encodeURIComponent(q) + "&limit=10",
                   { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (d) { return d.results || []; })
        .catch(function () { return []; });
    }
    function show(items) {
      results = items;
      list.innerHTML = "";
      list.hidden = false;
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "map-search-none"; none.textContent = words.none || "No match";
        list.appendChild(none);
        return;
      }
      items.forEach(function (item, i) {
        var li = document.createElement("li"), b = document.createElement("button");
        b.type = "button"; b.className = "map-search-hit"; b.dataset.index = String(i);
        var kind = document.createElement("span");
        kind.className = "map-search-kind"; kind.textContent = words["kind" + item.kind.charAt(0).toUpperCase() + item.kind.slice(1)] || item.kind;
        var text = document.createElement("span");
        text.textContent = item.label + (item.detail ? " · " + item.detail : "");
        b.appendChild(kind); b.appendChild(text);
        li.appendChild(b); list.appendChild(li);
      });
    }
    function choose(i) {
      var item = results[i];
      if (!item) { return; }
      list.hidden = true; list.innerHTML = "";
      input.value = item.label;
      api.setPoint(item.lng, item.lat, true);
      if (pick) { pick(item.lng, item.lat); }
    }
    function run() {
      var q = input.value.trim().slice(0, 50);
      if (q === asked) { return; }
      asked = q;
      if (!q) { list.hidden = true; list.innerHTML = ""; return; }
      Promise.all([remote(q), local(q)]).then(function (parts) {
        if (asked !== q) { return; }
        show(parts[0].concat(parts[1]).slice(0, 12));
      });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 250); });
    input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") { return; }
      e.preventDefault();  // the search box is inside the report form: Enter must not submit it
      clearTimeout(timer);
      if (results.length && !list.hidden && asked === input.value.trim().slice(0, 50)) { choose(0); } else { run(); }
    });
    list.addEventListener("click", function (e) {
      var b = e.target.closest(".map-search-hit");
      if (b) { choose(Number(b.dataset.index)); }
    });
  }

  /* The staff forms' map (case report, dispute forms) and the maps that only show (case page, dispute page). */
  window.wanggeCaseMap = function (el, options) {
    var box = el.closest(".field") || el.parentNode;
    var input = box.querySelector("[data-map-search]"), list = box.querySelector("[data-map-results]");
    var cfg = document.getElementById("map-urls");
    var urls = cfg ? cfg.dataset : {};
    return window.wanggeMap(el, {
      outlinesUrl: options.url || urls.outlines, focus: options.code, point: options.point, pick: options.pick,
      pointsUrl: urls.points, error: el.dataset.error,
      search: input && list ? { input: input, list: list, url: urls.search } : null
    });
  };

  /* The point a pick map starts with: the form's own longitude and latitude, if it has them. */
  window.wanggeFormPoint = function (lng, lat) {
    return lng.value && lat.value ? [Number(lng.value), Number(lat.value)] : null;
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-case-map-for]").forEach(function (data) {
      var el = document.getElementById(data.dataset.caseMapFor);
      el.dataset.error = data.dataset.error;
      window.wanggeCaseMap(el, { code: data.dataset.code,
                                 point: data.dataset.point ? JSON.parse(data.dataset.point) : null });
    });
  });
}());
