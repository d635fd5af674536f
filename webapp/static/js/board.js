// The 大屏 reloads itself every 30 seconds (a screen in a hall has nobody to press F5) and shows a clock.
(function () {
  "use strict";
  var clock = document.getElementById("board-clock");
  // The server's time (data-now) is the hall's time; the browser's own clock may be wrong.
  var offset = clock && clock.getAttribute("data-now") ? Date.parse(clock.getAttribute("data-now")) - Date.now() : 0;
  function tick() {
    if (!clock) { return; }
    clock.textContent = new Date(Date.now() + offset).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }
  tick();
  setInterval(tick, 1000);
  setTimeout(function () { window.location.reload(); }, 30000);
})();
