/**
 * A real ComfyUI server of the local GPU fleet, started by the operator's command
 * (`npm start -- --max-gpus N --gpu-command CMD`): the command runs in a shell of its own process
 * group with `{port}` replaced by the server's port and `{slot}` by its slot (0 to N-1, e.g. a CUDA
 * device index), and must keep running as the server (no daemonizing). The server is up once
 * `GET /system_stats` answers. A stop sends SIGTERM to the group (SIGKILL after a grace), a kill
 * sends SIGKILL at once, as a spot interruption takes a GPU with whatever it runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface ComfyCommandOptions {
  /** Shell command; `{port}` and `{slot}` are replaced. */
  command: string;
  host: string;
  port: number;
  slot: number;
  /** Longest the server may take to answer. @default 180000 */
  bootTimeoutMs?: number;
}

/** A stop's SIGTERM → SIGKILL. */
const STOP_GRACE_MS = 10_000;

export interface ComfyProcess {
  readonly url: string;
  readonly port: number;
  readonly slot: number;
  /** Prompts running or pending at it (0 when it does not answer). */
  inFlight(): Promise<number>;
  /** SIGTERM, then SIGKILL after the grace; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL at once. */
  kill(): Promise<void>;
}

/** The command with its placeholders filled in. */
export const expandCommand = (command: string, port: number, slot: number): string =>
  command.replaceAll('{port}', String(port)).replaceAll('{slot}', String(slot));

const STDERR_KEPT = 4000;

/** Servers still running: killed if this process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of live) sendToGroup(c, 'SIGKILL');
  });
}

export async function startComfyCommand(o: ComfyCommandOptions): Promise<ComfyProcess> {
  const child = spawn('sh', ['-c', expandCommand(o.command, o.port, o.slot)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
    child.once('error', () => resolve(-1));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const url = `http://${o.host}:${o.port}`;
  const bootTimeoutMs = o.bootTimeoutMs ?? 180_000;
  const deadline = Date.now() + bootTimeoutMs;
  for (;;) {
    if (done) {
      const code = await exited;
      throw new Error(
        `ComfyUI command exited (code ${code}) before answering on ${url}: ${stderr.trim().slice(-800)}`,
      );
    }
    if (await answers(`${url}/system_stats`)) break;
    if (Date.now() > deadline) {
      await signalGroup(child, 'SIGKILL', exited);
      throw new Error(`ComfyUI command did not answer on ${url} within ${bootTimeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port: o.port,
    slot: o.slot,
    async inFlight() {
      try {
        const res = await fetch(`${url}/queue`, { signal: AbortSignal.timeout(3000) });
        const q = (await res.json()) as { queue_running?: unknown[]; queue_pending?: unknown[] };
        return (q.queue_running?.length ?? 0) + (q.queue_pending?.length ?? 0);
      } catch {
        return 0;
      }
    },
    async stop() {
      if (done) return;
      const killer = setTimeout(() => {
        if (!done) sendToGroup(child, 'SIGKILL');
      }, STOP_GRACE_MS);
      await signalGroup(child, 'SIGTERM', exited);
      clearTimeout(killer);
    },
    async kill() {
      if (done) return;
      await signalGroup(child, 'SIGKILL', exited);
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function sendToGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function signalGroup(
  child: ChildProcess,
  signal: NodeJS.Signals,
  exited: Promise<unknown>,
): Promise<void> {
  sendToGroup(child, signal);
  await exited;
}
