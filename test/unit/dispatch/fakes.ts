/**
 * Small in-memory stand-ins for the ports the dispatcher uses, until the shared fakes in test/fakes
 * cover them. The ComfyUI fake keeps a queue and history, counts calls, and fails on demand.
 */
import { Readable } from 'node:stream';
import {
  ComfyRejectedError,
  ComfyUnavailableError,
  DomainError,
  TaskStateConflictError,
} from '../../../shared/domain/errors.js';
import type { Task } from '../../../shared/domain/task.js';
import type { ArtifactStore } from '../../../shared/ports/artifact-store.js';
import type {
  ComfyClient,
  LookupResult,
  QueueEntry,
  SubmitPromptInput,
  UploadedImage,
} from '../../../shared/ports/comfy-client.js';
import type { DispatchMessage, TaskQueue } from '../../../shared/ports/task-queue.js';
import type {
  RemovableField,
  TaskChanges,
  TaskRepository,
  WriteExpectation,
} from '../../../shared/ports/task-repository.js';

export class MemoryTasks implements Pick<TaskRepository, 'get' | 'update'> {
  readonly items = new Map<string, Task>();
  gets = 0;
  updates = 0;
  /** Called before each update is applied (to simulate a concurrent writer). */
  beforeUpdate?: (taskId: string) => void;

  put(task: Task) {
    this.items.set(task.taskId, structuredClone(task));
  }
  async get(taskId: string) {
    this.gets++;
    const t = this.items.get(taskId);
    return t && structuredClone(t);
  }
  async update(
    taskId: string,
    expect: WriteExpectation,
    changes: TaskChanges,
    remove: readonly RemovableField[] = [],
  ) {
    this.updates++;
    this.beforeUpdate?.(taskId);
    const t = this.items.get(taskId);
    const statuses = Array.isArray(expect.status) ? expect.status : [expect.status];
    if (
      !t ||
      !statuses.includes(t.status) ||
      (expect.version !== undefined && expect.version !== t.version)
    ) {
      throw new TaskStateConflictError(`conflict on ${taskId}`);
    }
    const next: Task = { ...t, version: t.version + 1 };
    for (const [k, v] of Object.entries(changes)) {
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    }
    for (const k of remove) delete next[k];
    this.items.set(taskId, next);
    return structuredClone(next);
  }
}

export class MemoryQueue implements TaskQueue {
  readonly sent: { message: DispatchMessage; delaySeconds?: number }[] = [];
  calls = 0;
  failNext = false;
  async send(message: DispatchMessage, delaySeconds?: number) {
    await this.sendMany([{ message, ...(delaySeconds === undefined ? {} : { delaySeconds }) }]);
  }
  async sendMany(items: { message: DispatchMessage; delaySeconds?: number }[]) {
    this.calls++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('SendMessageBatch failed');
    }
    this.sent.push(...items);
  }
}

class NotFound extends DomainError {
  readonly code = 'OBJECT_NOT_FOUND';
}

export class MemoryArtifacts implements Pick<ArtifactStore, 'getStream'> {
  readonly objects = new Map<string, { bytes: Buffer; contentType: string }>();
  async getStream(key: string) {
    const o = this.objects.get(key);
    if (!o) throw new NotFound(`no object ${key}`);
    return { body: Readable.from([o.bytes]), size: o.bytes.length, contentType: o.contentType };
  }
}

type Fault = 'unavailable' | 'reject';

/** A ComfyUI server: a FIFO queue the test advances by hand, and a history of finished prompts. */
export class FakeComfy implements ComfyClient {
  running: QueueEntry[] = [];
  pending: QueueEntry[] = [];
  finished = new Set<string>();
  submitted: SubmitPromptInput[] = [];
  uploads: { filename: string; bytes: Buffer; contentType: string }[] = [];
  cancelled: string[] = [];
  calls: Record<string, number> = {};
  faults: Partial<Record<keyof ComfyClient, Fault>> = {};
  private number = 0;

  constructor(readonly baseUrl: string) {}

  private hit(name: keyof ComfyClient) {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    const fault = this.faults[name];
    if (fault === 'unavailable') throw new ComfyUnavailableError(`${this.baseUrl} is down`);
    if (fault === 'reject') {
      throw new ComfyRejectedError(
        { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation' },
        [
          {
            nodeId: '3',
            classType: 'KSampler',
            errors: [
              {
                type: 'value_smaller_than_min',
                message: 'Value 0 smaller than min of 1',
                inputName: 'steps',
              },
            ],
          },
        ],
      );
    }
  }
  /** Fill the queue with someone else's prompts. */
  busy(n: number) {
    for (let i = 0; i < n; i++)
      this.pending.push({ number: this.number++, promptId: `other-${i}` });
  }
  async submitPrompt(input: SubmitPromptInput) {
    this.hit('submitPrompt');
    this.submitted.push(structuredClone(input));
    const number = this.number++;
    this.pending.push({ number, promptId: input.promptId });
    return { promptId: input.promptId, number };
  }
  async getQueue() {
    this.hit('getQueue');
    return { running: [...this.running], pending: [...this.pending] };
  }
  async lookup(promptId: string): Promise<LookupResult> {
    this.hit('lookup');
    const r = this.running.find((e) => e.promptId === promptId);
    if (r) return { state: 'running', number: r.number };
    const i = this.pending.findIndex((e) => e.promptId === promptId);
    if (i >= 0) return { state: 'pending', position: i, number: this.pending[i]?.number ?? 0 };
    if (this.finished.has(promptId)) {
      return {
        state: 'finished',
        run: { promptId, outcome: { kind: 'success' }, outputs: [], cachedNodes: [] },
      };
    }
    return { state: 'unknown' };
  }
  async cancel(promptId: string) {
    this.hit('cancel');
    this.cancelled.push(promptId);
    this.pending = this.pending.filter((e) => e.promptId !== promptId);
    this.running = this.running.filter((e) => e.promptId !== promptId);
  }
  async uploadImage(input: { filename: string; body: Readable | Uint8Array; contentType: string }) {
    this.hit('uploadImage');
    const chunks: Buffer[] = [];
    if (input.body instanceof Uint8Array) chunks.push(Buffer.from(input.body));
    else for await (const c of input.body) chunks.push(Buffer.from(c));
    this.uploads.push({
      filename: input.filename,
      bytes: Buffer.concat(chunks),
      contentType: input.contentType,
    });
    return { name: input.filename, subfolder: '', type: 'input' } satisfies UploadedImage;
  }
  async getQueueRemaining() {
    return this.running.length + this.pending.length;
  }
  async getHistory() {
    return undefined;
  }
  async listHistory() {
    return [];
  }
  async deleteHistory() {}
  async view(): Promise<never> {
    throw new Error('not used by the dispatcher');
  }
  async getObjectInfo() {
    return {};
  }
  async getSystemStats() {
    return {};
  }
  async close() {}
}

export const fixedClock = (iso = '2026-01-01T00:00:00.000Z') => {
  let now = Date.parse(iso);
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

export function queuedTask(taskId: string, overrides: Partial<Task> = {}): Task {
  return {
    taskId,
    owner: 'alice',
    status: 'queued',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    workflow: {
      '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'out' } },
    },
    requeues: 0,
    missingPolls: 0,
    outputs: [],
    version: 1,
    ...overrides,
  };
}
