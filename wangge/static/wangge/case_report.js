/* 上报事件 (cases/report.html): locate by the phone or a tap on the map, the two-level category, and the
 * fields that only some reports need. The form's data-* attributes carry the map's URL and the status texts
 * (translated). */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var msg = form.dataset;
  var lng = document.getElementById("id_lng"), lat = document.getElementById("id_lat");
  var status = document.getElementById("geo-status");
  function located(x, y, how) {
    lng.value = x; lat.value = y;
    status.textContent = how + "：" + x + ", " + y;
    document.body.dispatchEvent(new Event("located"));
  }
  var map = null;
  if (msg.mapUrl) {
    map = window.wanggeCaseMap(document.getElementById("pick-map"), {
      url: msg.mapUrl, code: msg.mapCode, point: window.wanggeFormPoint(lng, lat),
      pick: function (x, y) { located(x, y, msg.msgPicked); }
    });
  }
  window.wanggeReportMap = map;
  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = msg.msgNoGeolocation; return; }
    status.textContent = msg.msgLocating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      // The browser's Geolocation API answers in WGS-84.
      var x = Number(pos.coords.longitude.toFixed(7)), y = Number(pos.coords.latitude.toFixed(7));
      located(x, y, msg.msgLocated.replace("{m}", String(Math.round(pos.coords.accuracy))));
      if (map) { map.setPoint(x, y); }
    }, function () { status.textContent = msg.msgLocateFailed; },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });
  // Two-level category: the major select narrows the minor select's groups.
  var major = document.getElementById("major-select"), minor = document.getElementById("id_category");
  Array.prototype.forEach.call(minor.querySelectorAll("optgroup"), function (g, i) {
    var o = document.createElement("option"); o.value = String(i); o.textContent = g.label; major.appendChild(o);
  });
  major.addEventListener("change", function () {
    Array.prototype.forEach.call(minor.querySelectorAll("optgroup"), function (g, i) {
      var show = major.value === "" || major.value === String(i);
      g.hidden = !show; g.disabled = !show;
    });
    var chosen = minor.options[minor.selectedIndex];
    if (chosen && chosen.parentElement.disabled) { minor.value = ""; }
  });
  var box = document.getElementById("id_self_resolved"), res = document.querySelector("[data-resolution]");
  if (box && res) { box.addEventListener("change", function () { res.hidden = !box.checked; }); }
  var channel = document.getElementById("id_channel"), caller = document.querySelector("[data-caller]");
  if (channel && caller) {
    var sync = function () { caller.hidden = channel.value === "grid_worker"; };
    channel.addEventListener("change", sync); sync();
  }
}());
