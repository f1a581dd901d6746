// socialinzen article editor: progressive enhancement of /console/articles/edit. Without it the editor is
// a form with one HTML textarea per article. With it, each textarea becomes a small rich-text editor: a
// contenteditable area with a toolbar (headings, bold, lists, links, pictures) driven by the browser's own
// editing commands (document.execCommand) — no library, nothing to vendor, and what it produces is plain
// HTML that the server sanitizes on save anyway. Pictures are uploaded with a progress bar to
// /apis/articles/uploadArticleImage and inserted at the caret; a phone-width preview follows every
// keystroke; leaving with unsaved changes asks first; articles can be added up to 8; a publishing job's
// status updates live.
(function () {
  "use strict";

  var form = document.querySelector("form[data-editor]");
  if (!form) return;
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  var max = parseInt(form.getAttribute("data-max"), 10) || 8;
  var list = $("#articles-list", form);
  var preview = $("#preview");
  var dirty = false;
  var lastRange = null, lastEditor = null;

  function markDirty() { dirty = true; schedulePreview(); }
  window.addEventListener("beforeunload", function (e) {
    if (!dirty) return;
    e.preventDefault();
    e.returnValue = form.getAttribute("data-dirty");
    return e.returnValue;
  });

  function sections() { return $all("fieldset.article-editor", list); }
  function isEmpty(fs) {
    var title = $('input[name="title"]', fs).value.trim();
    var rte = $(".rte", fs);
    var html = rte && !rte.hidden ? rte.innerHTML : $("textarea.content-source", fs).value;
    return title === "" && html.replace(/<[^>]*>/g, "").trim() === "" && html.indexOf("<img") < 0;
  }

  // Each article: the editor replaces the textarea (kept, hidden, as the form's field).
  function enhance(fs) {
    var ta = $("textarea.content-source", fs), rte = $(".rte", fs), bar = $(".toolbar", fs);
    rte.innerHTML = ta.value;
    rte.hidden = false;
    bar.hidden = false;
    ta.hidden = true;
    rte.addEventListener("input", function () { ta.value = rte.innerHTML; markDirty(); });
    ["keyup", "mouseup", "focus"].forEach(function (ev) { rte.addEventListener(ev, function () { remember(rte); }); });
    $all("input, textarea, select", fs).forEach(function (el) {
      el.addEventListener("input", markDirty);
      el.addEventListener("change", markDirty);
    });
    $all("button[data-cmd]", bar).forEach(function (b) {
      b.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep the selection
      b.addEventListener("click", function () { command(fs, b.getAttribute("data-cmd")); });
    });
    var file = $("input.image-file", fs);
    file.addEventListener("change", function () {
      if (file.files && file.files[0]) uploadImage(fs, file.files[0]);
      file.value = "";
    });
    var sel = $("select.cover-select", fs), thumb = $("img.cover-thumb", fs);
    sel.addEventListener("change", function () {
      var opt = sel.options[sel.selectedIndex];
      var url = opt && opt.getAttribute("data-url");
      thumb.hidden = !url;
      if (url) thumb.src = url;
    });
    var up = $("button.cover-upload", fs), coverFile = $("input.cover-file", fs);
    up.hidden = false;
    up.addEventListener("click", function () { coverFile.click(); });
    coverFile.addEventListener("change", function () {
      if (coverFile.files && coverFile.files[0]) uploadCover(fs, coverFile.files[0]);
      coverFile.value = "";
    });
    var rm = $("button.remove-article", fs);
    rm.hidden = false;
    rm.addEventListener("click", function () {
      if (sections().length <= 1) return;
      fs.parentNode.removeChild(fs);
      renumber();
      markDirty();
    });
  }

  function remember(rte) {
    var s = window.getSelection();
    if (s.rangeCount && rte.contains(s.getRangeAt(0).commonAncestorContainer)) {
      lastRange = s.getRangeAt(0).cloneRange();
      lastEditor = rte;
    }
  }

  function focusAt(rte) {
    rte.focus();
    var s = window.getSelection();
    if (lastRange && lastEditor === rte) {
      s.removeAllRanges();
      s.addRange(lastRange);
    } else {
      var r = document.createRange();
      r.selectNodeContents(rte);
      r.collapse(false);
      s.removeAllRanges();
      s.addRange(r);
    }
  }

  function command(fs, cmd) {
    var rte = $(".rte", fs);
    if (cmd === "image") { $("input.image-file", fs).click(); return; }
    focusAt(rte);
    switch (cmd) {
      case "h2": case "h3": case "p": document.execCommand("formatBlock", false, "<" + cmd + ">"); break;
      case "bold": document.execCommand("bold"); break;
      case "ul": document.execCommand("insertUnorderedList"); break;
      case "ol": document.execCommand("insertOrderedList"); break;
      case "link":
        var url = window.prompt(form.getAttribute("data-link-prompt"), "https://");
        if (url && /^https?:\/\//i.test(url)) document.execCommand("createLink", false, url);
        break;
    }
    $("textarea.content-source", fs).value = rte.innerHTML;
    remember(rte);
    markDirty();
  }

  // Pictures: sent with their progress to WeChat through the console; the console's copy is shown here
  // and saving turns it into WeChat's address.
  function send(url, data, bar, out, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    xhr.upload.onprogress = function (ev) {
      if (ev.lengthComputable) { bar.max = ev.total; bar.value = ev.loaded; out.textContent = Math.round(100 * ev.loaded / ev.total) + "%"; }
    };
    xhr.onload = function () {
      var res = {};
      try { res = JSON.parse(xhr.responseText); } catch (err) { res = { errcode: -1, msg: xhr.statusText }; }
      bar.hidden = true;
      if (xhr.status === 200 && res.errcode === 0) { out.textContent = ""; done(res); }
      else out.textContent = form.getAttribute("data-upload-failed") + " " + (res.msg || xhr.status);
    };
    xhr.onerror = function () { bar.hidden = true; out.textContent = form.getAttribute("data-upload-failed"); };
    xhr.send(data);
  }

  function uploadImage(fs, file) {
    var data = new FormData();
    data.append("file", file);
    send(form.getAttribute("data-upload-url"), data, $("progress.image-progress", fs), $("output.image-status", fs), function (res) {
      var rte = $(".rte", fs);
      focusAt(rte);
      var img = document.createElement("img");
      img.src = res.localUrl;
      img.alt = "";
      var s = window.getSelection();
      if (s.rangeCount) {
        var r = s.getRangeAt(0);
        r.deleteContents();
        r.insertNode(img);
        r.setStartAfter(img);
        r.collapse(true);
        s.removeAllRanges();
        s.addRange(r);
      } else {
        rte.appendChild(img);
      }
      $("textarea.content-source", fs).value = rte.innerHTML;
      remember(rte);
      markDirty();
    });
  }

  function uploadCover(fs, file) {
    var data = new FormData();
    data.append("file", file);
    send(form.getAttribute("data-cover-url"), data, $("progress.image-progress", fs), $("output.image-status", fs), function (res) {
      $all("select.cover-select", form).forEach(function (sel) {
        var opt = document.createElement("option");
        opt.value = res.mediaId;
        opt.textContent = res.name || res.mediaId;
        opt.setAttribute("data-url", res.localUrl || "");
        sel.appendChild(opt);
      });
      var mine = $("select.cover-select", fs);
      mine.value = res.mediaId;
      mine.dispatchEvent(new Event("change"));
    });
  }

  // Articles are numbered by their place: the form sends them in order, and the comment boxes carry it.
  function renumber() {
    sections().forEach(function (fs, i) {
      fs.setAttribute("data-index", i);
      fs.id = "article-" + i;
      fs.classList.remove("blank");
      $("legend", fs).textContent = (document.documentElement.lang === "en" ? "Article " : "第 ") + (i + 1) + (document.documentElement.lang === "en" ? "" : " 篇");
      $all('input[type="checkbox"]', fs).forEach(function (c) { c.value = String(i); });
    });
    var add = $("#add-article");
    if (add) add.disabled = sections().length >= max;
  }

  function addArticle() {
    var all = sections();
    if (all.length >= max) return;
    var hidden = all.filter(function (fs) { return fs.hidden; })[0];
    if (hidden) { hidden.hidden = false; renumber(); $('input[name="title"]', hidden).focus(); return; }
    var src = all[all.length - 1];
    var copy = src.cloneNode(true);
    $all("input[type=text], input:not([type]), input[type=url], textarea", copy).forEach(function (el) { el.value = ""; });
    $all('input[type="checkbox"]', copy).forEach(function (c) { c.checked = false; });
    $("select.cover-select", copy).value = "";
    $("img.cover-thumb", copy).hidden = true;
    $(".rte", copy).innerHTML = "";
    $all("[id]", copy).forEach(function (el) { el.id = el.id.replace(/-\d+$/, "-" + all.length); });
    $all("label[for]", copy).forEach(function (el) { el.setAttribute("for", el.getAttribute("for").replace(/-\d+$/, "-" + all.length)); });
    // The copy gets fresh listeners: undo what enhance() changed, then enhance it again.
    $(".rte", copy).hidden = true;
    $("textarea.content-source", copy).hidden = false;
    list.appendChild(copy);
    enhance(copy);
    renumber();
    $('input[name="title"]', copy).focus();
    markDirty();
  }

  sections().forEach(enhance);
  // The blank article the form offers stays out of sight until asked for, unless it is the only one.
  var all = sections();
  if (all.length > 1) all.forEach(function (fs) { if (fs.classList.contains("blank") && isEmpty(fs)) fs.hidden = true; });
  var add = $("#add-article");
  if (add) {
    add.hidden = false;
    add.addEventListener("click", addArticle);
  }
  renumber();

  form.addEventListener("submit", function () {
    sections().forEach(function (fs) {
      var rte = $(".rte", fs);
      if (!rte.hidden) $("textarea.content-source", fs).value = rte.innerHTML;
      if (fs.hidden) fs.parentNode.removeChild(fs);
    });
    dirty = false;
  });

  // The preview: every article as a phone shows it, rebuilt from the editors.
  var pending = null;
  function schedulePreview() {
    if (pending) return;
    pending = setTimeout(function () { pending = null; renderPreview(); }, 150);
  }
  function renderPreview() {
    if (!preview) return;
    preview.textContent = "";
    sections().forEach(function (fs, i) {
      if (fs.hidden || isEmpty(fs)) return;
      var art = document.createElement("article");
      art.className = "preview-article";
      art.setAttribute("data-index", i);
      var h = document.createElement("h1");
      h.className = "pv-title";
      h.textContent = $('input[name="title"]', fs).value;
      var meta = document.createElement("p");
      meta.className = "pv-meta";
      meta.textContent = $('input[name="author"]', fs).value;
      art.appendChild(h);
      art.appendChild(meta);
      var thumb = $("img.cover-thumb", fs);
      if (thumb && !thumb.hidden && thumb.getAttribute("src")) {
        var cover = document.createElement("img");
        cover.className = "pv-cover";
        cover.src = thumb.src;
        cover.alt = "";
        art.appendChild(cover);
      }
      var body = document.createElement("div");
      body.className = "pv-content";
      // The operator's own markup, shown in their own page under the console's CSP (no inline script runs);
      // the server sanitizes it on save.
      body.innerHTML = $(".rte", fs).innerHTML;
      art.appendChild(body);
      preview.appendChild(art);
    });
  }
  renderPreview();

  // Live status of a publishing job.
  var box = $("#publish-status");
  if (box && box.getAttribute("data-status-url")) {
    var url = box.getAttribute("data-status-url");
    var tries = 0;
    var tick = function () {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (!s.status) throw new Error(s.msg || "status");
          var label = $(".status-label", box);
          label.textContent = s.label;
          label.className = "status-label status-" + s.status;
          $(".status-explain", box).textContent = s.explain;
          box.setAttribute("data-state", s.status);
          var links = $(".status-links", box);
          links.textContent = "";
          (s.articles || []).forEach(function (a) {
            var li = document.createElement("li"), link = document.createElement("a");
            link.href = a.url;
            link.textContent = a.url;
            link.target = "_blank";
            link.rel = "noopener noreferrer";
            li.appendChild(link);
            links.appendChild(li);
          });
          if (s.status === "publishing") setTimeout(tick, Math.min(1000 + 500 * tries++, 10000));
          else if (s.status === "published") {
            // WeChat took the draft out of the draft box: it can no longer be saved or published again.
            var pf = $("#publish-form"), save = $("#save-draft");
            if (pf) pf.hidden = true;
            if (save) save.disabled = true;
          }
        })
        .catch(function () { setTimeout(tick, 5000); });
    };
    tick();
  }
})();
