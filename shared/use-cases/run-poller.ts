/**
 * One poller invocation: take the lease, then poll every `pollIntervalMs` while ComfyUI holds tasks
 * (and sweep the queued tasks whose message is gone, at the sweeper's own pace),
 * until `runMs` is used up, the tasks are gone (after `idleGraceMs`), or the lease is lost. A
 * heartbeat renews the lease during long polls (big copies); the lease is released on the way out.
 * EventBridge starts an invocation at most once a minute; polling inside it is what makes results
 * appear within about a second.
 */
import { logger } from '../observability.js';
import type { PollReport } from '../poller/report.js';
import type { PollerLease } from '../ports/poller-lease.js';
import { type PollTasksDeps, pollTasks } from './poll-tasks.js';

export interface RunPollerDeps extends PollTasksDeps {
  lease: PollerLease;
  /** This invocation's name on the lease (the Lambda request id). */
  holder: string;
  /**
   * The sweep of queued tasks whose message is gone, run by the lease holder after each poll (it
   * throttles itself, see createQueuedSweeper). @default none
   */
  sweepQueued?: () => Promise<unknown>;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Live events from the servers while this invocation polls (progress, and an early poll when a
   * prompt starts or ends). @default none: polling alone
   */
  watch?: () => PollWatcher;
}

/** What the poller needs of a live event session (poller/progress-session.ts). */
interface PollWatcher {
  sync(tasks: readonly { taskId: string; server: string }[]): void;
  waitForWake(ms: number): Promise<void>;
  close(): Promise<void>;
}

const FINISHED: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled', 'requeued']);

export interface RunPollerSettings {
  pollIntervalMs: number;
  /** Stop starting polls after this long (keep a margin before the Lambda timeout). */
  runMs: number;
  leaseMs: number;
  /** Keep polling this long after the last active task is gone. @default 0 */
  idleGraceMs?: number;
  /**
   * Tries at the lease, `pollIntervalMs` apart. A kicked poller tries a few times: the holder it
   * meets may be on its way out, having just seen nothing active. @default 1
   */
  acquireAttempts?: number;
}

type StopReason = 'lease-held' | 'idle' | 'time' | 'lease-lost';

export interface RunPollerResult {
  polls: number;
  stoppedBecause: StopReason;
  heldBy?: string;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runPoller(
  deps: RunPollerDeps,
  s: RunPollerSettings,
  onPoll: (report: PollReport, pollMs: number) => void = () => {},
): Promise<RunPollerResult> {
  const { clock, lease, holder } = deps;
  const sleep = deps.sleep ?? defaultSleep;
  const start = clock.now();
  let grant = await lease.acquire(holder, s.leaseMs);
  for (let tries = 1; !grant.acquired && tries < (s.acquireAttempts ?? 1); tries++) {
    await sleep(s.pollIntervalMs);
    grant = await lease.acquire(holder, s.leaseMs);
  }
  if (!grant.acquired) {
    logger.info('another poller holds the lease; exiting', { heldBy: grant.heldBy });
    return {
      polls: 0,
      stoppedBecause: 'lease-held',
      ...(grant.heldBy ? { heldBy: grant.heldBy } : {}),
    };
  }

  let previousPollAt = grant.lastPollAt;
  let lost = false;
  let lastRenewAt = start;
  const renewEvery = Math.max(100, Math.floor(s.leaseMs / 3));
  const renew = async () => {
    lastRenewAt = clock.now();
    try {
      if (!(await lease.renew(holder, s.leaseMs, previousPollAt))) lost = true;
    } catch (err) {
      logger.warn('lease renewal failed', { error: String(err) });
    }
  };
  // Between polls the loop renews when due; during a long poll (a big copy) this timer does.
  let renewing: Promise<void> = Promise.resolve();
  const heartbeat = setInterval(() => {
    renewing = renew();
  }, renewEvery);
  heartbeat.unref();

  const watcher = deps.watch?.();
  let polls = 0;
  let lastActiveAt = start;
  let stoppedBecause: StopReason = 'time';
  try {
    for (;;) {
      const pollStart = clock.now();
      const report = await pollTasks(deps, previousPollAt === undefined ? {} : { previousPollAt });
      previousPollAt = pollStart;
      polls++;
      onPoll(report, clock.now() - pollStart);
      await deps.sweepQueued?.();
      watcher?.sync(
        report.tasks
          .filter((t) => !FINISHED.has(t.outcome))
          .map((t) => ({ taskId: t.taskId, server: t.server })),
      );
      if (clock.now() - lastRenewAt >= renewEvery) await renew();
      const now = clock.now();
      if (report.active > 0) lastActiveAt = now;
      if (lost) {
        stoppedBecause = 'lease-lost';
        break;
      }
      if (report.active === 0 && now - lastActiveAt >= (s.idleGraceMs ?? 0)) {
        stoppedBecause = 'idle';
        break;
      }
      if (now - start + s.pollIntervalMs >= s.runMs) break;
      await (watcher ? watcher.waitForWake(s.pollIntervalMs) : sleep(s.pollIntervalMs));
    }
  } finally {
    clearInterval(heartbeat);
    await watcher
      ?.close()
      .catch((err: unknown) => logger.warn('event session not closed', { error: String(err) }));
    await renewing;
    if (!lost) {
      await lease
        .release(holder, previousPollAt)
        .catch((err: unknown) => logger.warn('lease release failed', { error: String(err) }));
    }
  }
  return { polls, stoppedBecause };
}
