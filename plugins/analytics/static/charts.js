// The analysis pages' charts: bars or lines (this period beside the previous one) and pies,
// drawn with Apache ECharts from the JSON in each box's data-chart (no inline script: the
// CSP forbids it). A bar or slice with a link leads to the owning plugin's filtered list.
(function () {
  "use strict";

  if (!window.echarts) { return; }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  function numbers(values) {
    return (values || []).map(function (v) { var n = Number(v); return isFinite(n) ? n : 0; });
  }
  document.querySelectorAll(".analytics-chart").forEach(function (box) {
    var data;
    try { data = JSON.parse(box.dataset.chart || "{}"); } catch (e) { return; }
    var chart = window.echarts.init(box, null, { renderer: "canvas", locale: zh ? "ZH" : "EN" });
    var narrow = box.clientWidth < 420;
    var links = data.links || [];
    var toolbox = { right: 0, feature: { saveAsImage: { title: data.png || "PNG" } } };
    if (box.dataset.kind === "pie") {
      chart.setOption({
        tooltip: { trigger: "item" },
        toolbox: toolbox,
        legend: { type: "scroll", bottom: 0 },
        series: [{ type: "pie", radius: narrow ? "55%" : "65%", center: ["50%", "45%"],
                   data: (data.labels || []).map(function (label, i) {
                     return { name: label, value: numbers(data.values)[i] };
                   }) }]
      });
    } else {
      chart.setOption({
        tooltip: { trigger: "axis" },
        toolbox: toolbox,
        legend: { top: 0, left: 0 },
        grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
        xAxis: { type: "category", data: data.labels || [],
                 axisLabel: { rotate: narrow ? 45 : 0, fontSize: narrow ? 10 : 12 } },
        yAxis: { type: "value" },
        series: [{ name: data.current, type: box.dataset.kind, data: numbers(data.values) },
                 { name: data.before, type: box.dataset.kind, data: numbers(data.previous) }]
      });
    }
    chart.on("click", function (params) {
      var link = links[params.dataIndex];
      if (link) { window.location.href = link; }
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.resize(); }).observe(box);
    }
  });
}());
