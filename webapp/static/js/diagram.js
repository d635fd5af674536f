// Read-only diagram on the service guide: loads the matter's BPMN into the vendored bpmn-js viewer.
(function () {
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) { return; }
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (r) { return r.text(); })
    .then(function (xml) {
      box.innerHTML = "";
      var viewer = new window.BpmnJS({ container: box });
      return viewer.importXML(xml).then(function () { viewer.get("canvas").zoom("fit-viewport"); });
    })
    .catch(function () { box.innerHTML = "<p class=\"hint\">流程图无法显示。</p>"; });
})();
