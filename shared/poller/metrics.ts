/**
 * Turns one poll's report into business metrics (PascalCase, EMF through Powertools in production):
 * counts per outcome, and the timings QueueWaitMs, RunTimeMs, CopyTimeMs, ResultLagMs (ComfyUI's
 * finish to `succeeded`) and PollerLagSeconds (the longest a task went unlooked-at).
 */
import type { PollReport, TaskOutcome } from './report.js';

export type MetricUnitName = 'Count' | 'Milliseconds' | 'Seconds';
export interface MetricsSink {
  addMetric(name: string, unit: MetricUnitName, value: number): void;
}

const COUNTERS: Partial<Record<TaskOutcome, string>> = {
  succeeded: 'TasksCompleted',
  failed: 'TasksFailed',
  cancelled: 'TasksCancelled',
  requeued: 'TasksRequeued',
  missing: 'TasksMissing',
  'cancel-sent': 'CancelsSent',
  conflict: 'PollConflicts',
  unreachable: 'PollUnreachable',
  error: 'PollTaskErrors',
};

/** Adds the poll's metrics to `sink`; returns how many were added (0: nothing to publish). */
export function recordPollMetrics(report: PollReport, pollMs: number, sink: MetricsSink): number {
  let added = 0;
  const add = (name: string, unit: MetricUnitName, value: number) => {
    sink.addMetric(name, unit, value);
    added++;
  };
  if (report.active === 0) return 0;
  add('ActiveTasks', 'Count', report.active);
  add('PollDurationMs', 'Milliseconds', pollMs);
  const counts = new Map<string, number>();
  for (const t of report.tasks) {
    const name = COUNTERS[t.outcome];
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
    if (t.queueWaitMs !== undefined) add('QueueWaitMs', 'Milliseconds', t.queueWaitMs);
    if (t.runTimeMs !== undefined) add('RunTimeMs', 'Milliseconds', t.runTimeMs);
    if (t.copyTimeMs !== undefined) add('CopyTimeMs', 'Milliseconds', t.copyTimeMs);
    if (t.resultLagMs !== undefined) add('ResultLagMs', 'Milliseconds', t.resultLagMs);
  }
  for (const [name, n] of counts) add(name, 'Count', n);
  const stale = Math.max(0, ...report.tasks.map((t) => t.staleMs ?? 0));
  add('PollerLagSeconds', 'Seconds', stale / 1000);
  const down = report.servers.filter((s) => !s.reachable).length;
  if (down > 0) add('ComfyServersUnreachable', 'Count', down);
  return added;
}
