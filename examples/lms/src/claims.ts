import { randomBytes } from 'node:crypto';

/**
 * A claim on background work stored in SQLite (`<pid>:<random>`): unique per service instance, and readable by
 * any worker of the board, which can tell when its owner process is gone.
 */
export function newClaim(): string {
  return `${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** True when nobody holds `claim`, or the process that held it no longer exists (killed mid-work). */
export function abandoned(claim: string | null): boolean {
  if (claim === null) return true;
  const pid = Number(claim.split(':')[0]);
  // Instances in this process release their claims when they close.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
