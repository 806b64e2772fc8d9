{% load static %}/* Wangge's service worker, for the report pages (registered by static/wangge/offline.js with the scope of
 * /cases/report/ or /portal/report/; served by core.views_offline.service_worker). docs/architecture.md,
 * "Reports on a weak network".
 *
 * (a) The report page and what it loads are kept in a cache as they are fetched, so the form opens without a
 *     network: the page network-first (a copy marked data-offline-copy when the network fails), static files
 *     cache-first when their name carries a content hash (ManifestStaticFilesStorage) and network-first
 *     otherwise, and the map's outlines (same-origin .json outside /api/) network-first. Nothing is named here
 *     but the queue script: the page asks for what it loaded ({type: "cache", urls}).
 * (b, c) Reports kept on the phone (offline_queue.js) are sent on a Background Sync ("wangge-reports") or when
 *     a page asks ({type: "send"}); open pages are told ({type: "queue-changed"}).
 */
"use strict";
importScripts("{% static 'wangge/offline_queue.js' %}");

var CACHE = "wangge-offline-v1";
var STATIC_PREFIX = new URL("{% get_static_prefix %}", self.location.origin).pathname;
var HASHED = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/;

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("wangge-offline-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(key, response) {
  if (response && response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
  }
  return response;
}

function cached(key) {
  return caches.open(CACHE).then(function (cache) { return cache.match(key, { ignoreSearch: true }); });
}

function networkFirst(request, key) {
  return fetch(request).then(function (response) { return keep(key, response); }, function (error) {
    return cached(key).then(function (hit) { if (hit) { return hit; } throw error; });
  });
}

// The cached page, marked as the copy kept on this phone (offline.js says so and gives the form a new key).
function offlineCopy(response) {
  return response.text().then(function (html) {
    return new Response(html.replace(/<html\b/, '<html data-offline-copy="1"'),
                        { status: 200, headers: response.headers });
  });
}

function pageKey(url) { return url.origin + url.pathname; }

function scoped(url) {
  return url.pathname.indexOf(new URL(self.registration.scope).pathname) === 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    if (!scoped(url)) { return; }
    var key = pageKey(url);
    event.respondWith(fetch(request).then(function (response) { return keep(key, response); }, function () {
      return cached(key).then(function (hit) { return hit ? offlineCopy(hit) : Response.error(); });
    }));
  } else if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    if (HASHED.test(url.pathname)) {
      event.respondWith(cached(request.url).then(function (hit) {
        return hit || fetch(request).then(function (response) { return keep(request.url, response); });
      }));
    } else {
      event.respondWith(networkFirst(request, request.url));
    }
  } else if (/\.json$/.test(url.pathname) && url.pathname.indexOf("/api/") !== 0) {
    event.respondWith(networkFirst(request, request.url));
  }
});

function tellPages(counts) {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ type: "queue-changed", counts: counts }); });
    return counts;
  });
}

function sendKept() {
  return self.wanggeQueue.sendAll().then(tellPages);
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "wangge-reports") { return; }
  // Still waiting (no network after all): fail, so the browser tries again later.
  event.waitUntil(sendKept().then(function (counts) {
    if (counts.waiting) { throw new Error("still offline"); }
  }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "send") {
    event.waitUntil(sendKept());
  } else if (data.type === "cache" && Array.isArray(data.urls)) {
    // What the page loaded, kept for the next time there is no network: the page itself (data.page, within
    // this scope), static files and the map's outlines; nothing else it asked for (lists, answers of the API).
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      var wanted = data.urls.map(function (raw) { return new URL(raw, self.location.origin); }).filter(function (url) {
        return url.origin === self.location.origin && (url.pathname.indexOf(STATIC_PREFIX) === 0 ||
          (/\.json$/.test(url.pathname) && url.pathname.indexOf("/api/") !== 0));
      });
      var pageUrl = new URL(String(data.page || ""), self.location.origin);
      if (scoped(pageUrl)) { wanted.unshift(pageUrl); }
      return Promise.all(wanted.map(function (url) {
        var key = url === pageUrl ? pageKey(url) : url.href;
        return cache.match(key).then(function (hit) {
          if (hit && HASHED.test(url.pathname)) { return null; }
          return fetch(url.href, { credentials: "same-origin" }).then(function (response) {
            if (response.ok && !response.redirected) { return cache.put(key, response); }
            return null;
          }).catch(function () { return null; });
        });
      }));
    }));
  }
});
