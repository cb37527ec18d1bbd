// Draws every dashboard widget from its JSON endpoint with ECharts (bar, pie, line, number).
(function () {
  function option(widget) {
    var d = widget.data || {};
    if (widget.kind === "pie") {
      return { tooltip: { trigger: "item" }, series: [{ type: "pie", radius: "65%",
        data: (d.labels || []).map(function (l, i) { return { name: l, value: d.values[i] }; }) }] };
    }
    return { tooltip: { trigger: "axis" }, grid: { left: 40, right: 10, top: 20, bottom: 30 },
      xAxis: { type: "category", data: d.labels || [] }, yAxis: { type: "value" },
      series: [{ type: widget.kind === "line" ? "line" : "bar", data: d.values || [] }] };
  }
  document.querySelectorAll(".crm-chart").forEach(function (el) {
    fetch(el.dataset.widgetUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (widget) {
        if (widget.kind === "number") {
          el.innerHTML = '<div class="display-5 text-center pt-5"></div>';
          el.firstChild.textContent = widget.data.value;
          return;
        }
        var chart = echarts.init(el);
        chart.setOption(option(widget));
        window.addEventListener("resize", function () { chart.resize(); });
      })
      .catch(function () { el.textContent = "—"; });
  });
})();
