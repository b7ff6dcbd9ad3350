import type { FastifyInstance } from 'fastify';
import MarkdownIt from 'markdown-it';
import type { Lesson } from '../content.js';
import type { Db } from '../db.js';
import { type Grading, gradingDefaults, type TextAnswer } from '../grading.js';
import type { Heartbeats } from '../heartbeats.js';
import { html, Safe } from '../html.js';
import type { Progress } from '../progress.js';
import { offlineMessage, type Tutor } from '../tutor.js';
import { all, field, type Web } from '../web.js';

const markdown = new MarkdownIt({ html: false, linkify: false });

/**
 * Turns `![description](/media/av/<hash>/video.mp4)` (or `audio.m4a`) into a player that only loads metadata
 * until played, so a lesson with a video costs a phone a few kilobytes until the student presses play.
 */
function players(rendered: string): string {
  return rendered.replace(
    /<img src="(\/media\/av\/[0-9a-f]+)\/(video\.mp4|audio\.m4a)" alt="([^"]*)">/g,
    (_tag, dir: string, file: string, alt: string) =>
      file === 'video.mp4'
        ? `<video controls preload="metadata" playsinline src="${dir}/${file}" poster="${dir}/poster.jpg" aria-label="${alt}" style="width:100%;height:auto"></video>`
        : `<audio controls preload="metadata" src="${dir}/${file}" aria-label="${alt}"></audio>`,
  );
}

/** What the lesson routes need besides the web helpers. */
export interface LessonDeps {
  db: Db;
  tutor: Tutor;
  heartbeats: Heartbeats;
  progress: Progress;
  grading: Grading;
}

/** What a student sees about their free-text answer. */
function verdict(answer: TextAnswer) {
  switch (answer.status) {
    case 'pending':
      return html`Waiting for the AI grader${answer.error ? ` (${answer.error})` : ''}.`;
    case 'graded':
      return html`AI score ${answer.aiScore}/10: ${answer.aiFeedback}`;
    case 'failed':
      return html`The AI grader could not grade this answer; your teacher will.`;
    case 'reviewed':
      return html`Teacher's score ${answer.teacherScore}/10${answer.teacherComment ? html`: ${answer.teacherComment}` : ''}`;
  }
}

/** A lesson page (Markdown, responsive images, quiz, tutor chat), the tutor's SSE stream, heartbeats, completion and quiz answers. */
export function lessonRoutes(
  app: FastifyInstance,
  web: Web,
  { db, tutor, heartbeats, progress, grading }: LessonDeps,
): void {
  const { guard, page, openLesson } = web;
  const pictureOf = db.prepare('SELECT picture FROM images WHERE name = ?').pluck();
  /** Swaps each `<img>` of an original for its responsive `<picture>`, keeping the lesson's (escaped) alt text. */
  function responsive(rendered: string): string {
    return rendered.replace(/<img src="\/media\/([\w.-]+)" alt="([^"]*)">/g, (tag, name: string, alt: string) => {
      const picture = pictureOf.get(name) as string | undefined;
      return picture ? picture.replace(/alt="[^"]*"/, `alt="${alt}"`) : tag;
    });
  }

  const answered = db.prepare(
    'SELECT a.question_id AS id, a.choice, a.correct FROM quiz_answers a JOIN quiz_questions q ON q.id = a.question_id WHERE a.user_id = ? AND q.lesson_id = ?',
  );
  const lessonDone = db.prepare('SELECT 1 FROM progress WHERE user_id = ? AND lesson_id = ?');

  /** Free-text questions: a form for students (`csrf` given), each with the student's answer and its grade. */
  function writtenForm(lessonId: number, userId: number, csrf: string | undefined) {
    const questions = grading.questionsOf(lessonId);
    if (questions.length === 0) return '';
    const answers = new Map(grading.answersOf(userId, lessonId).map((a) => [a.questionId, a]));
    const open = csrf !== undefined && questions.some((q) => answers.get(q.id)?.status !== 'reviewed');
    const fields = questions.map((q) => {
      const answer = answers.get(q.id);
      const locked = answer?.status === 'reviewed' || !open;
      return html`<label>${q.prompt}<textarea name="t${q.id}" rows="4" maxlength="${gradingDefaults.maxAnswerChars}" required${locked ? ' disabled' : ''}>${answer?.answer ?? ''}</textarea></label>${answer ? html`<p class="grade" aria-live="polite">${verdict(answer)}</p>` : ''}`;
    });
    const action = open
      ? html`<input type="hidden" name="_csrf" value="${csrf}"><button>Send my answer</button>`
      : csrf
        ? ''
        : html`<p>Students answer here; their answers are graded on <a href="/teacher/grading">the grading page</a>.</p>`;
    return html`<h2>Written answer</h2><form method="post" action="/lessons/${lessonId}/answers">${fields}${action}</form>`;
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
    const written = writtenForm(lesson.id, ctx.user.id, ctx.user.role === 'student' ? ctx.csrf : undefined);
    const chat = html`<h2>Ask the AI tutor</h2><form id="tutor" method="get" action="/lessons/${lesson.id}/tutor">
<label>Your question <input name="q" required maxlength="500"></label><button>Ask</button></form>
<p id="answer" aria-live="polite"></p><script src="/static/tutor.js" defer></script>`;
    const heartbeat =
      ctx.user.role === 'student'
        ? html`<div hidden data-heartbeat="/lessons/${lesson.id}/heartbeat" data-csrf="${ctx.csrf}"></div><script src="/static/heartbeat.js" defer></script>`
        : '';
    const body = html`<p><a href="/courses/${course.id}">← ${course.title}</a></p>
<article>${new Safe(players(responsive(markdown.render(lesson.body))))}</article>${complete}${quizForm}${written}${chat}${heartbeat}`;
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
    // The browser (and nginx) see the stream open at once, before the model's first token.
    out.flushHeaders();
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

  app.post('/lessons/:id/heartbeat', async (request, reply) => {
    const ctx = guard(request, reply, ['student']);
    if (!ctx) return reply;
    const found = await openLesson(request, reply, ctx);
    if (!found) return reply;
    await heartbeats.beat(ctx.user.id, found.lesson.id);
    return reply.code(204).send();
  });

  /** A student's form post on a lesson they may open: `record` commits it, then the lesson page is shown again. */
  function lessonForm(action: string, record: (userId: number, lesson: Lesson, body: unknown) => Promise<void>) {
    app.post(`/lessons/:id/${action}`, async (request, reply) => {
      const ctx = guard(request, reply, ['student']);
      if (!ctx) return reply;
      const found = await openLesson(request, reply, ctx);
      if (!found) return reply;
      await record(ctx.user.id, found.lesson, request.body);
      return reply.redirect(`/lessons/${found.lesson.id}`, 303);
    });
  }

  lessonForm('complete', (userId, lesson) => progress.complete(userId, lesson.id));

  lessonForm('quiz', (userId, lesson, body) => {
    const answers = lesson.questions.flatMap((q) => {
      const choice = Number(field(body, `q${q.id}`));
      const valid = Number.isInteger(choice) && choice >= 0 && choice < q.choices.length;
      return valid ? [{ questionId: q.id, choice, correct: choice === q.answer }] : [];
    });
    return progress.saveQuiz(userId, lesson.id, answers);
  });

  // The answer is committed before the redirect acknowledges it; grading happens in the background.
  lessonForm('answers', async (userId, lesson, body) => {
    for (const q of grading.questionsOf(lesson.id)) {
      const answer = field(body, `t${q.id}`).trim();
      if (answer !== '') await grading.submit(userId, q.id, answer);
    }
  });
}
