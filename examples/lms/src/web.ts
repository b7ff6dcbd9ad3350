import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Auth, User } from './auth.js';
import type { Content } from './content.js';
import type { Db } from './db.js';
import { html, layout } from './html.js';

export type Role = User['role'];

/** The signed-in user of a request, their CSRF token and session id. */
export interface Ctx {
  user: User;
  csrf: string;
  sid: string;
}

export const sessionCookie = 'pilms_sid';
export const all = ['admin', 'teacher', 'student'] as const;
export const staff = ['admin', 'teacher'] as const;

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return out;
}

export function secure(request: FastifyRequest): boolean {
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}

/** A string field of a parsed form body, `''` when absent. */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The `:id` route parameter as a positive integer, 0 when invalid. */
export function idParam(request: FastifyRequest): number {
  const id = Number((request.params as { id: string }).id);
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
}

/** What every route module shares: sessions, role guards, page rendering and access to courses and lessons. */
export type Web = ReturnType<typeof createWeb>;

/** Resolves each request's session (an `onRequest` hook) and builds the helpers route modules use. */
export function createWeb(app: FastifyInstance, auth: Auth, db: Db, content: Content) {
  const sessions = new WeakMap<FastifyRequest, Ctx>();
  app.addHook('onRequest', async (request) => {
    const sid = parseCookies(request.headers.cookie)[sessionCookie];
    const session = auth.session(sid);
    if (session && sid) sessions.set(request, { ...session, sid });
  });

  function page(reply: FastifyReply, title: string, body: ReturnType<typeof html>, ctx?: Ctx, status = 200) {
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(layout(title, body, ctx?.user, ctx?.csrf));
  }

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

  const enrolled = db.prepare('SELECT 1 FROM enrolments WHERE user_id = ? AND course_id = ?');
  function mayOpenCourse(user: User, course: { id: number; teacherId: number }): boolean {
    if (user.role === 'admin') return true;
    if (user.role === 'teacher') return course.teacherId === user.id;
    return enrolled.get(user.id, course.id) !== undefined;
  }

  /** The course of `:id` if the user may open it; otherwise replies 404. */
  async function openCourse(request: FastifyRequest, reply: FastifyReply, ctx: Ctx) {
    const course = await content.course(idParam(request));
    if (course && mayOpenCourse(ctx.user, course)) return course;
    void page(reply, 'Not found', html`<p>No such course.</p>`, ctx, 404);
    return undefined;
  }

  /** The lesson of `:id` and its course if the user may open it; otherwise replies 404. */
  async function openLesson(request: FastifyRequest, reply: FastifyReply, ctx: Ctx) {
    const lesson = await content.lesson(idParam(request));
    const course = lesson ? await content.course(lesson.courseId) : null;
    if (!lesson || !course || !mayOpenCourse(ctx.user, course)) {
      void page(reply, 'Not found', html`<p>No such lesson.</p>`, ctx, 404);
      return undefined;
    }
    return { lesson, course };
  }

  return {
    /** The session of a request, if signed in. */
    ctxOf: (request: FastifyRequest) => sessions.get(request),
    page,
    guard,
    openCourse,
    openLesson,
  };
}
