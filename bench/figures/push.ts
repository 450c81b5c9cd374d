/**
 * Push figures: what webhooks and the poller's hold on ComfyUI's WebSocket give and cost. Two load
 * runs of the same tasks (load-run.ts), each in a process of its own:
 * - with push: the socket on (COMFYUI_EVENTS, the default) and every task subscribed to a webhook
 *   receiver on 127.0.0.1 that verifies each delivery with the `standardwebhooks` package;
 * - without: the socket off (the poller finds finished runs by polling only) and no webhooks.
 *
 * `webhook_lag_*`: from ComfyUI finishing a run (the run source's time) to the receiver holding the
 * verified `task.succeeded` (target p99 <= 1,500 ms). `result_lag_p50_ms_socket` /
 * `result_lag_p50_ms_polling`: the result lag of lag.ts in each run (target with the socket: <= 250
 * ms). `push_requests_per_task_added`: AWS requests per task with push minus without (requests.ts,
 * the bench's own status polling excluded), by operation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { DynamoWebhookSecretStore } from '../../shared/adapters/dynamodb/webhook-secret-store.js';
import { ensureWebhookSecret } from '../../shared/auth/webhook-secret-admin.js';
import { systemClock } from '../../shared/ports/clock.js';
import { benchDocClient } from '../lib/bench-clients.js';
import { type Figure, figure, missing, round } from '../lib/figure.js';
import { mean, percentile } from '../lib/stats.js';
import type { BenchSystem } from '../lib/system.js';
import { lagFigures } from './lag.js';
import type { LoadRunResult } from './load-run.js';
import { requestFigures } from './requests.js';

export interface Receipt {
  taskId: string;
  type: string;
  webhookId: string;
  /** When the receiver held the verified delivery (epoch ms). */
  at: number;
}

export interface PushReceiver {
  /** The URL for the owner of the i-th API key. */
  url(keyIndex: number): string;
  receipts: Receipt[];
  rejected: number;
  close(): Promise<void>;
}

/**
 * One signing secret per bench owner (`bench-<i>`, as startBenchSystem creates them), and a receiver
 * that verifies with the owner's secret and answers 204.
 */
export async function startPushReceiver(system: BenchSystem): Promise<PushReceiver> {
  const doc = benchDocClient(system.region, system.runtime.dynamodbEndpoint);
  const store = new DynamoWebhookSecretStore({
    client: doc,
    tableName: system.runtime.names.apiKeysTable,
  });
  const secrets: Webhook[] = [];
  for (let i = 0; i < system.keys.length; i++) {
    const { secret } = await ensureWebhookSecret(
      { secrets: store, clock: systemClock },
      `bench-${i}`,
    );
    secrets.push(new Webhook(secret));
  }
  doc.destroy();
  const receipts: Receipt[] = [];
  let rejected = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const verifier = secrets[Number((req.url ?? '').split('/').pop())];
      try {
        if (!verifier) throw new Error('unknown owner');
        const event = verifier.verify(body, req.headers as Record<string, string>) as {
          type: string;
          data: { taskId: string };
        };
        receipts.push({
          taskId: event.data.taskId,
          type: event.type,
          webhookId: String(req.headers['webhook-id']),
          at: Date.now(),
        });
        res.writeHead(204).end();
      } catch {
        rejected++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (i) => `http://127.0.0.1:${port}/hook/${i}`,
    receipts,
    get rejected() {
      return rejected;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Waits until every task read `succeeded` has its verified `task.succeeded`, or `ms` pass. */
export async function awaitDeliveries(
  run: LoadRunResult,
  receiver: PushReceiver,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  const pending = () => {
    const got = new Set(
      receiver.receipts.filter((r) => r.type === 'task.succeeded').map((r) => r.taskId),
    );
    return run.tasks.filter((t) => t.doneAt !== undefined && !got.has(t.taskId)).length;
  };
  while (pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** a - b per key, the differences of at least 0.01. */
function difference(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = round((a[k] ?? 0) - (b[k] ?? 0), 3);
    if (Math.abs(d) >= 0.01) out[k] = d;
  }
  return out;
}

const figureOf = (figures: readonly Figure[], metric: string) =>
  figures.find((f) => f.metric === metric);

/**
 * The figures of the run with push (`run`, `receiver`) against those of the run without
 * (`baseline`: the lag and request figures of that run, as its worker emitted them).
 */
export function pushFigures(
  run: LoadRunResult,
  receiver: PushReceiver,
  baseline: readonly Figure[],
): Figure[] {
  // The first verified delivery of each task's task.succeeded counts.
  const first = new Map<string, Receipt>();
  for (const r of receiver.receipts)
    if (r.type === 'task.succeeded' && !first.has(r.taskId)) first.set(r.taskId, r);
  const lags: number[] = [];
  for (const r of first.values()) {
    const finishedAt = run.runs.get(r.taskId)?.finishedAt;
    if (finishedAt !== undefined) lags.push(r.at - finishedAt);
  }
  const succeeded = run.tasks.filter((t) => t.doneAt !== undefined).length;
  const events: Record<string, number> = {};
  for (const r of receiver.receipts) events[r.type] = (events[r.type] ?? 0) + 1;
  const lagDetails = {
    tasks_succeeded: succeeded,
    deliveries_measured: lags.length,
    missing: run.tasks.filter((t) => t.doneAt !== undefined && !first.has(t.taskId)).length,
    no_run_time: first.size - lags.length,
    rejected_signatures: receiver.rejected,
    events_received: events,
    over_1500_ms: lags.filter((l) => l > 1500).length,
    mean_ms: lags.length ? Math.round(mean(lags)) : null,
    max_ms: lags.length ? Math.round(Math.max(...lags)) : null,
    source: run.runSource,
  };
  const out: Figure[] = [];
  const lagSpecs = [
    ['webhook_lag_p50_ms', 50, undefined],
    ['webhook_lag_p99_ms', 99, { op: '<=', value: 1500 }],
  ] as const;
  for (const [metric, p, target] of lagSpecs) {
    out.push(
      lags.length
        ? figure(metric, Math.round(percentile(lags, p)), 'ms', target, lagDetails)
        : missing(metric, 'ms', 'no verified task.succeeded delivery', target),
    );
  }

  const socket = lagFigures(run);
  const socketLag = figureOf(socket, 'result_lag_p50_ms');
  const pollingLag = figureOf(baseline, 'result_lag_p50_ms');
  out.push(
    socketLag?.value != null
      ? figure(
          'result_lag_p50_ms_socket',
          socketLag.value,
          'ms',
          { op: '<=', value: 250 },
          {
            p99_ms: figureOf(socket, 'result_lag_p99_ms')?.value ?? null,
            note: 'ComfyUI execution_success on the socket triggers the history read and the copy',
          },
        )
      : missing('result_lag_p50_ms_socket', 'ms', 'no task read succeeded with links'),
    pollingLag?.value != null
      ? figure('result_lag_p50_ms_polling', pollingLag.value, 'ms', undefined, {
          p99_ms: figureOf(baseline, 'result_lag_p99_ms')?.value ?? null,
          note: 'COMFYUI_EVENTS=false: the poller finds finished runs by polling /history only',
        })
      : missing('result_lag_p50_ms_polling', 'ms', 'the run without push gave no result lag'),
  );

  const withPush = figureOf(requestFigures(run), 'aws_requests_per_task');
  const without = figureOf(baseline, 'aws_requests_per_task');
  if (withPush?.value != null && without?.value != null) {
    const a = (withPush.by_operation ?? {}) as Record<string, number>;
    const b = (without.by_operation ?? {}) as Record<string, number>;
    const added = difference(a, b);
    const byFunction = difference(
      (withPush.by_function ?? {}) as Record<string, number>,
      (without.by_function ?? {}) as Record<string, number>,
    );
    out.push(
      figure(
        'push_requests_per_task_added',
        withPush.value - without.value,
        'requests',
        undefined,
        {
          with_push: withPush.value,
          without_push: without.value,
          added_by_operation: added,
          added_by_function: byFunction,
          lambda_invocations_per_task_with_push: withPush.lambda_invocations_per_task,
          lambda_invocations_per_task_without: without.lambda_invocations_per_task,
          note: 'with push: webhooks on every task (terminal events) and the WebSocket; without: neither',
        },
      ),
    );
  } else {
    out.push(missing('push_requests_per_task_added', 'requests', 'a run gave no request count'));
  }
  return out;
}
