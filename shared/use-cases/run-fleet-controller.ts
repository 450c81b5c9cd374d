/**
 * One fleet controller invocation: take the controller's lease (two controllers acting at once could
 * start the same GPU twice), then tick every `tickMs` for `runMs` while there is anything to watch (a
 * server up or starting, or work waiting); an idle, empty fleet costs one tick. The schedule starts an
 * invocation every minute; the dispatcher starts one at once when a task finds no GPU up.
 */
import { isLive } from '../fleet/server.js';
import { logger } from '../observability.js';
import type { PollerLease } from '../ports/poller-lease.js';
import {
  type ControlFleetDeps,
  type ControlFleetSettings,
  controlFleet,
  type FleetTick,
} from './control-fleet.js';

export interface RunFleetControllerDeps extends ControlFleetDeps {
  lease: PollerLease;
  holder: string;
  sleep?: (ms: number) => Promise<void>;
}

export interface RunFleetControllerSettings extends ControlFleetSettings {
  tickMs: number;
  runMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runFleetController(
  deps: RunFleetControllerDeps,
  s: RunFleetControllerSettings,
  onTick: (tick: FleetTick) => void = () => {},
): Promise<{ ticks: number; leaseHeld: boolean }> {
  const leaseMs = s.tickMs * 3 + 10_000;
  const grant = await deps.lease.acquire(deps.holder, leaseMs);
  if (!grant.acquired) {
    logger.info('another fleet controller is running; exiting', { heldBy: grant.heldBy });
    return { ticks: 0, leaseHeld: true };
  }
  const sleep = deps.sleep ?? defaultSleep;
  const start = deps.clock.now();
  let ticks = 0;
  try {
    for (;;) {
      const tick = await controlFleet(deps, s);
      ticks++;
      onTick(tick);
      const watching =
        tick.servers.some((x) => isLive(x) || x.state === 'draining') ||
        tick.decision.desired > 0 ||
        tick.started > 0;
      if (!watching || deps.clock.now() - start + s.tickMs >= s.runMs) break;
      await sleep(s.tickMs);
      if (!(await deps.lease.renew(deps.holder, leaseMs))) break;
    }
  } finally {
    await deps.lease
      .release(deps.holder)
      .catch((err: unknown) =>
        logger.warn('fleet controller lease not released', { error: String(err) }),
      );
  }
  return { ticks, leaseHeld: false };
}
