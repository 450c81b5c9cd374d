/**
 * Invokes a function like an EventBridge schedule: a ScheduledEvent every `rateMs` (a minute, as
 * deployed). Locally it also re-invokes `repeatAfterMs` after the previous invocation returned, so
 * a local user does not wait for the next minute: the poller keeps polling while tasks are active
 * and returns early when there are none, so in practice it is always running or about to.
 * Invocations never overlap unless `allowOverlap` is set (EventBridge itself would overlap them).
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { invokeFunction, type LocalFunction } from './runtime/invoke.js';
import { LOCAL_ACCOUNT_ID } from './runtime/lambda-context.js';
import { settleWithin } from './runtime/settle.js';

export interface ScheduleOptions {
  fn: LocalFunction;
  region: string;
  /** The deployed rate. @default 60_000 */
  rateMs?: number;
  /** Re-invoke this long after the previous invocation returned; 0 turns it off. @default 1500 */
  repeatAfterMs?: number;
  /** @default false */
  allowOverlap?: boolean;
  ruleName?: string;
  onInvocation?: (outcome: { ms: number; error?: unknown }) => void;
}

export interface Schedule {
  /** Invocations started so far. */
  readonly invocations: number;
  /** Stops scheduling and waits for the running invocation to return (at most `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export function scheduledEvent(region: string, ruleName: string, now = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    time: `${now.toISOString().slice(0, 19)}Z`,
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
    detail: {},
  };
}

export function startSchedule(opts: ScheduleOptions): Schedule {
  const rateMs = opts.rateMs ?? 60_000;
  const repeatAfterMs = opts.repeatAfterMs ?? 1500;
  const ruleName = opts.ruleName ?? `${opts.fn.name}-schedule`;
  const running = new Set<Promise<void>>();
  let invocations = 0;
  let stopped = false;
  let repeatTimer: NodeJS.Timeout | undefined;

  const fire = () => {
    if (stopped || (running.size > 0 && !opts.allowOverlap)) return;
    clearTimeout(repeatTimer);
    invocations++;
    const started = Date.now();
    const run = invokeFunction(opts.fn, scheduledEvent(opts.region, ruleName), {
      region: opts.region,
    })
      .then(
        () => opts.onInvocation?.({ ms: Date.now() - started }),
        (error: unknown) => opts.onInvocation?.({ ms: Date.now() - started, error }),
      )
      .finally(() => {
        running.delete(run);
        if (!stopped && repeatAfterMs > 0 && running.size === 0) {
          repeatTimer = setTimeout(fire, repeatAfterMs);
        }
      });
    running.add(run);
  };

  const rateTimer = setInterval(fire, rateMs);
  fire();
  return {
    get invocations() {
      return invocations;
    },
    async stop(graceMs) {
      stopped = true;
      clearInterval(rateTimer);
      clearTimeout(repeatTimer);
      await settleWithin(running, graceMs);
    },
  };
}
