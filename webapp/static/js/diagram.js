// Loads a matter's BPMN into the vendored bpmn-js viewer. Shared by the service guide (read-only
// diagram) and the auditor's pages, which paint markers once the viewer is ready.
(function () {
  function load(box) {
    if (!window.BpmnJS) { return Promise.reject(new Error("no viewer")); }
    var viewer;
    return fetch(box.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (xml) {
        box.innerHTML = "";
        viewer = new window.BpmnJS({ container: box });
        return viewer.importXML(xml);
      })
      .then(function () { viewer.get("canvas").zoom("fit-viewport"); return viewer; })
      .catch(function (error) { box.innerHTML = "<p class=\"hint\">流程图无法显示。</p>"; throw error; });
  }
  window.OneWindowDiagram = { load: load };
  Array.prototype.forEach.call(document.querySelectorAll("[data-diagram-auto]"), function (box) {
    load(box).catch(function () {});
  });
})();
