// Admin dashboard: polls /admin/stats.json every 2 s and redraws small uPlot charts (served locally).
const charts = [
  { id: 'cpu', label: 'CPU % (this worker)', pick: (s) => s.cpuPercent },
  { id: 'temp', label: 'SoC °C', pick: (s) => s.socTempC ?? 0 },
  { id: 'mem', label: 'RSS MB', pick: (s) => s.rssBytes / 1048576 },
  { id: 'p95', label: 'latency p95 ms', pick: (s) => s.latency.p95 },
  { id: 'users', label: 'active users', pick: (s) => s.activeUsers },
  { id: 'cache', label: 'cache hit ratio', pick: (s) => s.cacheHitRatio ?? 0 },
  { id: 'ai', label: 'AI queue depth', pick: (s) => s.aiQueued ?? 0 },
];
const times = [];
const values = charts.map(() => []);
const plots = charts.map((chart) => {
  const box = document.getElementById(chart.id);
  const width = Math.min(box.clientWidth || 320, 480);
  return new uPlot(
    { width, height: 140, series: [{}, { label: chart.label, stroke: '#37b', width: 2 }] },
    [[], []],
    box,
  );
});
async function tick() {
  try {
    const snapshot = await (await fetch('/admin/stats.json', { credentials: 'same-origin' })).json();
    times.push(snapshot.t / 1000);
    charts.forEach((chart, i) => {
      values[i].push(chart.pick(snapshot));
    });
    if (times.length > 300) {
      times.shift();
      for (const v of values) v.shift();
    }
    plots.forEach((plot, i) => {
      plot.setData([times, values[i]]);
    });
  } catch {
    // A missed sample (worker restarting) just leaves a gap.
  }
}
tick();
setInterval(tick, 2000);
