import type { FastifyInstance } from 'fastify';
import type { Content } from '../content.js';
import type { Db } from '../db.js';
import { html } from '../html.js';
import { all, field, staff, type Web } from '../web.js';

/** The home page (my courses with progress), a course's lesson list and the course editor. */
export function courseRoutes(app: FastifyInstance, web: Web, db: Db, content: Content): void {
  const { guard, page, ctxOf, openCourse } = web;
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
    const ctx = ctxOf(request);
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

  const doneLessons = db.prepare(
    `SELECT p.lesson_id AS id FROM progress p JOIN lessons l ON l.id = p.lesson_id JOIN modules m ON m.id = l.module_id
     WHERE p.user_id = ? AND m.course_id = ?`,
  );

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
}
