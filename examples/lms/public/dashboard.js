// Admin dashboard: polls /admin/stats.json every 2 s and redraws small uPlot charts (served locally).
// Each chart lists its series as [label, pick(point)] (null = a gap); the CPU chart has one series per cluster.
// The charts start with the last 10 minutes of the monitor's history (/admin/history.json).
const colors = ['#37b', '#c52', '#2a7', '#a3b'];
const charts = [
  { id: 'cpu', series: (p) => p.clusters.map((c, i) => [`CPU ${c.name} %`, (q) => q.clusters[i]?.busyPercent ?? 0]) },
  { id: 'temp', series: () => [['SoC °C', (p) => p.socTempC]] },
  {
    id: 'mem',
    series: () => [
      ['memory used %', (p) => p.memoryPercent],
      ['worker heap MB', (p) => (p.heapUsedBytes === null ? null : p.heapUsedBytes / 1048576)],
    ],
  },
  {
    id: 'latency',
    series: () => [
      ['latency p50 ms', (p) => p.latency.p50],
      ['latency p95 ms', (p) => p.latency.p95],
    ],
  },
  { id: 'users', series: () => [['active users', (p) => p.activeUsers]] },
  { id: 'cache', series: () => [['cache hit ratio', (p) => p.cacheHitRatio]] },
  { id: 'ai', series: () => [['AI queue depth', (p) => p.aiQueued]] },
  { id: 'ttft', series: () => [['AI time to first token p95 ms', (p) => p.aiTtftMs]] },
];
const times = [];
let plots;

function build(point) {
  return charts.map((chart) => {
    const series = chart.series(point);
    const box = document.getElementById(chart.id);
    const options = {
      width: Math.min(box.clientWidth || 320, 480),
      height: 140,
      series: [{}, ...series.map(([label], i) => ({ label, stroke: colors[i % colors.length], width: 2 }))],
    };
    const values = series.map(() => []);
    return { series, values, plot: new uPlot(options, [[], ...values], box) };
  });
}

function showAlerts(alerts) {
  const list = document.getElementById('alerts');
  const items = alerts.length === 0 ? ['none'] : alerts.map((a) => `${a.level}: ${a.metric} at ${a.value.toFixed(1)}`);
  list.replaceChildren(
    ...items.map((text) => {
      const item = document.createElement('li');
      item.textContent = text;
      return item;
    }),
  );
}

function add(point) {
  plots ??= build(point);
  times.push(point.t / 1000);
  const full = times.length > 300;
  if (full) times.shift();
  for (const chart of plots) {
    chart.series.forEach(([, pick], i) => {
      chart.values[i].push(pick(point) ?? null);
      if (full) chart.values[i].shift();
    });
  }
}

function draw() {
  for (const chart of plots ?? []) chart.plot.setData([times, ...chart.values]);
}

const get = async (url) => (await fetch(url, { credentials: 'same-origin' })).json();

async function tick() {
  try {
    const point = await get('/admin/stats.json');
    add(point);
    draw();
    showAlerts(point.alerts);
  } catch {
    // A missed sample (worker restarting) just leaves a gap.
  }
}

async function start() {
  try {
    for (const point of await get('/admin/history.json')) add(point);
  } catch {
    // No history yet (a fresh worker): the live feed fills the charts.
  }
  await tick();
  setInterval(tick, 2000);
}
start();
