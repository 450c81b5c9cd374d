/**
 * The local GPU fleet (`npm start -- --max-gpus 3`), measured end to end through the API:
 * - `scale_from_zero_overhead_ms`: one task submitted to an empty fleet, submit → `running`, minus the
 *   configured boot time: what the controller, the registry and the dispatcher add to a GPU's start
 *   (median of `runs`, the fleet back at zero before each);
 * - `burst_drain_s`: 100 tasks submitted at once to an empty fleet of at most 3: first submit → last
 *   task succeeded.
 */

import type { ComfyWorkflow } from '../../shared/domain/task.js';
import { isTerminal } from '../lib/api-client.js';
import { type Figure, figure } from '../lib/figure.js';
import { type BenchSystem, startBenchSystem } from '../lib/system.js';

const BOOT_MS = 3000;
const IDLE_MS = 2000;

export interface FleetLocalOptions {
  workflow: (runId: string, i: number) => ComfyWorkflow;
  runs: number;
  burst: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fleetEmpty(system: BenchSystem): Promise<void> {
  for (;;) {
    const fleet = system.runtime.fleet;
    if (!fleet || (await fleet.describe()).length === 0) return;
    await sleep(100);
  }
}

export async function fleetLocalFigures(o: FleetLocalOptions): Promise<Figure[]> {
  const system = await startBenchSystem({
    owners: 3,
    executionMs: 500,
    fleet: { minGpus: 0, maxGpus: 3, bootMs: BOOT_MS, idleMs: IDLE_MS },
    log: o.log,
  });
  const key = system.keys[0] as string;
  try {
    const overheads: number[] = [];
    for (let r = 0; r < o.runs; r++) {
      await fleetEmpty(system);
      const t0 = Date.now();
      const sub = await system.api.submit(key, { workflow: o.workflow('zero', r) });
      const id = sub.body.taskId as string;
      for (;;) {
        const t = (await system.api.get(key, id)).body;
        if (t.status === 'running' || isTerminal(t)) break;
        await sleep(50);
      }
      overheads.push(Date.now() - t0 - BOOT_MS);
      o.log(`scale from zero run ${r + 1}: ${overheads.at(-1)} ms over the ${BOOT_MS} ms boot`);
    }
    await fleetEmpty(system);
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < o.burst; i++) {
      const owner = system.keys[i % system.keys.length] as string;
      const sub = await system.api.submit(owner, { workflow: o.workflow('burst', i) });
      ids.push(`${i % system.keys.length}:${sub.body.taskId}`);
    }
    let pending = ids;
    let failed = 0;
    while (pending.length > 0) {
      const next: string[] = [];
      for (const entry of pending) {
        const [owner, id] = entry.split(':') as [string, string];
        const t = (await system.api.get(system.keys[Number(owner)] as string, id)).body;
        if (!isTerminal(t)) next.push(entry);
        else if (t.status !== 'succeeded') failed++;
      }
      pending = next;
      if (pending.length > 0) await sleep(250);
    }
    const drainS = (Date.now() - t0) / 1000;
    o.log(`burst of ${o.burst}: drained in ${drainS.toFixed(1)} s (${failed} not succeeded)`);
    const sorted = [...overheads].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return [
      figure(
        'scale_from_zero_overhead_ms',
        median,
        'ms',
        { op: '<=', value: 5000 },
        {
          runs: overheads,
          boot_ms: BOOT_MS,
        },
      ),
      figure('burst_drain_s', drainS, 's', undefined, {
        tasks: o.burst,
        not_succeeded: failed,
        max_gpus: 3,
        boot_ms: BOOT_MS,
        execution_ms: 500,
        launched: system.runtime.fleet?.history.launched,
        busy_servers_stopped: system.runtime.fleet?.history.busyStops,
      }),
    ];
  } finally {
    await system.stop();
  }
}
