/**
 * The system under test: the local runtime `npm start` runs (infra/local/start/runtime.ts), in this
 * process, on free ports and a temporary state folder, with the usage meter observing every SDK client
 * its functions build. One per process: the function modules read their configuration once, at import.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StandInControl } from '../../infra/local/comfy-standin/index.js';
import { freePort } from '../../infra/local/emulators.js';
import { parseStartOptions } from '../../infra/local/start/options.js';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/start/runtime.js';
import { DynamoApiKeyStore } from '../../shared/adapters/dynamodb/api-key-store.js';
import { createKey } from '../../shared/auth/key-admin.js';
import { systemClock } from '../../shared/ports/clock.js';
import { TaskApiClient } from './api-client.js';
import { benchDocClient } from './bench-clients.js';
import { UsageMeter } from './meter.js';
import { REPO_ROOT } from './paths.js';

export interface SystemOptions {
  /** Owners to create an API key for (each may hold MAX_ACTIVE_TASKS_PER_OWNER unfinished tasks). */
  owners: number;
  /** Stand-in execution time per run. */
  executionMs: number;
  /** A real ComfyUI to use instead of the stand-in. */
  comfyuiUrl?: string;
  /** Re-invoke the poller this long after it returns; 0: only the deployed one-minute schedule. */
  pollerRepeatMs?: number;
  /** Concurrent HTTP connections of the bench's client. */
  connections?: number;
  /** A local GPU fleet (`npm start -- --max-gpus N`) instead of one stand-in. */
  fleet?: { minGpus: number; maxGpus: number; bootMs: number; idleMs: number; command?: string };
  /** Extra configuration for the functions (shared/config.ts variables). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface BenchSystem {
  runtime: LocalRuntime;
  api: TaskApiClient;
  meter: UsageMeter;
  /** One API key per owner. */
  keys: string[];
  /** The stand-in's control API (absent with a real ComfyUI). */
  standIn?: StandInControl;
  comfyUrl: string;
  region: string;
  stop(): Promise<void>;
}

export async function startBenchSystem(opts: SystemOptions): Promise<BenchSystem> {
  const log = opts.log ?? (() => {});
  const meter = new UsageMeter().start();
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-runtime-'));
  const region = 'us-east-1';
  const [apiPort, dynamodbPort, awsPort, comfyPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  // The runtime's own option parser, so its defaults apply to everything the bench does not set.
  const options = parseStartOptions(
    [
      ...['--port', String(apiPort), '--dynamodb-port', String(dynamodbPort)],
      ...['--aws-port', String(awsPort), '--comfy-port', String(comfyPort)],
      ...['--comfy-execution-ms', String(opts.executionMs), '--state-dir', stateDir],
      ...['--poller-repeat', String(opts.pollerRepeatMs ?? 1000), '--quiet'],
      // The stage throttle (50 requests/s, bursts of 100) would also meter the bench's own polling.
      '--no-throttle',
      ...(opts.comfyuiUrl ? ['--comfyui-url', opts.comfyuiUrl] : []),
      ...(opts.fleet
        ? [
            ...['--max-gpus', String(opts.fleet.maxGpus), '--min-gpus', String(opts.fleet.minGpus)],
            ...[
              '--gpu-boot-ms',
              String(opts.fleet.bootMs),
              '--gpu-idle-ms',
              String(opts.fleet.idleMs),
            ],
            ...(opts.fleet.command ? ['--gpu-command', opts.fleet.command] : []),
          ]
        : []),
    ],
    { AWS_REGION: region },
    REPO_ROOT,
  );
  if (options === 'help') throw new Error('unreachable: no --help given');
  const runtime = await startLocalRuntime(options, {
    root: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    log: { info: log, error: (line, err) => log(`ERROR ${line} ${err ? String(err) : ''}`) },
  });
  const doc = benchDocClient(region, runtime.dynamodbEndpoint);
  const store = new DynamoApiKeyStore({ client: doc, tableName: runtime.names.apiKeysTable });
  const keys: string[] = [];
  for (let i = 0; i < opts.owners; i++) {
    keys.push((await createKey({ keys: store, clock: systemClock }, `bench-${i}`, 'bench')).key);
  }
  const api = new TaskApiClient(runtime.apiUrl, {
    connections: opts.connections ?? 64,
    onRequest: () => meter.countHttpApiRequest(),
  });
  meter.reset();
  return {
    runtime,
    api,
    meter,
    keys,
    ...(runtime.comfy.standIn ? { standIn: runtime.comfy.standIn.control } : {}),
    comfyUrl: runtime.comfy.url,
    region,
    async stop() {
      meter.stop();
      await api.close();
      await runtime.stop();
      doc.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
