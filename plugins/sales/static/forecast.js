// The forecast page's chart: bars of won, commit and best case per month against the
// target line, drawn with Apache ECharts from the JSON in the chart box's data-chart
// (no inline script: the page's CSP forbids it).
(function () {
  "use strict";

  var box = document.getElementById("sales-forecast-chart");
  if (!box || !window.echarts) { return; }
  var data;
  try { data = JSON.parse(box.dataset.chart || "{}"); } catch (e) { return; }
  box.style.height = "320px";
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var chart = window.echarts.init(box, null, { locale: zh ? "ZH" : "EN" });
  var narrow = box.clientWidth < 420;
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
    xAxis: { type: "category", data: data.labels || [],
             axisLabel: { rotate: narrow ? 45 : 0, fontSize: narrow ? 10 : 12 } },
    yAxis: { type: "value" },
    series: (data.series || []).map(function (s) {
      var line = s.type === "line";
      return { name: s.name, type: line ? "line" : "bar", data: s.values,
               step: line ? "middle" : undefined, symbol: line ? "circle" : undefined,
               lineStyle: line ? { type: "dashed", width: 2 } : undefined };
    })
  });
  if (window.ResizeObserver) {
    new ResizeObserver(function () { chart.resize(); }).observe(box);
  }
}());
