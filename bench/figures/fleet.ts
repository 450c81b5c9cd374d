/**
 * `gpu_hours_per_busy_hour`: GPU time billed per GPU time used over a bursty day, with the fleet
 * controller sizing the group (the real `controlFleet` on a simulated clock), next to the same trace on
 * always-on GPUs. Start times are inputs, not measurements: a warm-pool start (a stopped instance
 * started, ComfyUI loading from its disk) and a first boot from a baked AMI; see docs/deploy.md.
 */
import { type Figure, figure } from '../lib/figure.js';
import { burstyDay, type SimResult, type SimSettings, simulateFleet } from '../lib/fleet-sim.js';

const TARGET = { op: '<=', value: 1.3 } as const;

export interface FleetBenchOptions {
  seed: number;
  log: (line: string) => void;
}

const base: SimSettings = {
  minGpus: 0,
  maxGpus: 3,
  promptsPerGpu: 4,
  idleMs: 60_000,
  idleFollowsDemand: true,
  bootTimeoutMs: 30 * 60_000,
  drainGraceMs: 10_000,
  startMs: 90_000,
  promptMs: 20_000,
  firstBootMs: 5 * 60_000,
  warmPool: 3,
  maxInFlight: 2,
  tickMs: 10_000,
  registryCacheMs: 5_000,
};

const ratio = (r: SimResult) => r.billedHours / r.busyHours;
const details = (r: SimResult, s: SimSettings) => ({
  tasks: r.tasks,
  finished: r.finished,
  busy_gpu_hours: Number(r.busyHours.toFixed(2)),
  billed_gpu_hours: Number(r.billedHours.toFixed(2)),
  boot_gpu_hours: Number(r.bootHours.toFixed(2)),
  idle_gpu_hours: Number(r.idleHours.toFixed(2)),
  wait_p50_s: r.waitP50s,
  wait_p95_s: r.waitP95s,
  wait_mean_s: r.waitMeanS,
  max_gpus: r.maxServers,
  launches: r.launches,
  stops: r.stops,
  busy_servers_stopped: r.busyStops,
  settings: {
    min: s.minGpus,
    max: s.maxGpus,
    prompts_per_gpu: s.promptsPerGpu,
    idle_s: s.idleMs / 1000,
    idle_follows_demand: s.idleFollowsDemand === true,
    warm_start_s: s.startMs / 1000,
    first_boot_s: s.firstBootMs / 1000,
    warm_pool: s.warmPool,
    always_on: s.alwaysOn ?? 0,
    dispatch: s.dispatch ?? 'least-loaded',
  },
});

export async function fleetFigures(o: FleetBenchOptions): Promise<Figure[]> {
  const trace = burstyDay(o.seed, 3, 20_000);
  o.log(`trace: ${trace.length} tasks of 20 s over a day (seed ${o.seed})`);
  const fixed = { idleFollowsDemand: false };
  const noWarmPool = { warmPool: 0, startMs: 15 * 60_000, firstBootMs: 15 * 60_000 };
  const runs: [string, SimSettings][] = [
    ['gpu_hours_per_busy_hour', base],
    ['gpu_hours_per_busy_hour_fixed_idle', { ...base, ...fixed }],
    ...[2, 5, 10].flatMap((min): [string, SimSettings][] => [
      [`gpu_hours_per_busy_hour_idle_${min}min`, { ...base, idleMs: min * 60_000 }],
      [`gpu_hours_per_busy_hour_fixed_idle_${min}min`, { ...base, ...fixed, idleMs: min * 60_000 }],
    ]),
    ['gpu_hours_per_busy_hour_no_warm_pool', { ...base, ...noWarmPool }],
    ['gpu_hours_per_busy_hour_no_warm_pool_fixed_idle', { ...base, ...noWarmPool, ...fixed }],
    [
      'gpu_hours_per_busy_hour_no_warm_pool_fixed_idle_10min',
      { ...base, ...noWarmPool, ...fixed, idleMs: 10 * 60_000 },
    ],
    ['gpu_hours_per_busy_hour_always_on_1', { ...base, alwaysOn: 1 }],
    ['gpu_hours_per_busy_hour_always_on_3', { ...base, alwaysOn: 3 }],
  ];
  const figures: Figure[] = [];
  for (const [metric, s] of runs) {
    const r = await simulateFleet(trace, s);
    o.log(
      `${metric}: ${ratio(r).toFixed(3)} (${r.finished}/${r.tasks} tasks, wait p50 ${r.waitP50s} s, p95 ${r.waitP95s} s, mean ${r.waitMeanS} s; ${r.bootHours.toFixed(2)} GPU-h starting, ${r.idleHours.toFixed(2)} idle)`,
    );
    figures.push(
      figure(
        metric,
        ratio(r),
        'billed/used',
        metric === 'gpu_hours_per_busy_hour' ? TARGET : undefined,
        details(r, s),
      ),
    );
  }
  return figures;
}
