import type { FastifyInstance } from 'fastify';
import type { Grading, ReviewRow } from '../grading.js';
import { html } from '../html.js';
import { field, idParam, staff, type Web } from '../web.js';

const maxCommentChars = 1000;

function aiColumn(row: ReviewRow) {
  if (row.status === 'failed') return html`failed: ${row.error}`;
  if (row.aiScore === null) return html`waiting for the AI grader${row.error ? ` (${row.error})` : ''}`;
  return html`${row.aiScore}/10: ${row.aiFeedback}`;
}

/** The teacher's review of free-text answers graded by the AI: accept or override, and "grade all pending". */
export function gradingRoutes(app: FastifyInstance, web: Web, grading: Grading): void {
  const { guard, page } = web;

  app.get('/teacher/grading', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    const rows = grading.list(ctx.user);
    const items = rows.map(
      (row) => html`<article class="answer"><h2>${row.student} · ${row.lesson}</h2>
<p><em>${row.prompt}</em></p><blockquote>${row.answer}</blockquote>
<p>AI: ${aiColumn(row)}</p><p>Status: <strong>${row.status}</strong></p>
<form method="post" action="/teacher/grading/${row.id}"><input type="hidden" name="_csrf" value="${ctx.csrf}">
<label>Score (0-10) <input type="number" name="score" min="0" max="10" step="1" required value="${row.teacherScore ?? row.aiScore ?? ''}"></label>
<label>Comment for the student <textarea name="comment" rows="2" maxlength="${maxCommentChars}">${row.teacherComment ?? ''}</textarea></label>
<button>${row.status === 'reviewed' ? 'Update review' : 'Save review'}</button></form></article>`,
    );
    const body = html`<p>Written answers of your courses, unreviewed first. Accept the AI's score or change it.</p>
<form method="post" action="/teacher/grading/run"><input type="hidden" name="_csrf" value="${ctx.csrf}">
<button>Grade all pending</button></form>${rows.length === 0 ? html`<p>No written answers yet.</p>` : items}`;
    return page(reply, 'Grading', body, ctx);
  });

  app.post('/teacher/grading/run', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    grading.gradeAll(ctx.user);
    return reply.redirect('/teacher/grading', 303);
  });

  app.post('/teacher/grading/:id', async (request, reply) => {
    const ctx = guard(request, reply, staff);
    if (!ctx) return reply;
    const raw = field(request.body, 'score');
    const score = Number(raw);
    if (raw === '' || !Number.isInteger(score) || score < 0 || score > 10) {
      return page(reply, 'Invalid score', html`<p>The score must be a whole number from 0 to 10.</p>`, ctx, 400);
    }
    const comment = field(request.body, 'comment').trim().slice(0, maxCommentChars);
    if (!grading.review(ctx.user, idParam(request), score, comment)) {
      return page(reply, 'Not found', html`<p>No such answer in your courses.</p>`, ctx, 404);
    }
    return reply.redirect('/teacher/grading', 303);
  });
}
