/* Citizen portal: the map (wangge/static/wangge/pointmap.js: Leaflet over the outlines and names of
 * communities and grids from /map/outlines.json, or the configured base map), taking a position from a tap,
 * a search of the area names or the phone, and the two-level category select. Every page still submits
 * without it; only the position needs it.
 *
 * <div data-portal-map data-outline-url=".." data-form="FORM-ID">  a tap sets FORM's lng/lat, crs=wgs84
 * <button data-geolocate="FORM-ID">  the phone's position: inside WeChat (MicroMessenger) the JS-SDK's
 *     wx.getLocation answers in GCJ-02 when the page has it configured; the browser's Geolocation API
 *     answers in WGS-84. The hidden crs input says which, and the server converts.
 * After a position is set the form gets a bubbling "change" event (htmx listens for it).
 *
 * window.portalMaps[FORM-ID].setPoint(lng, lat, crs) does what a tap does, .pixelOf(lng, lat) says where on the
 * map a point is drawn (tests use both).
 */
(function () {
  "use strict";

  window.portalMaps = window.portalMaps || {};
  // The words shown here come from the page (portal/base.html, #portal-words), in the page's language.
  var wordsEl = document.getElementById("portal-words");
  var words = wordsEl ? wordsEl.dataset : {};
  function word(key, fallback) { return words[key] || fallback; }

  function setPoint(form, lng, lat, crs, how) {
    form.querySelector("[name=lng]").value = Number(lng).toFixed(7);
    form.querySelector("[name=lat]").value = Number(lat).toFixed(7);
    form.querySelector("[name=crs]").value = crs || "wgs84";
    var status = form.querySelector("[data-geo-status]");
    if (status) {
      status.textContent = (how || word("chosen", "Location chosen")) + word("separator", ": ") + Number(lng).toFixed(5) + ", " + Number(lat).toFixed(5);
      status.dataset.state = "found";
    }
    var map = window.portalMaps[form.id];
    if (map && (crs || "wgs84") === "wgs84") { map.mark(lng, lat); }
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function say(form, text, state) {
    var status = form.querySelector("[data-geo-status]");
    if (status) { status.textContent = text; status.dataset.state = state || ""; }
  }

  function drawMap(el) {
    var form = document.getElementById(el.dataset.form);
    if (!form || !window.wanggeMap) { return; }
    var input = document.querySelector("[data-map-search]"), list = document.querySelector("[data-map-results]");
    var lng = form.querySelector("[name=lng]").value, lat = form.querySelector("[name=lat]").value;
    var wgs = form.querySelector("[name=crs]").value === "wgs84";
    var map = window.wanggeMap(el, {
      outlinesUrl: el.dataset.outlineUrl, error: word("mapFailed", "The map failed to load."),
      point: lng && lat && wgs ? [Number(lng), Number(lat)] : null,
      pick: function (x, y) { setPoint(form, x, y, "wgs84", word("onMap", "Chosen on the map")); },
      // The portal searches the names of communities and grids, in the page: nothing of the registry is public.
      search: input && list ? { input: input, list: list, url: null } : null
    });
    window.portalMaps[form.id] = {
      map: map.map,
      pixelOf: map.pixelOf,
      setPoint: function (x, y, crs) { setPoint(form, x, y, crs); },
      mark: function (x, y, fly) { map.setPoint(x, y, fly); }
    };
  }

  function inWeChat() { return /MicroMessenger/i.test(navigator.userAgent); }

  function geolocate(form) {
    say(form, word("locating", "Getting your location…"), "waiting");
    // WeChat's JS-SDK is not shipped with the portal (it needs the official account's signature); when a
    // deployment adds and configures it, its GCJ-02 answer is used and labelled as such.
    if (inWeChat() && window.wx && typeof window.wx.getLocation === "function") {
      window.wx.getLocation({
        type: "gcj02",
        success: function (res) { setPoint(form, res.longitude, res.latitude, "gcj02", word("located", "Location found")); },
        fail: function () { browserPosition(form); }
      });
      return;
    }
    browserPosition(form);
  }

  function browserPosition(form) {
    if (!navigator.geolocation) { say(form, word("noLocation", "Cannot get your location."), "failed"); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(form, pos.coords.longitude, pos.coords.latitude, "wgs84", word("located", "Location found"));
      var map = window.portalMaps[form.id];
      if (map) { map.mark(pos.coords.longitude, pos.coords.latitude, true); }  // the map goes there
    }, function () { say(form, word("noLocation", "Cannot get your location."), "failed"); },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  function categories(form) {
    var major = form.querySelector("select[name=major]");
    var minor = form.querySelector("select[name=category]");
    if (!major || !minor) { return; }
    var groups = Array.prototype.slice.call(minor.querySelectorAll("optgroup"));
    var sync = function () {
      groups.forEach(function (g) {
        var show = !major.value || g.label.indexOf(major.value + " ") === 0;
        g.hidden = !show;
        g.disabled = !show;
      });
      var chosen = minor.selectedOptions[0];
      if (chosen && chosen.parentNode.disabled) { minor.value = ""; }
    };
    major.addEventListener("change", sync);
    minor.addEventListener("change", function () {
      var chosen = minor.selectedOptions[0];
      if (chosen && chosen.parentNode.tagName === "OPTGROUP" && !major.value) {
        major.value = chosen.parentNode.label.split(" ")[0];
      }
    });
    sync();
  }

  function contact(form) {
    var box = form.querySelector("[name=anonymous]");
    var fields = form.querySelector("[data-contact]");
    if (!box || !fields) { return; }
    var sync = function () { fields.hidden = box.checked; };
    box.addEventListener("change", sync);
    sync();
  }

  // A deferred script runs once the page is parsed: the map is drawn at once, not after the scripts that come
  // later in the page (htmx) have arrived too, which DOMContentLoaded would wait for.
  function drawMaps() { document.querySelectorAll("[data-portal-map]").forEach(drawMap); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", drawMaps); } else { drawMaps(); }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-geolocate]").forEach(function (button) {
      var form = document.getElementById(button.dataset.geolocate);
      if (form) { button.addEventListener("click", function () { geolocate(form); }); }
    });
    document.querySelectorAll("[data-report-form]").forEach(function (form) { categories(form); contact(form); });
  });
})();
