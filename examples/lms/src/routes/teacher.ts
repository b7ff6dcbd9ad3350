import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type AvUploads, avDefaults } from '../av.js';
import { html } from '../html.js';
import type { Storage } from '../storage.js';
import { maxUploadBytes, type Uploads } from '../uploads.js';
import { staff, type Web } from '../web.js';

/** The class overview (who is stuck where) and image, video and audio uploads processed in the background. */
export function teacherRoutes(app: FastifyInstance, web: Web, storage: Storage, uploads: Uploads, av: AvUploads): void {
  const { guard, page } = web;

  // A report over every enrolment: it runs on the reader pool so it never stalls other requests.
  const overview = `SELECT u.id, u.name, c.title AS course,
       (SELECT count(*) FROM progress p JOIN lessons l ON l.id = p.lesson_id JOIN modules m ON m.id = l.module_id
         WHERE p.user_id = u.id AND m.course_id = c.id) AS done,
       (SELECT count(*) FROM lessons l JOIN modules m ON m.id = l.module_id WHERE m.course_id = c.id) AS total,
       (SELECT l.title FROM lessons l JOIN modules m ON m.id = l.module_id
         WHERE m.course_id = c.id AND l.id NOT IN (SELECT lesson_id FROM progress WHERE user_id = u.id)
         ORDER BY m.position, l.position LIMIT 1) AS next,
       (SELECT coalesce(sum(rt.seconds), 0) FROM reading_time rt JOIN lessons l ON l.id = rt.lesson_id
         JOIN modules m ON m.id = l.module_id WHERE rt.user_id = u.id AND m.course_id = c.id) AS seconds
     FROM courses c JOIN enrolments e ON e.course_id = c.id JOIN users u ON u.id = e.user_id
     WHERE (? = 'admin' OR c.teacher_id = ?) ORDER BY c.id, done, u.name`;
  app.get('/teacher', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    const rows = await storage.report<{
      name: string;
      course: string;
      done: number;
      total: number;
      next: string | null;
      seconds: number;
    }>(overview, [ctx.user.role, ctx.user.id]);
    const table = html`<table><thead><tr><th scope="col">Student</th><th scope="col">Course</th><th scope="col">Done</th><th scope="col">Stuck at</th><th scope="col">Minutes read</th></tr></thead><tbody>${rows.map(
      (r) =>
        html`<tr><td>${r.name}</td><td>${r.course}</td><td>${r.done}/${r.total}</td><td>${r.next ?? 'finished'}</td><td>${(r.seconds / 60).toFixed(1)}</td></tr>`,
    )}</tbody></table>`;
    return page(
      reply,
      'Class overview',
      html`<p>Students with the least progress first. Written answers to review: <a href="/teacher/grading">grading</a>.</p>${table}`,
      ctx,
    );
  });

  app.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: maxUploadBytes }, (_req, body, done) => {
    done(null, body);
  });
  // Video and audio stay a stream: they are written to disk as they arrive, never buffered whole.
  app.addContentTypeParser(/^(video|audio)\//, (_req, payload, done) => {
    done(null, payload);
  });

  app.get('/teacher/media', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    return page(
      reply,
      'Upload media',
      html`<p>Images (JPEG, PNG, WebP, AVIF, GIF, HEIC or TIFF) up to ${maxUploadBytes / 1048576} MB; video (MP4, MOV,
WebM) or audio (MP3, WAV, OGG, FLAC, M4A) up to ${avDefaults.maxUploadBytes / 1048576} MB. It is optimized in the
background; then use the Markdown shown below in a lesson.</p>
<form id="upload" data-csrf="${ctx.csrf}"><label>Image, video or audio file <input type="file" name="file" accept="image/*,video/*,audio/*" required></label>
<button>Upload</button></form><p><progress id="bar" max="100" value="0"></progress> <span id="status" aria-live="polite"></span></p>
<script src="/static/upload.js" defer></script>`,
      ctx,
    );
  });

  // Raw bytes (not multipart) keep the parser trivial; the CSRF token travels in X-CSRF-Token.
  app.post('/teacher/media', { bodyLimit: maxUploadBytes }, async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    const refused = { error: 'Send image, video or audio bytes with an image/*, video/* or audio/* content type' };
    if (Buffer.isBuffer(request.body)) {
      const job = uploads.start(request.body);
      return job ? reply.code(202).send(job) : reply.code(415).send(refused);
    }
    const type = request.headers['content-type'] ?? '';
    if (!/^(video|audio)\//.test(type)) return reply.code(415).send(refused);
    const started = await av.start(request.body as Readable, Number(request.headers['content-length'] ?? 0));
    if (!('refused' in started)) return reply.code(202).send(started);
    if (started.refused === 'not-media') return reply.code(415).send(refused);
    return reply
      .code(413)
      .header('connection', 'close')
      .send({ error: `Video and audio are limited to ${avDefaults.maxUploadBytes / 1048576} MB` });
  });

  app.get('/teacher/media/jobs/:id', async (request, reply) => {
    if (!guard(request, reply, staff)) return reply;
    const job = av.get((request.params as { id: string }).id);
    reply.header('cache-control', 'no-store');
    return job ?? reply.code(404).send({ error: 'No such job' });
  });
}
