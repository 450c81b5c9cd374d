/**
 * The stand-in's control API for tests and benchmarks (in process; the same operations are served over
 * HTTP under `/__standin/*` for out-of-process use, see control-routes.ts).
 */
import type { RunRecord, StandInCore } from './core.js';
import type { FailRule } from './execute.js';
import type { ActiveFault, FaultInjector, FaultRule } from './faults.js';

export interface StandInState {
  running: string | undefined;
  pending: string[];
  historySize: number;
  number: number;
  faults: ActiveFault[];
  failRules: FailRule[];
  executionMs: number;
}

export class StandInControl {
  constructor(
    private readonly core: StandInCore,
    private readonly faults: FaultInjector,
    private readonly restartServer: (downtimeMs: number) => Promise<void>,
  ) {}

  /** Time each run spends executing (split over the nodes that are not cached). */
  setExecutionMs(ms: number): void {
    this.core.options.executionMs = ms;
  }
  /** Execution time of one prompt (queued or not yet submitted). */
  setExecutionMsFor(promptId: string, ms: number): void {
    this.core.executionMsFor.set(promptId, ms);
  }
  /** Extra time for every node of a class, e.g. `{ ImageBlur: 1500 }` as a "slow node". */
  setNodeTimeMs(classType: string, ms: number): void {
    this.core.options.nodeTimeMs[classType] = ms;
  }

  /** Make a node fail at runtime (execution_error in history). Returns a function that removes the rule. */
  failNode(rule: FailRule): () => void {
    const r = { ...rule, fired: 0 };
    this.core.failRules.push(r);
    return () => {
      const i = this.core.failRules.indexOf(r);
      if (i >= 0) this.core.failRules.splice(i, 1);
    };
  }
  clearFailures(): void {
    this.core.failRules.length = 0;
  }

  /** Inject a fault on a route; returns its id for `removeFault`. */
  injectFault(rule: FaultRule): number {
    return this.faults.add(rule);
  }
  removeFault(id: number): void {
    this.faults.remove(id);
  }
  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Restart like a real ComfyUI process: queue, running prompt, history, `number` counter and cache are
   * lost; output and input files survive; temp is emptied; open connections are cut. With `downtimeMs`
   * the port refuses connections for that long.
   */
  restart(options: { downtimeMs?: number } = {}): Promise<void> {
    this.core.restart();
    return this.restartServer(options.downtimeMs ?? 0);
  }

  /** Records of every run (oldest first): times, outcome, files with size and sha256. */
  runs(): RunRecord[] {
    return this.core.records.map((r) => ({ ...r, outputs: r.outputs.map((o) => ({ ...o })) }));
  }
  run(promptId: string): RunRecord | undefined {
    return this.runs().findLast((r) => r.promptId === promptId);
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.core.idle();
  }

  state(): StandInState {
    return {
      running: this.core.running?.[1],
      pending: this.core.heap.items.map((i) => i[1]),
      historySize: this.core.history.size,
      number: this.core.number,
      faults: this.faults.list(),
      failRules: this.core.failRules.map((r) => ({ ...r })),
      executionMs: this.core.options.executionMs,
    };
  }

  /** Where the stand-in keeps its files. */
  get dirs() {
    return { ...this.core.storage.dirs };
  }
}
