// Statistics charts (Apache ECharts, vendored) drawn from the figures the page embeds as JSON; the tables
// below the charts carry the same numbers for screen readers and printing.
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];
  function draw(id, option) {
    var box = document.getElementById(id);
    if (!box) { return; }
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    option.textStyle = { fontFamily: "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" };
    option.tooltip = option.tooltip || { trigger: "axis" };
    option.grid = { left: 48, right: 48, top: 40, bottom: 40, containLabel: true };
    if (option.legend) { option.legend.bottom = 0; }
    chart.setOption(option);
    charts.push(chart);
  }
  var rotate = { interval: 0, rotate: 30, width: 120, overflow: "truncate" };
  draw("chart-matters", {
    legend: { data: ["办结", "在办"] },
    xAxis: { type: "category", data: data.matters.names, axisLabel: rotate },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "办结", type: "bar", stack: "n", data: data.matters.finished, itemStyle: { color: "#146c43" } },
      { name: "在办", type: "bar", stack: "n", data: data.matters.running, itemStyle: { color: "#0a58ca" } }
    ]
  });
  draw("chart-departments", {
    legend: { data: ["办件数", "好评率"] },
    xAxis: { type: "category", data: data.departments.names, axisLabel: rotate },
    yAxis: [{ type: "value", minInterval: 1, name: "件" },
            { type: "value", min: 0, max: 100, name: "好评率 %", axisLabel: { formatter: "{value}%" } }],
    series: [
      { name: "办件数", type: "bar", data: data.departments.total, itemStyle: { color: "#0a58ca" } },
      { name: "好评率", type: "line", yAxisIndex: 1, connectNulls: false, itemStyle: { color: "#b8322a" },
        data: data.departments.good.map(function (r) { return r === null ? null : Math.round(r * 100); }) }
    ]
  });
  draw("chart-months", {
    legend: { data: ["收件", "办结"] },
    xAxis: { type: "category", data: data.months.names },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "收件", type: "line", data: data.months.total, itemStyle: { color: "#0a58ca" } },
      { name: "办结", type: "line", data: data.months.finished, itemStyle: { color: "#146c43" } }
    ]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.OneWindowCharts = charts;
})();
