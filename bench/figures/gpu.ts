/**
 * Figure 1, GPU busy fraction: the time ComfyUI spent running the load run's prompts divided by the
 * span from the first run's start to the last run's end (one worker). Target: at least 0.98.
 */
import { type Figure, figure, missing } from '../lib/figure.js';
import { busyTime, type Interval } from '../lib/intervals.js';
import { percentile, sum } from '../lib/stats.js';
import type { LoadRunResult } from './load-run.js';

const TARGET = { op: '>=', value: 0.98 } as const;

export function gpuFigures(run: LoadRunResult): Figure[] {
  const intervals: Interval[] = [];
  for (const r of run.runs.values()) {
    if (r.finishedAt !== undefined) intervals.push({ start: r.startedAt, end: r.finishedAt });
  }
  if (intervals.length < 2) {
    return [missing('gpu_busy_fraction', 'ratio', 'fewer than two finished runs', TARGET)];
  }
  const busy = busyTime(intervals);
  const runMs = intervals.map((i) => i.end - i.start);
  return [
    figure('gpu_busy_fraction', busy.fraction, 'ratio', TARGET, {
      runs: intervals.length,
      tasks: run.tasks.length,
      busy_ms: Math.round(busy.busyMs),
      span_ms: Math.round(busy.spanMs),
      idle_ms: Math.round(sum(busy.gapsMs)),
      idle_gaps: busy.gapsMs.length,
      longest_gap_ms: Math.round(busy.gapsMs[0] ?? 0),
      run_ms_p50: Math.round(percentile(runMs, 50)),
      source: run.runSource,
    }),
  ];
}
