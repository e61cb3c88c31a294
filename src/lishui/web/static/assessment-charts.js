/* Assessment dashboard charts (ECharts, served from /static/echarts). Reads its data from the JSON block
   #dashboard-data: no inline script, so the page keeps the strict Content-Security-Policy. */
(function () {
  "use strict";
  function num(text) { return text === null ? null : Number(text); }
  function draw() {
    var block = document.getElementById("dashboard-data");
    if (!block || typeof echarts === "undefined") { return; }
    var data = JSON.parse(block.textContent);
    var charts = [];
    var trendEl = document.getElementById("trend-chart");
    if (trendEl && data.trend.periods.length) {
      var trend = echarts.init(trendEl, null, { renderer: "canvas" });
      trend.setOption({
        animation: false,
        grid: { left: 80, right: 24, top: 24, bottom: 32 },
        tooltip: { trigger: "axis", renderMode: "richText" },
        xAxis: { type: "category", data: data.trend.periods },
        yAxis: { type: "value", name: data.unit },
        series: [{ type: "line", name: data.indicator, data: data.trend.values.map(num),
                   symbolSize: 8, itemStyle: { color: "#1f5fa8" } }]
      });
      charts.push(trend);
    }
    var countyEl = document.getElementById("county-chart");
    if (countyEl) {
      var bars = echarts.init(countyEl, null, { renderer: "canvas" });
      bars.setOption({
        animation: false,
        grid: { left: 80, right: 24, top: 24, bottom: 56 },
        tooltip: { trigger: "axis", renderMode: "richText" },
        xAxis: { type: "category", data: data.counties.names, axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value", name: data.unit },
        series: [{ type: "bar", name: data.indicator, data: data.counties.values.map(num),
                   itemStyle: { color: "#2e8b57" } }]
      });
      charts.push(bars);
    }
    var gaugeEl = document.getElementById("gauge-chart");
    if (gaugeEl && data.gauges.length) {
      var per = Math.min(4, data.gauges.length);
      var rows = Math.ceil(data.gauges.length / per);
      gaugeEl.style.height = (rows * 200 + 20) + "px";
      var gauges = echarts.init(gaugeEl, null, { renderer: "canvas" });
      gauges.setOption({
        animation: false,
        series: data.gauges.map(function (g, i) {
          var col = i % per, row = Math.floor(i / per);
          return {
            type: "gauge", min: 0, max: 100, radius: 68,
            center: [((col + 0.5) * 100 / per) + "%", (row * 200 + 90) + "px"],
            progress: { show: true, width: 12 }, axisLine: { lineStyle: { width: 12 } },
            axisLabel: { show: false }, splitLine: { show: false }, axisTick: { show: false }, pointer: { show: false },
            title: { offsetCenter: [0, "95%"], fontSize: 12 },
            detail: { valueAnimation: false, formatter: "{value}%", fontSize: 16, offsetCenter: [0, "0%"] },
            data: [{ value: g.percent, name: g.id + " " + g.label }]
          };
        })
      });
      charts.push(gauges);
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.body.setAttribute("data-charts-ready", String(charts.length));
  }
  function drawBulletin() {
    var block = document.getElementById("bulletin-data");
    if (!block || typeof echarts === "undefined") { return; }
    var data = JSON.parse(block.textContent);
    var drawn = 0;
    function bars(id, names, values, max, suffix) {
      var el = document.getElementById(id);
      if (!el || !names.length) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        grid: { left: 150, right: 48, top: 8, bottom: 24 },
        xAxis: { type: "value", max: max },
        yAxis: { type: "category", data: names.slice().reverse() },
        series: [{ type: "bar", data: values.slice().reverse(), itemStyle: { color: "#1f5fa8" },
                   label: { show: true, position: "right", formatter: "{c}" + suffix } }]
      });
      drawn += 1;
    }
    bars("ranking-chart", data.ranking.map(function (r) { return r.name; }),
         data.ranking.map(function (r) { return num(r.total); }), 100, "");
    var measured = data.targets.filter(function (t) { return t.percent !== null; });
    bars("target-chart", measured.map(function (t) { return t.id + " " + t.label; }),
         measured.map(function (t) { return Math.min(t.percent, 100); }), 100, "%");
    document.body.setAttribute("data-charts-ready", String(drawn));
  }
  function start() { draw(); drawBulletin(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
