// Draws every dashboard widget from its JSON endpoint with Apache ECharts.
//
// A widget answers {"kind", "data"} (the kind also comes from the page's data-kind):
//   bar / line: {"labels": [...], "values": [...]}
//            or {"labels": [...], "series": [{"name": "...", "values": [...]}, ...]}
//   pie:        {"labels": [...], "values": [...]}
//   number:     {"value": 42, "label": "optional caption"}
//   list:       {"items": [{"title", "url", "subtitle", "badge", "due"}, ...], "empty": "..."}
//               drawn as a Bootstrap list group of links (subtitle, badge and url optional;
//               "due": overdue | today | later colours the badge as a due date, crm.css)
// Each widget shows a loading state, then its chart, an empty state or an error with a retry
// button (the box's data-state says which: loading, empty, error, chart, list, number; an
// empty or failed widget's card stays compact). Charts follow their box's size
// (ResizeObserver) and use smaller, rotated or hidden labels when the box is narrow (phones).
// A pie's legend is never cut: its names are measured, the legend wraps to as many lines as
// it needs and the box grows by those lines; labels stay beside the pie, truncated to the room
// there is (the full name is in the tooltip).
(function () {
  "use strict";

  var root = document.getElementById("crm-widgets");
  if (!root || !window.echarts) { return; }
  var msg = {
    loading: root.dataset.msgLoading || "Loading…",
    empty: root.dataset.msgEmpty || "No data yet.",
    error: root.dataset.msgError || "This report could not be loaded.",
    retry: root.dataset.msgRetry || "Try again"
  };
  var echartsLocale = (root.dataset.locale || "en").indexOf("zh") === 0 ? "ZH" : "EN";
  var NARROW = 420;

  function numbers(values) {
    return (values || []).map(function (v) { var n = Number(v); return isFinite(n) ? n : 0; });
  }

  function seriesOf(data) {
    if (Array.isArray(data.series) && data.series.length) {
      return data.series.map(function (s) { return { name: String(s.name || ""), values: numbers(s.values) }; });
    }
    return [{ name: "", values: numbers(data.values) }];
  }

  function isEmpty(kind, data) {
    if (!data) { return true; }
    if (kind === "number") { return data.value === null || data.value === undefined || data.value === ""; }
    if (kind === "list") { return !(data.items || []).length; }
    if (!(data.labels || []).length) { return true; }
    return seriesOf(data).every(function (s) { return s.values.every(function (v) { return v === 0; }); });
  }

  function cartesian(kind, data, width) {
    var narrow = width < NARROW;
    var series = seriesOf(data);
    var labels = (data.labels || []).map(String);
    var longest = labels.reduce(function (m, l) { return Math.max(m, l.length); }, 0);
    // a few categories on a phone: wrap each label under its bar (the whole name stays
    // readable); many, or long ones: slant and shorten them (the tooltip has the full name)
    var wrap = narrow && labels.length <= 6;
    var rotate = !wrap && narrow && (longest > 5 || labels.length > 6) ? 45 : 0;
    var slot = Math.max(40, Math.floor((width - 64) / Math.max(labels.length, 1)) - 6);
    return {
      tooltip: { trigger: "axis", confine: true },
      legend: series.length > 1 ? { type: "scroll", bottom: 0 } : { show: false },
      grid: { left: 8, right: 12, top: 16, bottom: series.length > 1 ? 32 : 8, containLabel: true },
      xAxis: {
        type: "category", data: labels,
        axisLabel: { fontSize: narrow ? 10 : 12, rotate: rotate, hideOverlap: !wrap,
          interval: wrap ? 0 : "auto", width: wrap ? slot : narrow ? 64 : 120,
          overflow: wrap ? "break" : "truncate" },
        axisTick: { alignWithLabel: true }
      },
      yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: narrow ? 10 : 12 } },
      series: series.map(function (s) {
        return { name: s.name, type: kind === "line" ? "line" : "bar", data: s.values,
          smooth: kind === "line", barMaxWidth: 36, emphasis: { focus: "series" } };
      })
    };
  }

  var FONT = "12px sans-serif";  // ECharts' default text font
  var measurer = null;

  function textWidth(text) {
    if (!measurer) {
      var canvas = document.createElement("canvas");
      measurer = canvas.getContext ? canvas.getContext("2d") : null;
      if (measurer) { measurer.font = FONT; }
    }
    return measurer ? measurer.measureText(text).width : text.length * 12;
  }

  // ECharts' legend box: 5px padding, 25px symbols, 5px to the text, 10px between items and
  // lines of 14px. The lines a plain legend of these names wraps to within `width`.
  var LEGEND = { padding: 5, symbol: 25, textGap: 5, gap: 10, line: 14 };

  function legendLines(names, width, maxText) {
    var room = width - 2 * LEGEND.padding;
    var lines = 1;
    var x = 0;
    names.forEach(function (name) {
      var item = LEGEND.symbol + LEGEND.textGap + Math.min(textWidth(name), maxText);
      if (x > 0 && x + item > room) { lines += 1; x = 0; }
      x += item + LEGEND.gap;
    });
    return lines;
  }

  // How tall a pie's box must be for its legend's lines (CSS gives the base height).
  function pieHeight(base, width, names) {
    var maxText = Math.max(48, width - 2 * LEGEND.padding - LEGEND.symbol - LEGEND.textGap);
    var lines = legendLines(names, width, maxText);
    return base + Math.max(0, lines - 2) * (LEGEND.line + LEGEND.gap);
  }

  function pie(data, width, height) {
    var values = seriesOf(data)[0].values;
    var names = (data.labels || []).map(String);
    var maxText = Math.max(48, width - 2 * LEGEND.padding - LEGEND.symbol - LEGEND.textGap);
    var lines = legendLines(names, width, maxText);
    var legendHeight = lines * (LEGEND.line + LEGEND.gap) - LEGEND.gap + 2 * LEGEND.padding;
    var top = 8;
    var area = Math.max(80, height - legendHeight - top - 8);  // the pie's square's side
    // Labels sit left and right of the pie: name and share, cut to the room left there.
    var longest = names.reduce(function (m, n) { return Math.max(m, textWidth(n)); }, 0);
    // (+4: ECharts truncates a text that is exactly as wide as its room)
    var labelWidth = Math.ceil(Math.min(Math.max(longest, textWidth("99.99%")), 96, width * 0.22)) + 4;
    var outer = Math.min(area / 2 - 16, width / 2 - labelWidth - 28);
    var showLabels = outer >= 56;
    if (!showLabels) { outer = Math.min(area, width) / 2 - 4; }  // no labels: all for the pie
    return {
      tooltip: { trigger: "item", confine: true, valueFormatter: function (v) { return String(v); } },
      legend: {
        type: "plain", bottom: 0, left: "center", padding: LEGEND.padding,
        itemGap: LEGEND.gap, itemWidth: LEGEND.symbol, itemHeight: LEGEND.line,
        textStyle: { fontSize: 12, width: maxText, overflow: "truncate" },
        tooltip: { show: true }
      },
      series: [{
        type: "pie", radius: [Math.round(outer * 0.55), Math.round(outer)],
        center: ["50%", Math.round(top + area / 2)],
        avoidLabelOverlap: true, minShowLabelAngle: 3,
        label: showLabels ? { show: true, formatter: "{b}\n{d}%", fontSize: 12, lineHeight: 15,
          width: labelWidth, overflow: "truncate" } : { show: false },
        labelLine: { show: showLabels, length: 8, length2: 8 },
        labelLayout: { hideOverlap: true },
        data: names.map(function (label, i) { return { name: label, value: values[i] || 0 }; })
      }]
    };
  }

  function state(el, kind, text, retry) {
    el.setAttribute("aria-busy", kind === "loading" ? "true" : "false");
    el.dataset.state = kind;  // an empty or failed widget is compact (crm.css)
    var box = document.createElement("div");
    box.className = "crm-chart-state crm-chart-" + kind;
    if (kind === "loading") {
      var spinner = document.createElement("div");
      spinner.className = "spinner-border spinner-border-sm text-secondary";
      spinner.setAttribute("aria-hidden", "true");
      box.appendChild(spinner);
    } else {
      var icon = document.createElement("i");
      icon.className = "bi " + (kind === "error" ? "bi-exclamation-triangle text-danger" : "bi-inbox");
      icon.setAttribute("aria-hidden", "true");
      box.appendChild(icon);
    }
    var span = document.createElement("span");
    span.textContent = text;
    box.appendChild(span);
    if (retry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-secondary";
      button.textContent = msg.retry;
      button.addEventListener("click", retry);
      box.appendChild(button);
    }
    el.replaceChildren(box);
  }

  function drawNumber(el, data) {
    var box = document.createElement("div");
    box.className = "crm-number";
    var value = document.createElement("div");
    value.className = "crm-number-value";
    var n = Number(data.value);
    value.textContent = isFinite(n) ? n.toLocaleString(document.documentElement.lang || undefined) : String(data.value);
    box.appendChild(value);
    if (data.label) {
      var caption = document.createElement("div");
      caption.className = "crm-number-label";
      caption.textContent = String(data.label);
      box.appendChild(caption);
    }
    el.replaceChildren(box);
    el.setAttribute("aria-busy", "false");
    el.dataset.state = "number";
  }

  // Only same-site paths and http(s) links: a widget's data must never run script.
  function safeUrl(url) {
    url = String(url || "");
    return (/^\/(?!\/)/.test(url) || /^https?:\/\//i.test(url)) ? url : "";
  }

  function drawList(el, data) {
    var group = document.createElement("div");
    group.className = "list-group list-group-flush crm-widget-list";
    (data.items || []).forEach(function (item) {
      var url = safeUrl(item.url);
      var row = document.createElement(url ? "a" : "div");
      row.className = "list-group-item d-flex justify-content-between align-items-start gap-2" +
        (url ? " list-group-item-action" : "");
      if (url) { row.href = url; }
      var text = document.createElement("div");
      text.className = "text-break";
      var title = document.createElement("div");
      title.className = "fw-semibold";
      title.textContent = String(item.title || "");
      text.appendChild(title);
      if (item.subtitle) {
        var subtitle = document.createElement("div");
        subtitle.className = "small text-muted";
        subtitle.textContent = String(item.subtitle);
        text.appendChild(subtitle);
      }
      row.appendChild(text);
      if (item.badge !== undefined && item.badge !== null && item.badge !== "") {
        var badge = document.createElement("span");
        // "due": "overdue" | "today" | "later" takes the due-date colours of crm.css
        var due = /^(overdue|today|later)$/.test(String(item.due || "")) ? item.due : "";
        badge.className = "badge rounded-pill text-nowrap " +
          (due ? "crm-due-" + due : "text-bg-secondary");
        badge.textContent = String(item.badge);
        row.appendChild(badge);
      }
      group.appendChild(row);
    });
    // A list is as tall as its rows (the box's fixed height is for charts).
    el.style.height = "auto";
    el.style.minHeight = "140px";
    el.replaceChildren(group);
    el.setAttribute("aria-busy", "false");
    el.dataset.state = "list";
  }

  function drawChart(el, kind, data) {
    el.replaceChildren();
    el.setAttribute("aria-busy", "false");
    el.dataset.state = "chart";
    el.style.height = "";
    var base = el.clientHeight;  // the CSS height: a pie grows from it for its legend
    var chart = window.echarts.init(el, null, { renderer: "canvas", locale: echartsLocale });
    var drawn = null;
    function render() {
      var width = el.clientWidth;
      var narrow = width < NARROW;
      if (kind === "pie") {
        // a pie's radius and legend are laid out in pixels: set again at every size
        var height = pieHeight(base, width, (data.labels || []).map(String));
        if (el.clientHeight !== height) { el.style.height = height + "px"; }
        var size = width + "x" + height;
        chart.resize();
        if (size !== drawn) { chart.setOption(pie(data, width, height), drawn === null); }
        drawn = size;
        return;
      }
      if (narrow !== drawn) {
        chart.setOption(cartesian(kind, data, width), true);
        drawn = narrow;
      }
      chart.resize();
    }
    render();
    if (window.ResizeObserver) {
      var pending = false;
      new ResizeObserver(function () {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () { pending = false; render(); });
      }).observe(el);
    } else {
      window.addEventListener("resize", render);
    }
  }

  function load(el) {
    state(el, "loading", msg.loading);
    fetch(el.dataset.widgetUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (widget) {
        var kind = widget.kind || el.dataset.kind;
        var card = el.closest ? el.closest(".crm-widget") : null;
        var caption = card ? card.querySelector(".crm-widget-caption") : null;
        if (caption && widget.caption) {  // "as of 09:20", already in the reader's language
          caption.textContent = String(widget.caption);
          caption.hidden = false;
        }
        var data = widget.data !== undefined ? widget.data : widget;
        if (isEmpty(kind, data)) {
          state(el, "empty", (kind === "list" && data && data.empty) ? String(data.empty) : msg.empty);
        } else if (kind === "list") {
          drawList(el, data);
        } else if (kind === "number") {
          drawNumber(el, data);
        } else {
          drawChart(el, kind, data);
        }
      })
      .catch(function () {
        state(el, "error", msg.error, function () { load(el); });
      });
  }

  document.querySelectorAll(".crm-chart[data-widget-url]").forEach(load);
})();
