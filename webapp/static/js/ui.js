// Small progressive enhancements shared by every page (the pages work without them):
// Chinese file pickers, sortable and filterable tables, the current section of a long form.
(function () {
  "use strict";

  // File pickers: the native input is hidden inside a Chinese label; show the chosen names.
  function describeFiles(input) {
    var box = input.closest("[data-file-pick]");
    var out = box && box.querySelector(".file-names");
    if (!out) { return; }
    var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    out.textContent = names.length ? "已选择 " + names.length + " 个文件：" + names.join("、") : (out.getAttribute("data-empty") || "未选择文件");
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-file-pick] input[type=file]"), function (input) {
    var out = input.closest("[data-file-pick]").querySelector(".file-names");
    if (out && !out.hasAttribute("data-empty")) { out.setAttribute("data-empty", out.textContent); }
    input.addEventListener("change", function () { describeFiles(input); });
  });

  // Kept uploads ticked for removal are struck through, so the applicant sees what will go.
  Array.prototype.forEach.call(document.querySelectorAll("ul.kept-files input[type=checkbox]"), function (box) {
    box.addEventListener("change", function () {
      box.closest("li").style.textDecoration = box.checked ? "line-through" : "";
    });
  });

  // Sortable tables: <th data-sort> (optional data-sort="num"); a cell may carry data-sort-value.
  function cellValue(row, index, numeric) {
    var cell = row.children[index];
    var raw = cell ? (cell.getAttribute("data-sort-value") || cell.textContent.trim()) : "";
    return numeric ? (parseFloat(raw) || 0) : raw;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.list th[data-sort]"), function (th) {
    th.tabIndex = 0;
    th.setAttribute("role", "columnheader");
    function sort() {
      var table = th.closest("table"), body = table.tBodies[0];
      var index = Array.prototype.indexOf.call(th.parentNode.children, th);
      var numeric = th.getAttribute("data-sort") === "num";
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(th.parentNode.children, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.filter.call(body.rows, function (r) { return !r.querySelector(".empty"); });
      rows.sort(function (a, b) {
        var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
        var c = numeric ? x - y : String(x).localeCompare(String(y), "zh-CN");
        return ascending ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });

  // Filter boxes: <input data-filter-table="#id"> hides the rows that do not contain the text.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter-table]"), function (input) {
    var table = document.querySelector(input.getAttribute("data-filter-table"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        if (r.querySelector(".empty")) { return; }
        r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });

  // Long forms: mark the section in view in the side navigation.
  var navLinks = document.querySelectorAll("nav.form-nav a[href^='#sec-']");
  if (navLinks.length && "IntersectionObserver" in window) {
    var byId = {};
    Array.prototype.forEach.call(navLinks, function (a) { byId[a.getAttribute("href").slice(1)] = a; });
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting && byId[entry.target.id]) {
          Array.prototype.forEach.call(navLinks, function (a) { a.classList.remove("current"); });
          byId[entry.target.id].classList.add("current");
        }
      });
    }, { rootMargin: "0px 0px -70% 0px" });
    Object.keys(byId).forEach(function (id) { var el = document.getElementById(id); if (el) { observer.observe(el); } });
  }

  // Tabs: [data-tabs] with role=tab buttons and role=tabpanel panels (all panels show without script).
  // A link to something inside a hidden panel (#seq-12) opens that panel first.
  Array.prototype.forEach.call(document.querySelectorAll("[data-tabs]"), function (box) {
    var tabs = box.querySelectorAll("[role=tab]");
    function show(tab, focus) {
      Array.prototype.forEach.call(tabs, function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        var panel = document.getElementById(t.getAttribute("aria-controls"));
        if (panel) {
          var shown = on && panel.hidden;
          panel.hidden = !on;
          // Content drawn to its box's size (a diagram) waits for its panel to be shown.
          if (shown) { panel.dispatchEvent(new CustomEvent("tab:shown")); }
        }
      });
      if (focus) { tab.focus(); }
    }
    Array.prototype.forEach.call(tabs, function (tab, i) {
      tab.addEventListener("click", function () { show(tab, false); });
      tab.addEventListener("keydown", function (e) {
        var next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
        if (next === null) { return; }
        e.preventDefault();
        show(tabs[(next + tabs.length) % tabs.length], true);
      });
    });
    function reveal() {
      var target = location.hash && document.getElementById(location.hash.slice(1));
      var panel = target && target.closest("[role=tabpanel]");
      var tab = panel && box.querySelector("[aria-controls='" + panel.id + "']");
      if (tab) { show(tab, false); target.scrollIntoView(); }
    }
    show(box.querySelector("[role=tab][aria-selected=true]") || tabs[0], false);
    reveal();
    window.addEventListener("hashchange", reveal);
  });

  // After a failed submit the error summary takes the focus, so screen readers and eyes start there.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
