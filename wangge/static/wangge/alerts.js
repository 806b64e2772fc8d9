// The alert board refreshes its own list (data-refresh seconds) so that alerts arrive on a centre's wall by
// themselves. Only the first page refreshes: a user paging back through older alerts is not moved.
(function () {
  "use strict";
  var board = document.getElementById("alert-board");
  var rows = document.getElementById("alert-rows");
  if (!board || !rows) return;
  var seconds = parseInt(board.getAttribute("data-refresh"), 10) || 30;
  var paged = /[?&](a_after|a_before|after|before)=/.test(window.location.search);
  var stamp = board.querySelector("[data-refreshed-at]");
  function refresh() {
    if (document.hidden || paged) return;
    fetch(rows.getAttribute("data-rows-url"), {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        rows.innerHTML = html;
        if (stamp) stamp.textContent = new Date().toLocaleTimeString();
        board.dispatchEvent(new CustomEvent("alerts:refreshed"));
      })
      .catch(function () { /* the next round tries again */ });
  }
  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
