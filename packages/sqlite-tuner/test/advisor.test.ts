import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { analyzeQuery, UnplannableQueryError } from '../src/advisor.js';
import { createSlowQueryLog } from '../src/slow-query-log.js';

function lmsSchema(path: string): Database.Database {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE submissions (id INTEGER PRIMARY KEY, student_id INTEGER, course_id INTEGER, score REAL, created_at INTEGER);
    CREATE TABLE students (id INTEGER PRIMARY KEY, name TEXT);
    CREATE INDEX students_name ON students(name);
  `);
  const insert = db.prepare('INSERT INTO submissions (student_id, course_id, score, created_at) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 200; i++) insert.run(i % 40, i % 5, i % 100, i);
  })();
  return db;
}

describe('analyzeQuery', () => {
  it('flags a full scan and a temp B-tree and proposes one index that removes both, proven by re-planning', async () => {
    const db = lmsSchema(join(await tempDir(), 'lms.db'));
    const advice = analyzeQuery(db, 'SELECT * FROM submissions WHERE student_id = ? ORDER BY created_at', [7]);
    expect(advice.findings.map((f) => f.kind).sort()).toEqual(['full-scan', 'temp-b-tree']);
    expect(advice.suggestions).toHaveLength(1);
    const [suggestion] = advice.suggestions;
    expect(suggestion!.columns).toEqual(['student_id', 'created_at']);
    expect(suggestion!.sql).toBe(
      'CREATE INDEX "submissions_student_id_created_at" ON "submissions"("student_id", "created_at")',
    );
    expect(suggestion!.resolves).toHaveLength(2);
    expect(suggestion!.planAfter.join('\n')).toContain('USING INDEX submissions_student_id_created_at');
    db.exec(suggestion!.sql);
    expect(
      analyzeQuery(db, 'SELECT * FROM submissions WHERE student_id = ? ORDER BY created_at', [7]).findings,
    ).toEqual([]);
    db.close();
  });

  it('resolves table aliases and suggests nothing for a query an existing index already serves', async () => {
    const db = lmsSchema(join(await tempDir(), 'lms.db'));
    const joined = analyzeQuery(
      db,
      'SELECT s.name, x.score FROM students AS s JOIN submissions x ON x.student_id = s.id WHERE x.course_id = ?',
      [2],
    );
    expect(joined.findings.some((f) => f.kind === 'full-scan' || f.kind === 'automatic-index')).toBe(true);
    expect(joined.suggestions.map((s) => s.table)).toContain('submissions');
    const served = analyzeQuery(db, 'SELECT id FROM students WHERE name = ?', ['ada']);
    expect(served.findings).toEqual([]);
    expect(served.suggestions).toEqual([]);
    db.close();
  });

  it('proposes covering indexes for GROUP BY and SELECT DISTINCT and a range index for BETWEEN', async () => {
    const db = lmsSchema(join(await tempDir(), 'lms.db'));
    const suggest = (sql: string, params?: unknown[]) =>
      analyzeQuery(db, sql, params).suggestions.map((s) => s.columns);
    expect(suggest('SELECT course_id, count(*) FROM submissions GROUP BY course_id')).toEqual([['course_id']]);
    expect(suggest('SELECT DISTINCT student_id FROM submissions')).toEqual([['student_id']]);
    expect(suggest('SELECT * FROM submissions WHERE created_at BETWEEN ? AND ?', [1, 9])).toEqual([['created_at']]);
    db.close();
  });

  it('leaves the real database untouched and throws UnplannableQueryError for bad SQL', async () => {
    const db = lmsSchema(join(await tempDir(), 'lms.db'));
    const before = db.prepare('SELECT count(*) AS n FROM sqlite_schema').get();
    analyzeQuery(db, 'SELECT * FROM submissions WHERE score > ?', [50]);
    expect(db.prepare('SELECT count(*) AS n FROM sqlite_schema').get()).toEqual(before);
    expect(() => analyzeQuery(db, 'SELEC * FROM submissions')).toThrow(UnplannableQueryError);
    expect(() => analyzeQuery(db, 'SELECT * FROM nowhere')).toThrow(/Cannot plan SELECT \* FROM nowhere/);
    db.close();
  });
});

describe('createSlowQueryLog', () => {
  it('logs only statements over the threshold and attaches the advisor suggestion to each', async () => {
    const db = lmsSchema(join(await tempDir(), 'lms.db'));
    const seen: string[] = [];
    const log = createSlowQueryLog(db, { thresholdMs: 50, maxEntries: 2, onSlow: (entry) => seen.push(entry.sql) });
    log.observe('SELECT * FROM submissions WHERE course_id = ?', 10, [1]);
    log.observe('SELECT * FROM submissions WHERE course_id = ?', 80, [1]);
    log.observe('PRAGMA quick_check', 120);
    log.observe('SELECT id FROM students WHERE name = ?', 60, ['ada']);
    const entries = log.entries();
    expect(entries.map((e) => e.sql)).toEqual(['PRAGMA quick_check', 'SELECT id FROM students WHERE name = ?']);
    expect(seen).toHaveLength(3);
    expect(log.stats()).toEqual({ slow: 3, withSuggestion: 1, thresholdMs: 50 });
    expect(entries.every((e) => e.suggestions.length === 0)).toBe(true);
    expect(() => createSlowQueryLog(db, { thresholdMs: -1 })).toThrow(
      'Expected `thresholdMs` to be a finite number >= 0, got -1',
    );
    db.close();
  });

  it('attaches CREATE INDEX to a slow full scan', async () => {
    const db = lmsSchema(join(await tempDir(), 'lms.db'));
    const log = createSlowQueryLog(db, { thresholdMs: 0 });
    log.observe('SELECT * FROM submissions WHERE course_id = ?', 5, [1]);
    expect(log.entries()[0]!.suggestions).toEqual([
      'CREATE INDEX "submissions_course_id" ON "submissions"("course_id")',
    ]);
    db.close();
  });
});
