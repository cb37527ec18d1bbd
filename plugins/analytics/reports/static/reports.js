// The report builder and saved reports: a changed source redraws the builder form (it
// posts as a preview), and each chart box is drawn with Apache ECharts from the JSON in its
// data-chart (categories and one series per pivot column; no inline script: the CSP).
(function () {
  "use strict";

  document.querySelectorAll("select[data-redraw]").forEach(function (select) {
    select.addEventListener("change", function () {
      var form = select.form;
      var action = document.createElement("input");
      action.type = "hidden"; action.name = "action"; action.value = "redraw";
      form.appendChild(action);
      form.submit();
    });
  });
  if (!window.echarts) { return; }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  function numbers(values) {
    return (values || []).map(function (v) {
      if (v === null || v === undefined) { return null; }
      var n = Number(v); return isFinite(n) ? n : null;
    });
  }
  document.querySelectorAll(".analytics-report-chart").forEach(function (box) {
    var data;
    try { data = JSON.parse(box.dataset.chart || "{}"); } catch (e) { return; }
    var chart = window.echarts.init(box, null, { renderer: "canvas", locale: zh ? "ZH" : "EN" });
    var narrow = box.clientWidth < 420;
    var series = data.series || [];
    var toolbox = { right: 0, feature: { saveAsImage: { title: data.png || "PNG" } } };
    if (data.kind === "pie") {
      var first = numbers((series[0] || {}).values);
      chart.setOption({
        tooltip: { trigger: "item" }, toolbox: toolbox,
        legend: { type: "scroll", bottom: 0 },
        series: [{ type: "pie", radius: narrow ? "55%" : "65%", center: ["50%", "45%"],
                   data: (data.categories || []).map(function (label, i) {
                     return { name: label, value: first[i] };
                   }) }]
      });
    } else {
      chart.setOption({
        tooltip: { trigger: "axis" }, toolbox: toolbox,
        legend: { type: "scroll", top: 0, left: 0 },
        grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
        xAxis: { type: "category", data: data.categories || [],
                 axisLabel: { rotate: narrow ? 45 : 0, fontSize: narrow ? 10 : 12 } },
        yAxis: { type: "value" },
        series: series.map(function (s) {
          return { name: s.name, type: data.kind === "line" ? "line" : "bar",
                   stack: series.length > 1 && data.kind === "bar" ? "all" : undefined,
                   data: numbers(s.values) };
        })
      });
    }
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.resize(); }).observe(box);
    }
  });
}());
