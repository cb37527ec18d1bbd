// The evaluation pages' charts (evaluation/views.py), drawn with the vendored Apache ECharts
// from the JSON in each box's data-chart (no inline script: the page's CSP forbids it).
// data-kind "funnel": {"labels", "values"} as a funnel; "bar": {"labels", "series"}.
(function () {
  "use strict";

  if (!window.echarts) { return; }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;

  function funnel(data) {
    var labels = data.labels || [];
    var values = data.values || [];
    var top = Math.max.apply(null, values.concat([1]));
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        type: "funnel", sort: "none", left: "10%", width: "80%", top: 8, bottom: 8,
        min: 0, max: top, minSize: "4%", gap: 2,
        label: { show: true, position: "inside", formatter: "{b}: {c}" },
        data: labels.map(function (name, i) { return { name: name, value: values[i] }; })
      }]
    };
  }

  function bar(data, narrow) {
    return {
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.labels || [],
               axisLabel: { rotate: narrow ? 45 : 0, fontSize: narrow ? 10 : 12,
                            width: narrow ? 64 : 120, overflow: "truncate" } },
      yAxis: { type: "value" },
      series: (data.series || []).map(function (s) {
        return { name: s.name, type: "bar", data: s.values, barMaxWidth: 36 };
      })
    };
  }

  Array.prototype.forEach.call(document.querySelectorAll(".mkt-eval-chart"), function (box) {
    var data;
    try { data = JSON.parse(box.dataset.chart || "{}"); } catch (e) { return; }
    box.style.height = box.dataset.height || "320px";
    var chart = window.echarts.init(box, null, { locale: zh ? "ZH" : "EN" });
    var narrow = box.clientWidth < 420;
    chart.setOption(box.dataset.kind === "funnel" ? funnel(data) : bar(data, narrow));
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.resize(); }).observe(box);
    }
  });
}());
