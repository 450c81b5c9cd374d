/**
 * One run of the bench in a process of its own (run.ts starts it): `tsx bench/worker.ts <group>`,
 * options as JSON in BENCH_OPTIONS. Prints each figure as a `@figure {json}` line on stdout; progress
 * goes to stderr. A process per run, because the function modules read their configuration once, at
 * import, and because one run's memory and CPU must not bleed into the next.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { coldStartFigures } from './figures/cold-start.js';
import { copyFigures } from './figures/copy.js';
import { fleetFigures } from './figures/fleet.js';
import { fleetLocalFigures } from './figures/fleet-local.js';
import { formatFigures } from './figures/formats.js';
import { gpuFigures } from './figures/gpu.js';
import { idleFigures } from './figures/idle.js';
import { lagFigures } from './figures/lag.js';
import { loadRun } from './figures/load-run.js';
import { longPollFigures } from './figures/long-poll.js';
import { policyFigures } from './figures/policy.js';
import { awaitDeliveries, pushFigures, startPushReceiver } from './figures/push.js';
import { BENCH_RATE_LIMIT, rateLimitFigures } from './figures/ratelimit.js';
import { requestFigures } from './figures/requests.js';
import { submitFigures } from './figures/submit.js';
import type { Figure } from './lib/figure.js';
import type { BenchOptions, Group } from './lib/options.js';
import { REPO_ROOT } from './lib/paths.js';
import { type BenchSystem, type SystemOptions, startBenchSystem } from './lib/system.js';
import { imageWorkflow, workflowFromFile } from './lib/workflows.js';
import { FIGURE_PREFIX, PROGRESS_PREFIX } from './worker-protocol.js';

/** A run of its own behind a group's figures (the push figures' run without push). */
type SubRun = 'push-baseline';
const group = process.argv[2] as Group | SubRun;
const opts = JSON.parse(process.env.BENCH_OPTIONS ?? '{}') as BenchOptions;
const log = (line: string) => process.stderr.write(`${PROGRESS_PREFIX}${group}] ${line}\n`);
const load = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;
const loadAtStart = load();
const emit = (figures: Figure[]) => {
  const load1m = load();
  for (const f of figures)
    process.stdout.write(
      `${FIGURE_PREFIX}${JSON.stringify({ ...f, load_1m: load1m, load_1m_at_start: loadAtStart })}\n`,
    );
};
const wants = (name: string) => opts.only.includes(name as never);
const workflow = opts.workflow ? workflowFromFile(opts.workflow) : imageWorkflow;

/** The figures a sub-run (another worker process) emits. */
function subRun(name: SubRun): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', 'worker.ts'), name], {
      cwd: REPO_ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('close', (code) => {
      const figures = out
        .split('\n')
        .filter((l) => l.startsWith(FIGURE_PREFIX))
        .map((l) => JSON.parse(l.slice(FIGURE_PREFIX.length)) as Figure);
      if (code !== 0) reject(new Error(`${name} run failed (exit ${code})`));
      else resolve(figures);
    });
  });
}

/** API owners of a load run: one per 40 tasks. */
const ownersFor = (tasks: number) => Math.max(1, Math.ceil(tasks / 40));

/**
 * A bench system on the run's ComfyUI (the stand-in at 500 ms a run, or --comfyui-url) for `use`,
 * stopped after it.
 */
async function withSystem(
  o: Omit<SystemOptions, 'executionMs' | 'comfyuiUrl' | 'log'>,
  use: (system: BenchSystem) => Promise<void>,
): Promise<void> {
  const system = await startBenchSystem({
    ...o,
    executionMs: 500,
    ...(opts.comfyuiUrl ? { comfyuiUrl: opts.comfyuiUrl } : {}),
    log,
  });
  try {
    await use(system);
  } finally {
    await system.stop();
  }
}

/** Tasks of each push run: the load run's, at most 100 (two runs of them). */
const pushTasks = () => Math.min(opts.tasks, 100);

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  switch (group) {
    case 'cold':
      emit(await coldStartFigures({ imports: opts.imports, log }));
      return;
    case 'fleet':
      emit(await fleetFigures({ seed: 7, log }));
      emit(
        await fleetLocalFigures({
          workflow,
          runs: 3,
          burst: opts.gpuCommand ? 20 : 100,
          log,
          ...(opts.gpuCommand ? { command: opts.gpuCommand } : {}),
        }),
      );
      return;
    case 'formats':
      emit(
        await formatFigures({ ...(opts.comfyuiUrl ? { comfyuiUrl: opts.comfyuiUrl } : {}), log }),
      );
      return;
    case 'copy':
      emit(await copyFigures({ bytes: opts.copyMib * 1024 * 1024, log }));
      return;
    case 'load':
      await withSystem({ owners: ownersFor(opts.tasks) }, async (system) => {
        const run = await loadRun(system, {
          tasks: opts.tasks,
          workflow,
          timeoutMs: opts.timeoutMinutes * 60_000,
          log,
        });
        if (run.timedOut) log(`gave up after ${opts.timeoutMinutes} min`);
        if (wants('gpu')) emit(gpuFigures(run));
        if (wants('lag')) emit(lagFigures(run));
        if (wants('requests')) emit(requestFigures(run));
      });
      return;
    case 'push': {
      const baseline = await subRun('push-baseline');
      await withSystem({ owners: ownersFor(pushTasks()) }, async (system) => {
        const receiver = await startPushReceiver(system);
        try {
          const run = await loadRun(system, {
            tasks: pushTasks(),
            workflow,
            extra: (i) => ({ webhook: { url: receiver.url(i % system.keys.length) } }),
            timeoutMs: opts.timeoutMinutes * 60_000,
            log,
          });
          await awaitDeliveries(run, receiver, 30_000);
          emit(pushFigures(run, receiver, baseline));
          emit(await longPollFigures(system, { clients: 4, seconds: 60, log }));
        } finally {
          await receiver.close();
        }
      });
      return;
    }
    case 'push-baseline':
      await withSystem(
        { owners: ownersFor(pushTasks()), env: { COMFYUI_EVENTS: 'false' } },
        async (system) => {
          const run = await loadRun(system, {
            tasks: pushTasks(),
            workflow,
            timeoutMs: opts.timeoutMinutes * 60_000,
            log,
          });
          emit([...lagFigures(run), ...requestFigures(run)]);
        },
      );
      return;
    case 'submit':
      await withSystem({ owners: opts.clients, connections: opts.clients }, async (system) => {
        emit(await submitFigures(system, { perClient: opts.perClient, workflow }));
      });
      return;
    case 'policy':
      await withSystem(
        { owners: 1, env: { MAX_ACTIVE_TASKS_PER_OWNER: '100000' } },
        async (system) => {
          emit(await policyFigures(system, { submissions: opts.perClient * 4, workflow }));
        },
      );
      return;
    case 'ratelimit':
      await withSystem(
        {
          owners: 1,
          env: {
            OWNER_RATE_LIMIT_PER_SECOND: String(BENCH_RATE_LIMIT.perSecond),
            OWNER_RATE_LIMIT_BURST: String(BENCH_RATE_LIMIT.burst),
          },
        },
        async (system) => {
          emit(await rateLimitFigures(system, { calls: opts.perClient * 40 }));
        },
      );
      return;
    case 'idle':
      await withSystem({ owners: 1, pollerRepeatMs: 0 }, async (system) => {
        emit(
          await idleFigures(system, {
            finished: opts.idleTasks,
            minutes: opts.idleMinutes,
            log,
          }),
        );
      });
      return;
  }
  throw new Error(`unknown run ${group}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench run ${group} failed: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    process.exit(1);
  },
);
