import { describe, expect, it } from 'vitest';
import { PilmsMediaError } from '../src/index.js';

describe('PilmsMediaError', () => {
  it('keeps its code and cause and is recognised by isInstance', () => {
    const cause = new Error('root');
    const error = new PilmsMediaError('something failed', 'PILMS_TEST', { cause });
    expect(error.code).toBe('PILMS_TEST');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('PilmsMediaError');
    expect(PilmsMediaError.isInstance(error)).toBe(true);
    expect(PilmsMediaError.isInstance(new Error('other'))).toBe(false);
  });
});
