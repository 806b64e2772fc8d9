/* The device form (sensing/device_form.html): a tap on the point map, or a search result, fills the longitude and
 * latitude (WGS-84, as pointmap.js hands them over) and sets the coordinate system to WGS-84. */
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("device-pick-map");
    var lng = document.getElementById("id_lng"), lat = document.getElementById("id_lat");
    var crs = document.getElementById("id_crs");
    if (!el || !lng || !lat || !window.wanggeCaseMap) { return; }
    window.wanggeDeviceMap = window.wanggeCaseMap(el, {
      code: el.dataset.focus, point: window.wanggeFormPoint(lng, lat),
      pick: function (x, y) { lng.value = x; lat.value = y; if (crs) { crs.value = "wgs84"; } }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
