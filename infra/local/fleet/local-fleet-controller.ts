/**
 * `npm start -- --max-gpus N`: the real fleet controller (`controlFleet`) driving a local fleet of
 * ComfyUI stand-ins, with the registry in DynamoDB Local and the backlog from the local queue and
 * table, exactly the ports the deployed controller uses. It ticks every `tickMs` (the deployed one
 * every 10 s, and at once on a dispatcher's kick); a tick never overlaps the previous one.
 */

import { AwsBacklogCounter } from '../../../shared/adapters/aws/backlog-counter.js';
import type { AwsClients } from '../../../shared/adapters/aws/clients.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { DynamoFleetRegistry } from '../../../shared/adapters/dynamodb/fleet-registry.js';
import { comfyProbe } from '../../../shared/fleet/probe.js';
import { systemClock } from '../../../shared/ports/clock.js';
import type { ComfyClient } from '../../../shared/ports/comfy-client.js';
import {
  type ControlFleetSettings,
  controlFleet,
  type FleetTick,
} from '../../../shared/use-cases/control-fleet.js';
import type { LocalGpuFleet } from './local-gpu-fleet.js';

/** How long the local dispatcher and poller trust a registry reading (deployed: 5 s). */
export const LOCAL_REGISTRY_CACHE_MS = 500;
/** A local server whose stand-in has not answered for this long is replaced (deployed: 5 minutes). */
const LOCAL_UNRESPONSIVE_MS = 10_000;
/** Time between the local controller's ticks (deployed: 10 s, and at once on a dispatcher's kick). */
export const LOCAL_FLEET_TICK_MS = 500;

/** The local fleet's size and timing, as `npm start -- --max-gpus N --gpu-boot-ms --gpu-idle-ms` sets them. */
export interface LocalFleetSize {
  minGpus: number;
  maxGpus: number;
  bootMs: number;
  idleMs: number;
  /** `idleMs` is the longest a stand-in is kept idle (see `CapacitySettings.idleFollowsDemand`). */
  idleFollowsDemand?: boolean;
}

/** The controller's settings for a local fleet whose stand-ins run a prompt in `promptMs`. */
export function localFleetSettings(
  f: LocalFleetSize,
  o: { promptsPerGpu: number; promptMs: number },
): ControlFleetSettings {
  return {
    minGpus: f.minGpus,
    maxGpus: f.maxGpus,
    promptsPerGpu: o.promptsPerGpu,
    idleMs: f.idleMs,
    idleFollowsDemand: f.idleFollowsDemand === true,
    bootTimeoutMs: Math.max(60_000, f.bootMs * 10),
    unresponsiveMs: LOCAL_UNRESPONSIVE_MS,
    startMs: f.bootMs,
    promptMs: o.promptMs,
    drainGraceMs: LOCAL_REGISTRY_CACHE_MS + 500,
  };
}

export interface LocalFleetControllerOptions {
  fleet: LocalGpuFleet;
  clients: AwsClients;
  tableName: string;
  queueUrl: string;
  settings: ControlFleetSettings;
  tickMs: number;
  onTick?: (tick: FleetTick) => void;
  onError?: (err: unknown) => void;
}

export interface LocalFleetController {
  /** One tick now (tests); resolves with what it decided. */
  tick(): Promise<FleetTick>;
  stop(): Promise<void>;
}

export function startLocalFleetController(o: LocalFleetControllerOptions): LocalFleetController {
  const clients = new Map<string, ComfyClient>();
  const clientFor = (url: string) => {
    let c = clients.get(url);
    if (!c) {
      c = HttpComfyClient.create({ baseUrl: url, connectTimeout: 1000, headersTimeout: 3000 });
      clients.set(url, c);
    }
    return c;
  };
  const deps = {
    fleet: o.fleet,
    registry: new DynamoFleetRegistry({
      doc: o.clients.doc,
      tableName: o.tableName,
      clock: systemClock,
    }),
    backlog: new AwsBacklogCounter({
      sqs: o.clients.sqs,
      queueUrl: o.queueUrl,
      doc: o.clients.doc,
      tableName: o.tableName,
    }),
    probe: comfyProbe(clientFor),
    clock: systemClock,
  };
  let running: Promise<FleetTick> | undefined;
  let stopped = false;
  const tick = () => {
    running ??= controlFleet(deps, o.settings).finally(() => {
      running = undefined;
    });
    return running;
  };
  const loop = async () => {
    while (!stopped) {
      try {
        o.onTick?.(await tick());
      } catch (err) {
        o.onError?.(err);
      }
      await new Promise((r) => setTimeout(r, o.tickMs));
    }
  };
  const looping = loop();
  return {
    tick,
    async stop() {
      stopped = true;
      await looping.catch(() => {});
      await running?.catch(() => {});
    },
  };
}
