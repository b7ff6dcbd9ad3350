import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Db } from './db.js';

/** A signed-in user as the routes see it. */
export interface User {
  id: number;
  name: string;
  email: string;
  role: 'admin' | 'teacher' | 'student';
}

/** Hashes a password with scrypt and a random salt (`scrypt$salt$hash`). */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, 32).toString('base64')}`;
}

/** Checks a password against a stored hash in constant time. */
export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

const sessionMs = 12 * 3600_000;
const loginWindowMs = 15 * 60_000;
const maxFailures = 5;

/** Session store, login rate limiting and CSRF tokens, all in SQLite so every worker shares them. */
export function createAuth(db: Db) {
  const findUser = db.prepare('SELECT id, name, email, role, password_hash FROM users WHERE email = ?');
  const insertSession = db.prepare('INSERT INTO sessions (id, user_id, csrf, expires_at) VALUES (?, ?, ?, ?)');
  const readSession = db.prepare(
    'SELECT u.id, u.name, u.email, u.role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.expires_at > ?',
  );
  const deleteSession = db.prepare('DELETE FROM sessions WHERE id = ?');
  const readAttempts = db.prepare('SELECT failures, window_start FROM login_attempts WHERE key = ?');
  const upsertAttempt = db.prepare(
    `INSERT INTO login_attempts (key, failures, window_start) VALUES (?, 1, ?)
     ON CONFLICT(key) DO UPDATE SET failures = CASE WHEN window_start < ? THEN 1 ELSE failures + 1 END,
       window_start = CASE WHEN window_start < ? THEN excluded.window_start ELSE window_start END`,
  );
  const clearAttempts = db.prepare('DELETE FROM login_attempts WHERE key = ?');

  return {
    /** True when `key` (client address + email) has failed too often in the current window. */
    isLimited(key: string, now = Date.now()): boolean {
      const row = readAttempts.get(key) as { failures: number; window_start: number } | undefined;
      return row !== undefined && row.window_start >= now - loginWindowMs && row.failures >= maxFailures;
    },
    /** Returns a new session id for valid credentials, or undefined (and counts the failure). */
    login(email: string, password: string, key: string, now = Date.now()): string | undefined {
      const row = findUser.get(email.trim().toLowerCase()) as { id: number; password_hash: string } | undefined;
      if (row === undefined || !verifyPassword(password, row.password_hash)) {
        upsertAttempt.run(key, now, now - loginWindowMs, now - loginWindowMs);
        return undefined;
      }
      clearAttempts.run(key);
      const id = randomBytes(24).toString('base64url');
      insertSession.run(id, row.id, randomBytes(24).toString('base64url'), now + sessionMs);
      return id;
    },
    /** The user and CSRF token of a live session. */
    session(id: string | undefined): { user: User; csrf: string } | undefined {
      if (!id) return undefined;
      const row = readSession.get(id, Date.now()) as (User & { csrf: string }) | undefined;
      if (row === undefined) return undefined;
      const { csrf, ...user } = row;
      return { user, csrf };
    },
    logout(id: string): void {
      deleteSession.run(id);
    },
  };
}

/** The session/CSRF service returned by {@link createAuth}. */
export type Auth = ReturnType<typeof createAuth>;
