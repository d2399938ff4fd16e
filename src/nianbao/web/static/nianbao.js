// nianbao serve: the only script. Pages work without it; it adds a few conveniences.
"use strict";

// 1. A page showing the record reloads when the record changes (a cheap number from /version), unless
//    the clerk is typing in it.
(function () {
  var body = document.body, shown = body.dataset.revision;
  if (!shown) return;
  function busy() {  // the clerk typing, or units ticked on the board: never reloaded under them
    var fields = document.querySelectorAll("textarea:not([readonly]), input[type=text], input[type=password]");
    for (var i = 0; i < fields.length; i++) if (fields[i].value) return true;
    if (document.querySelector("input[name=unit]:checked, .lists details[open]")) return true;
    return document.activeElement && /^(TEXTAREA|INPUT|SELECT)$/.test(document.activeElement.tagName);
  }
  setInterval(function () {
    fetch(body.dataset.versionUrl, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : shown; })
      .then(function (now) { if (now.trim() !== shown && !busy()) location.reload(); })
      .catch(function () {});
  }, 4000);
})();

// 2. Files dropped on the upload area are uploaded at once.
(function () {
  var drop = document.getElementById("drop"), input = document.getElementById("files");
  if (!drop || !input) return;
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    input.form.submit();
  });
})();

// 3. The board: ticking units (all at once from the header), and how many are ticked.
(function () {
  var all = document.getElementById("pick-all"), count = document.getElementById("ticked");
  var boxes = document.querySelectorAll("input[name=unit][form=bulk]");
  if (!boxes.length) return;
  function said() {
    var n = 0;
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) n++;
    if (count) count.textContent = n;
    var checked = document.querySelector("input[name=scope][value=checked]");
    if (n && checked) checked.checked = true;
  }
  for (var i = 0; i < boxes.length; i++) boxes[i].addEventListener("change", said);
  if (all) all.addEventListener("change", function () {
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
    said();
  });
  said();
})();

// 4. Copy a list of names to paste into a chat group (the text is on the page too, to select by hand).
(function () {
  var buttons = document.querySelectorAll("button[data-copy]"), said = document.getElementById("copied");
  function done(words) { if (said) said.textContent = words; }
  for (var i = 0; i < buttons.length; i++) buttons[i].addEventListener("click", function (e) {
    var area = document.getElementById(e.currentTarget.getAttribute("data-copy"));
    if (!area) return;
    var text = area.value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done("已复制，可粘贴到工作群"); },
                                               function () { fallback(area); });
    } else fallback(area);
  });
  function fallback(area) {  // a page opened over the network (not https): the old way
    var details = area.closest("details");
    if (details) details.open = true;
    area.focus(); area.select();
    try { done(document.execCommand("copy") ? "已复制，可粘贴到工作群" : "请按 Ctrl+C 复制选中的文字"); }
    catch (err) { done("请按 Ctrl+C 复制选中的文字"); }
  }
})();
