import { describe, expect, it } from 'vitest';
import { PilmsMonitorError } from '../src/index.js';

describe('PilmsMonitorError', () => {
  it('keeps its code and cause and is recognised by isInstance', () => {
    const cause = new Error('root');
    const error = new PilmsMonitorError('something failed', 'PILMS_TEST', { cause });
    expect(error.code).toBe('PILMS_TEST');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('PilmsMonitorError');
    expect(PilmsMonitorError.isInstance(error)).toBe(true);
    expect(PilmsMonitorError.isInstance(new Error('other'))).toBe(false);
  });
});
