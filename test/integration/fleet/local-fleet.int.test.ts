/**
 * The whole local system on a GPU fleet that follows the queue (`npm start -- --max-gpus 3`): the real
 * controller, dispatcher and poller, with stand-ins that answer only after their boot delay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../../infra/local/start/runtime.js';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { DynamoFleetRegistry } from '../../../shared/adapters/dynamodb/fleet-registry.js';
import type { FleetServer } from '../../../shared/fleet/server.js';
import { systemClock } from '../../../shared/ports/clock.js';
import { REPO_ROOT } from '../../helpers/local-runtime.js';

const BOOT_MS = 1500;
const IDLE_MS = 3000;
let rt: LocalRuntime;
let stateDir: string;
let registry: DynamoFleetRegistry;
const silent = { info: () => {}, error: () => {} };

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'fleet-int-'));
  rt = await startLocalRuntime(
    {
      host: '127.0.0.1',
      apiPort: 0,
      dynamodbPort: 0,
      awsPort: 0,
      comfyPort: 0,
      comfyExecutionMs: 400,
      stateDir,
      region: 'us-east-1',
      pollerRepeatMs: 200,
      corsOrigins: [],
      throttle: false,
      verbose: false,
      fleet: { minGpus: 0, maxGpus: 3, bootMs: BOOT_MS, idleMs: IDLE_MS },
    },
    { root: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'SILENT' }, log: silent },
  );
  const clients = createAwsClients({ region: 'us-east-1', dynamodbEndpoint: rt.dynamodbEndpoint });
  registry = new DynamoFleetRegistry({
    doc: clients.doc,
    tableName: rt.names.tasksTable,
    clock: systemClock,
  });
}, 120_000);

afterAll(async () => {
  await rt?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const submit = async (n: number): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${rt.apiUrl}/v1/tasks`, {
      method: 'POST',
      headers: { 'x-api-key': rt.apiKey as string, 'content-type': 'application/json' },
      body: JSON.stringify({
        template: 'txt2img',
        params: { prompt: `fleet ${i}`, steps: 2, width: 64, height: 64 },
      }),
    });
    expect(res.status).toBe(202);
    ids.push(((await res.json()) as { taskId: string }).taskId);
  }
  return ids;
};

const statusOf = async (id: string) => {
  const res = await fetch(`${rt.apiUrl}/v1/tasks/${id}`, {
    headers: { 'x-api-key': rt.apiKey as string },
  });
  return (await res.json()) as { status: string; waitingFor?: string; error?: { code: string } };
};

/** Samples the registry until `done` says so; returns every reading. */
async function watch(done: (servers: FleetServer[]) => Promise<boolean>, ms: number) {
  const seen: FleetServer[][] = [];
  const until = Date.now() + ms;
  for (;;) {
    const servers = await registry.list();
    seen.push(servers);
    if (await done(servers)) return seen;
    if (Date.now() > until) throw new Error(`fleet condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ready = (s: FleetServer[]) => s.filter((x) => x.state === 'ready').length;

describe('a local GPU fleet that follows the queue', () => {
  it('scales a burst on an empty fleet out to maxGpus, runs every task, and returns to zero', async () => {
    expect(ready(await registry.list())).toBe(0);
    const ids = await submit(30);
    expect((await statusOf(ids[0] as string)).status).toBe('queued');
    const seen = await watch(async () => {
      const states = await Promise.all(ids.map(statusOf));
      return states.every((s) => s.status === 'succeeded');
    }, 90_000);
    expect(Math.max(...seen.map(ready))).toBe(3);
    await watch(async (s) => ready(s) === 0 && s.every((x) => x.state === 'gone'), 30_000);
    expect(rt.fleet?.history.busyStops).toBe(0);
    expect(rt.fleet?.history.stopped).toBe(rt.fleet?.history.launched);
  }, 150_000);

  it('re-queues the tasks of a server killed while running them, and they succeed on another', async () => {
    const ids = await submit(8);
    await watch(async (s) => ready(s) >= 2, 30_000);
    // Kill a server that holds prompts, as a spot interruption would.
    let victim: string | undefined;
    await watch(async (s) => {
      victim = s.find((x) => x.state === 'ready' && x.inFlight > 0)?.id;
      return victim !== undefined;
    }, 30_000);
    expect(await rt.fleet?.kill(victim as string)).toBe(true);
    await watch(async () => {
      const states = await Promise.all(ids.map(statusOf));
      return states.every((s) => s.status === 'succeeded');
    }, 120_000);
    expect((await registry.list()).find((x) => x.id === victim)?.state).toBe('gone');
    expect(rt.fleet?.history.busyStops).toBe(0);
  }, 180_000);
});
