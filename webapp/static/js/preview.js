// Inline preview of uploaded materials beside the form: images as they are, PDFs drawn page by page by the
// vendored pdf.js (loaded only when a PDF is first previewed). Buttons: <button data-preview=url data-kind=pdf|image>.
(function () {
  "use strict";
  var me = document.currentScript;
  var vendor = me ? me.getAttribute("data-vendor") : "/static/vendor/";
  var MAX_PAGES = 20;
  var pdfLoading = null;

  function loadPdfJs() {
    if (window.pdfjsLib) { return Promise.resolve(window.pdfjsLib); }
    if (!pdfLoading) {
      pdfLoading = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = vendor + "pdfjs/pdf.min.js";
        s.onload = function () {
          window.pdfjsLib.GlobalWorkerOptions.workerSrc = vendor + "pdfjs/pdf.worker.min.js";
          resolve(window.pdfjsLib);
        };
        s.onerror = function () { reject(new Error("pdf.js 未能加载")); };
        document.head.appendChild(s);
      });
    }
    return pdfLoading;
  }

  function pane(near) {
    var box = document.getElementById("preview-pane");
    if (!box) {
      box = document.createElement("section");
      box.id = "preview-pane";
      box.className = "card preview-pane";
      box.setAttribute("aria-label", "材料预览");
      box.innerHTML = '<div class="preview-head"><h2 class="preview-title"></h2>' +
        '<button type="button" class="preview-close">关闭预览</button></div>' +
        '<p class="preview-status hint" aria-live="polite"></p><div class="preview-body"></div>';
      box.querySelector(".preview-close").addEventListener("click", function () { box.remove(); });
      var aside = near.closest(".split") && near.closest(".split").querySelector("aside");
      if (aside) { aside.insertBefore(box, aside.firstChild); } else { near.closest("section, main").prepend(box); }
    }
    return box;
  }

  function show(button) {
    var box = pane(button);
    var body = box.querySelector(".preview-body");
    var status = box.querySelector(".preview-status");
    box.querySelector(".preview-title").textContent = button.getAttribute("data-name") || "材料预览";
    body.innerHTML = "";
    var url = button.getAttribute("data-preview");
    if (button.getAttribute("data-kind") === "image") {
      var img = document.createElement("img");
      img.src = url;
      img.alt = button.getAttribute("data-name") || "上传的图片";
      body.appendChild(img);
      status.textContent = "";
      box.scrollIntoView({ block: "nearest" });
      return;
    }
    status.textContent = "正在加载 PDF…";
    loadPdfJs().then(function (lib) {
      return lib.getDocument({ url: url, isEvalSupported: false, withCredentials: true }).promise;
    }).then(function (pdf) {
      var count = Math.min(pdf.numPages, MAX_PAGES);
      var chain = Promise.resolve();
      for (var n = 1; n <= count; n += 1) {
        chain = chain.then(renderPage.bind(null, pdf, n, body));
      }
      return chain.then(function () {
        status.textContent = "共 " + pdf.numPages + " 页" + (pdf.numPages > count ? "（预览前 " + count + " 页）" : "");
        box.setAttribute("data-pages", String(pdf.numPages));
      });
    }).catch(function (error) {
      status.textContent = "无法预览此文件，请下载查看（" + error.message + "）";
    });
    box.scrollIntoView({ block: "nearest" });
  }

  function renderPage(pdf, number, body) {
    return pdf.getPage(number).then(function (page) {
      var width = Math.max(body.clientWidth, 280);
      var viewport = page.getViewport({ scale: 1 });
      var scaled = page.getViewport({ scale: width / viewport.width });
      var canvas = document.createElement("canvas");
      canvas.width = Math.floor(scaled.width);
      canvas.height = Math.floor(scaled.height);
      canvas.setAttribute("aria-label", "第 " + number + " 页");
      body.appendChild(canvas);
      return page.render({ canvasContext: canvas.getContext("2d"), viewport: scaled }).promise;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.preview-link");
    if (button) { event.preventDefault(); show(button); }
  });
})();
