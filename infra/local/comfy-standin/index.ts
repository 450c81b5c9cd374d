/**
 * A ComfyUI stand-in: the same HTTP API and shapes as ComfyUI v0.3.64 (docs/comfyui-standin.md), one
 * worker, in-memory queue and history, real PNG files, controllable for tests and benchmarks.
 *
 * @example
 * const comfy = await startComfyStandIn({ executionMs: 50 });
 * // comfy.url -> http://127.0.0.1:<port>; comfy.control.restart(); await comfy.stop();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandInControl } from './control.js';
import { StandInCore } from './core.js';
import { FaultInjector, prng } from './faults.js';
import { StandInServer } from './server.js';
import { StandInStorage } from './storage.js';

export interface StandInOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Folder holding output/, input/ and temp/. @default a new temp folder, removed by stop() */
  dataDir?: string;
  outputDir?: string;
  inputDir?: string;
  tempDir?: string;
  /** Time each run spends executing, split over its non-cached nodes. @default 100 */
  executionMs?: number;
  /** Extra time per node class, e.g. `{ ImageBlur: 1500 }`. @default {} */
  nodeTimeMs?: Record<string, number>;
  /** History cap (ComfyUI: 10000). @default 10000 */
  maxHistory?: number;
  /** ComfyUI's classic node cache (an identical re-run executes nothing). @default true */
  cache?: boolean;
  /** Serve the jobs API of newer ComfyUI (/api/jobs, /api/jobs/{id}, /api/jobs/{id}/cancel). @default false */
  jobsApi?: boolean;
  /**
   * Serve the route of the project's ComfyUI file-cleanup extension (POST /comfy-serverless/delete),
   * as a server set up by infra/ does. @default true
   */
  fileCleanup?: boolean;
  /** Checkpoint names CheckpointLoaderSimple accepts. */
  checkpoints?: string[];
  /** `system_stats.system.comfyui_version`. @default '0.3.64' */
  version?: string;
  /** Request body limit (ComfyUI --max-upload-size). @default 100 MiB */
  maxUploadBytes?: number;
  /** Seed of the fault-injection PRNG. @default 1 */
  seed?: number;
  /** Run records kept. @default 10000 */
  maxRecords?: number;
  /** Log sink. @default silent */
  log?: (message: string, data?: Record<string, unknown>) => void;
}

export interface ComfyStandIn {
  url: string;
  port: number;
  control: StandInControl;
  stop(): Promise<void>;
}

const DEFAULT_CHECKPOINTS = [
  'v1-5-pruned-emaonly.safetensors',
  'v1-5-pruned-emaonly-fp16.safetensors',
  'random_sd15_small.safetensors',
  'sd_xl_base_1.0.safetensors',
];

export async function startComfyStandIn(options: StandInOptions = {}): Promise<ComfyStandIn> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'comfy-standin-'));
  const dirOverrides: Record<string, string> = {};
  if (options.outputDir) dirOverrides.output = options.outputDir;
  if (options.inputDir) dirOverrides.input = options.inputDir;
  if (options.tempDir) dirOverrides.temp = options.tempDir;
  const storage = new StandInStorage(dataDir, dirOverrides);
  storage.cleanTemp();
  const core = new StandInCore(storage, {
    executionMs: options.executionMs ?? 100,
    nodeTimeMs: { ...options.nodeTimeMs },
    maxHistory: options.maxHistory ?? 10_000,
    cache: options.cache ?? true,
    checkpoints: options.checkpoints ?? DEFAULT_CHECKPOINTS,
    maxRecords: options.maxRecords ?? 10_000,
  });
  const faults = new FaultInjector(prng(options.seed ?? 1));
  const host = options.host ?? '127.0.0.1';
  const server = new StandInServer(core, faults, {
    host,
    port: options.port ?? 0,
    version: options.version ?? '0.3.64',
    maxUploadBytes: options.maxUploadBytes ?? 100 * 1024 * 1024,
    jobsApi: options.jobsApi ?? false,
    fileCleanup: options.fileCleanup ?? true,
    log: options.log ?? (() => {}),
  });
  const control = new StandInControl(core, faults, (ms) => server.restart(ms));
  server.control = control;
  const port = await server.listen(options.port ?? 0);
  core.start();
  let stopped = false;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    control,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all([core.stop(), server.close()]);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type { StandInControl } from './control.js';
export type { RunRecord } from './core.js';
