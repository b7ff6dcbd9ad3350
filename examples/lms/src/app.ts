import { join, resolve } from 'node:path';
import { createImageServer } from '@pilms/media-optimizer';
import { mediaPlugin } from '@pilms/media-optimizer/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { createAuth } from './auth.js';
import { createAvUploads } from './av.js';
import type { Config } from './config.js';
import { createContent } from './content.js';
import { type Db, openDb } from './db.js';
import { createGrading } from './grading.js';
import { createHeartbeats } from './heartbeats.js';
import { createMonitoring, type Monitoring } from './monitoring.js';
import { createProgress } from './progress.js';
import { accountRoutes } from './routes/account.js';
import { adminRoutes } from './routes/admin.js';
import { courseRoutes } from './routes/courses.js';
import { fileRoutes } from './routes/files.js';
import { gradingRoutes } from './routes/grading.js';
import { lessonRoutes } from './routes/lessons.js';
import { teacherRoutes } from './routes/teacher.js';
import { createStorage } from './storage.js';
import { createTutor } from './tutor.js';
import { createUploads } from './uploads.js';
import { createWeb } from './web.js';

const maxBodyBytes = 64 * 1024;

/** The running LMS: a Fastify instance plus what shutdown must close. */
export interface LmsApp {
  app: FastifyInstance;
  db: Db;
  monitoring: Monitoring;
  close(): Promise<void>;
}

/** Builds the LMS on an already seeded data dir. Routes and their roles are listed in the README. */
export function buildApp(config: Config): LmsApp {
  const db = openDb(config.dataDir, config.perf);
  const auth = createAuth(db);
  const content = createContent(db, { cached: config.perf, dataDir: config.dataDir, redisUrl: config.redisUrl });
  const mediaDir = resolve(config.dataDir, 'media');
  const tutor = createTutor({ host: config.ollamaHost, model: config.ollamaModel, queued: config.perf });
  const storage = createStorage({ db, dataDir: config.dataDir, tuned: config.perf, readers: config.readers });
  const progress = createProgress(storage);
  const heartbeats = createHeartbeats(storage, config.perf);
  const uploads = createUploads(db, mediaDir);
  const avUploads = createAvUploads(db, mediaDir);
  const grading = createGrading({ db, storage, ai: tutor });
  const app = Fastify({ bodyLimit: maxBodyBytes, trustProxy: true });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // Optimized variants are content-addressed and public, so nginx and browsers may cache them forever.
  void app.register(mediaPlugin, {
    server: createImageServer({ dir: join(mediaDir, 'images') }),
    prefix: '/media/images',
  });

  const web = createWeb(app, auth, db, content);
  const monitoring = createMonitoring(app, {
    sources: { cache: content, ai: tutor, writeBehind: heartbeats, db: storage, grading },
    session: (request) => web.ctxOf(request)?.sid,
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });

  accountRoutes(app, web, auth);
  courseRoutes(app, web, db, content);
  lessonRoutes(app, web, { db, tutor, heartbeats, progress, grading });
  teacherRoutes(app, web, storage, uploads, avUploads);
  const backupsDir = join(config.dataDir, 'backups');
  adminRoutes(app, web, { db, content, tutor, heartbeats, monitoring, storage, backupsDir });
  fileRoutes(app, web, mediaDir);
  gradingRoutes(app, web, grading);
  app.get('/healthz', async () => ({ ok: true }));

  return {
    app,
    db,
    monitoring,
    async close() {
      await app.close();
      await uploads.drain();
      await avUploads.close();
      await grading.close();
      await heartbeats.close();
      await content.close();
      await storage.close();
      await monitoring.close();
      db.close();
    },
  };
}
