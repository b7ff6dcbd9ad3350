import type { Reply, Session } from './http-client.js';

/** Latency samples and error counts per page type, shared by every virtual user of one run. */
export class Recorder {
  readonly samples = new Map<string, number[]>();
  readonly errors = new Map<string, number>();
  readonly errorExamples: string[] = [];

  /** Latencies of requests that end before `measureFrom` (epoch ms: the warm-up) are not kept; errors always are. */
  constructor(private readonly measureFrom = 0) {}

  record(kind: string, reply: Reply, okStatuses: readonly number[] = [200, 206, 302, 303, 304]): Reply {
    if (Date.now() >= this.measureFrom) {
      const list = this.samples.get(kind) ?? [];
      list.push(reply.ms);
      this.samples.set(kind, list);
    }
    if (!okStatuses.includes(reply.status)) this.fail(kind, `HTTP ${reply.status}`);
    return reply;
  }

  fail(kind: string, why: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    if (this.errorExamples.length < 10) this.errorExamples.push(`${kind}: ${why}`);
  }
}

/** Links, images and forms found in a server-rendered page. */
export interface PageLinks {
  courses: string[];
  lessons: string[];
  images: string[];
  forms: { action: string; fields: Record<string, string>; radios: Map<string, string[]> }[];
  /** The reading-time heartbeat the lesson page's script posts every 30 s, if any. */
  heartbeat?: { url: string; csrf: string };
}

const attr = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];

/** Reads what a student could click on from the HTML (no DOM: pages are small and regular). */
export function parseLinks(body: string): PageLinks {
  const hrefs = [...body.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
  const images = [
    ...[...body.matchAll(/<img\b[^>]*>/g)].map((m) => attr(m[0], 'src')),
    // The first candidate of each <source> in a <picture>: the format the browser would pick first.
    ...[...body.matchAll(/<source\b[^>]*>/g)].map((m) => attr(m[0], 'srcset')?.split(/[ ,]/)[0]),
  ].filter((src): src is string => typeof src === 'string' && src.startsWith('/'));
  const forms = [...body.matchAll(/<form\b[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].map((m) => {
    const fields: Record<string, string> = {};
    const radios = new Map<string, string[]>();
    for (const input of m[2]!.matchAll(/<input\b[^>]*>/g)) {
      const name = attr(input[0], 'name');
      const value = attr(input[0], 'value') ?? '';
      if (!name) continue;
      if (attr(input[0], 'type') === 'radio') radios.set(name, [...(radios.get(name) ?? []), value]);
      else if (attr(input[0], 'type') === 'hidden') fields[name] = value;
    }
    return { action: m[1]!.replace(/&amp;/g, '&'), fields, radios };
  });
  const beat = /<[^>]*data-heartbeat="([^"]+)"[^>]*>/.exec(body);
  const csrf = beat ? attr(beat[0], 'data-csrf') : undefined;
  return {
    ...(beat?.[1] && csrf ? { heartbeat: { url: beat[1], csrf } } : {}),
    courses: hrefs.filter((h) => /^\/courses\/\d+$/.test(h)),
    lessons: hrefs.filter((h) => /^\/lessons\/\d+$/.test(h)),
    images: [...new Set(images)],
    forms,
  };
}

/** public/heartbeat.js posts while the lesson tab is visible, every 30 s. */
const heartbeatEveryMs = 30_000;

const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Options of one virtual student. */
export interface StudentPlan {
  email: string;
  password: string;
  deadline: number;
  /** Seconds between progress saves. */
  progressEverySec: number;
  /** Whether this student asks the AI tutor one question per lesson visit (a few students do). */
  asksTutor: boolean;
  /** Think time between page views, in ms: [min, max]. */
  thinkMs: [number, number];
}

async function login(session: Session, recorder: Recorder, email: string, password: string): Promise<boolean> {
  const form = recorder.record('login', await session.send('GET', '/login'));
  const csrf = parseLinks(form.body).forms.find((f) => f.action === '/login')?.fields._csrf ?? '';
  const reply = recorder.record('login', await session.send('POST', '/login', { _csrf: csrf, email, password }));
  if (reply.status !== 302 && reply.status !== 303) {
    recorder.fail('login', `login of ${email} answered ${reply.status}`);
    return false;
  }
  return true;
}

/** One student's morning: log in, open a course, read lessons and their images, answer quizzes, save progress. */
export async function runStudent(session: Session, recorder: Recorder, plan: StudentPlan): Promise<void> {
  if (!(await login(session, recorder, plan.email, plan.password))) return;
  const home = recorder.record('home', await session.send('GET', '/'));
  const courses = parseLinks(home.body).courses;
  let lastProgress = Date.now();
  let lastHeartbeat = Date.now();
  while (Date.now() < plan.deadline) {
    const course = pick(courses);
    if (!course) return recorder.fail('home', 'no course links for a logged-in student');
    const coursePage = recorder.record('course', await session.send('GET', course));
    // Three lessons in a row from a random place in the course, as students resume where they were.
    const lessons = parseLinks(coursePage.body).lessons;
    const start = Math.floor(Math.random() * Math.max(1, lessons.length - 2));
    for (const lesson of lessons.slice(start, start + 3)) {
      if (Date.now() >= plan.deadline) return;
      const page = recorder.record('lesson', await session.send('GET', lesson));
      const links = parseLinks(page.body);
      for (const image of links.images.slice(0, 2)) recorder.record('image', await session.send('GET', image));
      const quiz = links.forms.find((f) => f.radios.size > 0);
      if (quiz) {
        const answers = Object.fromEntries([...quiz.radios].map(([name, values]) => [name, pick(values) ?? '0']));
        recorder.record('quiz', await session.send('POST', quiz.action, { ...quiz.fields, ...answers }));
      }
      const tutor = links.forms.find((f) => f.action.endsWith('/tutor'));
      if (plan.asksTutor && tutor) {
        // The SSE stream ends after the answer (or the offline event): the time is the whole answer's.
        const question = encodeURIComponent('Can you explain the main idea of this lesson in one sentence?');
        const reply = await session.send('GET', `${tutor.action}?q=${question}`, undefined, {
          accept: 'text/event-stream',
        });
        recorder.record('tutor', reply);
        if (!reply.body.includes('event: done')) recorder.fail('tutor', 'the answer stream did not finish');
      }
      if (links.heartbeat && Date.now() - lastHeartbeat >= heartbeatEveryMs) {
        const { url, csrf } = links.heartbeat;
        recorder.record('heartbeat', await session.send('POST', url, '', { 'x-csrf-token': csrf }), [204]);
        lastHeartbeat = Date.now();
      }
      if (Date.now() - lastProgress >= plan.progressEverySec * 1000) {
        const done = links.forms.find((f) => /complete|progress/.test(f.action));
        if (done) recorder.record('progress', await session.send('POST', done.action, done.fields));
        lastProgress = Date.now();
      }
      await sleep(plan.thinkMs[0] + Math.random() * (plan.thinkMs[1] - plan.thinkMs[0]));
    }
  }
}

/** The teacher watches the class overview now and then. */
export async function runTeacher(session: Session, recorder: Recorder, plan: StudentPlan): Promise<void> {
  if (!(await login(session, recorder, plan.email, plan.password))) return;
  while (Date.now() < plan.deadline) {
    recorder.record('teacher', await session.send('GET', '/teacher'));
    await sleep(10_000);
  }
}
