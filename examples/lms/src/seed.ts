import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { optimizeImage } from '@pilms/media-optimizer';
import sharp from 'sharp';
import { hashPassword } from './auth.js';
import { avMarkdown, transcodeLessonMedia } from './av.js';
import type { Db } from './db.js';

/** The demo logins printed at start. */
export const demoLogins = [
  { email: 'admin@school.test', password: 'admin-demo', role: 'admin' },
  { email: 'teacher1@school.test', password: 'teacher-demo', role: 'teacher' },
  { email: 'student1@school.test', password: 'student-demo', role: 'student' },
] as const;

const subjects = ['Biology', 'History', 'Mathematics', 'Geography', 'Physics', 'Literature'];
const repoRoot = resolve(import.meta.dirname, '../../..');
const fixtures = resolve(repoRoot, '../shared/fixtures/media');

// A video lesson and an audio lesson (Biology 1.2 and 1.4) from the fixtures' Big Buck Bunny clips.
const avLessons = [
  { lesson: 2, kind: 'video', file: 'Big_Buck_Bunny_180_10s.webm', description: 'Big Buck Bunny (video)' },
  { lesson: 4, kind: 'audio', file: 'video-1080p-60fps-2s.mp4', description: 'Big Buck Bunny (soundtrack)' },
] as const;

// Real photos from the shared fixtures when present, otherwise a few images drawn with sharp.
async function seedImages(mediaDir: string): Promise<string[]> {
  mkdirSync(mediaDir, { recursive: true });
  const photos = existsSync(fixtures)
    ? readdirSync(fixtures).filter((name) => /^(Landscape_\d|320x240)\.jpg$/.test(name))
    : [];
  for (const name of photos) copyFileSync(join(fixtures, name), join(mediaDir, name));
  if (photos.length > 0) return photos;
  const colours = ['#3b7', '#37b', '#b73'];
  await Promise.all(
    colours.map((background, i) =>
      sharp({ create: { width: 640, height: 400, channels: 3, background } })
        .jpeg()
        .toFile(join(mediaDir, `generated-${i}.jpg`)),
    ),
  );
  return colours.map((_, i) => `generated-${i}.jpg`);
}

/**
 * Copies the fixture clips and transcodes them (small: the video is 320x180 for 10 s, the audio 2 s); returns
 * the Markdown line per lesson position of the first course, none when the fixtures are absent.
 */
async function seedAv(mediaDir: string): Promise<Map<number, string>> {
  const lines = new Map<number, string>();
  for (const { lesson, kind, file, description } of avLessons) {
    if (!existsSync(join(fixtures, file))) continue;
    copyFileSync(join(fixtures, file), join(mediaDir, file));
    const asset = await transcodeLessonMedia(join(mediaDir, file), mediaDir, { kind });
    lines.set(lesson, avMarkdown(asset, `${description}, Blender Foundation, CC BY 3.0`));
  }
  return lines;
}

function lessonBody(subject: string, module: number, lesson: number, image: string, media?: string): string {
  return [
    `## ${subject}: part ${module}.${lesson}`,
    '',
    `This lesson introduces the key ideas of **${subject.toLowerCase()}** for unit ${module}. Read it`,
    'carefully, look at the picture, then try the question at the end of the module.',
    '',
    `![Illustration for ${subject} ${module}.${lesson}](/media/${image})`,
    '',
    ...(media ? [media, ''] : []),
    '1. Read the text once without notes.',
    '2. Write down three words you did not know.',
    '3. Explain the main idea to a classmate in one sentence.',
    '',
    '> Tip: you can ask the AI tutor about anything in this lesson.',
  ].join('\n');
}

/** Fills an empty database with the demo school; does nothing when users already exist. */
export async function seedIfEmpty(db: Db, mediaDir: string): Promise<boolean> {
  const count = (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  if (count > 0) return false;
  const images = await seedImages(mediaDir);
  const av = await seedAv(mediaDir);
  const addImage = db.prepare('INSERT OR REPLACE INTO images (name, picture) VALUES (?, ?)');
  // Sequential on purpose: one sharp pipeline at a time keeps first start gentle on a small board.
  for (const name of images) {
    const result = await optimizeImage(join(mediaDir, name), {
      outDir: join(mediaDir, 'images'),
      widths: [320, 640, 1024],
    });
    addImage.run(name, result.picture);
  }
  // One hash per role keeps first start fast on a small board; every login still goes through scrypt.
  const [adminHash, teacherHash, studentHash] = demoLogins.map((login) => hashPassword(login.password));
  const addUser = db.prepare('INSERT INTO users (email, name, role, password_hash) VALUES (?, ?, ?, ?)');
  const addCourse = db.prepare('INSERT INTO courses (title, summary, teacher_id) VALUES (?, ?, ?)');
  const addModule = db.prepare('INSERT INTO modules (course_id, title, position) VALUES (?, ?, ?)');
  const addLesson = db.prepare('INSERT INTO lessons (module_id, title, body, position) VALUES (?, ?, ?, ?)');
  const addQuestion = db.prepare('INSERT INTO quiz_questions (lesson_id, prompt, choices, answer) VALUES (?, ?, ?, ?)');
  const addTextQuestion = db.prepare('INSERT INTO text_questions (lesson_id, prompt, rubric) VALUES (?, ?, ?)');
  const enrol = db.prepare('INSERT INTO enrolments (user_id, course_id) VALUES (?, ?)');
  db.transaction(() => {
    addUser.run('admin@school.test', 'Ada Admin', 'admin', adminHash);
    const teachers = [1, 2].map((n) =>
      Number(addUser.run(`teacher${n}@school.test`, `Teacher ${n}`, 'teacher', teacherHash).lastInsertRowid),
    );
    const students = Array.from({ length: 50 }, (_, i) =>
      Number(addUser.run(`student${i + 1}@school.test`, `Student ${i + 1}`, 'student', studentHash).lastInsertRowid),
    );
    subjects.forEach((subject, c) => {
      const courseId = Number(
        addCourse.run(subject, `An introduction to ${subject.toLowerCase()}.`, teachers[c % 2]).lastInsertRowid,
      );
      for (let m = 1; m <= 4; m++) {
        const moduleId = Number(addModule.run(courseId, `Unit ${m}`, m).lastInsertRowid);
        for (let l = 1; l <= 5; l++) {
          const image = images[(c + m + l) % images.length] as string;
          const lessonId = Number(
            addLesson.run(
              moduleId,
              `${subject} ${m}.${l}`,
              lessonBody(subject, m, l, image, c === 0 && m === 1 ? av.get(l) : undefined),
              l,
            ).lastInsertRowid,
          );
          if (l === 3) {
            addTextQuestion.run(
              lessonId,
              `In your own words, what is the main idea of ${subject} ${m}.${l}? Give one example.`,
              `States the main idea of the lesson in the student's own words and gives a fitting example.`,
            );
          }
          if (l === 5) {
            const choices = JSON.stringify(['Read it once', 'Explain it to a classmate', 'Skip it']);
            addQuestion.run(lessonId, `What is the best way to check you understood unit ${m}?`, choices, 1);
          }
        }
      }
      for (const student of students) enrol.run(student, courseId);
    });
  })();
  return true;
}
