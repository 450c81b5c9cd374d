/**
 * The local GPU fleet on real ComfyUI servers (`npm start -- --max-gpus 2 --gpu-command CMD`): the
 * controller starts and stops real ComfyUI processes, the dispatcher and poller run tasks on them, and
 * a server killed while running prompts sends its tasks to another. Runs only when
 * COMFYUI_FLEET_COMMAND starts a real ComfyUI in the foreground on `{port}` (one with the checkpoint
 * random_sd15_small.safetensors; see docs/gpu-fleet.md), as the other real-ComfyUI tests run only when
 * COMFYUI_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetRig, readyCount, startFleetRig } from './fleet-rig.js';

const COMMAND = process.env.COMFYUI_FLEET_COMMAND;
const task = (steps: number) => ({
  steps,
  width: 64,
  height: 64,
  checkpoint: 'random_sd15_small.safetensors',
});

describe.skipIf(!COMMAND)(
  'a local GPU fleet of real ComfyUI servers (COMFYUI_FLEET_COMMAND)',
  () => {
    let rig: FleetRig;

    beforeAll(async () => {
      // 3 s: what the controller expects a prompt to take on these servers (64 px, a few steps, CPU).
      rig = await startFleetRig(
        { minGpus: 0, maxGpus: 2, bootMs: 5000, idleMs: 4000, command: COMMAND },
        3000,
      );
    }, 120_000);

    afterAll(async () => {
      await rig?.stop();
    });

    it('starts real servers for a burst on an empty fleet, runs every task, and stops them again', async () => {
      expect(readyCount(await rig.registry.list())).toBe(0);
      const t0 = Date.now();
      const ids = await rig.submit(6, task(3));
      const seen = await rig.untilEnded(ids, 240_000);
      const drained = Date.now() - t0;
      await rig.expectSucceeded(ids);
      expect(Math.max(...seen.map(readyCount))).toBe(2);
      await rig.watch(async (s) => s.every((x) => x.state === 'gone'), 60_000);
      const history = rig.rt.fleet?.history;
      expect(history?.busyStops).toBe(0);
      expect(history?.stopped).toBe(history?.launched);
      // For the record: what the real servers took.
      console.log(
        `6 tasks on an empty fleet of real ComfyUI: all succeeded ${(drained / 1000).toFixed(1)} s after the first submit, ${history?.launched} servers started, back to zero after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }, 330_000);

    it('sends the tasks of a real server killed while running them to another', async () => {
      // Enough for two GPUs at 4 prompts each.
      const ids = await rig.submit(6, task(8));
      let victim: string | undefined;
      await rig.watch(async (s) => {
        victim = s.find((x) => x.state === 'ready' && x.inFlight > 0)?.id;
        return victim !== undefined && readyCount(s) === 2;
      }, 120_000);
      const held = (await rig.registry.list()).find((x) => x.id === victim)?.inFlight;
      expect(await rig.rt.fleet?.kill(victim as string)).toBe(true);
      await rig.untilEnded(ids, 300_000);
      await rig.expectSucceeded(ids);
      expect((await rig.registry.list()).find((x) => x.id === victim)?.state).toBe('gone');
      expect(rig.rt.fleet?.history.busyStops).toBe(0);
      console.log(`killed a real ComfyUI holding ${held} prompt(s): all 6 tasks succeeded`);
    }, 450_000);
  },
);
