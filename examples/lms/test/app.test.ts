import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type LmsApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { maxUploadBytes } from '../src/uploads.js';
import { seededDataDir } from './seeded.js';

let lms: LmsApp;

beforeAll(async () => {
  const dir = await seededDataDir('pilms-lms-');
  lms = buildApp(loadConfig({ DATA_DIR: dir }));
});

afterAll(async () => {
  await lms.close();
});

interface Session {
  cookie: string;
  csrf: string;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function login(email: string, password: string, app = lms.app): Promise<Session> {
  const reply = await app.inject({
    method: 'POST',
    url: '/login',
    headers: form,
    payload: new URLSearchParams({ email, password }).toString(),
  });
  expect(reply.statusCode).toBe(303);
  const cookie = String(reply.headers['set-cookie']).split(';')[0] as string;
  const home = await app.inject({ url: '/', headers: { cookie } });
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(home.body)?.[1] ?? '' };
}

function get(url: string, session?: Session) {
  return lms.app.inject({ url, headers: session ? { cookie: session.cookie } : {} });
}

function post(url: string, fields: Record<string, string>, session?: Session) {
  return lms.app.inject({
    method: 'POST',
    url,
    headers: { ...form, ...(session ? { cookie: session.cookie } : {}) },
    payload: new URLSearchParams({ _csrf: session?.csrf ?? '', ...fields }).toString(),
  });
}

describe('the LMS core', () => {
  it('seeds a demo school with 53 users, 6 courses, 120 lessons and a quiz per unit', () => {
    const count = (table: string) => (lms.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect([count('users'), count('courses'), count('lessons'), count('quiz_questions')]).toEqual([53, 6, 120, 24]);
  });

  it('sets an HttpOnly SameSite=Lax session cookie, Secure only behind TLS', async () => {
    const payload = 'email=student1%40school.test&password=student-demo';
    const plain = await lms.app.inject({ method: 'POST', url: '/login', headers: form, payload });
    expect(String(plain.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Lax/);
    expect(String(plain.headers['set-cookie'])).not.toContain('Secure');
    const tls = await lms.app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...form, 'x-forwarded-proto': 'https' },
      payload,
    });
    expect(String(tls.headers['set-cookie'])).toContain('Secure');
  });

  it('rejects a wrong password and rate-limits repeated failures', async () => {
    const attempt = () =>
      lms.app.inject({
        method: 'POST',
        url: '/login',
        headers: form,
        payload: 'email=student9%40school.test&password=x',
      });
    const first = await attempt();
    expect(first.headers.location).toBe('/login?error=1');
    expect(first.headers['set-cookie']).toBeUndefined();
    for (let i = 0; i < 5; i++) await attempt();
    expect((await attempt()).statusCode).toBe(429);
  });

  it('renders a lesson as safe Markdown with a responsive AVIF/WebP picture and its quiz', async () => {
    const student = await login('student2@school.test', 'student-demo');
    const page = await get('/lessons/5', student);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<strong>biology</strong>');
    expect(page.body).toMatch(/<picture><source type="image\/avif" srcset="\/media\/images\//);
    expect(page.body).toContain('alt="Illustration for Biology 1.5"');
    const avif = /<source type="image\/avif" srcset="([^" ]+) /.exec(page.body)?.[1] as string;
    const variant = await get(avif);
    expect([variant.statusCode, variant.headers['content-type']]).toEqual([200, 'image/avif']);
    expect(variant.rawPayload.length).toBeGreaterThan(100);
    expect(page.body).toContain('name="q1"');
  });

  it('grades a multiple-choice quiz and records progress shown on the course list', async () => {
    const student = await login('student3@school.test', 'student-demo');
    const reply = await post('/lessons/5/quiz', { q1: '1' }, student);
    expect(reply.statusCode).toBe(303);
    expect((await get('/lessons/5', student)).body).toContain('Correct: you chose “Explain it to a classmate”');
    await post('/lessons/10/quiz', { q2: '0' }, student);
    expect((await get('/lessons/10', student)).body).toContain('Not quite');
    expect((await get('/', student)).body).toContain('value="2">2/20');
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    const overview = await get('/teacher', teacher);
    expect(overview.body).toMatch(
      /<td>Student 3<\/td><td>Biology<\/td><td>2\/20<\/td><td>Biology 1.1<\/td><td>0.0<\/td>/,
    );
  });

  it('refuses a form post without the CSRF token and writes nothing', async () => {
    const student = await login('student4@school.test', 'student-demo');
    const reply = await post('/lessons/1/complete', { _csrf: 'forged' }, student);
    expect(reply.statusCode).toBe(403);
    const count = lms.db
      .prepare(
        "SELECT count(*) AS n FROM progress p JOIN users u ON u.id = p.user_id WHERE u.email = 'student4@school.test'",
      )
      .get();
    expect(count).toEqual({ n: 0 });
  });

  it('refuses media names that try to leave the media directory', async () => {
    const student = await login('student5@school.test', 'student-demo');
    for (const name of ['..%2Flms.sqlite', '..%2F..%2Fetc%2Fpasswd', '.%2E%2Flms.sqlite']) {
      const reply = await get(`/media/${name}`, student);
      expect(reply.statusCode).toBe(404);
      expect(reply.body).not.toContain('SQLite');
    }
  });

  it('escapes a script a teacher types into course fields everywhere it is shown', async () => {
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    const evil = '<script>alert(1)</script>"\'';
    expect((await post('/courses/1/edit', { title: evil, summary: evil }, teacher)).statusCode).toBe(303);
    const student = await login('student6@school.test', 'student-demo');
    for (const url of ['/', '/courses/1', '/lessons/1', '/teacher', '/courses/1/edit']) {
      const page = await get(url, url.startsWith('/teacher') || url.endsWith('edit') ? teacher : student);
      expect(page.body).not.toContain('<script>');
      expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });
});

describe('reading-time heartbeats', () => {
  it('batches heartbeats through write-behind into the minutes shown in the class overview', async () => {
    const student = await login('student10@school.test', 'student-demo');
    const replies = await Promise.all(
      [1, 2, 3].map(() =>
        lms.app.inject({
          method: 'POST',
          url: '/lessons/2/heartbeat',
          headers: { cookie: student.cookie, 'x-csrf-token': student.csrf },
        }),
      ),
    );
    expect(replies.map((r) => r.statusCode)).toEqual([204, 204, 204]);
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    await vi.waitFor(
      async () => {
        expect((await get('/teacher', teacher)).body).toMatch(
          /<td>Student 10<\/td><td>[^<]*<\/td><td>0\/20<\/td><td>Biology 1.1<\/td><td>1.5<\/td>/,
        );
      },
      { timeout: 10_000, interval: 50 },
    );
    const admin = await login('admin@school.test', 'admin-demo');
    expect((await get('/admin', admin)).body).toContain('&quot;coalesced&quot;: 2');
  });
});

describe('teacher media upload', () => {
  function upload(bytes: Buffer, type: string, session: Session) {
    return lms.app.inject({
      method: 'POST',
      url: '/teacher/media',
      headers: { cookie: session.cookie, 'content-type': type, 'x-csrf-token': session.csrf },
      payload: bytes,
    });
  }

  it('optimizes an uploaded image in the background and reports the finished job', async () => {
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    const png = await sharp({ create: { width: 800, height: 500, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
    const started = await upload(png, 'image/png', teacher);
    expect(started.statusCode).toBe(202);
    const id = started.json().id as string;
    const job = await vi.waitFor(
      async () => {
        const current = (await get(`/teacher/media/jobs/${id}`, teacher)).json();
        if (current.status === 'processing') throw new Error('still processing');
        return current;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(job).toMatchObject({ status: 'done', error: null });
    const picture = lms.db.prepare('SELECT picture FROM images WHERE name = ?').pluck().get(job.name);
    expect(picture).toContain('image/avif');
  });

  it('refuses bytes that are not an image, whatever the content type says, and creates no job', async () => {
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    const jobs = () => lms.db.prepare('SELECT count(*) FROM media_jobs').pluck().get();
    const before = jobs();
    const reply = await upload(Buffer.from('<svg onload="alert(1)"></svg>'), 'image/png', teacher);
    expect(reply.statusCode).toBe(415);
    expect(jobs()).toBe(before);
  });

  it('refuses uploads from students and uploads without the CSRF header', async () => {
    const student = await login('student8@school.test', 'student-demo');
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer();
    expect((await upload(jpeg, 'image/jpeg', student)).statusCode).toBe(403);
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    expect((await upload(jpeg, 'image/jpeg', { ...teacher, csrf: 'forged' })).statusCode).toBe(403);
  });

  it('refuses an upload above the size limit with 413', async () => {
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    const reply = await upload(Buffer.alloc(maxUploadBytes + 1), 'image/jpeg', teacher);
    expect(reply.statusCode).toBe(413);
  });
});

describe('monitoring', () => {
  it('serves Prometheus metrics with request latency and package stats to a local scraper', async () => {
    await get('/');
    const reply = await lms.app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toMatch(/pilms_lms_requests_latency_p95 \d/);
    expect(reply.body).toMatch(/pilms_lms_cache_hits \d/);
  });

  it('hides /metrics from anonymous clients coming through the proxy', async () => {
    const reply = await lms.app.inject({ url: '/metrics', headers: { 'x-forwarded-for': '10.0.0.5' } });
    expect(reply.statusCode).toBe(303);
  });

  it('gives the admin dashboard a live snapshot and the local uPlot files', async () => {
    const admin = await login('admin@school.test', 'admin-demo');
    const snapshot = (await get('/admin/stats.json', admin)).json();
    expect(snapshot.activeUsers).toBeGreaterThanOrEqual(1);
    expect(snapshot.latency.p95).toBeGreaterThan(0);
    expect((await get('/vendor/uPlot.iife.min.js')).body).toContain('uPlot');
    expect((await get('/vendor/..%2F..%2Fpackage.json')).statusCode).toBe(404);
  });
});

describe('role checks on every route', () => {
  const routes: { method: 'GET' | 'POST'; url: string; allowed: string[] }[] = [
    { method: 'GET', url: '/courses/2', allowed: ['admin', 'teacher', 'student'] },
    { method: 'GET', url: '/courses/2/edit', allowed: ['admin', 'teacher'] },
    { method: 'POST', url: '/courses/2/edit', allowed: ['admin', 'teacher'] },
    { method: 'GET', url: '/lessons/21', allowed: ['admin', 'teacher', 'student'] },
    { method: 'GET', url: '/lessons/21/tutor?q=hi', allowed: ['admin', 'teacher', 'student'] },
    { method: 'POST', url: '/lessons/21/complete', allowed: ['student'] },
    { method: 'POST', url: '/lessons/25/quiz', allowed: ['student'] },
    { method: 'GET', url: '/teacher', allowed: ['admin', 'teacher'] },
    { method: 'GET', url: '/teacher/media', allowed: ['admin', 'teacher'] },
    { method: 'GET', url: '/teacher/grading', allowed: ['admin', 'teacher'] },
    { method: 'POST', url: '/teacher/grading/run', allowed: ['admin', 'teacher'] },
    { method: 'POST', url: '/lessons/23/answers', allowed: ['student'] },
    { method: 'GET', url: '/admin', allowed: ['admin'] },
    { method: 'GET', url: '/admin/dashboard', allowed: ['admin'] },
    { method: 'GET', url: '/admin/stats.json', allowed: ['admin'] },
    { method: 'GET', url: '/admin/history.json', allowed: ['admin'] },
    { method: 'GET', url: '/media/320x240.jpg', allowed: ['admin', 'teacher', 'student'] },
    { method: 'POST', url: '/logout', allowed: ['admin', 'teacher', 'student'] },
  ];
  // Course 2 belongs to teacher 2, so teacher 2 is the one who may edit it.
  const logins = {
    admin: ['admin@school.test', 'admin-demo'],
    teacher: ['teacher2@school.test', 'teacher-demo'],
    student: ['student7@school.test', 'student-demo'],
  } as const;

  it('sends anonymous visitors to the login page on every protected route', async () => {
    for (const route of routes) {
      const reply = await lms.app.inject({ method: route.method, url: route.url, headers: form, payload: '' });
      expect([route.url, reply.statusCode, reply.headers.location]).toEqual([route.url, 303, '/login']);
    }
    expect((await get('/')).statusCode).toBe(200);
    expect((await get('/login')).statusCode).toBe(200);
    expect((await get('/static/tutor.js')).body).toContain('EventSource');
    expect((await get('/static/..%2Fpackage.json')).statusCode).toBe(404);
  });

  for (const role of ['admin', 'teacher', 'student'] as const) {
    it(`lets a ${role} open exactly the routes of that role`, async () => {
      for (const route of routes) {
        const [email, password] = logins[role];
        const session = await login(email, password);
        const reply =
          route.method === 'GET'
            ? await get(route.url, session)
            : await post(route.url, { title: 'Geography', q5: '0' }, session);
        const ok = reply.statusCode === 200 || reply.statusCode === 303;
        expect([route.url, ok]).toEqual([route.url, route.allowed.includes(role)]);
        if (!ok) expect(reply.statusCode).toBe(403);
      }
    });
  }

  it('hides a course from a teacher who does not teach it', async () => {
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    expect((await get('/courses/2', teacher)).statusCode).toBe(404);
  });
});

describe('with the performance packages switched off (PILMS_PERF=off)', () => {
  it('serves lessons with SQLite default pragmas and no content cache', async () => {
    const off = buildApp(loadConfig({ DATA_DIR: await seededDataDir('pilms-lms-off-', false), PILMS_PERF: 'off' }));
    try {
      expect(off.db.pragma('journal_mode', { simple: true })).toBe('delete');
      const student = await login('student1@school.test', 'student-demo', off.app);
      const lesson = await off.app.inject({ url: '/lessons/2', headers: { cookie: student.cookie } });
      expect(lesson.body).toContain('Biology 1.2');
      const admin = await login('admin@school.test', 'admin-demo', off.app);
      const stats = await off.app.inject({ url: '/admin', headers: { cookie: admin.cookie } });
      expect(stats.body).toContain('&quot;cache&quot;: &quot;off&quot;');
    } finally {
      await off.close();
    }
  });
});
