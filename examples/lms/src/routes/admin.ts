import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Content } from '../content.js';
import type { Db } from '../db.js';
import type { Heartbeats } from '../heartbeats.js';
import { html } from '../html.js';
import type { Monitoring } from '../monitoring.js';
import type { Storage } from '../storage.js';
import type { Tutor } from '../tutor.js';
import type { Web } from '../web.js';

// uPlot is served from node_modules (no CDN: the board is offline), by the app since nginx only knows public/.
const uplotDir = resolve(import.meta.dirname, '../../../../node_modules/uplot/dist');
const vendorFiles: Record<string, string> = { 'uPlot.iife.min.js': 'text/javascript', 'uPlot.min.css': 'text/css' };

/** What the admin routes show. */
export interface AdminDeps {
  db: Db;
  content: Content;
  tutor: Tutor;
  heartbeats: Heartbeats;
  monitoring: Monitoring;
  storage: Storage;
  /** Where the primary writes the nightly backups. */
  backupsDir: string;
}

/** Backup files, newest first (none while the directory does not exist yet). */
function listBackups(dir: string): { name: string; bytes: number }[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.db'))
      .sort()
      .reverse()
      .map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
  } catch {
    return [];
  }
}

/** The admin overview, the live monitor dashboard, its JSON feed, `/metrics` and the chart library. */
export function adminRoutes(
  app: FastifyInstance,
  web: Web,
  { db, content, tutor, heartbeats, monitoring, storage, backupsDir }: AdminDeps,
): void {
  const { guard, page } = web;
  const counts = db.prepare(
    'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM sessions WHERE expires_at > ?) AS sessions, (SELECT count(*) FROM progress) AS completions',
  );

  app.get('/admin', async (request, reply) => {
    const ctx = guard(request, reply, ['admin']);
    if (!ctx) return reply;
    const c = counts.get(Date.now()) as { users: number; sessions: number; completions: number };
    const backups = listBackups(backupsDir).map((b) => html`<li>${b.name} (${(b.bytes / 1048576).toFixed(1)} MB)</li>`);
    return page(
      reply,
      'Admin',
      html`<ul><li>Users: ${c.users}</li><li>Live sessions: ${c.sessions}</li><li>Lesson completions: ${c.completions}</li></ul>
<h2>Cache</h2><pre>${JSON.stringify(content.stats(), null, 1)}</pre>
<h2>AI queue</h2><pre>${JSON.stringify(tutor.stats(), null, 1)}</pre>
<h2>Heartbeat write-behind</h2><pre>${JSON.stringify(heartbeats.stats(), null, 1)}</pre>
<h2>Storage (group commit, readers)</h2><pre>${JSON.stringify(storage.stats(), null, 1)}</pre>
<h2>Backups</h2><ul>${backups.length > 0 ? backups : html`<li>none yet</li>`}</ul><p><a href="/admin/dashboard">Live monitor</a></p>`,
      ctx,
    );
  });

  app.get('/admin/dashboard', async (request, reply) => {
    const ctx = guard(request, reply, ['admin']);
    if (!ctx) return reply;
    const boxes = ['cpu', 'temp', 'mem', 'latency', 'users', 'cache', 'ai', 'ttft'].map(
      (id) => html`<div id="${id}" class="chart"></div>`,
    );
    const report = monitoring.report();
    const bottlenecks = report.bottlenecks.length > 0 ? report.bottlenecks.join(', ') : 'none found';
    return page(
      reply,
      'Monitor',
      html`<link rel="stylesheet" href="/vendor/uPlot.min.css"><p>Live, one sample every 2 s for the whole board; the
report below is from the worker that answered this page.</p><h2>Alerts</h2><ul id="alerts"><li>none</li></ul>${boxes}
<h2>Report of the last hour</h2><p>Bottleneck: ${bottlenecks}</p><ul id="recommendations">${report.recommendations.map(
        (r) => html`<li>${r}</li>`,
      )}</ul><p><a href="/metrics">Prometheus metrics</a></p>
<script src="/vendor/uPlot.iife.min.js" defer></script><script src="/static/dashboard.js" defer></script>`,
      ctx,
    );
  });

  // The dashboard starts with the last 10 minutes from the monitor's history, one point per 2 s like the live feed.
  app.get('/admin/history.json', async (request, reply) => {
    if (!guard(request, reply, ['admin'])) return reply;
    reply.header('cache-control', 'no-store');
    return monitoring.recent();
  });

  app.get('/admin/stats.json', async (request, reply) => {
    if (!guard(request, reply, ['admin'])) return reply;
    reply.header('cache-control', 'no-store');
    return monitoring.point();
  });

  // Prometheus scrapes from the board itself; through nginx (X-Forwarded-For set) only an admin may read it.
  app.get('/metrics', async (request, reply) => {
    const local = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(request.socket.remoteAddress ?? '');
    if (!(local && request.headers['x-forwarded-for'] === undefined) && !guard(request, reply, ['admin'])) return reply;
    const { contentType, text } = await monitoring.prometheus();
    return reply.type(contentType).send(text);
  });

  app.get('/vendor/:name', async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const type = Object.hasOwn(vendorFiles, name) ? vendorFiles[name] : undefined;
    if (!type) return reply.code(404).type('text/plain').send('not found');
    reply.header('cache-control', 'public, max-age=604800');
    return reply.type(type).send(createReadStream(join(uplotDir, name)));
  });
}
