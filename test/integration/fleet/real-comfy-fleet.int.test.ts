/**
 * The local GPU fleet on real ComfyUI servers (`npm start -- --max-gpus 2 --gpu-command CMD`): the
 * controller starts and stops real ComfyUI processes, the dispatcher and poller run tasks on them, and
 * a server killed while running prompts sends its tasks to another. Runs only when
 * COMFYUI_FLEET_COMMAND starts a real ComfyUI in the foreground on `{port}` (one with the checkpoint
 * random_sd15_small.safetensors; see docs/gpu-fleet.md), as the other real-ComfyUI tests run only when
 * COMFYUI_URL is set.
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

const COMMAND = process.env.COMFYUI_FLEET_COMMAND;
const IDLE_MS = 4000;

describe.skipIf(!COMMAND)(
  'a local GPU fleet of real ComfyUI servers (COMFYUI_FLEET_COMMAND)',
  () => {
    let rt: LocalRuntime;
    let stateDir: string;
    let registry: DynamoFleetRegistry;
    const silent = { info: () => {}, error: () => {} };

    beforeAll(async () => {
      stateDir = mkdtempSync(join(tmpdir(), 'real-fleet-int-'));
      rt = await startLocalRuntime(
        {
          host: '127.0.0.1',
          apiPort: 0,
          dynamodbPort: 0,
          awsPort: 0,
          comfyPort: 0,
          // What the controller expects a prompt to take on these servers (64 px, a few steps, CPU).
          comfyExecutionMs: 3000,
          stateDir,
          region: 'us-east-1',
          pollerRepeatMs: 200,
          corsOrigins: [],
          throttle: false,
          verbose: false,
          fleet: { minGpus: 0, maxGpus: 2, bootMs: 5000, idleMs: IDLE_MS, command: COMMAND },
        },
        { root: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'SILENT' }, log: silent },
      );
      const clients = createAwsClients({
        region: 'us-east-1',
        dynamodbEndpoint: rt.dynamodbEndpoint,
      });
      registry = new DynamoFleetRegistry({
        doc: clients.doc,
        tableName: rt.names.tasksTable,
        clock: systemClock,
      });
    }, 120_000);

    afterAll(async () => {
      await rt?.stop();
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    });

    const submit = async (n: number, steps: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${rt.apiUrl}/v1/tasks`, {
          method: 'POST',
          headers: { 'x-api-key': rt.apiKey as string, 'content-type': 'application/json' },
          body: JSON.stringify({
            template: 'txt2img',
            params: {
              prompt: `real fleet ${i}`,
              steps,
              width: 64,
              height: 64,
              checkpoint: 'random_sd15_small.safetensors',
            },
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
      return (await res.json()) as { status: string; error?: { code: string; message: string } };
    };

    async function watch(done: (servers: FleetServer[]) => Promise<boolean>, ms: number) {
      const seen: FleetServer[][] = [];
      const until = Date.now() + ms;
      for (;;) {
        const servers = await registry.list();
        seen.push(servers);
        if (await done(servers)) return seen;
        if (Date.now() > until) throw new Error(`fleet condition not met in ${ms} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const allEnded = (ids: string[]) => async () => {
      const states = await Promise.all(ids.map(statusOf));
      const open = states.filter((s) => !['succeeded', 'failed', 'cancelled'].includes(s.status));
      return open.length === 0;
    };
    const ready = (s: FleetServer[]) => s.filter((x) => x.state === 'ready').length;

    it('starts real servers for a burst on an empty fleet, runs every task, and stops them again', async () => {
      expect(ready(await registry.list())).toBe(0);
      const t0 = Date.now();
      const ids = await submit(6, 3);
      const seen = await watch(allEnded(ids), 240_000);
      const drained = Date.now() - t0;
      const states = await Promise.all(ids.map(statusOf));
      expect(states.map((s) => s.status)).toEqual(ids.map(() => 'succeeded'));
      expect(Math.max(...seen.map(ready))).toBe(2);
      await watch(async (s) => s.every((x) => x.state === 'gone'), 60_000);
      expect(rt.fleet?.history.busyStops).toBe(0);
      expect(rt.fleet?.history.stopped).toBe(rt.fleet?.history.launched);
      // For the record: what the real servers took.
      console.log(
        `6 tasks on an empty fleet of real ComfyUI: all succeeded ${(drained / 1000).toFixed(1)} s after the first submit, ${rt.fleet?.history.launched} servers started, back to zero after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }, 330_000);

    it('sends the tasks of a real server killed while running them to another', async () => {
      // Enough for two GPUs at 4 prompts each.
      const ids = await submit(6, 8);
      let victim: string | undefined;
      await watch(async (s) => {
        victim = s.find((x) => x.state === 'ready' && x.inFlight > 0)?.id;
        return victim !== undefined && ready(s) === 2;
      }, 120_000);
      const held = (await registry.list()).find((x) => x.id === victim)?.inFlight;
      expect(await rt.fleet?.kill(victim as string)).toBe(true);
      await watch(allEnded(ids), 300_000);
      const states = await Promise.all(ids.map(statusOf));
      expect(states.map((s) => s.status)).toEqual(ids.map(() => 'succeeded'));
      expect((await registry.list()).find((x) => x.id === victim)?.state).toBe('gone');
      expect(rt.fleet?.history.busyStops).toBe(0);
      console.log(`killed a real ComfyUI holding ${held} prompt(s): all 6 tasks succeeded`);
    }, 450_000);
  },
);
