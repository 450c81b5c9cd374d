/** What `npm run fleet -- status` shows, from the registry and the backlog. */
import { describe, expect, it } from 'vitest';
import { applyServerEvents, type ServerEvent } from '../../../shared/fleet/server.js';
import { fleetStatus, formatFleetStatus } from '../../../shared/fleet/status.js';

const T = 1_000_000_000;
const settings = {
  minGpus: 0,
  maxGpus: 3,
  promptsPerGpu: 4,
  idleMs: 600_000,
  bootTimeoutMs: 1_800_000,
};

describe('fleetStatus', () => {
  it('lists the servers, the GPUs wanted and why, and the recent demand', () => {
    // One server busy on every reading for the last half hour, one still booting.
    const events: ServerEvent[] = [{ kind: 'launched', id: 'a', at: T - 1_800_000 }];
    for (let t = T - 1_800_000; t <= T; t += 10_000) {
      events.push({ kind: 'answered', id: 'a', at: t, url: 'http://a:8188', inFlight: 2 });
    }
    events.push({ kind: 'launched', id: 'b', at: T - 5_000 });
    const servers = applyServerEvents([], events, T);
    const s = fleetStatus(servers, { queued: 6, atComfy: 2 }, settings, T);
    expect(s).toMatchObject({
      servers: [
        { id: 'a', state: 'ready', url: 'http://a:8188', inFlight: 2 },
        { id: 'b', state: 'booting', url: null, inFlight: 0 },
      ],
      desired: 2,
      live: 2,
      backlog: { queued: 6, atComfy: 2 },
    });
    expect(s.demand).toBeGreaterThan(0.9);
    expect(s.demand).toBeLessThanOrEqual(1);
    const text = formatFleetStatus(s);
    expect(text).toContain('servers: 2 live, 2 wanted');
    expect(text).toMatch(/recent demand: 0\.9\d GPUs busy/);
  });
});
