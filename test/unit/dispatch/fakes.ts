/**
 * A ComfyUI server in memory for the dispatcher's unit tests: a queue the test fills and advances by
 * hand, a set of finished prompts, call counts, and faults on demand. (Integration tests use the
 * HTTP stand-in instead.)
 */
import type { Readable } from 'node:stream';
import { ComfyRejectedError, ComfyUnavailableError } from '../../../shared/domain/errors.js';
import type {
  ComfyClient,
  LookupResult,
  QueueEntry,
  SubmitPromptInput,
  UploadedImage,
} from '../../../shared/ports/comfy-client.js';

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
  async listModels() {
    return {};
  }
  async getSystemStats() {
    return {};
  }
  async close() {}
}
