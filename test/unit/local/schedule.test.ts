import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scheduledEvent, startSchedule } from '../../../infra/local/schedule.js';

describe('scheduledEvent', () => {
  it('has the EventBridge ScheduledEvent shape', () => {
    const e = scheduledEvent('us-east-1', 'poller-schedule', new Date('2026-01-02T03:04:05.678Z'));
    expect(e).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-01-02T03:04:05Z',
      region: 'us-east-1',
      resources: [expect.stringMatching(/^arn:aws:events:us-east-1:\d{12}:rule\/poller-schedule$/)],
      detail: {},
    });
  });
});

describe('startSchedule (fake timers: every wait is a step of the clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('re-invokes repeatAfterMs after each return and never runs two at once', async () => {
    let active = 0;
    let maxActive = 0;
    const events: unknown[] = [];
    const schedule = startSchedule({
      region: 'us-east-1',
      rateMs: 5,
      repeatAfterMs: 30,
      fn: {
        name: 'poller',
        timeoutMs: 1000,
        handler: async (e: unknown) => {
          events.push(e);
          active++;
          maxActive = Math.max(maxActive, active);
          await new Promise((r) => setTimeout(r, 20));
          active--;
        },
      },
    });
    // The first run starts at once and returns at 20 ms: the 5 ms rate ticks meanwhile are skipped.
    await vi.advanceTimersByTimeAsync(0);
    expect(schedule.invocations).toBe(1);
    await vi.advanceTimersByTimeAsync(19);
    expect(schedule.invocations).toBe(1);
    expect(active).toBe(1);
    // Once it returned, the next rate tick (25 ms) starts the second run, before the repeat (50 ms).
    await vi.advanceTimersByTimeAsync(1);
    expect(active).toBe(0);
    await vi.advanceTimersByTimeAsync(5);
    expect(schedule.invocations).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    const stopping = schedule.stop();
    await vi.advanceTimersByTimeAsync(20); // the run in progress returns
    await stopping;
    const after = schedule.invocations;
    await vi.advanceTimersByTimeAsync(1000);
    expect(schedule.invocations).toBe(after);
    expect(after).toBe(10); // one every 25 ms (a 20 ms run, then the next 5 ms tick) over 225 ms
    expect(maxActive).toBe(1);
    expect(active).toBe(0);
    expect(events[0]).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
  });

  it('re-invokes exactly repeatAfterMs after a return when the rate is a minute', async () => {
    const starts: number[] = [];
    const schedule = startSchedule({
      region: 'us-east-1',
      repeatAfterMs: 1000,
      fn: {
        name: 'poller',
        timeoutMs: 10_000,
        handler: async () => {
          starts.push(Date.now());
          await new Promise((r) => setTimeout(r, 300));
        },
      },
    });
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(2_600);
    const stopping = schedule.stop();
    await vi.advanceTimersByTimeAsync(300);
    await stopping;
    expect(starts.map((t) => t - t0)).toEqual([0, 1300, 2600]);
  });

  it('keeps going after a failing invocation and reports each failure', async () => {
    const errors: unknown[] = [];
    const schedule = startSchedule({
      region: 'us-east-1',
      repeatAfterMs: 10,
      fn: {
        name: 'poller',
        timeoutMs: 1000,
        handler: async () => {
          throw new Error('nope');
        },
      },
      onInvocation: ({ error }) => errors.push(error),
    });
    await vi.advanceTimersByTimeAsync(25);
    await schedule.stop();
    expect(schedule.invocations).toBe(3);
    expect(errors).toHaveLength(3);
    expect(String(errors[0])).toContain('nope');
  });

  it('waits for the running invocation on stop, at most graceMs', async () => {
    let returned = false;
    const schedule = startSchedule({
      region: 'us-east-1',
      fn: {
        name: 'poller',
        timeoutMs: 60_000,
        handler: async () => {
          await new Promise((r) => setTimeout(r, 10_000));
          returned = true;
        },
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    void schedule.stop(500).then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(true);
    expect(returned).toBe(false);
  });
});
