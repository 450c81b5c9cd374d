/**
 * Turns one poll's report into business metrics (PascalCase, EMF through Powertools in production):
 * counts per outcome, and the timings QueueWaitMs, RunTimeMs, CopyTimeMs, ResultLagMs (ComfyUI's
 * finish to `succeeded`) and PollerLagSeconds (the longest a task went unlooked-at).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsSink } from '../observability.js';
import { TASK_METRICS } from '../telemetry-names.js';
import type { PollReport, TaskOutcome } from './report.js';

type Unit = (typeof MetricUnit)['Count' | 'Milliseconds' | 'Seconds'];

const COUNTERS: Partial<Record<TaskOutcome, string>> = {
  succeeded: TASK_METRICS.completed,
  failed: TASK_METRICS.failed,
  cancelled: TASK_METRICS.cancelled,
  requeued: 'TasksRequeued',
  missing: 'TasksMissing',
  'cancel-sent': 'CancelsSent',
  conflict: 'PollConflicts',
  unreachable: 'PollUnreachable',
  error: 'PollTaskErrors',
};

/** Adds the poll's metrics to `sink`; returns how many were added (0: nothing to publish). */
export function recordPollMetrics(
  report: PollReport,
  pollMs: number,
  sink: Pick<MetricsSink, 'addMetric'>,
): number {
  let added = 0;
  const add = (name: string, unit: Unit, value: number) => {
    sink.addMetric(name, unit, value);
    added++;
  };
  if (report.active === 0) return 0;
  add('ActiveTasks', MetricUnit.Count, report.active);
  add('PollDurationMs', MetricUnit.Milliseconds, pollMs);
  const counts = new Map<string, number>();
  for (const t of report.tasks) {
    const name = COUNTERS[t.outcome];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
    if (t.queueWaitMs !== undefined)
      add(TASK_METRICS.queueWaitMs, MetricUnit.Milliseconds, t.queueWaitMs);
    if (t.runTimeMs !== undefined)
      add(TASK_METRICS.runTimeMs, MetricUnit.Milliseconds, t.runTimeMs);
    if (t.copyTimeMs !== undefined) add('CopyTimeMs', MetricUnit.Milliseconds, t.copyTimeMs);
    if (t.resultLagMs !== undefined)
      add(TASK_METRICS.resultLagMs, MetricUnit.Milliseconds, t.resultLagMs);
  }
  for (const [name, n] of counts) add(name, MetricUnit.Count, n);
  const stale = Math.max(0, ...report.tasks.map((t) => t.staleMs ?? 0));
  add(TASK_METRICS.pollerLagSeconds, MetricUnit.Seconds, stale / 1000);
  const down = report.servers.filter((s) => !s.reachable).length;
  if (down > 0) add(TASK_METRICS.comfyServersUnreachable, MetricUnit.Count, down);
  return added;
}
