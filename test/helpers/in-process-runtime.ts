/**
 * The local runtime of `npm start` in this test's process (`startLocalRuntime`), on free ports and a
 * temporary state folder, with the functions' logs off: for tests that reach into it (its fleet, its
 * SDK clients) rather than talk to it from outside.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartOptions } from '../../infra/local/start/options.js';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/start/runtime.js';
import { REPO_ROOT } from './local-runtime.js';

export interface InProcessRuntime {
  rt: LocalRuntime;
  /** Stops the runtime and removes its state folder. */
  stop(): Promise<void>;
}

export async function startInProcessRuntime(o: {
  comfyExecutionMs: number;
  pollerRepeatMs: number;
  fleet?: StartOptions['fleet'];
  /** Configuration variables on top of this process's environment. */
  env?: Record<string, string>;
}): Promise<InProcessRuntime> {
  const stateDir = mkdtempSync(join(tmpdir(), 'runtime-int-'));
  const silent = { info: () => {}, error: () => {} };
  const rt = await startLocalRuntime(
    {
      host: '127.0.0.1',
      apiPort: 0,
      dynamodbPort: 0,
      awsPort: 0,
      comfyPort: 0,
      comfyExecutionMs: o.comfyExecutionMs,
      stateDir,
      region: 'us-east-1',
      pollerRepeatMs: o.pollerRepeatMs,
      corsOrigins: [],
      throttle: false,
      verbose: false,
      ...(o.fleet ? { fleet: o.fleet } : {}),
    },
    { root: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'SILENT', ...o.env }, log: silent },
  );
  return {
    rt,
    async stop() {
      await rt.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
