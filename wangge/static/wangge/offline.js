/* A report written without a network is kept on this phone and sent when the network returns (the staff and
 * the portal report pages; templates/core/_offline_report.html holds the words and the list; docs/guide).
 *
 * - registers the service worker (sw.js, scope: this page) that keeps the page and what it loads, so the form
 *   opens offline; on the copy kept offline (html[data-offline-copy]) the form gets a new one-time key and the
 *   page says it is offline;
 * - when submit.js cannot send the form (no network, or the session ended), keeps it in IndexedDB
 *   (offline_queue.js: its fields, its shrunk photos, its one-time key), says so and lists what waits here;
 * - sends what waits on the "online" event, on each load of this page, on a Background Sync (the service
 *   worker) and on "Send now"; the same key means the server never makes the case twice;
 * - what the server refused comes back here to be fixed ("Fix": its answer, the form with the errors, and the
 *   photos put back); what needs a log-in says so and keeps the report.
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-offline-report]");
  var queue = window.wanggeQueue;
  if (!box || !queue || !window.indexedDB) { return; }
  var form = document.getElementById(box.dataset.forForm);
  if (!form) { return; }
  var msg = box.dataset, list = box.querySelector("[data-queue-list]"), section = box.querySelector("[data-queue]");
  var heading = box.querySelector("[data-queue-heading]"), notice = box.querySelector("[data-offline-notice]");
  var keyInput = form.querySelector("[name=submission_key]");
  var page = window.location.pathname;
  form.parentNode.insertBefore(box, form);  // what waits on the phone is the first thing seen

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }
  function mine(entry) { return entry.page === page && entry.owner === msg.owner; }

  // ------------------------------------------------------------------ the copy kept offline
  if (document.documentElement.dataset.offlineCopy) {
    if (keyInput) { keyInput.value = newKey(); }  // the kept copy's key may have been used already
    Array.prototype.forEach.call(document.querySelectorAll(".messages"), function (el) { el.hidden = true; });
    notice.hidden = false;
  }

  // ------------------------------------------------------------------ the list of reports on this phone
  function item(entry) {
    var li = document.createElement("li");
    li.className = "queue-item is-" + entry.status;
    li.dataset.status = entry.status;
    var title = document.createElement("strong");
    title.textContent = entry.title || msg.msgUntitled;
    li.appendChild(title);
    var state = document.createElement("span");
    state.className = "queue-state";
    var when = new Date(entry.created).toLocaleString(document.documentElement.lang || undefined,
      { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
    var photos = (entry.files || []).length;
    var words = { waiting: photos ? msg.msgWaiting : msg.msgWaitingBare, login: msg.msgNeedsLogin, refused: msg.msgRefused, sent: msg.msgSent };
    state.textContent = fill(words[entry.status] || msg.msgWaiting, { when: when, photos: photos });
    li.appendChild(state);
    var actions = document.createElement("span");
    actions.className = "queue-actions";
    function button(label, handler, kind) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "btn btn-small " + (kind || "btn-secondary"); b.textContent = label;
      b.addEventListener("click", handler);
      actions.appendChild(b);
    }
    if (entry.status === "sent") {
      var a = document.createElement("a");
      a.href = entry.result; a.className = "btn btn-small btn-primary"; a.textContent = msg.msgOpen;
      actions.appendChild(a);
      button(msg.msgDismiss, function () { queue.remove(entry.id).then(render); });
    } else {
      if (entry.status === "refused") { button(msg.msgFix, function () { fix(entry); }, "btn-primary"); }
      if (entry.status === "login") {
        var login = document.createElement("a");
        login.href = msg.loginUrl; login.className = "btn btn-small btn-primary"; login.textContent = msg.msgLogIn;
        actions.appendChild(login);
      }
      button(msg.msgDelete, function () {
        if (window.confirm(msg.msgConfirmDelete)) { queue.remove(entry.id).then(render); }
      });
    }
    li.appendChild(actions);
    return li;
  }

  function render() {
    return queue.all().then(function (entries) {
      entries = entries.filter(mine).sort(function (a, b) { return a.created - b.created; });
      var open = entries.filter(function (e) { return e.status !== "sent"; }).length;
      list.textContent = "";
      entries.forEach(function (e) { list.appendChild(item(e)); });
      section.hidden = entries.length === 0;
      section.dataset.count = String(open);
      heading.textContent = fill(msg.msgHeading, { count: open });
      var sendNow = box.querySelector("[data-send-now]");
      sendNow.hidden = !entries.some(function (e) { return e.status === "waiting"; });  // "login": its own link
    });
  }

  // ------------------------------------------------------------------ keeping a report
  function keep(status) {
    var data = new FormData(form), fields = [], files = [];
    data.forEach(function (value, name) {
      if (typeof value === "string") {
        if (name !== "csrfmiddlewaretoken") { fields.push([name, value]); }
      } else if (value && value.size) {
        files.push({ field: name, name: value.name, blob: value });
      }
    });
    var key = keyInput.value || newKey();
    var entry = { id: key, key: key, url: form.action, checkUrl: msg.checkUrl, page: page, owner: msg.owner,
                  title: (form.querySelector("[name=title]") || {}).value || "", fields: fields, files: files,
                  created: Date.now(), status: status, claimedUntil: 0 };
    return queue.put(entry).then(function () { return entry; });
  }

  // The form is kept: empty it for the next report, with a new key. The point stays (as the map shows it): the
  // next report is most often nearby.
  function clear() {
    form.reset();
    var kept = document.getElementById("kept-photos");
    if (kept) { kept.parentNode.removeChild(kept); }
    keyInput.value = newKey();
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function say(text, kind) {
    var note = box.querySelector("[data-offline-note]");
    note.textContent = text;
    note.className = "offline-note alert alert-" + (kind || "ok");
    note.hidden = !text;
  }

  form.addEventListener("wangge:submit-failed", function (event) {
    if (!keyInput) { return; }
    event.preventDefault();
    var login = event.detail.reason === "login";
    keep(login ? "login" : "waiting").then(function () {
      clear();
      say(login ? msg.msgKeptLogin : msg.msgKept, login ? "warn" : "ok");
      return render();
    }).then(function () {
      box.scrollIntoView({ block: "start" });
      askForSync();
    }, function () {
      say(msg.msgNotKept, "error");  // no room on the phone (or private mode): the form itself is still filled in
    });
  });

  // A report sent by a normal submit after all (e.g. after fixing it): no longer waiting here.
  form.addEventListener("wangge:submitted", function (event) {
    if (keyInput && keyInput.value) { event.detail.waitFor(queue.forgetKey(keyInput.value)); }
  });

  // ------------------------------------------------------------------ fixing a refused report
  var FIXING = "wangge-fixing";
  function fix(entry) {
    try { window.sessionStorage.setItem(FIXING, entry.id); } catch (e) { /* the photos are then chosen again */ }
    document.open();
    document.write(entry.html);
    document.close();
  }
  function restorePhotos() {
    var id = null;
    try { id = window.sessionStorage.getItem(FIXING); window.sessionStorage.removeItem(FIXING); } catch (e) { return; }
    if (!id || !keyInput || keyInput.value !== id) { return; }
    queue.get(id).then(function (entry) {
      var input = form.querySelector("input[type=file][name=photos]");
      // Staff forms list the photos the server kept from that attempt; the portal's need them again.
      if (!entry || !input || !window.DataTransfer || document.getElementById("kept-photos") || !entry.files.length) { return; }
      var transfer = new DataTransfer();
      entry.files.forEach(function (f) { transfer.items.add(new File([f.blob], f.name, { type: f.blob.type })); });
      input.files = transfer.files;
      input.dataset.restored = String(entry.files.length);
    });
  }

  // ------------------------------------------------------------------ sending what waits
  var sendingNow = false, retry = null, retryDelay = 5000;
  // The "online" event can come before the network really answers (a weak signal): while reports still wait
  // and the phone believes it is online, try again, a little less often each time (at most every 2 minutes).
  function later() {
    if (retry || navigator.onLine === false) { return; }
    retry = window.setTimeout(function () { retry = null; sendNow(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 120000);
  }
  function sendNow() {
    if (sendingNow || navigator.onLine === false) { return Promise.resolve(); }
    sendingNow = true;
    return queue.sendAll().then(function (counts) {
      sendingNow = false;
      if (counts.waiting) { later(); } else { retryDelay = 5000; }
      if (counts.sent) { say(fill(msg.msgSentNow, { count: counts.sent }), "ok"); }
      else if (counts.refused) { say(msg.msgRefusedNow, "error"); }
      else if (counts.login) { say(msg.msgKeptLogin, "warn"); }
      return render();
    }, function () { sendingNow = false; return render(); });
  }
  function askForSync() {
    if (!navigator.serviceWorker) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register("wangge-reports"); }
      return null;
    }).catch(function () { /* no Background Sync: the online event and the next visit send it */ });
  }
  box.querySelector("[data-send-now]").addEventListener("click", sendNow);
  window.addEventListener("online", function () { notice.hidden = true; sendNow(); });

  // ------------------------------------------------------------------ the service worker
  function register() {
    if (!navigator.serviceWorker || !msg.swUrl) { return; }
    var controlled = !!navigator.serviceWorker.controller;  // then the worker kept this page as it was loaded
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "queue-changed") { render(); }
    });
    navigator.serviceWorker.register(msg.swUrl, { scope: msg.swScope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // Keep this page and what it loaded for the next time there is no network: a fresh form only (the form
      // with errors is a POST's answer; asking for the page again would drop the photos the server holds).
      if (controlled || document.documentElement.dataset.offlineCopy || form.querySelector("[role=alert]") ||
          navigator.onLine === false || !registration.active) { return; }
      var urls = (performance.getEntriesByType ? performance.getEntriesByType("resource") : [])
        .map(function (r) { return r.name; });
      registration.active.postMessage({ type: "cache", page: window.location.pathname, urls: urls });
    }).catch(function () { /* not a secure context, or refused: the queue still works while the page is open */ });
  }

  restorePhotos();
  register();
  render().then(function () { if (navigator.onLine !== false) { sendNow(); } });
  window.wanggeOffline = { render: render, sendNow: sendNow };
}());
