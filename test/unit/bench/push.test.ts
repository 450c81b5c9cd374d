/** The push figures' arithmetic: webhook lag from ComfyUI's finish, and what push adds per task. */
import { describe, expect, it } from 'vitest';
import type { LoadRunResult } from '../../../bench/figures/load-run.js';
import { type PushReceiver, pushFigures, type Receipt } from '../../../bench/figures/push.js';
import type { Figure } from '../../../bench/lib/figure.js';

const task = (taskId: string, doneAt?: number) => ({
  taskId,
  key: 'k',
  submitStatus: 202,
  submittedAt: 0,
  ...(doneAt === undefined ? {} : { doneAt }),
  polls: 1,
  lastPollAt: 0,
  inFlight: false,
});

function run(): LoadRunResult {
  return {
    tasks: [task('a', 1100), task('b', 2300), task('c')],
    runs: new Map([
      ['a', { promptId: 'a', startedAt: 0, finishedAt: 1000, outcome: 'success' }],
      ['b', { promptId: 'b', startedAt: 0, finishedAt: 2000, outcome: 'success' }],
      ['c', { promptId: 'c', startedAt: 0, outcome: 'running' }],
    ]),
    runSource: 'test',
    usage: {
      requests: [
        {
          service: 'DynamoDB',
          operation: 'GetItem',
          calls: 6,
          attempts: 6,
          scope: 'webhook-sender',
        },
        { service: 'SQS', operation: 'SendMessage', calls: 3, attempts: 3, scope: 'poller' },
      ],
      capacity: [],
      invocations: [{ functionName: 'webhook-sender', count: 3, ms: 30 }],
      httpApiRequests: 0,
    },
    statusCalls: 0,
    submitCalls: 3,
    durationMs: 3000,
    timedOut: false,
  };
}

const receiver = (receipts: Receipt[]): PushReceiver => ({
  url: () => '',
  receipts,
  rejected: 0,
  close: async () => {},
});

const baseline: Figure[] = [
  { metric: 'result_lag_p50_ms', value: 900, unit: 'ms', target: null, met: null },
  {
    metric: 'aws_requests_per_task',
    value: 1,
    unit: 'requests',
    target: null,
    met: null,
    by_operation: { 'SQS/SendMessage': 1 },
    by_function: { poller: 1 },
  },
];

const byMetric = (figures: Figure[]) => Object.fromEntries(figures.map((f) => [f.metric, f]));
/** The push figures of the run above and the baseline, for these deliveries. */
const figuresFor = (receipts: Receipt[]) =>
  byMetric(pushFigures(run(), receiver(receipts), baseline));

describe('pushFigures', () => {
  it('measures each task from its run finishing to the first verified task.succeeded', () => {
    const figures = figuresFor([
      { taskId: 'a', type: 'task.running', webhookId: 'r', at: 500 },
      { taskId: 'a', type: 'task.succeeded', webhookId: 'x', at: 1200 },
      // A duplicate delivery later does not count again.
      { taskId: 'a', type: 'task.succeeded', webhookId: 'x', at: 5000 },
      { taskId: 'b', type: 'task.succeeded', webhookId: 'y', at: 2900 },
    ]);
    expect(figures.webhook_lag_p50_ms?.value).toBe(200);
    expect(figures.webhook_lag_p99_ms).toMatchObject({ value: 900, target: '<= 1500', met: true });
    expect(figures.webhook_lag_p99_ms?.missing).toBe(0);
    expect(figures.webhook_lag_p99_ms?.events_received).toEqual({
      'task.running': 1,
      'task.succeeded': 3,
    });
  });

  it('counts a succeeded task without its delivery as missing, one without a run time apart', () => {
    const figures = figuresFor([
      { taskId: 'a', type: 'task.succeeded', webhookId: 'x', at: 1300 },
      // Delivered, but the run source has no finish time for it: not measured, not missing.
      { taskId: 'c', type: 'task.succeeded', webhookId: 'z', at: 1400 },
    ]);
    expect(figures.webhook_lag_p50_ms).toMatchObject({ value: 300, missing: 1, no_run_time: 1 });
  });

  it('reports result lag with and without the socket, and the requests push adds per task', () => {
    const figures = figuresFor([]);
    expect(figures.webhook_lag_p99_ms?.value).toBeNull();
    // Tasks a and b were read done 100 and 300 ms after their runs finished (nearest rank).
    expect(figures.result_lag_p50_ms_socket).toMatchObject({ value: 100, met: true });
    expect(figures.result_lag_p50_ms_polling?.value).toBe(900);
    // With push: 9 requests over 3 tasks; without: 1 per task.
    expect(figures.push_requests_per_task_added).toMatchObject({
      value: 2,
      with_push: 3,
      without_push: 1,
      added_by_operation: { 'DynamoDB/GetItem': 2 },
      added_by_function: { 'webhook-sender': 2 },
    });
  });
});
