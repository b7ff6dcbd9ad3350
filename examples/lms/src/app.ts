import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { createImageServer } from '@pilms/media-optimizer';
import { mediaPlugin } from '@pilms/media-optimizer/fastify';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import MarkdownIt from 'markdown-it';
import { type Auth, createAuth, type User } from './auth.js';
import type { Config } from './config.js';
import { type Content, createContent } from './content.js';
import { type Db, openDb } from './db.js';
import { createHeartbeats } from './heartbeats.js';
import { html, layout, Safe } from './html.js';
import { createMetrics } from './metrics.js';
import { createTutor, offlineMessage } from './tutor.js';
import { createUploads, maxUploadBytes } from './uploads.js';

type Role = User['role'];
interface Ctx {
  user: User;
  csrf: string;
  sid: string;
}

const markdown = new MarkdownIt({ html: false, linkify: false });
const sessionCookie = 'pilms_sid';
const maxBodyBytes = 64 * 1024;
const publicDir = resolve(import.meta.dirname, '../public');
// uPlot is served from node_modules (no CDN: the board is offline), by the app since nginx only knows public/.
const uplotDir = resolve(import.meta.dirname, '../../../node_modules/uplot/dist');
const vendorFiles: Record<string, string> = { 'uPlot.iife.min.js': 'text/javascript', 'uPlot.min.css': 'text/css' };

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return out;
}

function secure(request: FastifyRequest): boolean {
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The running LMS: a Fastify instance plus what shutdown must close. */
export interface LmsApp {
  app: FastifyInstance;
  db: Db;
  close(): Promise<void>;
}

/** Builds the LMS on an already seeded data dir. Routes and their roles are listed in the README. */
export function buildApp(config: Config): LmsApp {
  const db = openDb(config.dataDir, config.perf);
  const auth: Auth = createAuth(db);
  const content: Content = createContent(db, config.perf);
  const mediaDir = resolve(config.dataDir, 'media');
  const tutor = createTutor({ host: config.ollamaHost, model: config.ollamaModel, queued: config.perf });
  const app = Fastify({ bodyLimit: maxBodyBytes, trustProxy: true });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // Optimized variants are content-addressed and public, so nginx and browsers may cache them forever.
  void app.register(mediaPlugin, {
    server: createImageServer({ dir: join(mediaDir, 'images') }),
    prefix: '/media/images',
  });
  const pictureOf = db.prepare('SELECT picture FROM images WHERE name = ?').pluck();
  /** Swaps each `<img>` of an original for its responsive `<picture>`, keeping the lesson's (escaped) alt text. */
  function responsive(rendered: string): string {
    return rendered.replace(/<img src="\/media\/([\w.-]+)" alt="([^"]*)">/g, (tag, name: string, alt: string) => {
      const picture = pictureOf.get(name) as string | undefined;
      return picture ? picture.replace(/alt="[^"]*"/, `alt="${alt}"`) : tag;
    });
  }

  const heartbeats = createHeartbeats(db, config.perf);
  const metrics = createMetrics({ cache: content, ai: tutor, writeBehind: heartbeats });
  const sessions = new WeakMap<FastifyRequest, Ctx>();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'other';
    metrics.record(request.method, route, reply.statusCode, reply.elapsedTime, sessions.get(request)?.sid);
  });
  app.addHook('onRequest', async (request) => {
    const sid = parseCookies(request.headers.cookie)[sessionCookie];
    const session = auth.session(sid);
    if (session && sid) sessions.set(request, { ...session, sid });
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });

  /** Enforces sign-in, the role list and (on POST) the CSRF token; replies itself when refused. */
  function guard(request: FastifyRequest, reply: FastifyReply, roles: readonly Role[]): Ctx | undefined {
    const ctx = sessions.get(request);
    if (!ctx) {
      void reply.redirect('/login', 303);
      return undefined;
    }
    if (!roles.includes(ctx.user.role)) {
      void reply.code(403).type('text/html').send(layout('Forbidden', html`<p>Your role may not open this page.</p>`));
      return undefined;
    }
    const token = field(request.body, '_csrf') || request.headers['x-csrf-token'];
    if (request.method === 'POST' && token !== ctx.csrf) {
      void reply.code(403).type('text/html').send(layout('Forbidden', html`<p>The form expired; reload the page.</p>`));
      return undefined;
    }
    return ctx;
  }

  function page(reply: FastifyReply, title: string, body: ReturnType<typeof html>, ctx?: Ctx, status = 200) {
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(layout(title, body, ctx?.user, ctx?.csrf));
  }

  const all = ['admin', 'teacher', 'student'] as const;
  const staff = ['admin', 'teacher'] as const;

  const enrolled = db.prepare('SELECT 1 FROM enrolments WHERE user_id = ? AND course_id = ?');
  function mayOpenCourse(user: User, course: { id: number; teacherId: number }): boolean {
    if (user.role === 'admin') return true;
    if (user.role === 'teacher') return course.teacherId === user.id;
    return enrolled.get(user.id, course.id) !== undefined;
  }

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/login', async (request, reply) => {
    const error = (request.query as Record<string, string>).error;
    return page(
      reply,
      'Sign in',
      html`${error ? html`<p role="alert">Wrong email or password, or too many attempts; wait and retry.</p>` : ''}
<form method="post" action="/login"><label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button>Sign in</button></form>`,
    );
  });

  app.post('/login', async (request, reply) => {
    const email = field(request.body, 'email').trim().toLowerCase();
    const key = `${request.ip}|${email}`;
    if (auth.isLimited(key)) {
      reply.header('retry-after', '900');
      return page(
        reply,
        'Too many attempts',
        html`<p role="alert">Too many failed sign-ins; wait 15 minutes.</p>`,
        undefined,
        429,
      );
    }
    const sid = auth.login(email, field(request.body, 'password'), key);
    if (!sid) return reply.redirect('/login?error=1', 303);
    const flags = `; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200${secure(request) ? '; Secure' : ''}`;
    reply.header('set-cookie', `${sessionCookie}=${sid}${flags}`);
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    const ctx = guard(request, reply, all);
    if (!ctx) return reply;
    auth.logout(ctx.sid);
    reply.header('set-cookie', `${sessionCookie}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    return reply.redirect('/login', 303);
  });

  const myCourses = {
    admin: db.prepare('SELECT id, title, summary FROM courses ORDER BY id'),
    teacher: db.prepare('SELECT id, title, summary FROM courses WHERE teacher_id = ? ORDER BY id'),
    student: db.prepare(
      'SELECT c.id, c.title, c.summary FROM courses c JOIN enrolments e ON e.course_id = c.id WHERE e.user_id = ? ORDER BY c.id',
    ),
  };
  const courseProgress = db.prepare(
    `SELECT count(p.lesson_id) AS done, count(l.id) AS total FROM lessons l JOIN modules m ON m.id = l.module_id
     LEFT JOIN progress p ON p.lesson_id = l.id AND p.user_id = ? WHERE m.course_id = ?`,
  );

  app.get('/', async (request, reply) => {
    const ctx = sessions.get(request);
    if (!ctx) {
      return page(
        reply,
        'Pi-LMS',
        html`<p>The school's offline learning platform.</p><p><a href="/login">Sign in</a></p>`,
      );
    }
    const rows = (ctx.user.role === 'admin' ? myCourses.admin.all() : myCourses[ctx.user.role].all(ctx.user.id)) as {
      id: number;
      title: string;
      summary: string;
    }[];
    const items = rows.map((course) => {
      const p = courseProgress.get(ctx.user.id, course.id) as { done: number; total: number };
      const progress =
        ctx.user.role === 'student'
          ? html` <progress max="${p.total}" value="${p.done}">${p.done}/${p.total}</progress> ${p.done}/${p.total}`
          : '';
      return html`<li><a href="/courses/${course.id}">${course.title}</a>${progress}<br><small>${course.summary}</small></li>`;
    });
    return page(reply, 'My courses', html`<ul>${items}</ul>`, ctx);
  });

  function idParam(request: FastifyRequest): number {
    const id = Number((request.params as { id: string }).id);
    return Number.isSafeInteger(id) && id > 0 ? id : 0;
  }

  const doneLessons = db.prepare(
    `SELECT p.lesson_id AS id FROM progress p JOIN lessons l ON l.id = p.lesson_id JOIN modules m ON m.id = l.module_id
     WHERE p.user_id = ? AND m.course_id = ?`,
  );

  async function openCourse(request: FastifyRequest, reply: FastifyReply, ctx: Ctx) {
    const course = await content.course(idParam(request));
    if (course && mayOpenCourse(ctx.user, course)) return course;
    void page(reply, 'Not found', html`<p>No such course.</p>`, ctx, 404);
    return undefined;
  }

  app.get('/courses/:id', async (request, reply) => {
    const ctx = guard(request, reply, all);
    if (!ctx) return reply;
    const course = await openCourse(request, reply, ctx);
    if (!course) return reply;
    const done = new Set((doneLessons.all(ctx.user.id, course.id) as { id: number }[]).map((r) => r.id));
    const modules = course.modules.map(
      (m) =>
        html`<h2>${m.title}</h2><ol>${m.lessons.map(
          (l) => html`<li><a href="/lessons/${l.id}">${l.title}</a>${done.has(l.id) ? ' ✓' : ''}</li>`,
        )}</ol>`,
    );
    const edit = ctx.user.role === 'student' ? '' : html`<p><a href="/courses/${course.id}/edit">Edit course</a></p>`;
    return page(reply, course.title, html`<p>${course.summary}</p>${edit}${modules}`, ctx);
  });

  app.get('/courses/:id/edit', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    const course = await openCourse(request, reply, ctx);
    if (!course) return reply;
    return page(
      reply,
      `Edit ${course.title}`,
      html`<form method="post" action="/courses/${course.id}/edit"><input type="hidden" name="_csrf" value="${ctx.csrf}">
<label>Title <input name="title" value="${course.title}" required maxlength="200"></label>
<label>Summary <textarea name="summary" maxlength="2000">${course.summary}</textarea></label><button>Save</button></form>`,
      ctx,
    );
  });

  const updateCourse = db.prepare('UPDATE courses SET title = ?, summary = ? WHERE id = ?');
  app.post('/courses/:id/edit', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    const course = await openCourse(request, reply, ctx);
    if (!course) return reply;
    const title = field(request.body, 'title').trim().slice(0, 200);
    if (!title) return page(reply, 'Invalid', html`<p>A course needs a title.</p>`, ctx, 400);
    updateCourse.run(title, field(request.body, 'summary').slice(0, 2000), course.id);
    await content.invalidate(`course:${course.id}`);
    return reply.redirect(`/courses/${course.id}`, 303);
  });

  const answered = db.prepare(
    'SELECT a.question_id AS id, a.choice, a.correct FROM quiz_answers a JOIN quiz_questions q ON q.id = a.question_id WHERE a.user_id = ? AND q.lesson_id = ?',
  );
  const lessonDone = db.prepare('SELECT 1 FROM progress WHERE user_id = ? AND lesson_id = ?');

  async function openLesson(request: FastifyRequest, reply: FastifyReply, ctx: Ctx) {
    const lesson = await content.lesson(idParam(request));
    const course = lesson ? await content.course(lesson.courseId) : null;
    if (!lesson || !course || !mayOpenCourse(ctx.user, course)) {
      void page(reply, 'Not found', html`<p>No such lesson.</p>`, ctx, 404);
      return undefined;
    }
    return { lesson, course };
  }

  app.get('/lessons/:id', async (request, reply) => {
    const ctx = guard(request, reply, all);
    if (!ctx) return reply;
    const found = await openLesson(request, reply, ctx);
    if (!found) return reply;
    const { lesson, course } = found;
    const answers = new Map(
      (answered.all(ctx.user.id, lesson.id) as { id: number; choice: number; correct: number }[]).map((a) => [a.id, a]),
    );
    const quiz = lesson.questions.map((q) => {
      const answer = answers.get(q.id);
      const result = answer
        ? html`<p class="result">${answer.correct ? 'Correct' : 'Not quite'}: you chose “${q.choices[answer.choice]}”.</p>`
        : '';
      return html`<fieldset><legend>${q.prompt}</legend>${q.choices.map(
        (choice, i) => html`<label><input type="radio" name="q${q.id}" value="${i}" required> ${choice}</label>`,
      )}${result}</fieldset>`;
    });
    const quizForm =
      quiz.length > 0 && ctx.user.role === 'student'
        ? html`<h2>Quiz</h2><form method="post" action="/lessons/${lesson.id}/quiz"><input type="hidden" name="_csrf" value="${ctx.csrf}">${quiz}<button>Check answers</button></form>`
        : '';
    const complete =
      ctx.user.role !== 'student'
        ? ''
        : lessonDone.get(ctx.user.id, lesson.id)
          ? html`<p>✓ You completed this lesson.</p>`
          : html`<form method="post" action="/lessons/${lesson.id}/complete"><input type="hidden" name="_csrf" value="${ctx.csrf}"><button>Mark as done</button></form>`;
    const chat = html`<h2>Ask the AI tutor</h2><form id="tutor" method="get" action="/lessons/${lesson.id}/tutor">
<label>Your question <input name="q" required maxlength="500"></label><button>Ask</button></form>
<p id="answer" aria-live="polite"></p><script src="/static/tutor.js" defer></script>`;
    const heartbeat =
      ctx.user.role === 'student'
        ? html`<div hidden data-heartbeat="/lessons/${lesson.id}/heartbeat" data-csrf="${ctx.csrf}"></div><script src="/static/heartbeat.js" defer></script>`
        : '';
    const body = html`<p><a href="/courses/${course.id}">← ${course.title}</a></p>
<article>${new Safe(responsive(markdown.render(lesson.body)))}</article>${complete}${quizForm}${chat}${heartbeat}`;
    return page(reply, lesson.title, body, ctx);
  });

  // Server-sent events: `token` events carry JSON strings, then `done`; `offline` when Ollama cannot answer.
  app.get('/lessons/:id/tutor', async (request, reply) => {
    const ctx = guard(request, reply, all);
    if (!ctx) return reply;
    const found = await openLesson(request, reply, ctx);
    if (!found) return reply;
    const question = String((request.query as Record<string, unknown>).q ?? '').slice(0, 500);
    const controller = new AbortController();
    request.raw.on('close', () => controller.abort());
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: string) => out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    try {
      const { lesson } = found;
      const input = { lessonTitle: lesson.title, lessonText: lesson.body, question, user: String(ctx.user.id) };
      for await (const token of tutor.ask({ ...input, signal: controller.signal })) send('token', token);
      send('done', '');
    } catch {
      if (!controller.signal.aborted) send('offline', offlineMessage);
    }
    out.end();
  });

  // nginx serves /static/ itself in production (deploy/); this keeps a bare `npm start` complete.
  app.get('/static/:name', async (request, reply) => {
    const name = (request.params as { name: string }).name;
    if (!/^[\w-]+\.(js|css)$/.test(name) || !existsSync(join(publicDir, name))) {
      return reply.code(404).type('text/plain').send('not found');
    }
    reply.header('cache-control', 'public, max-age=604800');
    return reply
      .type(name.endsWith('.js') ? 'text/javascript' : 'text/css')
      .send(createReadStream(join(publicDir, name)));
  });

  app.post('/lessons/:id/heartbeat', async (request, reply) => {
    const ctx = guard(request, reply, ['student']);
    if (!ctx) return reply;
    const found = await openLesson(request, reply, ctx);
    if (!found) return reply;
    await heartbeats.beat(ctx.user.id, found.lesson.id);
    return reply.code(204).send();
  });

  const markDone = db.prepare('INSERT OR IGNORE INTO progress (user_id, lesson_id, completed_at) VALUES (?, ?, ?)');
  app.post('/lessons/:id/complete', async (request, reply) => {
    const ctx = guard(request, reply, ['student']);
    if (!ctx) return reply;
    const found = await openLesson(request, reply, ctx);
    if (!found) return reply;
    markDone.run(ctx.user.id, found.lesson.id, Date.now());
    return reply.redirect(`/lessons/${found.lesson.id}`, 303);
  });

  const saveAnswer = db.prepare(
    `INSERT INTO quiz_answers (user_id, question_id, choice, correct, answered_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(user_id, question_id) DO UPDATE SET choice = excluded.choice, correct = excluded.correct, answered_at = excluded.answered_at`,
  );
  app.post('/lessons/:id/quiz', async (request, reply) => {
    const ctx = guard(request, reply, ['student']);
    if (!ctx) return reply;
    const found = await openLesson(request, reply, ctx);
    if (!found) return reply;
    const now = Date.now();
    db.transaction(() => {
      for (const q of found.lesson.questions) {
        const choice = Number(field(request.body, `q${q.id}`));
        if (!Number.isInteger(choice) || choice < 0 || choice >= q.choices.length) continue;
        saveAnswer.run(ctx.user.id, q.id, choice, choice === q.answer ? 1 : 0, now);
      }
      markDone.run(ctx.user.id, found.lesson.id, now);
    })();
    return reply.redirect(`/lessons/${found.lesson.id}`, 303);
  });

  const overview = db.prepare(
    `SELECT u.id, u.name, c.title AS course,
       (SELECT count(*) FROM progress p JOIN lessons l ON l.id = p.lesson_id JOIN modules m ON m.id = l.module_id
         WHERE p.user_id = u.id AND m.course_id = c.id) AS done,
       (SELECT count(*) FROM lessons l JOIN modules m ON m.id = l.module_id WHERE m.course_id = c.id) AS total,
       (SELECT l.title FROM lessons l JOIN modules m ON m.id = l.module_id
         WHERE m.course_id = c.id AND l.id NOT IN (SELECT lesson_id FROM progress WHERE user_id = u.id)
         ORDER BY m.position, l.position LIMIT 1) AS next,
       (SELECT coalesce(sum(rt.seconds), 0) FROM reading_time rt JOIN lessons l ON l.id = rt.lesson_id
         JOIN modules m ON m.id = l.module_id WHERE rt.user_id = u.id AND m.course_id = c.id) AS seconds
     FROM courses c JOIN enrolments e ON e.course_id = c.id JOIN users u ON u.id = e.user_id
     WHERE (? = 'admin' OR c.teacher_id = ?) ORDER BY c.id, done, u.name`,
  );
  app.get('/teacher', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    const rows = overview.all(ctx.user.role, ctx.user.id) as {
      name: string;
      course: string;
      done: number;
      total: number;
      next: string | null;
      seconds: number;
    }[];
    const table = html`<table><thead><tr><th scope="col">Student</th><th scope="col">Course</th><th scope="col">Done</th><th scope="col">Stuck at</th><th scope="col">Minutes read</th></tr></thead><tbody>${rows.map(
      (r) =>
        html`<tr><td>${r.name}</td><td>${r.course}</td><td>${r.done}/${r.total}</td><td>${r.next ?? 'finished'}</td><td>${(r.seconds / 60).toFixed(1)}</td></tr>`,
    )}</tbody></table>`;
    return page(reply, 'Class overview', html`<p>Students with the least progress first.</p>${table}`, ctx);
  });

  const counts = db.prepare(
    'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM sessions WHERE expires_at > ?) AS sessions, (SELECT count(*) FROM progress) AS completions',
  );
  const uploads = createUploads(db, mediaDir);
  app.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: maxUploadBytes }, (_req, body, done) => {
    done(null, body);
  });

  app.get('/teacher/media', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    return page(
      reply,
      'Upload an image',
      html`<p>JPEG, PNG, WebP, AVIF, GIF, HEIC or TIFF up to ${maxUploadBytes / 1048576} MB. It is optimized in the
background; then use the Markdown shown below in a lesson.</p>
<form id="upload" data-csrf="${ctx.csrf}"><label>Image <input type="file" name="file" accept="image/*" required></label>
<button>Upload</button></form><p><progress id="bar" max="100" value="0"></progress> <span id="status" aria-live="polite"></span></p>
<script src="/static/upload.js" defer></script>`,
      ctx,
    );
  });

  // Raw image bytes (not multipart) keep the parser trivial; the CSRF token travels in X-CSRF-Token.
  app.post('/teacher/media', { bodyLimit: maxUploadBytes }, async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    const job = Buffer.isBuffer(request.body) ? uploads.start(request.body) : undefined;
    if (!job) return reply.code(415).send({ error: 'Send the image bytes with an image/* content type' });
    return reply.code(202).send(job);
  });

  app.get('/teacher/media/jobs/:id', async (request, reply) => {
    if (!guard(request, reply, staff)) return reply;
    const job = uploads.get((request.params as { id: string }).id);
    reply.header('cache-control', 'no-store');
    return job ?? reply.code(404).send({ error: 'No such job' });
  });

  app.get('/admin', async (request, reply) => {
    const ctx = guard(request, reply, ['admin']);
    if (!ctx) return reply;
    const c = counts.get(Date.now()) as { users: number; sessions: number; completions: number };
    return page(
      reply,
      'Admin',
      html`<ul><li>Users: ${c.users}</li><li>Live sessions: ${c.sessions}</li><li>Lesson completions: ${c.completions}</li></ul>
<h2>Cache</h2><pre>${JSON.stringify(content.stats(), null, 1)}</pre>
<h2>AI queue</h2><pre>${JSON.stringify(tutor.stats(), null, 1)}</pre>
<h2>Heartbeat write-behind</h2><pre>${JSON.stringify(heartbeats.stats(), null, 1)}</pre><p><a href="/admin/dashboard">Live monitor</a></p>`,
      ctx,
    );
  });

  app.get('/admin/dashboard', async (request, reply) => {
    const ctx = guard(request, reply, ['admin']);
    if (!ctx) return reply;
    const boxes = ['cpu', 'temp', 'mem', 'p95', 'users', 'cache', 'ai'].map(
      (id) => html`<div id="${id}" class="chart"></div>`,
    );
    return page(
      reply,
      'Monitor',
      html`<link rel="stylesheet" href="/vendor/uPlot.min.css"><p>Live, one sample every 2 s (this worker).</p>${boxes}
<p><a href="/metrics">Prometheus metrics</a></p>
<script src="/vendor/uPlot.iife.min.js" defer></script><script src="/static/dashboard.js" defer></script>`,
      ctx,
    );
  });

  app.get('/admin/stats.json', async (request, reply) => {
    if (!guard(request, reply, ['admin'])) return reply;
    reply.header('cache-control', 'no-store');
    return metrics.snapshot();
  });

  // Prometheus scrapes from the board itself; through nginx (X-Forwarded-For set) only an admin may read it.
  app.get('/metrics', async (request, reply) => {
    const local = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(request.socket.remoteAddress ?? '');
    if (!(local && request.headers['x-forwarded-for'] === undefined) && !guard(request, reply, ['admin'])) return reply;
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/vendor/:name', async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const type = Object.hasOwn(vendorFiles, name) ? vendorFiles[name] : undefined;
    if (!type) return reply.code(404).type('text/plain').send('not found');
    reply.header('cache-control', 'public, max-age=604800');
    return reply.type(type).send(createReadStream(join(uplotDir, name)));
  });

  app.get('/media/:name', async (request, reply) => {
    const ctx = guard(request, reply, all);
    if (!ctx) return reply;
    const name = (request.params as { name: string }).name;
    const path = resolve(mediaDir, name);
    if (!/^[\w.-]+$/.test(name) || !path.startsWith(mediaDir + sep) || !existsSync(path)) {
      return reply.code(404).type('text/plain').send('not found');
    }
    const type = name.endsWith('.png') ? 'image/png' : name.endsWith('.webm') ? 'video/webm' : 'image/jpeg';
    reply.header('cache-control', 'private, max-age=86400');
    reply.header('content-length', statSync(path).size);
    return reply.type(type).send(createReadStream(join(mediaDir, name)));
  });

  return {
    app,
    db,
    async close() {
      await app.close();
      await uploads.drain();
      await heartbeats.close();
      await content.close();
      db.close();
    },
  };
}
