/**
 * The local GPU fleet (`npm start -- --max-gpus 3`), measured end to end through the API:
 * - `scale_from_zero_overhead_ms`: one task submitted to an empty fleet, submit → `running`, minus the
 *   configured boot time: what the controller, the registry and the dispatcher add to a GPU's start
 *   (median of `runs`, the fleet back at zero before each);
 * - `burst_drain_s`: 100 tasks submitted at once to an empty fleet of at most 3: first submit → last
 *   task succeeded.
 * With `command` (`--gpu-command`), the same on real ComfyUI servers that command starts, at most 2
 * (`..._real_comfyui`): the overhead is then over each server's own measured boot (launch → answering).
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
  /** Real ComfyUI servers started by this command instead of stand-ins. */
  command?: string;
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
  const real = o.command !== undefined;
  const maxGpus = real ? 2 : 3;
  const suffix = real ? '_real_comfyui' : '';
  const system = await startBenchSystem({
    owners: 3,
    executionMs: 500,
    fleet: {
      minGpus: 0,
      maxGpus,
      bootMs: BOOT_MS,
      idleMs: IDLE_MS,
      ...(o.command ? { command: o.command } : {}),
    },
    log: o.log,
  });
  const boots = () => system.runtime.fleet?.history.boots ?? [];
  const key = system.keys[0] as string;
  try {
    const overheads: number[] = [];
    const bootsMs: number[] = [];
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
      // A stand-in boots in BOOT_MS; a real server takes what it takes.
      const boot = real ? (boots().at(-1) ?? 0) : BOOT_MS;
      bootsMs.push(boot);
      overheads.push(Date.now() - t0 - boot);
      o.log(`scale from zero run ${r + 1}: ${overheads.at(-1)} ms over the ${boot} ms boot`);
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
        `scale_from_zero_overhead_ms${suffix}`,
        median,
        'ms',
        { op: '<=', value: 5000 },
        {
          runs: overheads,
          boot_ms: real ? bootsMs : BOOT_MS,
          comfyui: real ? 'real (--gpu-command)' : 'stand-in',
        },
      ),
      figure(`burst_drain_s${suffix}`, drainS, 's', undefined, {
        tasks: o.burst,
        not_succeeded: failed,
        max_gpus: maxGpus,
        boot_ms: real ? boots() : BOOT_MS,
        execution_ms: real ? 'real' : 500,
        launched: system.runtime.fleet?.history.launched,
        busy_servers_stopped: system.runtime.fleet?.history.busyStops,
      }),
    ];
  } finally {
    await system.stop();
  }
}
