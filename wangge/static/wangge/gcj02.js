/* WGS-84 ⇄ GCJ-02 (the "Mars" offset of 高德 AMap and 腾讯 Tencent base maps), for drawing our WGS-84 data on a
 * GCJ-02 base map and taking a tapped point back to WGS-84 before it is submitted.
 *
 * The same formulas and the same "outside China" box as the server's (fast_geocn, wangge/areas/crs.py): a point
 * outside 72–137°E × 0–55°N is left as it is. toWgs84 inverts toGcj02 by fixed-point iteration (the offset
 * changes slowly), well under a millimetre after a few rounds.
 *
 * window.wanggeCrs = { toGcj02(lng, lat) -> [lng, lat], toWgs84(lng, lat) -> [lng, lat], outOfChina(lng, lat) }
 * (also module.exports, so node can test it: wangge/areas/tests/test_crs_js.py). */
(function (root) {
  "use strict";
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;

  function outOfChina(lng, lat) {
    return !(lng >= 72.0 && lng <= 137.0 && lat >= 0.0 && lat <= 55.0);
  }
  function transformLat(x, y) {
    var ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    ret += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    ret += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y * PI / 3.0)) * 2.0 / 3.0;
    ret += (160.0 * Math.sin(y * PI / 12.0) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return ret;
  }
  function transformLng(x, y) {
    var ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    ret += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    ret += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x * PI / 3.0)) * 2.0 / 3.0;
    ret += (150.0 * Math.sin(x * PI / 12.0) + 300.0 * Math.sin(x * PI / 30.0)) * 2.0 / 3.0;
    return ret;
  }
  function toGcj02(lng, lat) {
    if (outOfChina(lng, lat)) { return [lng, lat]; }
    var dLat = transformLat(lng - 105.0, lat - 35.0), dLng = transformLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * PI, magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lng + dLng, lat + dLat];
  }
  function toWgs84(lng, lat) {
    if (outOfChina(lng, lat)) { return [lng, lat]; }
    var x = lng, y = lat;
    for (var i = 0; i < 10; i++) {
      var g = toGcj02(x, y), dx = lng - g[0], dy = lat - g[1];
      x += dx; y += dy;
      if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) { break; }
    }
    return [x, y];
  }
  var api = { toGcj02: toGcj02, toWgs84: toWgs84, outOfChina: outOfChina };
  if (typeof module === "object" && module.exports) { module.exports = api; }
  if (root) { root.wanggeCrs = api; }
}(typeof window !== "undefined" ? window : null));
