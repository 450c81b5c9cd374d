/**
 * The stand-in's process state and its one worker: the queue, the running prompt, history, the
 * `number` counter, the node cache, interrupts, and the run records. `restart()` throws all of it
 * away (files on disk survive, the temp folder is emptied), as a real ComfyUI restart does.
 */
import {
  Abandoned,
  type CachedNode,
  executePrompt,
  type FailRule,
  Interrupted,
} from './execute.js';
import { nodeDefs } from './node-defs.js';
import { History, type HistoryEntry, PromptHeap, type QueueItem } from './state.js';
import type { StandInStorage } from './storage.js';
import { type Validation, validatePrompt } from './validation.js';

export interface RunRecordFile {
  nodeId: string;
  kind: string;
  filename: string;
  subfolder: string;
  type: string;
  size?: number;
  sha256?: string;
}
/** What the stand-in did for one prompt (benchmarks and the chaos test read these). */
export interface RunRecord {
  promptId: string;
  number: number;
  queuedAt: number;
  startedAt: number;
  finishedAt?: number;
  outcome: 'running' | 'success' | 'error' | 'interrupted' | 'lost';
  cachedNodes: string[];
  /** Every file in the run's history outputs (also the cached ones, with the hash written earlier). */
  outputs: RunRecordFile[];
}

export interface CoreOptions {
  executionMs: number;
  nodeTimeMs: Record<string, number>;
  maxHistory: number;
  cache: boolean;
  checkpoints: string[];
  maxRecords: number;
}

export class StandInCore {
  readonly heap = new PromptHeap();
  history: History;
  running: QueueItem | undefined;
  number = 0;
  readonly failRules: FailRule[] = [];
  readonly executionMsFor = new Map<string, number>();
  readonly records: RunRecord[] = [];
  /** Files written so far (path -> size and hash), for the records of cached runs. */
  private readonly fileInfo = new Map<string, { size: number; sha256: string }>();
  private readonly queuedAt = new Map<string, number>();
  private cache = new Map<string, CachedNode>();
  private interruptFlag = false;
  private generation = 0;
  private abort = new AbortController();
  private wake: (() => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Live execution events for the WebSocket (client id of the prompt, type, data). */
  onEvent:
    | ((clientId: string | undefined, type: string, data: Record<string, unknown>) => void)
    | undefined;

  constructor(
    readonly storage: StandInStorage,
    readonly options: CoreOptions,
  ) {
    this.history = new History(options.maxHistory);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  defs() {
    return nodeDefs({ checkpoints: this.options.checkpoints, inputs: this.storage.inputFiles() });
  }

  validate(prompt: QueueItem[2], partialTargets?: string[]): Validation {
    return validatePrompt(
      prompt,
      { defs: this.defs(), inputExists: (name) => this.storage.annotatedPath(name) !== undefined },
      partialTargets,
    );
  }

  /** The counter as POST /prompt uses it: `number` given -> as is; else counter (negated for `front`). */
  nextNumber(body: Record<string, unknown>): number {
    if ('number' in body) return Number(body.number);
    let n = this.number;
    if (body.front) n = -n;
    this.number++;
    return n;
  }

  enqueue(item: QueueItem): void {
    this.heap.push(item);
    this.queuedAt.set(item[1], Date.now());
    this.wake?.();
  }

  /** POST /interrupt: with a prompt id, only that prompt if it is the running one; else global. */
  interrupt(promptId?: string): boolean {
    if (promptId !== undefined && this.running?.[1] !== promptId) return false;
    this.interruptFlag = true;
    return this.running !== undefined;
  }

  /** Lose everything held in memory, like a process restart. */
  restart(): void {
    this.generation++;
    this.abort.abort();
    this.abort = new AbortController();
    const lost = this.running?.[1];
    if (lost) {
      const rec = this.records.findLast((r) => r.promptId === lost && r.outcome === 'running');
      if (rec) {
        rec.outcome = 'lost';
        rec.finishedAt = Date.now();
      }
    }
    this.running = undefined;
    this.heap.clear();
    this.history = new History(this.options.maxHistory);
    this.number = 0;
    this.cache = new Map();
    this.interruptFlag = false;
    this.queuedAt.clear();
    this.storage.cleanTemp();
    this.notifyIdle();
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.running && this.heap.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private notifyIdle(): void {
    if (this.running || this.heap.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const item = this.heap.pop();
      if (!item) {
        this.notifyIdle();
        await new Promise<void>((r) => {
          this.wake = r;
        });
        this.wake = undefined;
        continue;
      }
      await this.runOne(item);
    }
  }

  private async runOne(item: QueueItem): Promise<void> {
    const gen = this.generation;
    const signal = this.abort.signal;
    this.running = item;
    this.interruptFlag = false;
    const promptId = item[1];
    const clientId =
      typeof item[3]?.client_id === 'string' ? (item[3].client_id as string) : undefined;
    const record: RunRecord = {
      promptId,
      number: item[0],
      queuedAt: this.queuedAt.get(promptId) ?? Date.now(),
      startedAt: Date.now(),
      outcome: 'running',
      cachedNodes: [],
      outputs: [],
    };
    this.queuedAt.delete(promptId);
    this.records.push(record);
    if (this.records.length > this.options.maxRecords) this.records.shift();
    const runMs = this.executionMsFor.get(promptId) ?? this.options.executionMs;
    try {
      const result = await executePrompt(item, {
        storage: this.storage,
        defs: this.defs(),
        cache: this.options.cache ? this.cache : undefined,
        runMs,
        nodeTimeMs: this.options.nodeTimeMs,
        failRules: this.failRules,
        interrupted: () => this.interruptFlag,
        sleep: (ms) => sleep(ms, signal),
        now: () => Date.now(),
        emit: (type, data) => {
          if (gen === this.generation) this.onEvent?.(clientId, type, data);
        },
      });
      if (gen !== this.generation) return;
      for (const f of result.written) this.fileInfo.set(f.path, { size: f.size, sha256: f.sha256 });
      this.history.add(promptId, result.entry);
      // Sent after the history entry is written, as ComfyUI does: the safe "done" signal.
      this.onEvent?.(clientId, 'executing', { node: null, prompt_id: promptId });
      record.outcome = result.outcome;
      record.finishedAt = Date.now();
      record.cachedNodes = result.cachedNodes;
      record.outputs = this.recordFiles(result.entry);
    } catch (err) {
      if (err instanceof Abandoned || gen !== this.generation) return;
      if (err instanceof Interrupted) return;
      throw err;
    } finally {
      if (gen === this.generation) {
        this.running = undefined;
        this.executionMsFor.delete(promptId);
        this.notifyIdle();
      }
    }
  }

  private recordFiles(entry: HistoryEntry): RunRecordFile[] {
    const files: RunRecordFile[] = [];
    for (const [nodeId, ui] of Object.entries(entry.outputs)) {
      for (const [kind, list] of Object.entries(ui)) {
        for (const item of list) {
          const f = item as { filename?: string; subfolder?: string; type?: string };
          if (!f.filename) continue;
          const rec: RunRecordFile = {
            nodeId,
            kind,
            filename: f.filename,
            subfolder: f.subfolder ?? '',
            type: f.type ?? 'output',
          };
          const dir = this.storage.dirFor(rec.type);
          const info =
            dir &&
            this.fileInfo.get(`${dir}/${rec.subfolder ? `${rec.subfolder}/` : ''}${rec.filename}`);
          if (info) Object.assign(rec, info);
          files.push(rec);
        }
      }
    }
    return files;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new Abandoned());
  if (ms <= 0) return new Promise((r) => setImmediate(r));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Abandoned());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
