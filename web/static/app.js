// socialinzen console: progressive enhancement only. Every form works without this file; it adds the chat
// simulator, live progress bars, upload progress and small conveniences.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Account switcher: choosing an account reloads the page for it.
  $all("select.autosubmit").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });

  // Copy buttons: <button data-copy="#id">.
  $all("[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = $(b.getAttribute("data-copy"));
      if (!el) return;
      var text = el.value !== undefined ? el.value : el.textContent;
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { b.textContent = b.getAttribute("data-done") || "✓"; });
    });
  });

  // Confirmation for destructive forms: <form data-confirm="...">.
  $all("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });

  // Chat simulator: sends the message through the real callback path (the server signs and, for safe-mode
  // accounts, encrypts it) and shows the reply as a follower would see it.
  var sim = $("#simulator-form");
  if (sim) {
    sim.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = $("#sim-content", sim);
      // An event (subscribe, CLICK) has no text: the bubble shows the event and its key instead.
      var ev = $("#sim-event", sim), key = $("#sim-eventKey", sim);
      var text = ev && ev.value ? ev.value + (ev.value === "CLICK" && key ? " " + key.value : "") : input.value;
      if (!text) return;
      var log = $("#chat");
      var me = document.createElement("div");
      me.className = "bubble me";
      me.textContent = text;
      log.appendChild(me);
      var body = new FormData(sim);
      input.value = "";
      fetch(sim.action, { method: "POST", body: body, headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (res) { showReply(log, res); })
        .catch(function () { showReply(log, { error: sim.getAttribute("data-failed") }); });
    });
  }

  function showReply(log, res) {
    var b = document.createElement("div");
    b.className = "bubble them";
    b.setAttribute("data-testid", "sim-reply");
    if (res.error) {
      b.textContent = res.error;
    } else if (!res.reply) {
      b.className += " muted";
      b.textContent = res.none || "(no reply)";
    } else {
      var r = res.reply, kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = res.kind || r.MsgType || r.msgType || "";
      b.appendChild(kind);
      var body = document.createElement("span");
      body.className = "text";
      if ((r.MsgType || r.msgType) === "text") body.textContent = r.Content || r.content;
      else if (r.Articles || r.articles) body.textContent = (r.Articles || r.articles).map(function (a) { return (a.Title || a.title) + " — " + (a.URL || a.url || ""); }).join("\n");
      else body.textContent = r.Title || r.title || r.MediaID || r.mediaId || "";
      b.appendChild(body);
    }
    log.appendChild(b);
    log.scrollTop = log.scrollHeight;
  }

  // Live progress: <div data-progress-url="/console/followers/sync/status?appid=..."> with a <progress> and
  // an output. Polls until the state is done or failed, then reloads to show the new data.
  $all("[data-progress-url]").forEach(function (box) {
    var url = box.getAttribute("data-progress-url");
    var bar = $("progress", box), out = $("output", box);
    // A short job may end before the first poll: what the server rendered counts as the last state seen.
    box.setAttribute("data-was", box.getAttribute("data-state") || "");
    function tick() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.total) { bar.max = s.total; bar.value = s.done; }
          out.textContent = (s.label || s.state) + " " + s.done + " / " + s.total;
          box.setAttribute("data-state", s.state);
          if (s.state === "running") setTimeout(tick, 500);
          else if (box.getAttribute("data-was") === "running") window.location.reload();
          box.setAttribute("data-was", s.state);
        })
        .catch(function () { setTimeout(tick, 2000); });
    }
    tick();
  });

  // Upload progress: forms with data-upload show a progress bar while the file travels.
  $all("form[data-upload]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.XMLHttpRequest || !window.FormData) return;
      e.preventDefault();
      var bar = $("progress", f), out = $("output", f);
      bar.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", f.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-Upload", "1");
      xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) { bar.max = ev.total; bar.value = ev.loaded; out.textContent = Math.round(100 * ev.loaded / ev.total) + "%"; } };
      xhr.onload = function () {
        var next = window.location.href;
        try { next = JSON.parse(xhr.responseText).location || next; } catch (err) { /* keep the page */ }
        window.location.href = next;
      };
      xhr.onerror = function () { out.textContent = f.getAttribute("data-failed") || "failed"; };
      xhr.send(new FormData(f));
    });
  });

  // Forms that depend on a choice: fields marked data-types (reply type), data-kinds (material type) or
  // data-events (simulator event) show only for the values they list. Without script every field shows.
  [["[data-type-select]", "data-types"], ["[data-kind-select]", "data-kinds"], ["#sim-event", "data-events"]].forEach(function (pair) {
    $all(pair[0]).forEach(function (sel) {
      function sync() {
        $all("[" + pair[1] + "]", sel.form).forEach(function (el) {
          el.hidden = el.getAttribute(pair[1]).split(" ").indexOf(sel.value) < 0;
        });
      }
      sel.addEventListener("change", sync);
      sync();
    });
  });

  // Menu editor: the phone preview follows the names of the top buttons as they are typed.
  $all("input[data-preview]").forEach(function (input) {
    input.addEventListener("input", function () {
      var label = $('[data-preview-of="' + input.getAttribute("data-preview") + '"] .pname');
      if (label) label.textContent = input.value;
    });
  });
})();
