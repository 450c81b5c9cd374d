import { describe, expect, it } from 'vitest';
import { createKeyedSerializer, readMessage } from '../../../shared/dispatch/batch-tools.js';

const ID = '0f0e0d0c-0b0a-4909-8807-060504030201';
const tick = () => new Promise((r) => setImmediate(r));

describe('readMessage', () => {
  it('reads a task id and an optional deferral count', () => {
    expect(readMessage(JSON.stringify({ taskId: ID }))).toEqual({ taskId: ID });
    expect(readMessage(JSON.stringify({ taskId: ID, deferrals: 3 }))).toEqual({
      taskId: ID,
      deferrals: 3,
    });
  });
  it.each([
    'not json',
    'null',
    '[]',
    JSON.stringify({ taskId: 'nope' }),
    JSON.stringify({ taskId: ID.toUpperCase() }),
    JSON.stringify({ taskId: ID, deferrals: -1 }),
    JSON.stringify({ taskId: ID, deferrals: '2' }),
  ])('refuses %s', (body) => {
    expect(readMessage(body)).toBeUndefined();
  });
});

describe('createKeyedSerializer', () => {
  it('runs jobs of one key in order, other keys alongside, and survives a failing job', async () => {
    const serialize = createKeyedSerializer();
    const log: string[] = [];
    const job =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    const a1 = serialize('a', job('a1', true));
    const a2 = serialize('a', job('a2'));
    const b1 = serialize('b', job('b1'));
    await expect(a1).rejects.toThrow('a1');
    await Promise.all([a2, b1]);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
  });
});
