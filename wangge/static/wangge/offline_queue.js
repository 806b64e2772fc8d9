/* Reports kept on this phone until the network returns (IndexedDB "wangge-offline", store "reports"), and
 * sending them. Used by the report pages (offline.js) and by the service worker (sw.js, importScripts): no DOM.
 *
 * An entry: {id: its submission key, key, url: where the form posts, checkUrl, page: the form's path, owner
 * ("user:<id>" or "portal"), ownerName, title, fields: [[name, value]], files: [{field, name, blob}], created,
 * status: "waiting" | "login" (the session ended: log in again) | "refused" (the server said what is wrong:
 * html is its answer, for the user to fix) | "sent" (result: the page the server answered with)}.
 *
 * Sending: first a GET of checkUrl (a fresh CSRF token and who is logged in), then the form's POST with the
 * same submission key as when it was kept, so a report whose answer was lost is never made twice.
 */
(function (root) {
  "use strict";
  var DB = "wangge-offline", STORE = "reports", CLAIM_MS = 120000;

  function open() {
    return new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // One transaction: work(store, out) queues requests and may set out.value; resolves when it is committed.
  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out = {};
        work(t.objectStore(STORE), out);
        t.oncomplete = function () { db.close(); resolve(out.value); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() {
    return run("readonly", function (store, out) {
      var r = store.getAll();
      r.onsuccess = function () { out.value = r.result || []; };
    });
  }
  function get(id) {
    return run("readonly", function (store, out) {
      var r = store.get(id);
      r.onsuccess = function () { out.value = r.result || null; };
    });
  }
  function put(entry) { return run("readwrite", function (store) { store.put(entry); }); }
  function remove(id) { return run("readwrite", function (store) { store.delete(id); }); }
  // Change an entry in one transaction (changes(entry) edits it; returning false leaves it as it was).
  function update(id, changes) {
    return run("readwrite", function (store, out) {
      var r = store.get(id);
      r.onsuccess = function () {
        var entry = r.result;
        if (!entry || changes(entry) === false) { out.value = null; return; }
        store.put(entry);
        out.value = entry;
      };
    });
  }

  // Claim an entry for sending: a page and the service worker may both try; one of them gets it.
  function claim(id) {
    var now = Date.now();
    return update(id, function (entry) {
      if ((entry.status !== "waiting" && entry.status !== "login") || (entry.claimedUntil || 0) > now) { return false; }
      entry.claimedUntil = now + CLAIM_MS;
    });
  }

  function body(entry, token) {
    var data = new FormData();
    entry.fields.forEach(function (pair) {
      if (pair[0] !== "csrfmiddlewaretoken") { data.append(pair[0], pair[1]); }
    });
    data.append("csrfmiddlewaretoken", token);
    (entry.files || []).forEach(function (f) { data.append(f.field, f.blob, f.name); });
    return data;
  }

  function settle(entry, changes) {
    return update(entry.id, function (e) {
      Object.keys(changes).forEach(function (k) { e[k] = changes[k]; });
      e.claimedUntil = 0;
    }).then(function () { return changes.status; });
  }

  // Send one claimed entry; resolves to its new status ("waiting" again when the network failed).
  function sendOne(entry, check) {
    if (entry.owner !== "portal" && entry.owner !== check.owner) {
      return settle(entry, { status: "login" });
    }
    return fetch(entry.url, { method: "POST", body: body(entry, check.csrf_token), credentials: "same-origin",
                              headers: { "X-Wangge-Submit": "1" } })
      .then(function (r) {
        var target = r.headers.get("X-Wangge-Redirect");
        if (r.status === 204 && target) {
          if (r.headers.get("X-Wangge-Login")) { return settle(entry, { status: "login" }); }
          return settle(entry, { status: "sent", result: target, sentAt: Date.now(), fields: [], files: [],
                                 html: "" });
        }
        if (r.status >= 500 || r.status === 429 || r.status === 408) {
          return settle(entry, { status: "waiting", lastStatus: r.status });
        }
        return r.text().then(function (html) {
          return settle(entry, { status: "refused", html: html, lastStatus: r.status });
        });
      }, function () { return settle(entry, { status: "waiting" }); });
  }

  // Send every entry waiting (or waiting for a log-in), one after another. Resolves to counts by status.
  function sendAll() {
    var counts = { sent: 0, refused: 0, login: 0, waiting: 0 };
    return all().then(function (entries) {
      var due = entries.filter(function (e) { return e.status === "waiting" || e.status === "login"; });
      var checks = {};
      return due.reduce(function (previous, entry) {
        return previous.then(function () {
          return claim(entry.id).then(function (claimed) {
            if (!claimed) { return null; }
            var check = checks[claimed.checkUrl] || (checks[claimed.checkUrl] =
              fetch(claimed.checkUrl, { credentials: "same-origin", cache: "no-store" })
                .then(function (r) { if (!r.ok) { throw new Error("check " + r.status); } return r.json(); }));
            return check.then(function (answer) { return sendOne(claimed, answer); },
                              function () { return settle(claimed, { status: "waiting" }); })
              .then(function (status) { counts[status] = (counts[status] || 0) + 1; });
          });
        });
      }, Promise.resolve());
    }).then(function () { return counts; });
  }

  // Entries with this submission key (the report was sent after all, by a normal submit): gone.
  function forgetKey(key) {
    return all().then(function (entries) {
      return Promise.all(entries.filter(function (e) { return e.key === key; })
        .map(function (e) { return remove(e.id); }));
    });
  }

  root.wanggeQueue = { all: all, get: get, put: put, remove: remove, update: update, sendAll: sendAll,
                       forgetKey: forgetKey };
}(self));
