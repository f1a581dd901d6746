// socialinzen conversations page: live updates. Without this file the page works by reloading; with it the
// list and the open conversation follow /apis/wxplatform/events (Server-Sent Events), the conversation is
// marked read while it is on screen, and the follower sees "typing…" while the operator writes.
(function () {
  "use strict";
  var root = document.getElementById("conversations");
  if (!root || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var appid = root.getAttribute("data-appid");
  var openid = root.getAttribute("data-openid") || "";
  var status = document.getElementById("live-status");

  function api(name, body) {
    body.appid = appid;
    return fetch("/apis/wxplatform/" + name, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).catch(function () { /* best effort */ });
  }

  function scrollDown() {
    var tl = document.getElementById("timeline");
    if (tl) tl.scrollTop = tl.scrollHeight;
  }

  // refresh fetches this page again and swaps the parts that change; the composer keeps what is typed.
  var timer = null, running = false, again = false;
  function refresh() {
    if (timer) return;
    timer = setTimeout(function () {
      timer = null;
      if (running) { again = true; return; }
      running = true;
      fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var tl = document.getElementById("timeline");
          var atBottom = !tl || tl.scrollTop + tl.clientHeight >= tl.scrollHeight - 40;
          ["conv-items", "timeline", "window", "thread-tools"].forEach(function (id) {
            var mine = document.getElementById(id), theirs = doc.getElementById(id);
            if (mine && theirs) mine.replaceWith(theirs);
          });
          if (atBottom) scrollDown();
        })
        .catch(function () { /* the next event or a reload will do */ })
        .then(function () {
          running = false;
          if (again) { again = false; refresh(); }
        });
    }, 80);
  }

  function markReadIfSeen() {
    if (openid && document.visibilityState === "visible") {
      api("markRead", { openid: openid });
    }
  }

  var es = new EventSource("/apis/wxplatform/events?appid=" + encodeURIComponent(appid));
  es.addEventListener("open", function () { if (status) status.hidden = false; });
  es.addEventListener("error", function () { if (status) status.hidden = true; });
  es.addEventListener("message", function (e) {
    var d = {};
    try { d = JSON.parse(e.data); } catch (err) { return; }
    if (d.appid !== appid) return;
    refresh();
    if (d.openid === openid && d.message && d.message.direction === "in") markReadIfSeen();
  });
  es.addEventListener("conversation", function (e) {
    var d = {};
    try { d = JSON.parse(e.data); } catch (err) { return; }
    if (d.appid === appid) refresh();
  });

  scrollDown();
  if (openid && Number(root.getAttribute("data-unread") || "0") > 0) markReadIfSeen();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();
  });

  // Typing: at most once every 10 seconds while the operator writes.
  var text = document.getElementById("composer-text"), lastTyping = 0;
  if (text && openid) {
    text.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping < 10000 || !text.value) return;
      lastTyping = now;
      api("typing", { openid: openid });
    });
  }
})();
