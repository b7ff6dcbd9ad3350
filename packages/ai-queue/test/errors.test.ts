import { describe, expect, it } from 'vitest';
import { PilmsAiQueueError } from '../src/index.js';

describe('PilmsAiQueueError', () => {
  it('keeps its code and cause and is recognised by isInstance', () => {
    const cause = new Error('root');
    const error = new PilmsAiQueueError('something failed', 'PILMS_TEST', { cause });
    expect(error.code).toBe('PILMS_TEST');
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('PilmsAiQueueError');
    expect(PilmsAiQueueError.isInstance(error)).toBe(true);
    expect(PilmsAiQueueError.isInstance(new Error('other'))).toBe(false);
  });
});
