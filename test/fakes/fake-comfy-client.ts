/**
 * A ComfyUI server in memory behind the ComfyClient port, for unit tests: a queue, a history, files
 * and uploads, call counts and faults on demand. It meets the ComfyClient contract
 * (test/contract/comfy-client.contract.ts) like the HTTP client against the stand-in and a real
 * ComfyUI does.
 *
 * By default nothing runs by itself: the test moves prompts with `start` and `finish`. With
 * `autoRun`, prompts run one after another as ComfyUI runs them, each taking the sum of its nodes'
 * `nodeTimeMs` (0 for other classes), and SaveImage nodes write a file named as ComfyUI names it.
 */
import { Readable } from 'node:stream';
import { OWNER_TAG_KEY } from '../../shared/dispatch/owner-tag.js';
import {
  ComfyRejectedError,
  ComfyRequestError,
  ComfyUnavailableError,
} from '../../shared/domain/errors.js';
import type { ComfyWorkflow } from '../../shared/domain/task.js';
import type {
  ComfyClient,
  ComfyOutputFile,
  ComfyRun,
  ComfyView,
  LookupResult,
  QueueEntry,
  QueueSnapshot,
  SubmitPromptInput,
  SubmittedPrompt,
  UploadedImage,
} from '../../shared/ports/comfy-client.js';

type Fault = 'unavailable' | 'reject';
type FileRef = Pick<ComfyOutputFile, 'filename' | 'subfolder' | 'type'>;

export interface FakeComfyOptions {
  /** Run submitted prompts by themselves (see above). */
  autoRun?: boolean;
  /** Time each node of this class takes when prompts run by themselves. */
  nodeTimeMs?: Readonly<Record<string, number>>;
  /** Node classes the server knows; a prompt with another class is rejected as ComfyUI does. */
  nodeClasses?: readonly string[];
  /** The server has the file-cleanup extension (POST /comfy-serverless/delete). @default true */
  fileCleanup?: boolean;
}

/** Classes of a stock ComfyUI that our tests and templates use. */
const STOCK_CLASSES = [
  'CheckpointLoaderSimple',
  'CLIPTextEncode',
  'EmptyImage',
  'EmptyLatentImage',
  'ImageBatch',
  'ImageBlur',
  'ImageInvert',
  'ImageScale',
  'JoinImageWithAlpha',
  'KSampler',
  'LoadImage',
  'PreviewImage',
  'SaveImage',
  'SolidMask',
  'VAEDecode',
  'VAEEncode',
];

/** The 8-byte PNG signature and an empty IHDR-less body: enough to be recognised as image/png. */
const PNG_BYTES = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

const fileKey = (f: FileRef) => `${f.type}|${f.subfolder}|${f.filename}`;

export class FakeComfyClient implements ComfyClient {
  running: QueueEntry[] = [];
  pending: QueueEntry[] = [];
  readonly history = new Map<string, ComfyRun>();
  readonly files = new Map<string, { bytes: Buffer; contentType: string }>();
  /** Every method call, by method name. */
  readonly calls: Partial<Record<keyof ComfyClient, number>> = {};
  /** Per method: fail every call with ComfyUnavailableError or ComfyRejectedError. */
  faults: Partial<Record<keyof ComfyClient, Fault>> = {};
  /** Every call fails with ComfyUnavailableError (the server is down). */
  unreachable = false;
  /** Ids whose /history read fails as unavailable. */
  readonly historyDown = new Set<string>();
  /** Prompts accepted and images received, in order. */
  readonly submitted: SubmitPromptInput[] = [];
  readonly uploads: { filename: string; bytes: Buffer; contentType: string }[] = [];
  /** Ids asked for (cancel, /history) and file names asked for (/view), failed calls included. */
  readonly cancelled: string[] = [];
  readonly historyReads: string[] = [];
  readonly viewed: string[] = [];
  /** History entries deleted. */
  readonly deletedHistory: string[] = [];

  private number = 0;
  private readonly workflows = new Map<string, ComfyWorkflow>();
  private readonly counters = new Map<string, number>();
  private viewFaults: { afterBytes: number; filename?: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly classes: ReadonlySet<string>;

  constructor(
    readonly baseUrl = 'http://comfy-a',
    private readonly options: FakeComfyOptions = {},
  ) {
    this.classes = new Set(options.nodeClasses ?? STOCK_CLASSES);
  }

  // --- scripting the server -------------------------------------------------------------------

  /** Someone else's prompt waits in the queue. */
  queuePending(promptId: string) {
    this.pending.push({ promptId, number: this.number++ });
  }
  /** Fill the queue with `n` prompts of someone else. */
  busy(n: number) {
    for (let i = 0; i < n; i++) this.queuePending(`other-${this.number}`);
  }
  start(promptId: string) {
    const entry = this.pending.find((e) => e.promptId === promptId);
    this.pending = this.pending.filter((e) => e.promptId !== promptId);
    this.running = [entry ?? { promptId, number: this.number++ }];
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
  /** Queue and history are lost, files stay: what a ComfyUI restart does. */
  restart() {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.running = [];
    this.history.clear();
  }
  /** The next /view (of any file, or of the named one) sends this many bytes, then breaks. */
  breakNextView(afterBytes: number, filename?: string) {
    this.viewFaults.push({ afterBytes, ...(filename ? { filename } : {}) });
  }

  // --- the port ---------------------------------------------------------------------------------

  private hit(name: keyof ComfyClient) {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    if (this.unreachable) throw new ComfyUnavailableError(`${this.baseUrl} is down`);
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

  async submitPrompt(input: SubmitPromptInput): Promise<SubmittedPrompt> {
    this.hit('submitPrompt');
    for (const node of Object.values(input.workflow)) {
      if (!this.classes.has(node.class_type)) {
        throw new ComfyRejectedError(
          {
            type: 'invalid_prompt',
            message: `Cannot execute because node ${node.class_type} does not exist.`,
          },
          [],
        );
      }
    }
    this.submitted.push(structuredClone(input));
    this.workflows.set(input.promptId, input.workflow);
    const number = this.number++;
    // Like ComfyUI, /queue hands extra_data back: the owner tag in it is what fair use counts.
    const tag = input.extraData?.[OWNER_TAG_KEY];
    this.pending.push({
      number,
      promptId: input.promptId,
      ...(typeof tag === 'string' ? { ownerTag: tag } : {}),
    });
    this.runNext();
    return { promptId: input.promptId, number };
  }

  async getQueue(): Promise<QueueSnapshot> {
    this.hit('getQueue');
    return { running: [...this.running], pending: [...this.pending] };
  }

  async getQueueRemaining(): Promise<number> {
    this.hit('getQueueRemaining');
    return this.running.length + this.pending.length;
  }

  async getHistory(promptId: string): Promise<ComfyRun | undefined> {
    this.historyReads.push(promptId);
    this.hit('getHistory');
    if (this.historyDown.has(promptId)) throw new ComfyUnavailableError('history read failed');
    const run = this.history.get(promptId);
    return run && structuredClone(run);
  }

  async listHistory(maxItems?: number): Promise<ComfyRun[]> {
    this.hit('listHistory');
    const runs = [...this.history.values()].map((r) => structuredClone(r));
    return maxItems === undefined ? runs : runs.slice(-maxItems);
  }

  async deleteHistory(promptIds: string[]): Promise<void> {
    this.hit('deleteHistory');
    for (const id of promptIds) {
      this.deletedHistory.push(id);
      this.history.delete(id);
    }
  }

  async lookup(promptId: string): Promise<LookupResult> {
    this.hit('lookup');
    const r = this.running.find((e) => e.promptId === promptId);
    if (r) return { state: 'running', number: r.number };
    const i = this.pending.findIndex((e) => e.promptId === promptId);
    const p = this.pending[i];
    if (p) return { state: 'pending', position: i, number: p.number };
    const run = this.history.get(promptId);
    return run ? { state: 'finished', run: structuredClone(run) } : { state: 'unknown' };
  }

  /** Pending: dequeued, no history. Running: interrupted, history says so. */
  async cancel(promptId: string): Promise<void> {
    this.cancelled.push(promptId);
    this.hit('cancel');
    this.pending = this.pending.filter((e) => e.promptId !== promptId);
    if (!this.running.some((e) => e.promptId === promptId)) return;
    const slowest = this.slowestNode(promptId);
    this.finish(promptId, { outcome: { kind: 'interrupted', ...slowest } });
    if (this.options.autoRun) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.runNext();
    }
  }

  async view(file: FileRef): Promise<ComfyView> {
    this.viewed.push(file.filename);
    this.hit('view');
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

  /** Same name and bytes keep the name; other bytes under a taken name get " (1)", " (2)", ... */
  async uploadImage(input: Parameters<ComfyClient['uploadImage']>[0]): Promise<UploadedImage> {
    this.hit('uploadImage');
    const chunks: Buffer[] = [];
    if (input.body instanceof Uint8Array) chunks.push(Buffer.from(input.body));
    else for await (const c of input.body) chunks.push(Buffer.from(c));
    const bytes = Buffer.concat(chunks);
    this.uploads.push({ filename: input.filename, bytes, contentType: input.contentType });
    const type = input.type ?? 'input';
    const subfolder = input.subfolder ?? '';
    const dot = input.filename.lastIndexOf('.');
    const [stem, ext] =
      dot > 0 ? [input.filename.slice(0, dot), input.filename.slice(dot)] : [input.filename, ''];
    let name = input.filename;
    for (let n = 1; ; n++) {
      const taken = this.files.get(fileKey({ filename: name, subfolder, type }));
      if (!taken || input.overwrite || taken.bytes.equals(bytes)) break;
      name = `${stem} (${n})${ext}`;
    }
    this.files.set(fileKey({ filename: name, subfolder, type }), {
      bytes,
      contentType: input.contentType,
    });
    return { name, subfolder, type };
  }

  async deleteFiles(input: Parameters<ComfyClient['deleteFiles']>[0]) {
    this.hit('deleteFiles');
    if (this.options.fileCleanup === false) return undefined;
    let deleted = 0;
    let missing = 0;
    for (const f of input.files) {
      if (this.files.delete(fileKey(f))) deleted++;
      else missing++;
    }
    for (const folder of input.folders) {
      const prefix = `${folder.type}|${folder.subfolder}`;
      const inside = [...this.files.keys()].filter(
        (k) => k.startsWith(`${prefix}|`) || k.startsWith(`${prefix}/`),
      );
      for (const k of inside) this.files.delete(k);
      if (inside.length > 0) deleted++;
      else missing++;
    }
    return { deleted, missing };
  }

  async getObjectInfo(nodeClass?: string): Promise<Record<string, unknown>> {
    this.hit('getObjectInfo');
    const names = nodeClass === undefined ? [...this.classes] : [nodeClass];
    return Object.fromEntries(
      names.filter((n) => this.classes.has(n)).map((n) => [n, { name: n }]),
    );
  }

  async listModels(): Promise<Record<string, string[]>> {
    this.hit('listModels');
    return { checkpoints: ['sd15.safetensors'], loras: [] };
  }

  async getSystemStats(): Promise<Record<string, unknown>> {
    this.hit('getSystemStats');
    return { system: { comfyui_version: '0.3.64' }, devices: [] };
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  // --- running by itself ------------------------------------------------------------------------

  private runNext() {
    if (!this.options.autoRun || this.running.length > 0) return;
    const next = this.pending.shift();
    if (!next) return;
    this.running = [next];
    const workflow = this.workflows.get(next.promptId) ?? {};
    const times = this.options.nodeTimeMs ?? {};
    const ms = Object.values(workflow).reduce((sum, n) => sum + (times[n.class_type] ?? 0), 0);
    const startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running[0]?.promptId !== next.promptId) return;
      this.finish(next.promptId, {
        outputs: this.save(workflow),
        startedAt,
        finishedAt: Date.now(),
      });
      this.runNext();
    }, ms);
  }

  /** SaveImage writes `<prefix>_00001_.png` (numbered per prefix) under the prefix's folder. */
  private save(workflow: ComfyWorkflow): ComfyOutputFile[] {
    const outputs: ComfyOutputFile[] = [];
    for (const [nodeId, node] of Object.entries(workflow)) {
      if (node.class_type !== 'SaveImage') continue;
      const prefix = String(node.inputs.filename_prefix ?? 'ComfyUI');
      const slash = prefix.lastIndexOf('/');
      const subfolder = slash >= 0 ? prefix.slice(0, slash) : '';
      const base = prefix.slice(slash + 1);
      const n = (this.counters.get(prefix) ?? 0) + 1;
      this.counters.set(prefix, n);
      const file = {
        nodeId,
        kind: 'images',
        filename: `${base}_${String(n).padStart(5, '0')}_.png`,
        subfolder,
        type: 'output',
      };
      this.addFile(file, PNG_BYTES, 'image/png');
      outputs.push(file);
    }
    return outputs;
  }

  /** The node an interrupt stops in: the slowest one of the prompt. */
  private slowestNode(promptId: string): { nodeId?: string; nodeType?: string } {
    const times = this.options.nodeTimeMs ?? {};
    let best: { nodeId: string; nodeType: string; ms: number } | undefined;
    for (const [nodeId, node] of Object.entries(this.workflows.get(promptId) ?? {})) {
      const ms = times[node.class_type] ?? 0;
      if (!best || ms > best.ms) best = { nodeId, nodeType: node.class_type, ms };
    }
    return best ? { nodeId: best.nodeId, nodeType: best.nodeType } : {};
  }
}
