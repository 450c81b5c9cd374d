/**
 * The poller in a process of its own, so its memory can be measured apart from the stand-in and the
 * test runner. Protocol on stdout/stdin (one JSON line each):
 *   -> {"ready":true,"baselineRss":N}   after polling until no task is active (the warm-up copy)
 *   <- any line                         start
 *   -> {"done":true,"baselineRss":N,"peakRss":N,"reports":[...]}   after polling until none is active
 * Run with `node --expose-gc --import tsx`.
 */
import { createInterface } from 'node:readline';
import { buildDeps as buildPollerDeps } from '../../../functions/poller/deps.js';
import { loadConfig } from '../../../shared/config.js';
import type { TaskReport } from '../../../shared/poller/report.js';
import { pollTasks } from '../../../shared/use-cases/poll-tasks.js';

const deps = buildPollerDeps(loadConfig());
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pollUntilIdle(): Promise<TaskReport[]> {
  const reports: TaskReport[] = [];
  for (;;) {
    const r = await pollTasks(deps);
    reports.push(...r.tasks.filter((t) => t.outcome !== 'unchanged'));
    if (r.active === 0) return reports;
    await sleep(100);
  }
}

const settledRss = async () => {
  gc();
  await sleep(200);
  gc();
  return process.memoryUsage().rss;
};

await pollUntilIdle();
const baselineRss = await settledRss();
process.stdout.write(`${JSON.stringify({ ready: true, baselineRss })}\n`);

const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 10);
const started = Date.now();
const reports = await pollUntilIdle();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({ done: true, baselineRss, peakRss, ms: Date.now() - started, reports })}\n`,
);
lines.close();
process.exit(0);
