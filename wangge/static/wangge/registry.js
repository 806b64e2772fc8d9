/* Registry pages: a few small helpers; every page works without them.
 *
 * [data-geolocate] form   fills the hidden lng/lat inputs from the phone's position
 *                         (the browser's Geolocation API answers in WGS-84, so crs stays "wgs84").
 * #household-form         adds and removes household member rows (a Django formset), and shows
 *                         the new-house fields only when "a new house" is chosen.
 */
(function () {
  "use strict";

  function geolocate(form) {
    var status = form.querySelector("[data-geo-status]");
    var labels = form.querySelector("[data-geo-labels]");
    var say = function (key, metres) {
      if (!status || !labels) { return; }
      status.textContent = (labels.dataset[key] || "").replace("{m}", metres == null ? "" : Math.round(metres));
      status.dataset.state = key;
    };
    if (!navigator.geolocation) { say("failed"); return; }
    say("waiting");
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("[name=lng]").value = pos.coords.longitude.toFixed(7);
      form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(7);
      form.querySelector("[name=crs]").value = "wgs84";
      say("found", pos.coords.accuracy);
    }, function () { say("failed"); }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  function members(form) {
    var box = document.getElementById("members");
    var template = document.getElementById("member-template");
    var add = form.querySelector("[data-add-member]");
    if (!box || !template || !add) { return; }
    var prefix = box.dataset.prefix;
    var total = form.querySelector("[name=" + prefix + "-TOTAL_FORMS]");
    var max = parseInt((form.querySelector("[name=" + prefix + "-MAX_NUM_FORMS]") || {}).value || "12", 10);
    var pattern = new RegExp(prefix + "-(\\d+|__prefix__)-", "g");

    function renumber() {
      var rows = box.querySelectorAll("[data-member]");
      rows.forEach(function (row, i) {
        row.querySelectorAll("[name],[id],[for],[aria-describedby]").forEach(function (el) {
          ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
            var v = el.getAttribute(attr);
            if (v) { el.setAttribute(attr, v.replace(pattern, prefix + "-" + i + "-")); }
          });
        });
        var number = row.querySelector("[data-member-number]");
        if (number) { number.textContent = i + 1; }
      });
      total.value = rows.length;
      add.disabled = rows.length >= max;
    }

    add.addEventListener("click", function () {
      var row = template.content.firstElementChild.cloneNode(true);
      box.appendChild(row);
      renumber();
      var first = row.querySelector("input");
      if (first) { first.focus(); }
    });
    box.addEventListener("click", function (e) {
      var button = e.target.closest("[data-remove-member]");
      if (!button) { return; }
      button.closest("[data-member]").remove();
      renumber();
    });
  }

  function houseChoice(form) {
    var box = form.querySelector("[data-house-choice]");
    if (!box) { return; }
    var select = box.querySelector("select[name$=house]");
    var fields = box.querySelector("[data-new-house]");
    if (!select || !fields) { return; }
    var sync = function () { fields.hidden = select.value !== "new"; };
    select.addEventListener("change", sync);
    sync();
  }

  function start() {
    document.querySelectorAll("form[data-geolocate]").forEach(geolocate);
    var household = document.getElementById("household-form");
    if (household) {
      members(household);
      houseChoice(household);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
