/**
 * The whole local system on a GPU fleet that follows the queue (`npm start -- --max-gpus 3`): the real
 * controller, dispatcher and poller, with stand-ins that answer only after their boot delay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetRig, readyCount, startFleetRig } from './fleet-rig.js';

const BOOT_MS = 1500;
const IDLE_MS = 3000;
const TASK = { steps: 2, width: 64, height: 64 };
let rig: FleetRig;

beforeAll(async () => {
  rig = await startFleetRig({ minGpus: 0, maxGpus: 3, bootMs: BOOT_MS, idleMs: IDLE_MS }, 400);
}, 120_000);

afterAll(async () => {
  await rig?.stop();
});

describe('a local GPU fleet that follows the queue', () => {
  it('scales a burst on an empty fleet out to maxGpus, runs every task, and returns to zero', async () => {
    expect(readyCount(await rig.registry.list())).toBe(0);
    const ids = await rig.submit(30, TASK);
    expect((await rig.statusOf(ids[0] as string)).status).toBe('queued');
    const seen = await rig.untilEnded(ids, 90_000);
    await rig.expectSucceeded(ids);
    expect(Math.max(...seen.map(readyCount))).toBe(3);
    await rig.watch(async (s) => readyCount(s) === 0 && s.every((x) => x.state === 'gone'), 30_000);
    expect(rig.rt.fleet?.history.busyStops).toBe(0);
    expect(rig.rt.fleet?.history.stopped).toBe(rig.rt.fleet?.history.launched);
  }, 150_000);

  it('still checks submissions and lists the models while the fleet is at zero', async () => {
    await rig.watch(async (s) => s.length > 0 && s.every((x) => x.state === 'gone'), 60_000);
    const headers = { 'x-api-key': rig.rt.apiKey as string, 'content-type': 'application/json' };
    const models = await fetch(`${rig.rt.apiUrl}/v1/models`, { headers });
    const listed = (await models.json()) as { models: Record<string, string[]> };
    expect(Object.values(listed.models).flat().length).toBeGreaterThan(0);
    const refused = await fetch(`${rig.rt.apiUrl}/v1/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        template: 'txt2img',
        params: { prompt: 'x', ...TASK, checkpoint: 'nope.safetensors' },
      }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'MODEL_NOT_AVAILABLE',
    );
  }, 90_000);

  it('re-queues the tasks of a server killed while running them, and they succeed on another', async () => {
    const ids = await rig.submit(8, TASK);
    await rig.watch(async (s) => readyCount(s) >= 2, 30_000);
    // Kill a server that holds prompts, as a spot interruption would.
    let victim: string | undefined;
    await rig.watch(async (s) => {
      victim = s.find((x) => x.state === 'ready' && x.inFlight > 0)?.id;
      return victim !== undefined;
    }, 30_000);
    expect(await rig.rt.fleet?.kill(victim as string)).toBe(true);
    await rig.untilEnded(ids, 120_000);
    await rig.expectSucceeded(ids);
    expect((await rig.registry.list()).find((x) => x.id === victim)?.state).toBe('gone');
    expect(rig.rt.fleet?.history.busyStops).toBe(0);
  }, 180_000);

  it('replaces a server whose ComfyUI hangs with prompts on it, and its tasks succeed on another', async () => {
    // Enough work (about 5 s a server) that one still holds prompts once both are up, on a busy machine too.
    const ids = await rig.submit(24, TASK);
    let victim: string | undefined;
    await rig.watch(async (s) => {
      victim = s.find((x) => x.state === 'ready' && x.inFlight > 0)?.id;
      return victim !== undefined && readyCount(s) >= 2;
    }, 30_000);
    // The process runs, nothing answers: no health check of the group would see it.
    rig.rt.fleet?.standIn(victim as string)?.control.injectFault({ route: '*', kind: 'hang' });
    await rig.untilEnded(ids, 120_000);
    await rig.expectSucceeded(ids);
    expect((await rig.registry.list()).find((x) => x.id === victim)).toMatchObject({
      state: 'gone',
      goneReason: 'unresponsive',
    });
    expect(rig.rt.fleet?.history.replaced).toBe(1);
    expect(rig.rt.fleet?.history.busyStops).toBe(0);
  }, 180_000);
});
