import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  isTerminal,
  TASK_STATUSES,
} from '../../shared/domain/task.js';

describe('task state machine', () => {
  it('lets no terminal status change again', () => {
    for (const from of TASK_STATUSES.filter(isTerminal)) {
      for (const to of TASK_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });
  it('lets a lost task go back to queued from dispatched or running', () => {
    expect(canTransition('dispatched', 'queued')).toBe(true);
    expect(canTransition('running', 'queued')).toBe(true);
  });
  it('throws INVALID_TRANSITION for a forbidden change', () => {
    expect(() => assertTransition('succeeded', 'running')).toThrowError(/cannot go from succeeded/);
  });
});
