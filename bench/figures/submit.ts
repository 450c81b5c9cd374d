/**
 * Figure 3, submit latency and throughput: `clients` concurrent clients (16), each its own owner,
 * each submitting `perClient` tasks one after another through the local API; latency of each
 * POST /v1/tasks as the client sees it, throughput = accepted submissions per second of wall time.
 * One submission per client first warms the functions up and is not counted. No targets are set.
 */
import { randomUUID } from 'node:crypto';
import type { ComfyWorkflow } from '../../shared/domain/task.js';
import { type Figure, figure, missing } from '../lib/figure.js';
import { percentile } from '../lib/stats.js';
import type { BenchSystem } from '../lib/system.js';

export async function submitFigures(
  system: BenchSystem,
  opts: { perClient: number; workflow: (runId: string, i: number) => ComfyWorkflow },
): Promise<Figure[]> {
  const runId = randomUUID().slice(0, 8);
  const clients = system.keys.length;
  let n = 0;
  await Promise.all(
    system.keys.map((key) => system.api.submit(key, { workflow: opts.workflow(runId, n++) })),
  );
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(
    system.keys.map(async (key) => {
      for (let i = 0; i < opts.perClient; i++) {
        const call = await system.api.submit(key, { workflow: opts.workflow(runId, n++) });
        statuses[call.status] = (statuses[call.status] ?? 0) + 1;
        if (call.status === 202) latencies.push(call.ms);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const details = {
    clients,
    submissions: clients * opts.perClient,
    accepted: latencies.length,
    statuses,
    note: 'no target set; one warm-up submission per client not counted; local API without the stage throttle (deployed: 50 requests/s, bursts of 100)',
  };
  if (!latencies.length) {
    return ['submit_latency_p50_ms', 'submit_latency_p99_ms', 'submit_rps'].map((m) =>
      missing(m, m === 'submit_rps' ? 'requests/s' : 'ms', 'no submission accepted'),
    );
  }
  return [
    figure('submit_latency_p50_ms', percentile(latencies, 50), 'ms', undefined, details),
    figure('submit_latency_p99_ms', percentile(latencies, 99), 'ms', undefined, details),
    figure('submit_rps', latencies.length / seconds, 'requests/s', undefined, {
      ...details,
      wall_s: Math.round(seconds * 10) / 10,
    }),
  ];
}
