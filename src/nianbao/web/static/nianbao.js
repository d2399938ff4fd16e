// nianbao serve: the only script. Pages work without it; it adds two conveniences.
"use strict";

// 1. A page showing the record reloads when the record changes (a cheap number from /version), unless
//    the clerk is typing in it.
(function () {
  var body = document.body, shown = body.dataset.revision;
  if (!shown) return;
  function busy() {
    var fields = document.querySelectorAll("textarea, input[type=text]");
    for (var i = 0; i < fields.length; i++) if (fields[i].value) return true;
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
