/**
 * Every task ends after the whole local runtime is killed: 30 tasks submitted, `kill -9` of
 * `npm start`'s process group while most of them are queued (their SQS messages, in fauxqs' memory,
 * die with it; the tasks, in DynamoDB Local's files, do not), then a restart with the same data
 * folder. The sweeper re-sends the messages of the queued tasks, the poller re-queues the tasks the
 * restarted ComfyUI forgot, and every task reaches a terminal state.
 *
 * The bound: after the restart is ready, a task whose message was lost is re-sent within
 * QUEUED_SWEEP_GRACE_SECONDS + QUEUED_SWEEP_EVERY_SECONDS (5 + 2 s here), a claim its dead dispatcher
 * left expires within DISPATCH_CLAIM_SECONDS (10 s here), a task ComfyUI forgot is re-queued within
 * POLLER_LOST_GRACE_MS (10 s) plus two polls, and the 30 runs of 300 ms take 5 s two at a time:
 * well under the 120 s this test allows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type SpawnedRuntime, spawnLocalRuntime } from '../../helpers/local-runtime.js';

const TASKS = 30;
const BOUND_MS = 120_000;
const ENV = {
  POLL_INTERVAL_MS: '200',
  MAX_IN_FLIGHT: '2',
  LOG_LEVEL: 'ERROR',
  QUEUED_SWEEP_GRACE_SECONDS: '5',
  QUEUED_SWEEP_EVERY_SECONDS: '2',
  DISPATCH_CLAIM_SECONDS: '10',
  // The test reads all 30 tasks at once, every second: more than one owner's rate limit allows
  // (20 requests/s, bursts of 40); the stage throttle stays as deployed.
  OWNER_RATE_LIMIT_PER_SECOND: '0',
};
const args = (executionMs: number) => [
  '--poller-repeat',
  '200',
  '--comfy-execution-ms',
  String(executionMs),
  '--quiet',
];
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

interface TaskView {
  taskId: string;
  status: string;
  error?: { code: string };
}

async function api(rt: SpawnedRuntime, key: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${rt.apiUrl}${path}`, {
    ...init,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('kill -9 of the whole local runtime, then a restart with the same data', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kill-restart-data-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'kill-restart-state-'));
  let rt: SpawnedRuntime | undefined;
  afterAll(async () => {
    await rt?.signal('SIGKILL');
  });

  it(`ends every one of ${TASKS} tasks within ${BOUND_MS / 1000} s of the restart`, async () => {
    // Slow runs before the kill, so most tasks are still queued however slowly the submits go.
    rt = await spawnLocalRuntime({
      args: [...args(5000), '--data-dir', dataDir],
      env: ENV,
      stateDir,
      readyTimeoutMs: 90_000,
    });
    const key = rt.apiKey();
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      const r = await api(rt, key, '/v1/tasks', {
        method: 'POST',
        body: JSON.stringify({ template: 'txt2img', params: { prompt: `task ${i}`, steps: 1 } }),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      ids.push(r.body.taskId as string);
    }
    const before = await Promise.all(
      ids.map((id) => api(rt as SpawnedRuntime, key, `/v1/tasks/${id}`)),
    );
    const queuedAtKill = before.filter((r) => r.body.status === 'queued').length;
    await rt.signal('SIGKILL');

    // Same ports, as `npm start` would use again: the tasks at ComfyUI name its address.
    rt = await spawnLocalRuntime({
      args: [...args(300), '--data-dir', dataDir],
      env: ENV,
      stateDir,
      ports: rt.ports,
      readyTimeoutMs: 90_000,
    });
    const restartedAt = Date.now();
    let views: TaskView[] = [];
    while (Date.now() - restartedAt < BOUND_MS) {
      views = await Promise.all(
        ids.map(
          async (id) =>
            (await api(rt as SpawnedRuntime, key, `/v1/tasks/${id}`)).body as unknown as TaskView,
        ),
      );
      if (views.every((v) => TERMINAL.has(v.status))) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const endedInMs = Date.now() - restartedAt;
    const byStatus: Record<string, number> = {};
    for (const v of views) byStatus[v.status] = (byStatus[v.status] ?? 0) + 1;
    console.log(
      JSON.stringify({ metric: 'kill_restart', tasks: TASKS, queuedAtKill, endedInMs, byStatus }),
    );
    expect(queuedAtKill).toBeGreaterThan(TASKS / 2);
    expect(
      views.filter((v) => !TERMINAL.has(v.status)),
      rt.output().slice(-4000),
    ).toEqual([]);
    // Nothing failed for lack of a message: the lost ones were sent again and ran.
    expect(byStatus.succeeded).toBe(TASKS);
    // And the owner's cap is free again: new submits are accepted.
    const more = await api(rt, key, '/v1/tasks', {
      method: 'POST',
      body: JSON.stringify({ template: 'txt2img', params: { prompt: 'after', steps: 1 } }),
    });
    expect(more.status).toBe(202);
  }, 300_000);
});
