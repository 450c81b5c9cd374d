/**
 * AWS requests the dispatch step costs per task, counted by an SDK middleware on the real clients.
 * Includes the receive and delete calls the event source mapping makes (played by the harness), and
 * excludes submitting (the API's share). Prints the figures; asserts the dispatcher's own calls.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../shared/observability.js';
import { type Harness, startHarness } from './harness.js';

const TASKS = 20;

async function dispatchAll(h: Harness, ids: string[]) {
  for (let round = 0; round < 200; round++) {
    const states = await Promise.all(ids.map((id) => h.task(id)));
    if (states.every((t) => t.status === 'dispatched')) return round;
    await h.deliver({ waitSeconds: 1 });
  }
  throw new Error('tasks were not all dispatched');
}

function report(h: Harness, label: string) {
  const counts = h.counter.snapshot();
  const perTask = Object.fromEntries(
    counts.map((c) => [`${c.service}.${c.operation}`, +(c.calls / TASKS).toFixed(2)]),
  );
  const total = +(h.counter.total() / TASKS).toFixed(2);
  console.log(JSON.stringify({ metric: 'dispatch_aws_requests_per_task', label, total, perTask }));
  return counts;
}

describe('AWS requests per dispatched task', () => {
  let h: Harness | undefined;
  beforeAll(() => logger.setLogLevel('SILENT'));
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('costs one read and two conditional writes of the task (the claim, the record) when ComfyUI has room', async () => {
    h = await startHarness({
      env: { MAX_IN_FLIGHT: String(TASKS), MAX_AT_COMFY_PER_OWNER: String(TASKS) },
    });
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) ids.push((await h.submit()).taskId);
    h.counter.reset();
    await dispatchAll(h, ids);
    const counts = report(h, 'room');
    const calls = (op: string) => counts.find((c) => c.operation === op)?.calls ?? 0;
    expect(calls('GetItem')).toBe(TASKS);
    // The dispatch claim before POST /prompt, and the queued -> dispatched record.
    expect(calls('UpdateItem')).toBe(2 * TASKS);
    expect(calls('SendMessageBatch')).toBe(0);
    expect(calls('ChangeMessageVisibilityBatch')).toBe(0);
  });

  it('adds no DynamoDB request while tasks wait for a slot, in the invocation or deferred', async () => {
    h = await startHarness({
      env: {
        MAX_IN_FLIGHT: '2',
        DISPATCH_HOLD_MS: '300',
        DISPATCH_HOLD_POLL_MS: '50',
        DISPATCH_DEFER_MAX_SECONDS: '1',
      },
      standIn: { executionMs: 100 },
    });
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) ids.push((await h.submit()).taskId);
    h.counter.reset();
    await dispatchAll(h, ids);
    const counts = report(h, 'backpressure');
    const calls = (op: string) => counts.find((c) => c.operation === op)?.calls ?? 0;
    expect(calls('GetItem')).toBe(TASKS);
    expect(calls('UpdateItem')).toBe(2 * TASKS);
    // Each batch's deferrals went out together.
    expect(calls('SendMessageBatch')).toBeGreaterThan(0);
    expect(calls('SendMessageBatch')).toBeLessThanOrEqual(calls('ReceiveMessage'));
  });
});
