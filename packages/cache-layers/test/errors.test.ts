import { describe, expect, it } from 'vitest';
import { PilmsCacheError } from '../src/index.js';

describe('PilmsCacheError', () => {
  it('keeps its code and cause and is recognised by isInstance', () => {
    const cause = new Error('root');
    const error = new PilmsCacheError('something failed', 'PILMS_TEST', { cause });
    expect(error.code).toBe('PILMS_TEST');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('PilmsCacheError');
    expect(PilmsCacheError.isInstance(error)).toBe(true);
    expect(PilmsCacheError.isInstance(new Error('other'))).toBe(false);
  });
});
