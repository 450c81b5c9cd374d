/**
 * A scriptable ComfyUI for the poller's unit tests: a queue, a history and files in memory, with
 * switches for being unreachable, a /view that breaks half-way, and call counters.
 */
import { Readable } from 'node:stream';
import { ComfyRequestError, ComfyUnavailableError } from '../../../shared/domain/errors.js';
import type {
  ComfyClient,
  ComfyOutputFile,
  ComfyRun,
  ComfyView,
  QueueEntry,
  QueueSnapshot,
} from '../../../shared/ports/comfy-client.js';

const fileKey = (f: Pick<ComfyOutputFile, 'filename' | 'subfolder' | 'type'>) =>
  `${f.type}|${f.subfolder}|${f.filename}`;

export class FakeComfy implements ComfyClient {
  running: QueueEntry[] = [];
  pending: QueueEntry[] = [];
  readonly history = new Map<string, ComfyRun>();
  readonly files = new Map<string, { bytes: Buffer; contentType: string }>();
  unreachable = false;
  /** Ids whose /history read fails as unavailable. */
  readonly historyDown = new Set<string>();
  /** The next /view calls (of any file, or of the named file) send this many bytes, then break. */
  private viewFaults: { afterBytes: number; filename?: string }[] = [];
  private n = 1;
  readonly calls = {
    getQueue: 0,
    getHistory: [] as string[],
    cancel: [] as string[],
    deleteHistory: [] as string[],
    view: [] as string[],
  };

  constructor(readonly baseUrl = 'http://comfy-a') {}

  private reach() {
    if (this.unreachable) throw new ComfyUnavailableError(`${this.baseUrl} is down`);
  }

  queuePending(promptId: string) {
    this.pending.push({ promptId, number: this.n++ });
  }
  start(promptId: string) {
    this.pending = this.pending.filter((e) => e.promptId !== promptId);
    this.running = [{ promptId, number: this.n++ }];
  }
  finish(promptId: string, run: Partial<ComfyRun> = {}) {
    this.pending = this.pending.filter((e) => e.promptId !== promptId);
    this.running = this.running.filter((e) => e.promptId !== promptId);
    this.history.set(promptId, {
      promptId,
      outcome: { kind: 'success' },
      outputs: [],
      cachedNodes: [],
      startedAt: Date.parse('2026-01-01T00:00:01.000Z'),
      finishedAt: Date.parse('2026-01-01T00:00:03.000Z'),
      ...run,
    });
  }
  addFile(
    file: Omit<ComfyOutputFile, 'nodeId' | 'kind'>,
    body: string | Buffer,
    contentType: string,
  ) {
    this.files.set(fileKey(file), { bytes: Buffer.from(body), contentType });
  }
  restart() {
    this.pending = [];
    this.running = [];
    this.history.clear();
  }
  breakNextView(afterBytes: number, filename?: string) {
    this.viewFaults.push({ afterBytes, ...(filename ? { filename } : {}) });
  }

  async getQueue(): Promise<QueueSnapshot> {
    this.calls.getQueue++;
    this.reach();
    return { running: [...this.running], pending: [...this.pending] };
  }
  async getHistory(promptId: string): Promise<ComfyRun | undefined> {
    this.calls.getHistory.push(promptId);
    this.reach();
    if (this.historyDown.has(promptId)) throw new ComfyUnavailableError('history read failed');
    const run = this.history.get(promptId);
    return run && structuredClone(run);
  }
  async deleteHistory(promptIds: string[]): Promise<void> {
    this.reach();
    for (const id of promptIds) {
      this.calls.deleteHistory.push(id);
      this.history.delete(id);
    }
  }
  async cancel(promptId: string): Promise<void> {
    this.calls.cancel.push(promptId);
    this.reach();
    this.pending = this.pending.filter((e) => e.promptId !== promptId);
    if (this.running.some((e) => e.promptId === promptId)) {
      this.finish(promptId, {
        outcome: { kind: 'interrupted', nodeId: '3', nodeType: 'KSampler' },
      });
    }
  }
  async view(file: Pick<ComfyOutputFile, 'filename' | 'subfolder' | 'type'>): Promise<ComfyView> {
    this.calls.view.push(file.filename);
    this.reach();
    const f = this.files.get(fileKey(file));
    if (!f) throw new ComfyRequestError(`no file ${file.filename}`, 404);
    const i = this.viewFaults.findIndex((v) => !v.filename || v.filename === file.filename);
    const fault = i >= 0 ? this.viewFaults.splice(i, 1)[0]?.afterBytes : undefined;
    const body =
      fault === undefined
        ? Readable.from([f.bytes])
        : new Readable({
            read() {
              this.push(f.bytes.subarray(0, fault));
              this.destroy(new ComfyUnavailableError('connection reset'));
            },
          });
    return { body, contentType: f.contentType, size: f.bytes.length };
  }

  submitPrompt(): never {
    throw new Error('not used by the poller');
  }
  getQueueRemaining(): never {
    throw new Error('not used by the poller');
  }
  listHistory(): never {
    throw new Error('not used by the poller');
  }
  lookup(): never {
    throw new Error('not used by the poller');
  }
  uploadImage(): never {
    throw new Error('not used by the poller');
  }
  getObjectInfo(): never {
    throw new Error('not used by the poller');
  }
  listModels(): never {
    throw new Error('not used by the poller');
  }
  getSystemStats(): never {
    throw new Error('not used by the poller');
  }
  async close(): Promise<void> {}
}
