// socialinzen broadcasts page: the new broadcast's live target count. The server renders the count of the
// target chosen when the page loads; with this file the count follows the operator's changes (all, a tag,
// an openid list) through /apis/broadcasts/targetCount. Without it the page works the same, less live.
(function () {
  "use strict";
  var form = document.getElementById("bc-form");
  var out = document.getElementById("bc-reach-n");
  if (!form || !out || !window.fetch) return;
  var appid = (form.querySelector("input[name=appid]") || {}).value || "";
  var seq = 0, timer = null;

  function target() {
    var chosen = form.querySelector("input[name=target]:checked");
    switch (chosen ? chosen.value : "all") {
      case "tag":
        var tag = form.querySelector("select[name=tagId]");
        if (!tag || tag.value === "") return null;
        return { tagId: Number(tag.value) };
      case "openids":
        var ids = (form.querySelector("textarea[name=openids]") || {}).value || "";
        var list = ids.split(/[\s,]+/).filter(function (s) { return s !== ""; });
        if (list.length === 0) return null;
        return { openids: list };
    }
    return { all: true };
  }

  function update() {
    timer = null;
    var t = target();
    var mine = ++seq;
    if (!t) { out.textContent = "0"; return; }
    fetch("/apis/broadcasts/targetCount", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ appid: appid, target: t })
    }).then(function (r) { return r.json(); }).then(function (a) {
      if (mine !== seq) return; // an older answer than the one shown
      out.textContent = a && a.errcode === 0 ? String(a.count) : "?";
      if (a && a.errcode !== 0 && a.msg) out.title = a.msg; else out.removeAttribute("title");
    }).catch(function () { if (mine === seq) out.textContent = "?"; });
  }

  function later(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(update, ms);
  }

  form.addEventListener("change", function (e) {
    var n = e.target && e.target.name;
    if (n === "target" || n === "tagId" || n === "openids") later(0);
  });
  form.addEventListener("input", function (e) {
    if (e.target && e.target.name === "openids") later(300);
  });
  // Choosing a tag or typing openids also chooses that target, as an operator means it.
  ["tagId", "openids"].forEach(function (name) {
    var el = form.querySelector("[name=" + name + "]");
    if (!el) return;
    el.addEventListener("focus", function () {
      var radio = form.querySelector("input[name=target][value=" + (name === "tagId" ? "tag" : "openids") + "]");
      if (radio && !radio.checked) { radio.checked = true; later(0); }
    });
  });
})();
