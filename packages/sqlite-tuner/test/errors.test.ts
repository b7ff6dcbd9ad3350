import { describe, expect, it } from 'vitest';
import { PilmsSqliteError } from '../src/index.js';

describe('PilmsSqliteError', () => {
  it('keeps its code and cause and is recognised by isInstance', () => {
    const cause = new Error('root');
    const error = new PilmsSqliteError('something failed', 'PILMS_TEST', { cause });
    expect(error.code).toBe('PILMS_TEST');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('PilmsSqliteError');
    expect(PilmsSqliteError.isInstance(error)).toBe(true);
    expect(PilmsSqliteError.isInstance(new Error('other'))).toBe(false);
  });
});
