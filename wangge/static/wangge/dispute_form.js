/* 登记纠纷 and 诉前移送 (mediation/_form_js.html): pick the place on the map, add party rows, and take a
 * person or organisation found in the registry. #dispute-form-data carries the map's URL and the texts. */
(function () {
  "use strict";
  var data = document.getElementById("dispute-form-data").dataset;
  var lng = document.getElementById("id_lng"), lat = document.getElementById("id_lat");
  var status = document.getElementById("geo-status");
  if (data.mapUrl) {
    window.wanggeDisputeMap = window.wanggeCaseMap(document.getElementById("pick-map"), {
      url: data.mapUrl, code: data.mapCode, point: window.wanggeFormPoint(lng, lat),
      pick: function (x, y) { lng.value = x; lat.value = y; status.textContent = data.msgPicked + "：" + x + ", " + y; }
    });
  }
  // 添加当事人: a copy of the last row, renumbered and emptied.
  var rows = document.getElementById("party-rows");
  document.getElementById("add-party").addEventListener("click", function () {
    var last = rows.querySelector("[data-party-row]:last-of-type");
    var next = rows.querySelectorAll("[data-party-row]").length;
    if (next >= 20) { return; }
    var copy = last.cloneNode(true), old = last.dataset.partyRow;
    copy.dataset.partyRow = String(next);
    copy.querySelectorAll("[name], [id], [for], [hx-vals]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v && v.indexOf("party-" + old + "-") === 0) {
          el.setAttribute(a, "party-" + next + "-" + v.slice(("party-" + old + "-").length));
        }
      });
      if (el.hasAttribute("hx-vals")) { el.setAttribute("hx-vals", JSON.stringify({ row: String(next) })); }
      if (el.tagName === "INPUT") { el.value = ""; el.readOnly = false; }
    });
    copy.querySelectorAll(".field-error, .party-found > *").forEach(function (el) { el.remove(); });
    copy.querySelector("[data-chosen]").hidden = true;
    rows.appendChild(copy);
    if (window.htmx) { window.htmx.process(copy); }
  });
  // A search result picked: the row becomes that person or organisation.
  rows.addEventListener("click", function (e) {
    var b = e.target.closest("[data-pick-row]");
    if (!b) { return; }
    var row = rows.querySelector("[data-party-row='" + b.dataset.pickRow + "']"), i = b.dataset.pickRow;
    row.querySelector("[name='party-" + i + "-person']").value = b.dataset.kind === "person" ? b.dataset.pk : "";
    row.querySelector("[name='party-" + i + "-organisation']").value =
      b.dataset.kind === "organisation" ? b.dataset.pk : "";
    row.querySelector("[name='party-" + i + "-kind']").value = b.dataset.kind;
    var name = row.querySelector("[name='party-" + i + "-name']");
    name.value = b.dataset.name; name.readOnly = true;
    var chosen = row.querySelector("[data-chosen]");
    chosen.textContent = data.msgChosen + "：" + b.dataset.name; chosen.hidden = false;
    b.closest(".party-found").innerHTML = "";
  });
}());
