/**
 * When ComfyUI ran each prompt. With the stand-in: its own run records (start and finish of every
 * run, taken by the stand-in itself). With a real ComfyUI: the `execution_start` and
 * `execution_success` timestamps of `/history`, read every 100 ms while the bench runs, because the
 * poller deletes a prompt's history entry once it has copied the outputs.
 */

import type { StandInControl } from '../../infra/local/comfy-standin/index.js';
import { HttpComfyClient } from '../../shared/adapters/comfyui/http-comfy-client.js';

export interface RunTimes {
  promptId: string;
  startedAt: number;
  finishedAt?: number;
  outcome: string;
}

export interface RunSource {
  /** Where the times come from, for the report. */
  readonly kind: string;
  /** Every run seen so far, by prompt id (= task id). */
  runs(): ReadonlyMap<string, RunTimes>;
  stop(): Promise<void>;
}

export function standInRuns(control: StandInControl): RunSource {
  return {
    kind: 'stand-in run records',
    runs: () => {
      const out = new Map<string, RunTimes>();
      for (const r of control.runs()) {
        out.set(r.promptId, {
          promptId: r.promptId,
          startedAt: r.startedAt,
          ...(r.finishedAt !== undefined ? { finishedAt: r.finishedAt } : {}),
          outcome: r.outcome,
        });
      }
      return out;
    },
    stop: async () => {},
  };
}

export function historyRuns(baseUrl: string, everyMs = 100): RunSource {
  const client = HttpComfyClient.create({ baseUrl, connections: 2 });
  const seen = new Map<string, RunTimes>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const run of await client.listHistory(64)) {
          if (run.startedAt === undefined) continue;
          seen.set(run.promptId, {
            promptId: run.promptId,
            startedAt: run.startedAt,
            ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
            outcome: run.outcome.kind,
          });
        }
      } catch {
        // a missed reading is taken again next time
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    kind: 'ComfyUI /history timestamps',
    runs: () => seen,
    async stop() {
      stopped = true;
      await loop;
      await client.close();
    },
  };
}
