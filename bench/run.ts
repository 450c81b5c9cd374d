/**
 * `npm run bench`: measures what users pay for (bench/README.md). Each run behind the figures
 * happens in a child process (worker.ts); this prints one JSON object per figure on stdout as it
 * arrives, then a table, and writes every figure as one JSON array to bench/results/latest.json.
 * A missed target is reported, not a failure: the exit code is 0 unless the bench itself broke.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { type Figure, missing } from './lib/figure.js';
import { FIGURES, type Group, groupsFor, parseBenchOptions, USAGE } from './lib/options.js';
import { REPO_ROOT, RESULTS_DIR } from './lib/paths.js';
import { table } from './lib/report.js';
import { FIGURE_PREFIX, PROGRESS_PREFIX } from './worker-protocol.js';

const METRICS_OF: Record<Group, string[]> = {
  load: [
    'gpu_busy_fraction',
    'result_lag_p50_ms',
    'result_lag_p95_ms',
    'result_lag_p99_ms',
    'aws_requests_per_task',
    'cost_per_1000_tasks_usd',
  ],
  submit: ['submit_latency_p50_ms', 'submit_latency_p99_ms', 'submit_rps'],
  idle: ['idle_requests_per_minute'],
  copy: ['copy_1gib_mb_per_s', 'copy_1gib_rss_growth_mb'],
  cold: ['bundle_kb_*', 'cold_import_ms_*'],
  fleet: ['gpu_hours_per_busy_hour', 'scale_from_zero_overhead_ms', 'burst_drain_s'],
  policy: [
    'policy_check_p50_us',
    'policy_check_p99_us',
    'policy_refusal_p50_ms',
    'policy_refusal_p99_ms',
    'preflight_check_p50_us',
    'preflight_check_p99_us',
    'policy_requests_per_refused_submit',
    'requests_per_accepted_submit',
  ],
  ratelimit: ['ratelimit_take_p50_ms', 'ratelimit_take_p99_ms', 'ratelimit_updates_per_call'],
  push: [
    'webhook_lag_p50_ms',
    'webhook_lag_p99_ms',
    'result_lag_p50_ms_socket',
    'result_lag_p50_ms_polling',
    'push_requests_per_task_added',
    'long_poll_requests_per_client_minute',
    'long_poll_usd_per_client_hour',
  ],
  formats: [
    'webp_bytes_saved_pct_standin',
    'webp_added_result_lag_ms_standin',
    'webp_bytes_saved_pct_real',
    'webp_added_result_lag_ms_real',
  ],
};

/** Calls `onLine` for each complete line of the stream. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
  });
}

/**
 * Runs one group in a worker. Its progress lines are shown; the functions' own logs only with
 * --verbose, or, when the worker fails, the last of them.
 */
function runGroup(
  group: Group,
  options: unknown,
  verbose: boolean,
  onFigure: (f: Figure) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', 'worker.ts'), group], {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const other = (line: string) => {
      if (verbose) process.stderr.write(`${line}\n`);
      tail.push(line);
      if (tail.length > 40) tail.shift();
    };
    lines(child.stdout, (line) => {
      if (line.startsWith(FIGURE_PREFIX)) onFigure(JSON.parse(line.slice(FIGURE_PREFIX.length)));
      else other(line);
    });
    lines(child.stderr, (line) => {
      if (line.startsWith(PROGRESS_PREFIX)) process.stderr.write(`${line}\n`);
      else other(line);
    });
    child.once('close', (code) => {
      if (code !== 0 && !verbose) process.stderr.write(`${tail.join('\n')}\n`);
      resolve(code ?? 1);
    });
  });
}

async function main() {
  let opts: ReturnType<typeof parseBenchOptions>;
  try {
    opts = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const started = new Date();
  const loadBefore = loadavg().map((l) => Math.round(l * 100) / 100);
  process.stderr.write(
    `bench: ${opts.only.join(', ')} on ${cpus().length} CPUs, load ${loadBefore.join(' ')}` +
      `${opts.comfyuiUrl ? `, ComfyUI ${opts.comfyuiUrl}` : ', ComfyUI stand-in'}\n`,
  );
  const figures: Figure[] = [];
  for (const group of groupsFor(opts.only)) {
    process.stderr.write(`bench: ${group} run...\n`);
    const got: Figure[] = [];
    const code = await runGroup(group, opts, opts.verbose, (f) => {
      got.push(f);
      process.stdout.write(`${JSON.stringify(f)}\n`);
    });
    if (code !== 0 && got.length === 0) {
      const wanted = new Set(
        (Object.keys(FIGURES) as (keyof typeof FIGURES)[]).filter(
          (f) => FIGURES[f] === group && opts.only.includes(f),
        ),
      );
      for (const metric of METRICS_OF[group]) {
        if (group === 'load' && !wanted.has(metricFigure(metric))) continue;
        const f = missing(metric, '', `the ${group} run failed (exit ${code}); see stderr`);
        got.push(f);
        process.stdout.write(`${JSON.stringify(f)}\n`);
      }
    }
    figures.push(...got);
  }
  const loadAfter = loadavg().map((l) => Math.round(l * 100) / 100);
  process.stdout.write(
    `\n${table(figures)}\n\n${started.toISOString()}  ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})` +
      `  node ${process.version}  load before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}\n`,
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(figures, null, 2)}\n`);
  process.stderr.write(`bench: wrote ${join('bench', 'results', 'latest.json')}\n`);
}

/** Which --only name a load-run metric belongs to. */
function metricFigure(metric: string): keyof typeof FIGURES {
  if (metric.startsWith('gpu')) return 'gpu';
  if (metric.startsWith('result_lag')) return 'lag';
  return 'requests';
}

void main();
