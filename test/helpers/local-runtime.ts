/**
 * Starts the local runtime as `npm start` does (`node --import tsx infra/local/start.ts`, without npm
 * in between so the exit code is the runtime's own), as a process group of its own, on free ports and
 * a temporary state folder, and waits for its ready line. `signal('SIGINT')` is what Ctrl-C in a terminal does:
 * it reaches every process in the group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../infra/local/emulators.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** How the process ended. */
interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedRuntime {
  child: ChildProcess;
  apiUrl: string;
  ports: { api: number; dynamodb: number; aws: number; comfy: number };
  stateDir: string;
  apiKey(): string;
  output(): string;
  /** Sends the signal to the whole group and resolves when every process in it has let go. */
  signal(sig: NodeJS.Signals): Promise<Exit>;
  /** Resolves when the group's processes have exited (stdout and stderr closed). */
  exited: Promise<Exit>;
}

export async function spawnLocalRuntime(
  opts: {
    args?: string[];
    env?: Record<string, string>;
    stateDir?: string;
    ports?: Partial<SpawnedRuntime['ports']>;
    readyTimeoutMs?: number;
    /** Return at once instead of waiting for the ready line. @default true */
    waitReady?: boolean;
  } = {},
): Promise<SpawnedRuntime> {
  const ports = {
    api: opts.ports?.api ?? (await freePort()),
    dynamodb: opts.ports?.dynamodb ?? (await freePort()),
    aws: opts.ports?.aws ?? (await freePort()),
    comfy: opts.ports?.comfy ?? (await freePort()),
  };
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'local-runtime-'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'infra/local/start.ts',
      '--port',
      String(ports.api),
      '--dynamodb-port',
      String(ports.dynamodb),
      '--aws-port',
      String(ports.aws),
      '--comfy-port',
      String(ports.comfy),
      '--state-dir',
      stateDir,
      ...(opts.args ?? []),
    ],
    {
      cwd: REPO_ROOT,
      detached: true,
      // The stand-in unless the test asks for a real ComfyUI (--comfyui-url, or COMFYUI_URL in
      // opts.env): a COMFYUI_URL set for the real-server tests must not turn the others real.
      env: { ...process.env, COMFYUI_URL: undefined, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<Exit>((r) =>
    child.once('close', (code, signal) => r({ code, signal })),
  );
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  while (opts.waitReady !== false && !out.includes(`ready: ${apiUrl}`)) {
    if (child.exitCode !== null) break;
    if (Date.now() > deadline) {
      process.kill(-(child.pid as number), 'SIGKILL');
      throw new Error(`local runtime not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    apiUrl,
    ports,
    stateDir,
    apiKey: () => readFileSync(join(stateDir, 'api-key'), 'utf8').trim(),
    output: () => out,
    exited,
    async signal(sig) {
      try {
        process.kill(-(child.pid as number), sig);
      } catch {
        // the group is already gone
      }
      return exited;
    },
  };
}

/** True when something accepts connections on 127.0.0.1:port. */
export async function isListening(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
