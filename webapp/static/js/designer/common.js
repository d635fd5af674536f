// Shared helpers of the designer pages: JSON requests with the CSRF header, status messages.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // POST a JSON body; resolves to {status, data} (data has ok/message/problems/errors), never rejects on 4xx.
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false, message: "服务器返回了无法识别的内容（HTTP " + response.status + "）" };
      }).then(function (data) { return { status: response.status, data: data }; });
    }, function () {
      return { status: 0, data: { ok: false, message: "网络错误：无法连接服务器，请检查网络后重试" } };
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function setStatus(element, text, kind) {
    if (!element) { return; }
    element.textContent = text;
    element.className = "designer-status" + (kind ? " " + kind : "");
  }

  window.OneWindowDesigner = { csrfToken: csrfToken, postJSON: postJSON, getJSON: getJSON, setStatus: setStatus };
})();
