// Heatmap page (templates/audit/heatmap.html): the matter's newest diagram, each element coloured on a
// five-step scale by how often it ran (or its average duration in working days), with a badge showing both.
(function () {
  "use strict";

  var box = document.getElementById("heat-diagram");
  if (!box) { return; }
  var heat;
  try { heat = JSON.parse(box.getAttribute("data-heat") || "{}"); } catch (e) { heat = {}; }
  var viewer = null;
  var painted = [];

  function badge(text) {
    var el = document.createElement("span");
    el.className = "heat-badge";
    el.textContent = text;
    return el;
  }

  function value(item, by) { return by === "avg" ? (item.avg || 0) : item.runs; }

  function paint(by) {
    if (!viewer) { return; }
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    painted.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    painted = [];
    overlays.remove({ type: "heat" });
    var ids = Object.keys(heat).filter(function (id) { return registry.get(id); });
    var max = Math.max.apply(null, [0].concat(ids.map(function (id) { return value(heat[id], by); })));
    ids.forEach(function (id) {
      var item = heat[id];
      var v = value(item, by);
      var level = max > 0 ? Math.max(1, Math.ceil(5 * v / max)) : 1;
      canvas.addMarker(id, "heat-" + level);
      painted.push([id, "heat-" + level]);
      var avg = item.avg === null || item.avg === undefined ? "—" : item.avg.toFixed(1);
      overlays.add(id, "heat", { position: { top: -18, left: 0 }, html: badge(item.runs + " 次 · " + avg + " 工作日") });
    });
  }

  function selected() {
    var checked = document.querySelector("input[name=heat-by]:checked");
    return checked ? checked.value : "runs";
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[name=heat-by]"), function (input) {
    input.addEventListener("change", function () { paint(selected()); });
  });

  window.OneWindowDiagram.load(box)
    .then(function (loaded) { viewer = loaded; paint(selected()); })
    .catch(function () {});
})();
