// Audit page of one case (templates/audit/case.html): the case's own diagram, painted with the state
// rebuilt from its history — completed elements, traversed sequence flows with counts, open tasks
// (red when overdue). The 流程图 tab shows the case as it stands (the last row); the 回放 tab has its own
// diagram and a slider plus 上一步/下一步 that step through the history rows. Each step is fetched from
// replay.json; without JavaScript the same links and form reload the page with ?seq=N. A diagram is
// drawn when its tab is first shown (bpmn-js fits it to its box, which has no size while hidden).
(function () {
  "use strict";

  var box = document.getElementById("audit-diagram");
  if (!box) { return; }
  var slider = document.getElementById("replay-seq");
  var prev = document.getElementById("replay-prev");
  var next = document.getElementById("replay-next");
  var form = document.getElementById("replay-form");
  var output = document.getElementById("replay-pos");
  var panel = document.getElementById("replay-state");
  var viewer = null;
  var latest = 0;
  var state = parse(box.getAttribute("data-state"));
  var target = state ? state.seq : (slider ? Number(slider.value) : 1); // the step asked for last

  function parse(text) {
    try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
  }

  function node(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (text !== undefined && text !== null) { el.textContent = String(text); }
    return el;
  }

  function byId(id) { return document.getElementById(id); }

  // -- the diagram -------------------------------------------------------------------------------

  function midpoint(connection) {
    var points = connection.waypoints || [];
    if (!points.length) { return { left: 0, top: 0 }; }
    var minX = Math.min.apply(null, points.map(function (p) { return p.x; }));
    var minY = Math.min.apply(null, points.map(function (p) { return p.y; }));
    var i = Math.max(0, Math.floor((points.length - 1) / 2));
    var a = points[i];
    var b = points[Math.min(i + 1, points.length - 1)];
    return { left: (a.x + b.x) / 2 - minX - 10, top: (a.y + b.y) / 2 - minY - 9 };
  }

  // Paints one viewer with one replayed state; remembers its own markers to take them off next time.
  function paint(viewer, s) {
    if (!viewer || !s) { return; }
    var painted = viewer.auditPainted || (viewer.auditPainted = []);
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    painted.forEach(function (m) { if (registry.get(m[0])) { canvas.removeMarker(m[0], m[1]); } });
    painted.length = 0;
    overlays.remove({ type: "audit" });

    function mark(id, cls) {
      if (!id || !registry.get(id)) { return false; }
      canvas.addMarker(id, cls);
      painted.push([id, cls]);
      return true;
    }

    (s.completed || []).forEach(function (id) { mark(id, "audit-done"); });

    var labels = {};
    (s.open_tasks || []).forEach(function (t) { (labels[t.shown_on] = labels[t.shown_on] || []).push(t.name); });
    (s.active || []).forEach(function (id) {
      if (mark(id, s.overdue ? "audit-overdue" : "audit-active")) {
        var text = (s.overdue ? "超期 · " : "待办 · ") + (labels[id] || []).join("、");
        overlays.add(id, "audit", {
          position: { top: -20, left: 0 },
          html: node("span", "audit-badge " + (s.overdue ? "overdue" : "active"), text)
        });
      }
    });

    var counts = s.flow_counts || {};
    registry.filter(function (e) { return e.type === "bpmn:SequenceFlow"; }).forEach(function (flow) {
      var bo = flow.businessObject;
      if (!bo.sourceRef || !bo.targetRef) { return; }
      var n = counts[bo.sourceRef.id + "->" + bo.targetRef.id];
      if (!n) { return; }
      mark(flow.id, "audit-flow");
      overlays.add(flow.id, "audit", { position: midpoint(flow), html: node("span", "audit-badge flow", "×" + n) });
    });

    if (s.event) { mark(s.event.shown_on, "audit-current"); }
  }

  // -- the side panel and the timeline -----------------------------------------------------------

  function fillList(list, items, render) {
    if (!list) { return; }
    list.textContent = "";
    if (!items.length) { list.appendChild(node("li", "empty", "无")); return; }
    items.forEach(function (item) { list.appendChild(render(item)); });
  }

  function showPanel(s) {
    var ev = s.event || {};
    var event = byId("replay-event");
    if (event) {
      event.textContent = "";
      event.appendChild(document.createTextNode("第 "));
      event.appendChild(node("b", "", s.seq));
      var parts = [ev.at, ev.actor_name || ev.actor_id, ev.label];
      if (ev.element_name) { parts.push(ev.element_name); }
      var text = " 条：" + parts.join(" · ");
      if (ev.event_type === "task_state_changed" && ev.to_state_name) { text += " → " + ev.to_state_name; }
      event.appendChild(document.createTextNode(text));
    }
    var blzt = byId("replay-blzt");
    if (blzt) { blzt.textContent = s.blzt_name; }
    var due = byId("replay-deadline");
    if (due) {
      due.textContent = "";
      var d = s.deadline;
      if (d) {
        due.appendChild(node("span", "due due-" + d.promised_state, "承诺 " + d.promised_due + "（" + d.promised_state_name + "）"));
        due.appendChild(document.createTextNode(" · 法定 " + d.statutory_due + "（" + d.statutory_state_name + "）"));
      } else {
        due.textContent = "未受理";
      }
    }
    fillList(byId("replay-open"), s.open_tasks || [], function (t) {
      var li = node("li", s.overdue ? "overdue" : "", t.name);
      li.setAttribute("data-element", t.id);
      if (s.overdue) { li.appendChild(document.createTextNode(" ")); li.appendChild(node("b", "", "超期")); }
      return li;
    });
    fillList(byId("replay-documents"), s.documents || [], function (title) { return node("li", "", title); });
    var completed = byId("replay-completed");
    if (completed) { completed.textContent = (s.completed || []).length + " 个"; }
    var data = byId("replay-data");
    if (data) { data.textContent = JSON.stringify(s.data, null, 2); }
    var error = byId("replay-error");
    if (error) { error.parentNode.removeChild(error); }
  }

  function showPosition(seq, total) {
    if (slider) { slider.value = String(seq); }
    if (output) { output.textContent = "第 " + seq + " / " + total + " 条"; }
    var page = box.getAttribute("data-page");
    if (prev) { prev.href = page + "?seq=" + Math.max(1, seq - 1) + "#replay"; }
    if (next) { next.href = page + "?seq=" + Math.min(total, seq + 1) + "#replay"; }
    Array.prototype.forEach.call(document.querySelectorAll(".audit-timeline tr.current"), function (row) {
      row.classList.remove("current");
    });
    var row = byId("seq-" + seq);
    if (row) { row.classList.add("current"); }
  }

  function showError(message) {
    var error = byId("replay-error");
    if (!error && panel) {
      error = node("p", "error-message");
      error.id = "replay-error";
      panel.insertBefore(error, panel.firstChild);
    }
    if (error) { error.textContent = message; }
  }

  function apply(s) {
    state = s;
    showPosition(s.seq, s.total);
    showPanel(s);
    paint(viewer, s);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", box.getAttribute("data-page") + "?seq=" + s.seq + "#replay");
    }
  }

  function go(seq) {
    var total = state ? state.total : (slider ? Number(slider.max) : 1);
    seq = Math.max(1, Math.min(total, Number(seq) || 1));
    target = seq;
    if (slider) { slider.value = String(seq); }
    if (output) { output.textContent = "第 " + seq + " / " + total + " 条"; }
    var ticket = ++latest;
    if (panel) { panel.classList.add("loading"); }
    fetch(box.getAttribute("data-replay") + "?seq=" + seq, { credentials: "same-origin",
                                                            headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.error || ("HTTP " + r.status)); }
          return body;
        });
      })
      .then(function (s) { if (ticket === latest) { apply(s); } })
      .catch(function (e) { if (ticket === latest) { showError("回放失败：" + e.message); } })
      .then(function () { if (ticket === latest && panel) { panel.classList.remove("loading"); } });
  }

  function current() { return target; }

  if (prev) { prev.addEventListener("click", function (e) { e.preventDefault(); go(current() - 1); }); }
  if (next) { next.addEventListener("click", function (e) { e.preventDefault(); go(current() + 1); }); }
  if (form) { form.addEventListener("submit", function (e) { e.preventDefault(); go(slider.value); }); }
  if (slider) {
    slider.addEventListener("input", function () {
      if (output) { output.textContent = "第 " + slider.value + " / " + slider.max + " 条"; }
    });
    slider.addEventListener("change", function () { go(slider.value); });
  }
  // The sequence numbers in the timeline replay to that row without reloading the page.
  Array.prototype.forEach.call(document.querySelectorAll(".audit-timeline tr[data-seq] td:first-child a"),
    function (link) {
      link.addEventListener("click", function (e) {
        e.preventDefault();
        go(link.closest("tr").getAttribute("data-seq"));
        var tab = byId("tab-replay");
        if (tab) { tab.click(); }
        var section = byId("replay");
        if (section && section.scrollIntoView) { section.scrollIntoView({ behavior: "smooth" }); }
      });
    });

  function whenShown(el, draw) {
    var panel = el.closest("[role=tabpanel]");
    if (!panel || !panel.hidden) { draw(); return; }
    panel.addEventListener("tab:shown", function once() { panel.removeEventListener("tab:shown", once); draw(); });
  }

  whenShown(box, function () {
    window.OneWindowDiagram.load(box)
      .then(function (loaded) { viewer = loaded; paint(viewer, state); })
      .catch(function () {});
  });

  // The 流程图 tab: the case after its last history row.
  var whole = byId("case-diagram");
  if (whole) {
    whenShown(whole, function () {
      var last = state && state.seq === state.total ? Promise.resolve(state)
        : fetch(whole.getAttribute("data-replay"), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; });
      Promise.all([window.OneWindowDiagram.load(whole), last]).then(function (both) { paint(both[0], both[1]); }).catch(function () {});
    });
  }
})();
