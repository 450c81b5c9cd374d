/**
 * Injected faults for chaos and retry tests: on chosen routes (path without the `/api` prefix, exact,
 * `*`, or a RegExp) and methods, with a probability and/or a count, the stand-in answers a status
 * (e.g. 503), adds latency, drops the connection without answering, resets it (TCP RST), never answers
 * (`hang`), or cuts a response body short (`truncate`, for /view).
 */
export type FaultKind =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'latency'; ms: number }
  | { kind: 'drop' }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'truncate'; afterBytes: number };

export type FaultRule = FaultKind & {
  /** `/prompt`, `/history` (prefix match on `/history/...` too), `*`, or a RegExp on the path. */
  route: string | RegExp;
  /** Only this method. @default any */
  method?: string;
  /** Chance of firing on each matching request. @default 1 */
  probability?: number;
  /** Fire at most this many times. @default unlimited */
  count?: number;
};

export interface ActiveFault {
  id: number;
  rule: FaultRule;
  fired: number;
}

/** A small seeded PRNG (mulberry32) so fault sequences are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private faults: ActiveFault[] = [];
  private nextId = 1;
  constructor(private readonly random: () => number) {}

  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.faults.push({ id, rule, fired: 0 });
    return id;
  }

  remove(id: number): void {
    this.faults = this.faults.filter((f) => f.id !== id);
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /**
   * The faults that fire for this request: every matching latency, then at most one other fault (the
   * first that matches). Only faults that fire are counted.
   */
  match(method: string, path: string): FaultKind[] {
    const fired: FaultKind[] = [];
    let terminal: FaultKind | undefined;
    for (const f of this.faults) {
      const { rule } = f;
      if (terminal && rule.kind !== 'latency') continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (!routeMatches(rule.route, path)) continue;
      if (rule.count !== undefined && f.fired >= rule.count) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      f.fired++;
      if (rule.kind === 'latency') fired.push(rule);
      else terminal = rule;
    }
    return terminal ? [...fired, terminal] : fired;
  }
}

function routeMatches(route: string | RegExp, path: string): boolean {
  if (route instanceof RegExp) return route.test(path);
  if (route === '*') return true;
  return path === route || path.startsWith(`${route}/`);
}
