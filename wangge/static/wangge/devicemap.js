/* The devices' map (sensing/device_map.html): the point map of pointmap.js (outlines, the base map, buildings and
 * places when zoomed in) with each device of the list as a dot coloured by its connectivity, linking to its page.
 * The devices come from the page (#device-points, json_script: [lng, lat (WGS-84), code, name, connectivity]; a
 * device's page is data-device-url with CODE replaced); on a GCJ-02 base map they are drawn converted, as
 * pointmap.js draws its own points. */
(function () {
  "use strict";
  var COLOURS = { online: "#2b8a3e", offline: "#c92a2a", unknown: "#868e96" };

  function start() {
    var el = document.getElementById("device-map");
    var data = document.getElementById("device-points");
    var urls = document.getElementById("map-urls");
    if (!el || !data || !window.wanggeMap || !window.L) { return; }
    var points = JSON.parse(data.textContent);
    var baseEl = document.getElementById("map-base");
    var base = baseEl ? JSON.parse(baseEl.textContent) : {};
    var gcj = Boolean(base.url) && base.crs === "gcj02" && window.wanggeCrs;
    var shown = window.wanggeMap(el, {
      outlinesUrl: urls ? urls.dataset.outlines : "", pointsUrl: urls ? urls.dataset.points : "",
      focus: el.dataset.focus || "", error: el.dataset.error
    });
    var L = window.L, map = shown.map, bounds = null;
    // Above the outlines (drawn later, on pointmap.js's canvas) and below the chosen-point pane.
    map.createPane("wanggeDevices").style.zIndex = 640;
    var renderer = L.svg({ pane: "wanggeDevices" });
    var layer = L.layerGroup().addTo(map);
    points.forEach(function (row) {
      var p = { lng: row[0], lat: row[1], code: row[2], name: row[3], connectivity: row[4] };
      var at = gcj ? window.wanggeCrs.toGcj02(p.lng, p.lat) : [p.lng, p.lat];
      var latlng = L.latLng(at[1], at[0]);
      var dot = L.circleMarker(latlng, { radius: 7, weight: 2, color: "#fff", fillOpacity: 1, pane: "wanggeDevices",
                                         renderer: renderer, fillColor: COLOURS[p.connectivity] || COLOURS.unknown });
      var link = document.createElement("a");
      link.href = el.dataset.deviceUrl.replace("CODE", encodeURIComponent(p.code));
      link.textContent = p.name + " (" + p.code + ")";
      dot.bindPopup(link);
      dot.addTo(layer);
      bounds = bounds ? bounds.extend(latlng) : L.latLngBounds(latlng, latlng);
    });
    el.dataset.devices = String(points.length);
    if (bounds && !el.dataset.focus) { map.fitBounds(bounds.pad(0.1)); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
