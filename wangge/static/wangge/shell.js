/* The staff shell's menu: one dropdown open at a time, closed by a click elsewhere or Escape, and on a phone
 * one "menu" button that shows the whole menu. Without this script the groups still open (they are
 * <details>) and a phone shows the menu unfolded. Loaded in <head> without defer so the "js" class is set
 * before the first paint (no flash of the unfolded phone menu). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setUp() {
    var nav = document.getElementById("mainnav");
    if (!nav) { return; }
    var groups = Array.prototype.slice.call(nav.querySelectorAll("details[data-menu-group]"));
    var toggle = document.querySelector("[data-menu-toggle]");

    function closeGroups(except) {
      groups.forEach(function (g) { if (g !== except) { g.open = false; } });
    }
    function setOpen(open) {
      nav.classList.toggle("is-open", open);
      document.documentElement.classList.toggle("menu-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {  // unfold the group of the page we are on, so its siblings are one tap away
        var current = nav.querySelector("details.is-current");
        if (current) { current.open = true; }
      }
    }

    groups.forEach(function (g) {
      g.addEventListener("toggle", function () { if (g.open) { closeGroups(g); } });
    });
    document.addEventListener("click", function (e) {
      if (!nav.contains(e.target) && (!toggle || !toggle.contains(e.target))) {
        closeGroups(null);
        if (toggle) { setOpen(false); }
      }
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") { return; }
      var open = nav.querySelector("details[open]");
      closeGroups(null);
      if (open) { open.querySelector("summary").focus(); }
      else if (toggle && nav.classList.contains("is-open")) { setOpen(false); toggle.focus(); }
    });
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () { setOpen(!nav.classList.contains("is-open")); });
    }
  }

  // An area picker's step down (areas/_area_picker.html) applies at once: the next level's choices follow.
  document.addEventListener("change", function (e) {
    var select = e.target;
    if (select.matches && select.matches("select[data-auto-submit]") && select.form) {
      if (select.form.requestSubmit) { select.form.requestSubmit(); } else { select.form.submit(); }
    }
  });

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUp); }
  else { setUp(); }
}());
