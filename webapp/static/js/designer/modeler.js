// BPMN modeler page: bpmn-js modeler + properties panel (Camunda 7 attributes), draft save, validation
// with problems marked on the canvas, deploy. Loaded from /static only (CSP script-src 'self').
(function () {
  "use strict";
  var root = document.getElementById("designer");
  var D = window.OneWindowDesigner;
  var status = document.getElementById("designer-status");
  if (!root || !D) { return; }
  if (!window.BpmnJS || !window.OneWindowPropertiesPanel) {
    D.setStatus(status, "流程设计器脚本未能加载，请刷新页面", "error");
    return;
  }
  var P = window.OneWindowPropertiesPanel;
  var mainBpmn = root.dataset.mainBpmn;
  var dirty = false;
  // Only a changed diagram is sent (bpmn-js re-serializes the whole XML): edits counted vs. edits saved.
  var edits = 0;
  var savedEdits = 0;
  var busy = false;
  var markedIds = [];

  var modeler = new window.BpmnJS({
    container: "#designer-canvas",
    propertiesPanel: { parent: "#designer-properties" },
    additionalModules: [
      P.BpmnPropertiesPanelModule, P.BpmnPropertiesProviderModule,
      P.CamundaPlatformPropertiesProviderModule, P.CamundaBehaviorsModule
    ].concat(window.OneWindowTranslateZh ? [window.OneWindowTranslateZh] : []),
    moddleExtensions: { camunda: P.camundaModdle }
  });
  var canvas = modeler.get("canvas");
  var overlays = modeler.get("overlays");
  var registry = modeler.get("elementRegistry");
  var selection = modeler.get("selection");

  function markDirty() {
    dirty = true;
    D.setStatus(status, "有未保存的修改");
  }
  modeler.on("commandStack.changed", function () { edits += 1; markDirty(); });
  var limitsForm = document.getElementById("designer-limits");
  if (limitsForm) {
    limitsForm.addEventListener("input", markDirty);
    limitsForm.addEventListener("submit", function (event) { event.preventDefault(); });
  }
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  function limits() {
    var values = {};
    if (!limitsForm) { return values; }
    Array.prototype.forEach.call(limitsForm.querySelectorAll("input[name]"), function (input) {
      if (input.value !== "") { values[input.name] = input.value; }
    });
    return values;
  }

  function clearProblems() {
    markedIds.forEach(function (id) { canvas.removeMarker(id, "ow-problem"); });
    markedIds = [];
    overlays.remove({ type: "ow-problem" });
    var box = document.getElementById("designer-problems");
    box.hidden = true;
    document.getElementById("designer-problem-list").innerHTML = "";
  }

  function focusElement(id) {
    var element = registry.get(id);
    if (!element) { return; }
    if (canvas.scrollToElement) { canvas.scrollToElement(element); }
    selection.select(element);
  }

  function showProblems(problems) {
    clearProblems();
    if (!problems || !problems.length) { return; }
    var list = document.getElementById("designer-problem-list");
    var counts = {};
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      var where = problem.element_id ? "[" + problem.element_id + "] " : "";
      var file = problem.file && problem.file !== mainBpmn ? problem.file + " " : "";
      item.textContent = file + where + problem.problem;
      item.dataset.element = problem.element_id || "";
      var element = problem.element_id ? registry.get(problem.element_id) : null;
      if (element && problem.file === mainBpmn) {
        item.tabIndex = 0;
        item.title = "点击在流程图中定位";
        item.addEventListener("click", function () { focusElement(problem.element_id); });
        item.addEventListener("keydown", function (event) {
          if (event.key === "Enter") { focusElement(problem.element_id); }
        });
        if (!counts[problem.element_id]) {
          counts[problem.element_id] = [];
          canvas.addMarker(problem.element_id, "ow-problem");
          markedIds.push(problem.element_id);
        }
        counts[problem.element_id].push(problem.problem);
      }
      list.appendChild(item);
    });
    Object.keys(counts).forEach(function (id) {
      var badge = document.createElement("div");
      badge.className = "ow-problem-badge";
      badge.textContent = String(counts[id].length);
      badge.title = counts[id].join("\n");
      overlays.add(id, "ow-problem", { position: { top: -9, left: -9 }, html: badge });
    });
    document.getElementById("designer-problems").hidden = false;
  }

  function save() {
    var sentEdits = edits;
    var xml = sentEdits !== savedEdits ? modeler.saveXML({ format: true }) : Promise.resolve(null);
    return xml.then(function (result) {
      var files = {};
      if (result) { files[mainBpmn] = result.xml; }
      return D.postJSON(root.dataset.saveUrl, { files: files, limits: limits() });
    }).then(function (answer) {
      if (answer.data.ok) {
        savedEdits = sentEdits;
        dirty = edits !== savedEdits;
        D.setStatus(status, answer.data.message || "草稿已保存", "ok");
      } else {
        D.setStatus(status, answer.data.message || "保存失败", "error");
        showProblems(answer.data.problems);
      }
      return answer.data.ok;
    });
  }

  function validate() {
    return save().then(function (saved) {
      if (!saved) { return false; }
      return D.postJSON(root.dataset.validateUrl, {}).then(function (answer) {
        showProblems(answer.data.problems);
        D.setStatus(status, answer.data.message || (answer.data.ok ? "校验通过" : "校验未通过"),
          answer.data.ok ? "ok" : "error");
        return answer.data.ok;
      });
    });
  }

  function deploy() {
    if (!window.confirm("部署后，新办件将使用新版本，在办办件仍按原版本办理。确定部署吗？")) { return Promise.resolve(); }
    return save().then(function (saved) {
      if (!saved) { return; }
      return D.postJSON(root.dataset.deployUrl, {}).then(function (answer) {
        showProblems(answer.data.problems);
        D.setStatus(status, answer.data.message || (answer.data.ok ? "已部署" : "部署失败"),
          answer.data.ok ? "ok" : "error");
        if (answer.data.ok && answer.data.created) {
          var links = document.createElement("span");
          [["查看办事指南", answer.data.matter_url], ["版本对比", answer.data.diff_url],
            ["迁移在办办件", answer.data.migrate_url]].forEach(function (pair) {
            var link = document.createElement("a");
            link.href = pair[1];
            link.textContent = pair[0];
            links.appendChild(document.createTextNode(" "));
            links.appendChild(link);
          });
          status.appendChild(links);
        }
      });
    });
  }

  function guarded(action) {
    return function () {
      if (busy) { return; }
      busy = true;
      D.setStatus(status, "处理中…");
      Promise.resolve().then(action).catch(function (error) {
        D.setStatus(status, "操作失败：" + (error && error.message ? error.message : error), "error");
      }).then(function () { busy = false; });
    };
  }

  document.getElementById("designer-save").addEventListener("click", guarded(save));
  document.getElementById("designer-validate").addEventListener("click", guarded(validate));
  document.getElementById("designer-deploy").addEventListener("click", guarded(deploy));

  D.getJSON(root.dataset.draftUrl).then(function (draft) {
    mainBpmn = draft.main_bpmn || mainBpmn;
    return modeler.importXML(draft.bpmn);
  }).then(function (result) {
    canvas.zoom("fit-viewport");
    dirty = false;
    edits = savedEdits = 0;
    var warnings = result && result.warnings ? result.warnings.length : 0;
    D.setStatus(status, warnings ? "流程图已加载（" + warnings + " 条导入警告）" : "流程图已加载");
    root.dataset.ready = "true";
  }).catch(function (error) {
    D.setStatus(status, "流程图无法加载：" + (error && error.message ? error.message : error), "error");
  });

  window.OneWindowModeler = modeler;  // for browser tests and debugging
})();
