import { describe, expect, it } from 'vitest';
import { createProgress, describe as describeTask } from '../../../scripts/task-cli/progress.js';
import type { TaskView } from '../../../shared/http/schemas.js';

const running = (fraction?: number, extra: Partial<NonNullable<TaskView['progress']>> = {}) =>
  ({
    taskId: 't-1',
    status: 'running',
    createdAt: 'now',
    updatedAt: 'now',
    outputs: [],
    version: 3,
    ...(fraction === undefined ? {} : { progress: { fraction, updatedAt: 'now', ...extra } }),
  }) as TaskView;

describe('task CLI --wait progress', () => {
  it('moves the bar with the task progress and names the node and step', () => {
    expect(describeTask(running())).toEqual({ at: 0.45, text: 'running' });
    const d = describeTask(running(0.5, { nodeType: 'KSampler', step: 9, steps: 20 }));
    expect(d.at).toBeCloseTo(0.45);
    expect(d.text).toBe('running 50% (KSampler 9/20)');
    expect(describeTask(running(0.9)).at).toBeGreaterThan(d.at);
  });

  it('writes one line per 10 % when not on a terminal', () => {
    let written = '';
    const out = {
      write: (s: string) => {
        written += s;
        return true;
      },
      isTTY: false,
    };
    const p = createProgress(out as never);
    for (const f of [0.01, 0.03, 0.05, 0.12, 0.15, 0.19, 0.55]) p.task(running(f));
    expect(written.trim().split('\n')).toEqual([
      't-1 running 0%',
      't-1 running 10%',
      't-1 running 50%',
    ]);
  });
});
