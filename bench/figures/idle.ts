/**
 * Figure 5, idle cost: AWS requests per minute made by the poller and dispatcher (and the dead-letter
 * function) with no task active while the tasks table holds `finished` (100,000) finished tasks. The
 * poller runs on its deployed schedule (once a minute, no local re-invocation). The SQS event source
 * in front of the dispatcher is Lambda's, not our code, but its long polls (20 s) are billed SQS
 * requests too: they are reported beside the figure (`event_source_requests_per_minute`), not in
 * it. Target: a handful (at most 10 a minute), with nothing whose cost grows with the table (no Scan;
 * DynamoDB read units per minute are reported).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { benchDocClient } from '../lib/bench-clients.js';
import { type Figure, figure, round } from '../lib/figure.js';
import { loadFinishedTasks } from '../lib/finished-tasks.js';
import { EVENT_SOURCE_SCOPE } from '../lib/meter.js';
import type { BenchSystem } from '../lib/system.js';
import {
  capacityTotals,
  requestsByOperation,
  requestsByScope,
  totalRequests,
} from '../lib/usage.js';

const TARGET = { op: '<=', value: 10 } as const;

export async function idleFigures(
  system: BenchSystem,
  opts: { finished: number; minutes: number; log: (line: string) => void },
): Promise<Figure[]> {
  const doc = benchDocClient(system.region, system.runtime.dynamodbEndpoint);
  const loadMs = await loadFinishedTasks(doc, system.runtime.names.tasksTable, opts.finished, {
    onProgress: (n) => opts.log(`loaded ${n} finished tasks`),
  });
  doc.destroy();
  opts.log(`${opts.finished} finished tasks loaded in ${Math.round(loadMs / 1000)} s`);
  system.meter.reset();
  await sleep(opts.minutes * 60_000);
  const usage = system.meter.snapshot();
  const perMinute = (counts: Record<string, number>) =>
    Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / opts.minutes, 3)]));
  const eventSource = totalRequests(usage.requests.filter((r) => r.scope === EVENT_SOURCE_SCOPE));
  const functions = (totalRequests(usage.requests) - eventSource) / opts.minutes;
  const units = capacityTotals(usage);
  const scans = usage.requests.filter((r) => r.operation === 'Scan').length;
  return [
    figure('idle_requests_per_minute', functions, 'requests/min', TARGET, {
      finished_tasks_in_table: opts.finished,
      minutes: opts.minutes,
      by_function: perMinute(requestsByScope(usage.requests)),
      by_operation: perMinute(requestsByOperation(usage.requests)),
      event_source_requests_per_minute: round(eventSource / opts.minutes, 3),
      all_requests_per_minute: round(totalRequests(usage.requests) / opts.minutes, 3),
      dynamodb_read_units_per_minute: round(units.readUnits / opts.minutes, 3),
      scans,
      poller_invocations_per_minute: round(
        (usage.invocations.find((i) => i.functionName === 'poller')?.count ?? 0) / opts.minutes,
        3,
      ),
      load_ms: Math.round(loadMs),
      note: `value: requests made inside the poller, dispatcher and dead-letter functions; "${EVENT_SOURCE_SCOPE}": the long polls (20 s) of the local SQS event sources in front of the dispatcher and dead-letter functions, which Lambda's event source mappings make too, with their own number of pollers`,
    }),
  ];
}
