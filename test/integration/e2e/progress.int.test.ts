/**
 * Live progress end to end, through the local runtime started as `npm start` starts it: a txt2img
 * with many sampler steps, its GET /v1/tasks/{id} read while it runs. Against the ComfyUI stand-in
 * always, and against a real ComfyUI when COMFYUI_URL points at one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedRuntime, spawnLocalRuntime } from '../../helpers/local-runtime.js';

interface Progress {
  fraction: number;
  step?: number;
  steps?: number;
  nodeId?: string;
  nodeType?: string;
}
interface View {
  taskId: string;
  status: string;
  version: number;
  progress?: Progress;
  outputs: { url: string }[];
  error?: unknown;
}

const REAL = process.env.COMFYUI_URL;

async function followRun(rt: SpawnedRuntime, params: Record<string, unknown>) {
  const headers = { 'x-api-key': rt.apiKey(), 'content-type': 'application/json' };
  const submitted = await fetch(`${rt.apiUrl}/v1/tasks`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ template: 'txt2img', params }),
  });
  expect(submitted.status).toBe(202);
  const { taskId } = (await submitted.json()) as { taskId: string };
  const seen: Progress[] = [];
  const versions: number[] = [];
  const deadline = Date.now() + 180_000;
  for (;;) {
    const res = await fetch(`${rt.apiUrl}/v1/tasks/${taskId}`, { headers });
    const view = (await res.json()) as View;
    versions.push(view.version);
    if (view.status === 'running' && view.progress) seen.push(view.progress);
    if (['succeeded', 'failed', 'cancelled'].includes(view.status)) return { view, seen, versions };
    if (Date.now() > deadline) throw new Error(`task still ${view.status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function expectRising(seen: Progress[]) {
  const fractions = seen.map((p) => p.fraction);
  for (let i = 1; i < fractions.length; i++)
    expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1] as number);
  expect(new Set(fractions).size).toBeGreaterThanOrEqual(3);
  expect(seen.some((p) => p.nodeType === 'KSampler' && (p.steps ?? 0) > 1)).toBe(true);
}

describe('live progress (stand-in)', () => {
  let rt: SpawnedRuntime;
  beforeAll(async () => {
    rt = await spawnLocalRuntime({
      env: { POLL_INTERVAL_MS: '200', LOG_LEVEL: 'WARN' },
      args: ['--poller-repeat', '100', '--comfy-execution-ms', '5000', '--quiet'],
    });
  }, 90_000);
  afterAll(async () => {
    await rt?.signal('SIGINT');
  });

  it('shows progress.fraction rising while a 40-step txt2img runs, then succeeds', async () => {
    const { view, seen, versions } = await followRun(rt, { prompt: 'a lighthouse', steps: 40 });
    expect(view.status).toBe('succeeded');
    expect(view.progress).toBeUndefined();
    expectRising(seen);
    for (let i = 1; i < versions.length; i++)
      expect(versions[i]).toBeGreaterThanOrEqual(versions[i - 1] as number);
  });
});

describe.skipIf(!REAL)('live progress (real ComfyUI at COMFYUI_URL)', () => {
  let rt: SpawnedRuntime;
  beforeAll(async () => {
    rt = await spawnLocalRuntime({
      env: { POLL_INTERVAL_MS: '200', LOG_LEVEL: 'WARN' },
      args: ['--poller-repeat', '100', '--comfyui-url', REAL as string, '--quiet'],
    });
  }, 90_000);
  afterAll(async () => {
    await rt?.signal('SIGINT');
  });

  it('shows progress.fraction rising during a many-step txt2img on the real server', async () => {
    const { view, seen } = await followRun(rt, {
      prompt: 'a lighthouse',
      steps: 12,
      width: 64,
      height: 64,
      checkpoint: 'random_sd15_small.safetensors',
    });
    expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
    // What the real server showed, for the record.
    console.log(
      `progress seen while running: ${seen.map((p) => `${p.fraction.toFixed(2)} (${p.nodeType ?? '?'} ${p.step ?? '-'}/${p.steps ?? '-'})`).join(', ')}`,
    );
    expectRising(seen);
  });
});
