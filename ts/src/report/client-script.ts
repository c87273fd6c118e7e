/**
 * The report's in-page script (plain browser JS, no build step): reads the embedded JSON and
 * draws each run's charts with the inlined echarts bundle. Kept free of backticks and `${`.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var FONT = { fontFamily: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif" };
  var charts = [];
  function pct(x, d) { return (x * 100).toFixed(d === undefined ? 1 : d) + "%"; }
  function money(x) { return x.toLocaleString("en-US", { maximumFractionDigits: 0 }); }
  function init(id) {
    var el = document.getElementById(id);
    var c = echarts.init(el, null, { renderer: "canvas" });
    charts.push(c);
    return c;
  }
  function pairs(ts, ys) {
    var out = new Array(ts.length);
    for (var i = 0; i < ts.length; i++) out[i] = [ts[i], ys[i]];
    return out;
  }
  var grid = { left: 70, right: 24, top: 40, bottom: 56 };
  var timeAxis = { type: "time", name: "bar open time (UTC)", nameLocation: "middle", nameGap: 30, axisLabel: { hideOverlap: true, formatter: { year: "{yyyy}", month: "{MMM} {yyyy}", day: "{d} {MMM}", hour: "{HH}:{mm}" } } };
  data.runs.forEach(function (r, k) {
    init("equity-" + k).setOption({
      useUTC: true, animation: false, textStyle: FONT,
      legend: { top: 6, data: ["strategy", "buy & hold"] },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return money(v); } },
      grid: grid,
      xAxis: timeAxis,
      yAxis: { type: "value", name: "equity", scale: true, axisLabel: { formatter: function (v) { return money(v); } } },
      series: [
        { name: "strategy", type: "line", showSymbol: false, sampling: "lttb", lineStyle: { width: 1.6 }, color: "#2563eb", data: pairs(r.ts, r.equity) },
        { name: "buy & hold", type: "line", showSymbol: false, sampling: "lttb", lineStyle: { width: 1.2 }, color: "#9ca3af", data: pairs(r.ts, r.buyHold) }
      ]
    });
    init("drawdown-" + k).setOption({
      useUTC: true, animation: false, textStyle: FONT,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return pct(v, 2); } },
      grid: { left: 70, right: 24, top: 30, bottom: 56 },
      xAxis: timeAxis,
      yAxis: { type: "value", name: "drawdown", max: 0, axisLabel: { formatter: function (v) { return pct(v, 0); } } },
      series: [{ name: "drawdown", type: "line", showSymbol: false, sampling: "lttb", color: "#dc2626", lineStyle: { width: 1 }, areaStyle: { opacity: 0.25 }, data: pairs(r.ts, r.drawdown) }]
    });
    var years = [];
    r.months.forEach(function (m) { if (years.indexOf(String(m.year)) < 0) years.push(String(m.year)); });
    var extent = 0.01;
    r.months.forEach(function (m) { extent = Math.max(extent, Math.abs(m.ret)); });
    init("monthly-" + k).setOption({
      animation: false, textStyle: FONT,
      tooltip: { formatter: function (p) { return MONTHS[p.value[0]] + " " + years[p.value[1]] + ": " + pct(p.value[2], 2); } },
      grid: { left: 70, right: 24, top: 20, bottom: 70 },
      xAxis: { type: "category", data: MONTHS, splitArea: { show: true } },
      yAxis: { type: "category", data: years, splitArea: { show: true } },
      visualMap: { min: -extent, max: extent, calculable: false, text: ["+" + pct(extent, 0), pct(-extent, 0)], orient: "horizontal", left: "center", bottom: 4, itemHeight: 160, itemWidth: 12,
        inRange: { color: ["#b91c1c", "#fca5a5", "#f8fafc", "#86efac", "#15803d"] }, formatter: function (v) { return pct(v, 0); } },
      series: [{ type: "heatmap", label: { show: true, fontSize: 11, formatter: function (p) { return pct(p.value[2], 1); } },
        data: r.months.map(function (m) { return [m.month, years.indexOf(String(m.year)), m.ret]; }) }]
    });
    var h = r.histogram;
    var hist = init("histogram-" + k);
    if (h.counts.length === 0) {
      hist.setOption({ animation: false, textStyle: FONT, title: { text: "no closed round trips", left: "center", top: "middle", textStyle: { color: "#6b7280", fontSize: 14 } } });
    } else {
      var labels = h.counts.map(function (_, i) { return pct((h.edges[i] + h.edges[i + 1]) / 2, 1); });
      hist.setOption({
        animation: false, textStyle: FONT,
        tooltip: { trigger: "axis", formatter: function (ps) { var i = ps[0].dataIndex; return pct(h.edges[i], 2) + " .. " + pct(h.edges[i + 1], 2) + ": " + h.counts[i] + " trips"; } },
        grid: { left: 56, right: 24, top: 30, bottom: 56 },
        xAxis: { type: "category", data: labels, name: "round-trip return (net of fees)", nameLocation: "middle", nameGap: 32, axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", name: "round trips", minInterval: 1 },
        series: [{ type: "bar", barCategoryGap: "8%", data: h.counts.map(function (c, i) {
          var mid = (h.edges[i] + h.edges[i + 1]) / 2;
          return { value: c, itemStyle: { color: mid < 0 ? "#dc2626" : "#16a34a" } };
        }) }]
      });
    }
    if (r.allocation) {
      var al = r.allocation;
      init("allocation-" + k).setOption({
        useUTC: true, animation: false, textStyle: FONT,
        legend: { top: 4, type: "scroll" },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return pct(v, 0); } },
        grid: { left: 56, right: 24, top: 40, bottom: 56 },
        xAxis: timeAxis,
        yAxis: { type: "value", min: 0, max: function (v) { return Math.max(1, v.max); }, axisLabel: { formatter: function (v) { return pct(v, 0); } } },
        series: al.symbols.map(function (s, j) {
          return { name: s, type: "line", stack: "held", showSymbol: false, step: "end", lineStyle: { width: 0 }, areaStyle: { opacity: 0.8 }, data: pairs(al.ts, al.share[j]) };
        })
      });
      init("pnl-" + k).setOption({
        animation: false, textStyle: FONT,
        tooltip: { trigger: "axis", valueFormatter: function (v) { return money(v); } },
        grid: { left: 70, right: 24, top: 20, bottom: 56 },
        xAxis: { type: "category", data: al.symbols },
        yAxis: { type: "value", name: "PnL", axisLabel: { formatter: function (v) { return money(v); } } },
        series: [{ type: "bar", data: al.pnl.map(function (v) { return { value: v, itemStyle: { color: v < 0 ? "#dc2626" : "#16a34a" } }; }) }]
      });
    }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute("data-rendered", String(charts.length));
})();
`;
