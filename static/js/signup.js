// Live preview on the signup form: what each rule would have matched in the last days.
(function () {
  "use strict";
  var form = document.querySelector("form.signup");
  if (!form) return;
  var rules = form.querySelector("textarea[name=rules]");
  var box = form.querySelector(".preview");
  var url = form.getAttribute("data-preview-url");
  var days = box.getAttribute("data-days");
  var timer = null;
  var generation = 0;

  var zone = form.querySelector("select[name=timezone]");
  if (zone && zone.value === "UTC" && window.Intl) {
    var local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (local && zone.querySelector('option[value="' + local + '"]')) zone.value = local;
  }

  function line(rule, data) {
    var item = document.createElement("li");
    var code = document.createElement("code");
    code.textContent = rule;
    item.appendChild(code);
    if (data.error) {
      item.className = "error";
      item.appendChild(document.createTextNode(" " + data.error));
      return item;
    }
    item.appendChild(document.createTextNode(
      " would have matched " + data.count + " paper" + (data.count === 1 ? "" : "s") +
      " in the last " + days + " days" + (data.count ? ":" : ".")));
    (data.hints || []).forEach(function (hint) {
      var note = document.createElement("p");
      note.className = "hint";
      note.textContent = hint;
      item.appendChild(note);
    });
    if (data.papers.length) {
      var list = document.createElement("ul");
      data.papers.forEach(function (paper) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = paper.url;
        a.textContent = paper.title;
        li.appendChild(a);
        list.appendChild(li);
      });
      item.appendChild(list);
    }
    return item;
  }

  function refresh() {
    var mine = ++generation;
    var wanted = rules.value.split("\n").map(function (r) { return r.trim(); }).filter(Boolean).slice(0, 10);
    if (!wanted.length) { box.textContent = ""; return; }
    Promise.all(wanted.map(function (rule) {
      return fetch(url + "?rule=" + encodeURIComponent(rule), {headers: {"Accept": "application/json"}})
        .then(function (response) { return response.json(); })
        .catch(function () { return {error: "Preview unavailable."}; });
    })).then(function (results) {
      if (mine !== generation) return;
      var list = document.createElement("ul");
      list.className = "preview-list";
      results.forEach(function (data, i) { list.appendChild(line(wanted[i], data)); });
      box.replaceChildren(list);
    });
  }

  rules.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });
  if (rules.value.trim()) refresh();
})();
