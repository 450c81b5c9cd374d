/**
 * Figure 2, result lag: from ComfyUI finishing a task's run to the client reading the task
 * `succeeded` with its links (the status response received). Polled every 50 ms from the run's end,
 * so each value is late by at most about one poll interval plus one status call. Targets: p50 under
 * 1 s, p99 under 2.5 s (p95: none set).
 */
import { type Figure, figure, missing } from '../lib/figure.js';
import { mean, percentile } from '../lib/stats.js';
import { HOT_POLL_MS, type LoadRunResult } from './load-run.js';

export function lagFigures(run: LoadRunResult): Figure[] {
  const lags: number[] = [];
  for (const t of run.tasks) {
    const finishedAt = run.runs.get(t.taskId)?.finishedAt;
    if (t.doneAt !== undefined && finishedAt !== undefined) lags.push(t.doneAt - finishedAt);
  }
  const failed = run.tasks.filter((t) => t.errorCode !== undefined);
  const details = {
    tasks: lags.length,
    not_done: run.tasks.length - lags.length,
    failed: failed.length,
    ...(failed.length ? { failure_codes: [...new Set(failed.map((t) => t.errorCode))] } : {}),
    mean_ms: Math.round(mean(lags)),
    max_ms: Math.round(Math.max(...lags)),
    poll_every_ms: HOT_POLL_MS,
    source: run.runSource,
  };
  const specs = [
    ['result_lag_p50_ms', 50, { op: '<', value: 1000 }],
    ['result_lag_p95_ms', 95, undefined],
    ['result_lag_p99_ms', 99, { op: '<', value: 2500 }],
  ] as const;
  return specs.map(([metric, p, target]) =>
    lags.length
      ? figure(metric, Math.round(percentile(lags, p)), 'ms', target, details)
      : missing(metric, 'ms', 'no task was read succeeded with links', target),
  );
}
