/* Forms sent with a progress bar and one submit at a time (docs/architecture.md, "Reports on a weak network").
 *
 * A [data-submit-progress] box (templates/core/_submit_progress.html) marks its form (the closest form, or the
 * one named by data-for-form) and holds the bar, the texts (data-msg-*) and the message line. Its form is sent by
 * XHR, for the bytes sent: the bar and "1.2 MB of 3.4 MB (35%)"; the submit buttons wait until the answer.
 * The answer is followed as a normal submit would: a redirect (which the server turns into 204 +
 * X-Wangge-Redirect for this script, core.middleware.ScriptedSubmitMiddleware) is gone to; anything else (the
 * form again with its errors, a refusal) replaces the page. On a network failure nothing is lost: the form
 * stays as it was, a message says so, and submitting again sends the same form with the same one-time key (a
 * gateway's 502/503/504 counts as a network failure).
 * Before that, the form gets a cancelable "wangge:submit-failed" event ({reason: "network" | "login"}):
 * offline.js keeps a report on the phone instead. After a redirect it gets "wangge:submitted" ({url, waitFor}).
 * A 403 (the CSRF token went stale: logged in again elsewhere) is tried once more with a fresh token.
 * The photos chosen for a form the server refused are put back into its file input on the answer's page
 * (the portal's and the case page's forms; the staff report lists what the server kept instead).
 * Without this script (or XHR) the form submits as it always did.
 */
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !window.FormData || !window.CustomEvent) { return; }

  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }

  // A form refused by the server comes back as a new document (show): the photos chosen for it are handed over
  // to it (the window and its variables outlive document.open), where the server does not list them as kept.
  function identity(form) {
    var key = form.querySelector("[name=submission_key]");
    return form.getAttribute("action") + "|" + (form.dataset.action || "") + "|" + (key ? key.value : "");
  }
  function carry(form) {
    var files = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file][name]"), function (input) {
      if (input.files && input.files.length) { files.push({ name: input.name, files: Array.prototype.slice.call(input.files) }); }
    });
    window.wanggeCarriedFiles = files.length ? { form: identity(form), files: files } : null;
  }
  function takeCarried(form) {
    var carried = window.wanggeCarriedFiles;
    if (!carried || carried.form !== identity(form) || !window.DataTransfer) { return; }
    window.wanggeCarriedFiles = null;
    if (form.querySelector("#kept-photos")) { return; }  // the staff report lists what the server kept
    carried.files.forEach(function (group) {
      var input = form.querySelector("input[type=file][name=" + group.name + "]");
      if (!input || (input.files && input.files.length)) { return; }
      var transfer = new DataTransfer();
      group.files.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;
      input.dataset.restored = String(group.files.length);
    });
  }

  function enhance(box) {
    var form = box.dataset.forForm ? document.getElementById(box.dataset.forForm) : box.closest("form");
    if (!form || form.dataset.submitEnhanced) { return; }
    form.dataset.submitEnhanced = "1";
    if (!form.contains(box)) { form.appendChild(box); }  // under the submit button, inside the form's card
    takeCarried(form);
    var msg = box.dataset, bar = box.querySelector("progress"), text = box.querySelector("[data-submit-text]");
    var note = box.querySelector("[data-submit-note]"), meter = box.querySelector("[data-submit-meter]");
    var sending = false;

    function buttons() { return form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])"); }
    function busy(on) {
      Array.prototype.forEach.call(buttons(), function (b) {
        b.disabled = on;
        if (on) { b.setAttribute("aria-busy", "true"); } else { b.removeAttribute("aria-busy"); b.classList.remove("is-busy"); }
      });
    }
    function say(message, kind, link) {
      note.textContent = message || "";
      note.className = "submit-note" + (kind ? " is-" + kind : "");
      note.hidden = !message;
      if (link) {
        var a = document.createElement("a");
        a.href = link.href; a.textContent = link.text; a.target = "_blank"; a.rel = "noopener";
        note.appendChild(document.createTextNode(" ")); note.appendChild(a);
      }
    }
    function progress(loaded, total) {
      meter.hidden = false;
      bar.max = total || 1; bar.value = loaded;
      var percent = total ? Math.round(loaded * 100 / total) : 0;
      text.textContent = fill(msg.msgProgress, { sent: size(loaded), total: size(total), percent: percent + "%" });
    }
    function done() {
      sending = false;
      form.dataset.sending = "";  // case_report.js's own guard: the form may be sent again
      meter.hidden = true;
      busy(false);
    }
    function failed(reason, login) {
      done();
      var event = new CustomEvent("wangge:submit-failed", { cancelable: true, detail: { reason: reason, login: login } });
      form.dispatchEvent(event);
      if (event.defaultPrevented) { return; }
      if (reason === "login") {
        say(msg.msgLogin, "error", { href: login, text: msg.msgLoginLink });
      } else {
        say(msg.msgNetwork, "error");
      }
    }
    function show(html) {
      carry(form);
      document.open();
      document.write(html);
      document.close();
    }
    function freshToken() {
      return fetch(msg.checkUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) { return answer && answer.csrf_token; }, function () { return null; });
    }
    function send(submitter, retried) {
      var data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Wangge-Submit", "1");
      xhr.upload.addEventListener("progress", function (e) { progress(e.loaded, e.lengthComputable ? e.total : 0); });
      xhr.upload.addEventListener("load", function () { text.textContent = msg.msgWaiting; });
      xhr.addEventListener("load", function () {
        var target = xhr.getResponseHeader("X-Wangge-Redirect");
        if (xhr.status === 204 && target) {
          if (xhr.getResponseHeader("X-Wangge-Login")) { failed("login", target); return; }
          // Listeners may finish something first (offline.js forgets the report it kept): detail.waitFor(promise).
          var pending = [];
          form.dispatchEvent(new CustomEvent("wangge:submitted", { detail: { url: target, waitFor: function (p) {
            pending.push(p);
          } } }));
          text.textContent = msg.msgDone;
          var go = function () { window.location.assign(target); };
          Promise.race([Promise.all(pending), new Promise(function (resolve) { window.setTimeout(resolve, 2000); })])
            .then(go, go);
          return;
        }
        if (xhr.status === 502 || xhr.status === 503 || xhr.status === 504) {
          failed("network");  // a gateway gave up on the way (a proxy's time-out): as good as no network
          return;
        }
        if (xhr.status === 403 && !retried && msg.checkUrl) {
          var input = form.querySelector("[name=csrfmiddlewaretoken]");
          freshToken().then(function (token) {
            if (token && input && token !== input.value) { input.value = token; send(submitter, true); } else { show(xhr.responseText); }
          });
          return;
        }
        show(xhr.responseText);
      });
      xhr.addEventListener("error", function () { failed("network"); });
      xhr.addEventListener("abort", function () { failed("network"); });
      progress(0, 0);
      text.textContent = msg.msgStarting;
      xhr.send(data);  // (a network that is certainly down may fail it at once)
    }

    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      event.preventDefault();
      if (sending) { return; }  // a second tap while the first is on its way
      sending = true;
      say("");
      busy(true);
      if (navigator.onLine === false) { failed("network"); return; }  // certainly offline: no need to try
      send(event.submitter, false);
    });
    window.addEventListener("pageshow", function (event) { if (event.persisted) { done(); } });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-submit-progress]"), enhance);
}());
