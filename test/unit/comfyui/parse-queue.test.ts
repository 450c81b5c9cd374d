import { describe, expect, it } from 'vitest';
import { parseQueue, parseQueueRemaining } from '../../../shared/adapters/comfyui/parse-queue.js';
import { ComfyProtocolError } from '../../../shared/domain/errors.js';
import { fixture } from './fixtures.js';

describe('parseQueue', () => {
  it('reads positional queue items into running and pending entries', () => {
    const q = parseQueue(fixture('queue_while_running.json'));
    expect(q.running).toEqual([{ number: 5, promptId: 'a1ec3225-7386-4231-a7d2-ecfa56d2c74a' }]);
    expect(q.pending).toEqual([
      { number: 6, promptId: '04a7e753-58bc-44cf-bbcb-6e5dc46a6dc7' },
      { number: 7, promptId: 'c79496bb-9498-427b-9e33-ba716cb3c80c' },
    ]);
  });

  it('sorts pending by number then prompt id (the heap array is not in execution order)', () => {
    const item = (n: number, id: string) => [n, id, {}, {}, ['9']];
    const q = parseQueue({
      queue_running: [],
      queue_pending: [item(3, 'c'), item(-2, 'z'), item(3, 'a'), item(1, 'b')],
    });
    expect(q.pending.map((e) => `${e.number}${e.promptId}`)).toEqual(['-2z', '1b', '3a', '3c']);
  });

  it('rejects the object-style queue some guides describe', () => {
    expect(() =>
      parseQueue({ queue_running: [{ prompt_id: 'x', status: 'running' }], queue_pending: [] }),
    ).toThrow(ComfyProtocolError);
    expect(() => parseQueue({})).toThrow(ComfyProtocolError);
  });
});

describe('parseQueueRemaining', () => {
  it('reads exec_info.queue_remaining', () => {
    expect(parseQueueRemaining({ exec_info: { queue_remaining: 3 } })).toBe(3);
    expect(() => parseQueueRemaining({ queue_remaining: 3 })).toThrow(ComfyProtocolError);
  });
});
