// Form editor page: form-js editor for one form of the matter; save checks the schema on the server,
// the preview pane shows the server's own rendering of the form (what applicants and staff will see).
(function () {
  "use strict";
  var root = document.getElementById("form-designer");
  var D = window.OneWindowDesigner;
  var status = document.getElementById("form-status");
  if (!root || !D) { return; }
  if (!window.FormEditor || !window.FormEditor.FormEditor) {
    D.setStatus(status, "表单设计器脚本未能加载，请刷新页面", "error");
    return;
  }
  var editor = new window.FormEditor.FormEditor({ container: document.getElementById("form-editor") });
  var preview = document.getElementById("form-preview");
  var errors = document.getElementById("form-errors");
  var timer = null;
  var dirty = false;

  function showErrors(list) {
    errors.innerHTML = "";
    (list || []).forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      errors.appendChild(item);
    });
  }

  function refreshPreview() {
    return D.postJSON(root.dataset.previewUrl, { schema: editor.saveSchema() }).then(function (answer) {
      if (answer.data.ok) {
        preview.innerHTML = answer.data.html;  // rendered and escaped by the server's Jinja templates
        showErrors([]);
      } else {
        showErrors(answer.data.errors || [answer.data.message]);
      }
    });
  }

  function schedulePreview() {
    dirty = true;
    D.setStatus(status, "有未保存的修改");
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(refreshPreview, 500);
  }

  function save() {
    D.setStatus(status, "保存中…");
    return D.postJSON(root.dataset.saveUrl, { schema: editor.saveSchema() }).then(function (answer) {
      showErrors(answer.data.errors);
      D.setStatus(status, answer.data.message || (answer.data.ok ? "已保存" : "保存失败"), answer.data.ok ? "ok" : "error");
      if (answer.data.ok) { dirty = false; }
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  document.getElementById("form-save").addEventListener("click", save);
  document.getElementById("form-preview-refresh").addEventListener("click", refreshPreview);

  D.getJSON(root.dataset.schemaUrl).then(function (schema) {
    return editor.importSchema(schema);
  }).then(function () {
    editor.on("changed", schedulePreview);
    D.setStatus(status, "表单已加载");
    root.dataset.ready = "true";
    return refreshPreview();
  }).catch(function (error) {
    D.setStatus(status, "表单无法加载：" + (error && error.message ? error.message : error), "error");
  });

  window.OneWindowFormEditor = editor;  // for browser tests and debugging
})();
