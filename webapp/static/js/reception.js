// The reception checklist writes what the clerk found into the form's own fields: materials not received
// go to missing_items (一次性告知 / 补正), 容缺 materials to deferred_items; a copy where the checklist row
// was an original-only material is noted too. The clerk can still edit the text before submitting.
(function () {
  "use strict";
  var list = document.querySelector("[data-checklist]");
  if (!list) { return; }
  var missing = document.getElementById("f-missing_items");
  var deferred = document.getElementById("f-deferred_items");
  function update() {
    var gaps = [], later = [];
    Array.prototype.forEach.call(list.querySelectorAll("tr[data-material]"), function (row) {
      var name = row.getAttribute("data-material");
      var state = (row.querySelector("input[name^='cl-']:checked") || {}).value;
      var form = (row.querySelector("input[name^='cf-']:checked") || {}).value;
      if (state === "missing") { gaps.push(name + (form === "original" ? "（原件）" : "（复印件）")); }
      if (state === "deferred") { later.push(name); }
    });
    if (missing) { missing.value = gaps.join("\n"); missing.dispatchEvent(new Event("input")); }
    if (deferred) { deferred.value = later.join("\n"); }
  }
  list.addEventListener("change", update);
})();
