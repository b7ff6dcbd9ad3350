import type { FastifyInstance } from 'fastify';
import { html } from '../html.js';
import type { Storage } from '../storage.js';
import { maxUploadBytes, type Uploads } from '../uploads.js';
import { staff, type Web } from '../web.js';

/** The class overview (who is stuck where) and image uploads processed in the background. */
export function teacherRoutes(app: FastifyInstance, web: Web, storage: Storage, uploads: Uploads): void {
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
    return page(reply, 'Class overview', html`<p>Students with the least progress first.</p>${table}`, ctx);
  });

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
}
