import { describe, expect, it } from 'vitest';
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

describe('startSchedule', () => {
  it('re-invokes after each return and never runs two at once', async () => {
    let active = 0;
    let maxActive = 0;
    const events: unknown[] = [];
    const schedule = startSchedule({
      region: 'us-east-1',
      rateMs: 5,
      repeatAfterMs: 5,
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
    while (schedule.invocations < 4) await new Promise((r) => setTimeout(r, 5));
    await schedule.stop();
    expect(maxActive).toBe(1);
    expect(active).toBe(0);
    expect(events[0]).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
  });

  it('keeps going after a failing invocation and reports it', async () => {
    const errors: unknown[] = [];
    const schedule = startSchedule({
      region: 'us-east-1',
      repeatAfterMs: 1,
      fn: {
        name: 'poller',
        timeoutMs: 1000,
        handler: async () => {
          throw new Error('nope');
        },
      },
      onInvocation: ({ error }) => errors.push(error),
    });
    while (schedule.invocations < 3) await new Promise((r) => setTimeout(r, 2));
    await schedule.stop();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(String(errors[0])).toContain('nope');
  });
});
