/**
 * The end-to-end check: the local runtime started exactly as `npm start` starts it, then
 * driven over HTTP only (the API, the presigned S3 links, and the stand-in's control API to know
 * what ComfyUI wrote). Short poll intervals come from the environment, as a developer would set them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isListening,
  REPO_ROOT,
  type SpawnedRuntime,
  spawnLocalRuntime,
} from '../../helpers/local-runtime.js';
import { longChain } from '../comfyui/workflows.js';

const run = promisify(execFile);

/** The functions the flow needs: without any of them no task can finish, so the suite must fail. */
const NEEDED = ['submit', 'status', 'cancel', 'authorizer', 'dispatcher', 'poller'];
const missing = NEEDED.filter((fn) => !existsSync(join(REPO_ROOT, 'functions', fn, 'index.ts')));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Task {
  taskId: string;
  status: string;
  error?: { code: string; message: string; nodeId?: string; nodeType?: string };
  outputs: { nodeId: string; filename: string; size: number; url: string; contentType: string }[];
}
interface RunRecord {
  outcome: string;
  outputs: { nodeId: string; filename: string; sha256?: string }[];
}

const FAST_ENV = { POLL_INTERVAL_MS: '100', MAX_IN_FLIGHT: '2', LOG_LEVEL: 'WARN' };
const FAST_ARGS = ['--poller-repeat', '100', '--comfy-execution-ms', '200', '--quiet'];

/** A small raw workflow: EmptyImage -> ImageInvert -> SaveImage (and a second SaveImage). */
const rawWorkflow = (color: number) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 24, batch_size: 1, color } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inverted' } },
  '4': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'plain' } },
});

function client(rt: SpawnedRuntime) {
  const key = rt.apiKey();
  const comfy = `http://127.0.0.1:${rt.ports.comfy}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rt.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const task = async (id: string) => (await call('GET', `/v1/tasks/${id}`)).body as unknown as Task;
  return {
    key,
    call,
    task,
    async submit(body: unknown): Promise<string> {
      const res = await call('POST', '/v1/tasks', body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body.taskId as string;
    },
    async waitFor(id: string, statuses: string[], timeoutMs = 30_000): Promise<Task> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const t = await task(id);
        if (statuses.includes(t.status)) return t;
        if (Date.now() > end)
          throw new Error(`task ${id} is ${t.status}, wanted ${statuses}: ${JSON.stringify(t)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async standInRun(id: string): Promise<RunRecord | null> {
      return (await (
        await fetch(`${comfy}/__standin/runs?promptId=${id}`)
      ).json()) as RunRecord | null;
    },
    async standIn(path: string, body: unknown, method = 'POST') {
      const res = await fetch(`${comfy}/__standin/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.ok).toBe(true);
    },
  };
}
type Client = ReturnType<typeof client>;

/** Every output downloads from its S3 link and is byte for byte what the stand-in wrote. */
/**
 * Submits `body` until the API refuses it (a submit accepted before the node catalogue reached the
 * submit function's cache is dispatched and fails at ComfyUI instead), for up to 20 s.
 */
async function refusedOnceCatalogued(c: Client, body: unknown) {
  const end = Date.now() + 20_000;
  for (;;) {
    const res = await c.call('POST', '/v1/tasks', body);
    if (res.status !== 202 || Date.now() > end) return res;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function expectOutputsMatchComfy(c: Client, t: Task) {
  const record = await c.standInRun(t.taskId);
  expect(record?.outcome).toBe('success');
  expect(t.outputs.length).toBe(record?.outputs.length);
  for (const o of t.outputs) {
    const res = await fetch(o.url);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBe(o.size);
    expect([...bytes.slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    const wrote = record?.outputs.find((f) => f.nodeId === o.nodeId && f.filename === o.filename);
    expect(wrote?.sha256).toBe(sha256(bytes));
  }
}

describe('local runtime end to end (npm start, then HTTP only)', () => {
  let rt: SpawnedRuntime;
  let c: Client;
  beforeAll(async () => {
    expect(missing, 'functions the end-to-end flow needs').toEqual([]);
    rt = await spawnLocalRuntime({ args: FAST_ARGS, env: FAST_ENV });
    c = client(rt);
  }, 120_000);
  afterAll(async () => {
    await rt?.signal('SIGKILL');
  });

  it('runs the README quickstart as written and downloads the image ComfyUI produced', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const script = /<!-- quickstart:begin -->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(script).toBeTruthy();
    // A folder laid out like the repository after `npm start`: its files go to the git-ignored .local/.
    const dir = mkdtempSync(join(tmpdir(), 'quickstart-'));
    mkdirSync(join(dir, '.local'));
    // Only the port and the key file differ from a developer's instance.
    const adapted = (script as string)
      .replace('http://127.0.0.1:3000', rt.apiUrl)
      .replace('.local/api-key', join(rt.stateDir, 'api-key'));
    await run('bash', ['-c', adapted], { cwd: dir, timeout: 60_000 });
    expect(readdirSync(dir)).toEqual(['.local']);
    const task = JSON.parse(readFileSync(join(dir, '.local', 'task.json'), 'utf8')) as Task;
    expect(task.status).toBe('succeeded');
    const png = readFileSync(join(dir, '.local', 'result.png'));
    const record = await c.standInRun(task.taskId);
    expect(record?.outputs.map((o) => o.sha256)).toContain(sha256(png));
  }, 90_000);

  it('runs a template task to succeeded and serves its outputs from S3', async () => {
    const id = await c.submit({
      template: 'txt2img',
      params: { prompt: 'a red fox in the snow', width: 64, height: 64, steps: 1, seed: 7 },
    });
    const t = await c.waitFor(id, ['succeeded', 'failed', 'cancelled']);
    expect(t.status).toBe('succeeded');
    expect(t.outputs.length).toBeGreaterThan(0);
    await expectOutputsMatchComfy(c, t);
  }, 60_000);

  it('runs a raw workflow with two output nodes', async () => {
    const id = await c.submit({ workflow: rawWorkflow(0x336699), metadata: { from: 'e2e' } });
    const t = await c.waitFor(id, ['succeeded', 'failed', 'cancelled']);
    expect(t.status).toBe('succeeded');
    expect(t.outputs.map((o) => o.nodeId).sort()).toEqual(['3', '4']);
    await expectOutputsMatchComfy(c, t);
  }, 60_000);

  it('refuses at submit a workflow the server would reject, naming the node and input', async () => {
    // Submit checks start once the poller has published the server's node catalogue.
    const unknown = await refusedOnceCatalogued(c, {
      workflow: {
        '1': { class_type: 'NoSuchNode', inputs: {} },
        '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
      },
    });
    expect(unknown.status).toBe(400);
    const unknownError = unknown.body.error as { code: string; message: string };
    expect(unknownError.code).toBe('UNKNOWN_NODE_TYPE');
    expect(unknownError.message).toMatch(/NoSuchNode/);
    const missing = await c.call('POST', '/v1/tasks', {
      workflow: {
        '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
        '2': { class_type: 'ImageInvert', inputs: {} },
        '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'x' } },
      },
    });
    expect(missing.status).toBe(400);
    const missingError = missing.body.error as { code: string; details: unknown };
    expect(missingError.code).toBe('INVALID_NODE_INPUT');
    expect(JSON.stringify(missingError.details)).toContain('"workflow","2","inputs","image"');
  }, 60_000);

  it('fails a workflow whose node fails while running, naming the node', async () => {
    await c.standIn('fail-node', {
      classType: 'ImageInvert',
      message: 'CUDA out of memory',
      exceptionType: 'torch.OutOfMemoryError',
      count: 1,
    });
    const id = await c.submit({ workflow: rawWorkflow(0x112233) });
    const t = await c.waitFor(id, ['succeeded', 'failed', 'cancelled']);
    expect(t.status).toBe('failed');
    expect(t.error).toMatchObject({ nodeId: '2', nodeType: 'ImageInvert' });
    expect(t.error?.message).toContain('CUDA out of memory');
  }, 60_000);

  it('refuses a UI-format workflow at the API with a 400, before anything runs', async () => {
    const res = await c.call('POST', '/v1/tasks', { workflow: { nodes: [], links: [] } });
    expect(res.status).toBe(400);
    expect((res.body.error as { code: string }).code).toMatch(/WORKFLOW/);
  });

  it('cancels a queued, a waiting and a running task', async () => {
    // 30 s a run, about 2.5 s a node: long enough to cancel while running, short to interrupt.
    await c.standIn('execution-ms', { ms: 30_000 });
    try {
      const running = await c.submit({ workflow: longChain(1) });
      await c.waitFor(running, ['running']);
      const waiting = await c.submit({ workflow: longChain(2) });
      await c.waitFor(waiting, ['dispatched']);
      // ComfyUI holds MAX_IN_FLIGHT=2 tasks, so the next one stays in our queue.
      const queued = await c.submit({ workflow: longChain(3) });
      expect((await c.task(queued)).status).toBe('queued');

      for (const id of [queued, waiting, running]) {
        const res = await c.call('POST', `/v1/tasks/${id}/cancel`);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      }
      expect((await c.task(queued)).status).toBe('cancelled');
      for (const id of [queued, waiting, running]) {
        expect((await c.waitFor(id, ['succeeded', 'failed', 'cancelled'])).status).toBe(
          'cancelled',
        );
      }
      expect((await c.standInRun(running))?.outcome).toBe('interrupted');
      expect(await c.standInRun(waiting)).toBeNull();
      expect(await c.standInRun(queued)).toBeNull();
      const again = await c.call('POST', `/v1/tasks/${queued}/cancel`);
      expect(again.status).toBeLessThan(300);
    } finally {
      await c.standIn('execution-ms', { ms: 200 });
    }
  }, 90_000);

  it('lets the CLI submit, follow and download, and exit 1 with the error on failure', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cli-out-'));
    const cli = (args: string[]) =>
      run(
        'npx',
        [
          'tsx',
          'scripts/task-cli.ts',
          ...args,
          '--api',
          rt.apiUrl,
          '--key',
          c.key,
          '--interval',
          '100',
        ],
        {
          cwd: REPO_ROOT,
          timeout: 60_000,
        },
      );
    const ok = await cli([
      'submit',
      '--template',
      'txt2img',
      '--param',
      'prompt=a cat',
      '--param',
      'width=64',
      '--param',
      'height=64',
      '--param',
      'steps=1',
      '--wait',
      '--out',
      out,
    ]);
    const files = readdirSync(out);
    expect(files.length).toBeGreaterThan(0);
    expect(ok.stdout).toContain(join(out, files[0] as string));
    expect(ok.stderr).toMatch(/submitted [0-9a-f-]{36}/);
    await c.standIn('fail-node', { classType: 'ImageInvert', message: 'boom', count: 1 });
    const wf = join(out, 'failing.json');
    writeFileSync(wf, JSON.stringify(rawWorkflow(0x445566)));
    const failed = await cli(['submit', wf, '--wait']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(/failed[\s\S]*error: \w+/);
    const unknownNode = { '1': { class_type: 'NoSuchNode', inputs: {} } };
    expect((await refusedOnceCatalogued(c, { workflow: unknownNode })).status).toBe(400);
    const refused = join(out, 'unknown-node.json');
    writeFileSync(refused, JSON.stringify(unknownNode));
    const rejected = await cli(['submit', refused]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((rejected as { code: number }).code).toBe(3);
    expect((rejected as { stderr: string }).stderr).toMatch(/UNKNOWN_NODE_TYPE|NoSuchNode/);
  }, 90_000);

  it('stops on Ctrl-C with tasks in flight: exit 0, no warning or error, nothing listening', async () => {
    await c.standIn('execution-ms', { ms: 2000 });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await c.submit({ workflow: rawWorkflow(0x101010 + i) }));
    await c.waitFor(ids[0] as string, ['running']);
    const exit = await rt.signal('SIGINT');
    expect(exit, rt.output()).toEqual({ code: 0, signal: null });
    const afterStop = rt.output().slice(rt.output().indexOf('SIGINT: stopping'));
    expect(afterStop).toContain('stopped; nothing is left listening');
    expect(afterStop).not.toMatch(/WARN|ERROR/);
    for (const port of Object.values(rt.ports)) expect(await isListening(port)).toBe(false);
  }, 60_000);
});

describe('local runtime with --data-dir: state survives a restart', () => {
  it('keeps a finished task, its output and the API key across a clean restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-data-'));
    const first = await spawnLocalRuntime({
      args: [...FAST_ARGS, '--data-dir', dataDir],
      env: FAST_ENV,
    });
    const firstKey = first.apiKey();
    let id: string;
    let bytes: string;
    try {
      const c1 = client(first);
      id = await c1.submit({ workflow: rawWorkflow(0x445566) });
      const t = await c1.waitFor(id, ['succeeded', 'failed']);
      expect(t.status).toBe('succeeded');
      bytes = sha256(
        new Uint8Array(await (await fetch(t.outputs[0]?.url as string)).arrayBuffer()),
      );
    } finally {
      expect(await first.signal('SIGINT')).toEqual({ code: 0, signal: null });
    }
    // The task's two outputs and whatever else the bucket holds for it: all saved, all restored.
    const saved = Number(/saved (\d+) S3 objects/.exec(first.output())?.[1]);
    expect(saved).toBeGreaterThanOrEqual(2);
    // Another state folder (its own .local/api-key): the key kept with the data is the one.
    const second = await spawnLocalRuntime({
      args: [...FAST_ARGS, '--data-dir', dataDir],
      env: FAST_ENV,
    });
    try {
      expect(second.output()).toContain(`restored ${saved} S3 objects`);
      expect(second.apiKey()).toBe(firstKey);
      expect(second.output()).toContain('API key (the same as at the last start');
      const c2 = client(second);
      const t = await c2.task(id);
      expect(t.status).toBe('succeeded');
      const again = new Uint8Array(await (await fetch(t.outputs[0]?.url as string)).arrayBuffer());
      expect(sha256(again)).toBe(bytes);
      const list = await c2.call('GET', '/v1/tasks');
      expect((list.body.items as Task[]).map((x) => x.taskId)).toContain(id);
    } finally {
      expect(await second.signal('SIGINT')).toEqual({ code: 0, signal: null });
    }
  }, 180_000);
});
