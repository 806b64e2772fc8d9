/* 上报事件 (cases/report.html): locate by the phone or a tap on the map, the two-level category, and the
 * fields that only some reports need. The form's data-* attributes carry the map's URL and the status texts
 * (translated). */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var msg = form.dataset;
  var lng = document.getElementById("id_lng"), lat = document.getElementById("id_lat");
  var status = document.getElementById("geo-status");
  var place = document.getElementById("geo-place");
  // Which community and grid the point is in, before anything is submitted; a grid worker is warned when it
  // is not their own grid (the server would refuse it: they report in their own grid).
  function whereIs(x, y) {
    if (!place || !msg.locateUrl || !window.fetch) { return; }
    var asked = x + "," + y;
    place.dataset.asked = asked;
    fetch(msg.locateUrl + "?lng=" + encodeURIComponent(x) + "&lat=" + encodeURIComponent(y),
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || place.dataset.asked !== asked) { return; }  // a later point has been chosen since
        place.hidden = false;
        place.classList.remove("is-warning");
        var grid = data.grid;
        if (!grid) {
          place.textContent = msg.msgOutsideAll; place.classList.add("is-warning"); place.dataset.grid = "";
          return;
        }
        var names = grid.path.filter(function (n) { return n.level === "community" || n.level === "grid"; })
          .map(function (n) { return n.name; });
        place.dataset.grid = grid.code;
        place.textContent = msg.msgIn.replace("{place}", names.join(" · "));
        if (msg.ownGrid && msg.ownGrid !== grid.code) {
          place.textContent += " " + msg.msgOutsideOwn.replace("{grid}", grid.name);
          place.classList.add("is-warning");
        }
      })
      .catch(function () { /* the point stays chosen; the server locates it on submit */ });
  }
  function located(x, y, how) {
    lng.value = x; lat.value = y;
    status.textContent = how + "：" + x + ", " + y;
    whereIs(x, y);
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
  // One submit: a second tap while the first is on its way sends nothing (and the form's one-time key makes a
  // repeat that does get through answer the same case).
  form.addEventListener("submit", function (event) {
    if (form.dataset.sending === "1") { event.preventDefault(); return; }
    form.dataset.sending = "1";
    var button = document.getElementById("report-submit");
    if (button) { button.setAttribute("aria-busy", "true"); button.classList.add("is-busy"); }
  });
  // Back to this page from the browser's history: it may be sent again.
  window.addEventListener("pageshow", function () { form.dataset.sending = ""; });
  var channel = document.getElementById("id_channel"), caller = document.querySelector("[data-caller]");
  if (channel && caller) {
    var sync = function () { caller.hidden = channel.value === "grid_worker"; };
    channel.addEventListener("change", sync); sync();
  }
}());
