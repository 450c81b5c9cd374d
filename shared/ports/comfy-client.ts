/**
 * ComfyUI as the rest of the product sees it. The one implementation over HTTP lives in
 * `shared/adapters/comfyui/`; it translates transport and HTTP failures into the errors in
 * `shared/adapters/comfyui/errors.ts` (ComfyUnavailableError is retryable, ComfyRejectedError is not).
 * Every shape is ComfyUI v0.3.64's (server.py, execution.py); responses captured from a real server
 * are in test/fixtures/comfy/, and the ComfyClient contract (docs/comfyui-contract.md) checks them.
 */
import type { Readable } from 'node:stream';
import type { ComfyNodeError } from '../domain/errors.js';
import type { ComfyWorkflow } from '../domain/task.js';

export interface SubmitPromptInput {
  /** Our task id: a canonical lowercase UUID, used as ComfyUI's prompt_id. */
  promptId: string;
  workflow: ComfyWorkflow;
  clientId: string;
  /** Sent as `extra_data` (e.g. `extra_pnginfo`); ComfyUI merges `client_id` into it. */
  extraData?: Record<string, unknown>;
}
export interface SubmittedPrompt {
  /** The id ComfyUI queued it under (servers older than v0.3.45 ignore ours and mint one). */
  promptId: string;
  number: number;
  /**
   * Outputs ComfyUI dropped while queueing the rest (a 200 with non-empty `node_errors`): present only
   * when some outputs failed validation and others did not.
   */
  nodeErrors?: ComfyNodeError[];
}

/** One `/queue` item: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export interface QueueEntry {
  number: number;
  promptId: string;
  /** The owner tag the dispatcher put in the prompt's `extra_data` (shared/dispatch/owner-tag.ts). */
  ownerTag?: string;
}
export interface QueueSnapshot {
  /** Sorted by number. */
  running: QueueEntry[];
  /** Sorted by number (execution order). */
  pending: QueueEntry[];
}

/** A file a node produced, as `/view` needs it (passed back verbatim). */
export interface ComfyOutputFile {
  nodeId: string;
  /** The output key it came under: images, gifs, videos, audio, 3d, ... */
  kind: string;
  filename: string;
  subfolder: string;
  type: string;
}

export type RunOutcome =
  | { kind: 'success' }
  | {
      kind: 'error';
      nodeId?: string;
      nodeType?: string;
      exceptionMessage: string;
      exceptionType?: string;
    }
  | { kind: 'interrupted'; nodeId?: string; nodeType?: string };

/** A finished prompt, read from `/history`. */
export interface ComfyRun {
  promptId: string;
  outcome: RunOutcome;
  outputs: ComfyOutputFile[];
  /** Epoch ms from status.messages, when present. */
  startedAt?: number;
  finishedAt?: number;
  /** Node ids served from cache (execution_cached). */
  cachedNodes: string[];
}

export type LookupResult =
  /** `position` is 0-based: 0 means it runs next. */
  | { state: 'pending'; position: number; number: number }
  | { state: 'running'; number: number }
  | { state: 'finished'; run: ComfyRun }
  | { state: 'unknown' };

export interface UploadedImage {
  name: string;
  subfolder: string;
  type: string;
}

export interface ComfyView {
  body: Readable;
  contentType: string;
  /** From Content-Length, when the server sent one. */
  size?: number;
}

/** A file at ComfyUI, as `/view` names it. */
export type ComfyFileRef = Pick<ComfyOutputFile, 'filename' | 'subfolder' | 'type'>;
/** A subfolder of ComfyUI's output, input or temp folder. */
interface ComfyFolderRef {
  subfolder: string;
  type: 'output' | 'input' | 'temp';
}

export interface ComfyClient {
  /** The server's base URL, also its identity in the pool. */
  readonly baseUrl: string;
  /** POST /prompt. 400 -> ComfyRejectedError (permanent). Never retried blindly. */
  submitPrompt(input: SubmitPromptInput): Promise<SubmittedPrompt>;
  /** GET /queue. */
  getQueue(): Promise<QueueSnapshot>;
  /** GET /prompt -> exec_info.queue_remaining. */
  getQueueRemaining(): Promise<number>;
  /** GET /history/{id}; undefined for `{}` (pending, running or unknown alike). */
  getHistory(promptId: string): Promise<ComfyRun | undefined>;
  /** GET /history?max_items=N. */
  listHistory(maxItems?: number): Promise<ComfyRun[]>;
  /** POST /history {delete:[id]}. */
  deleteHistory(promptIds: string[]): Promise<void>;
  /** Queue first, then history; /api/jobs/{id} where the server has it. */
  lookup(promptId: string): Promise<LookupResult>;
  /**
   * Cancel one prompt: delete it from the pending queue, or interrupt it by prompt id if it is running
   * (never a bare global interrupt), or use /api/jobs/{id}/cancel where supported.
   */
  cancel(promptId: string): Promise<void>;
  /** GET /view, streamed, never buffered whole. */
  view(file: Pick<ComfyOutputFile, 'filename' | 'subfolder' | 'type'>): Promise<ComfyView>;
  /** POST /upload/image (multipart `image`); returns the server's final name, which can differ. */
  uploadImage(input: {
    filename: string;
    body: Readable | Uint8Array;
    contentType: string;
    size?: number;
    subfolder?: string;
    overwrite?: boolean;
    /** Upload folder. @default 'input' */
    type?: 'input' | 'temp' | 'output';
  }): Promise<UploadedImage>;
  /**
   * Delete files and whole subfolders from ComfyUI's output, input and temp folders, through the
   * file-cleanup extension the project ships (`POST /comfy-serverless/delete`, see
   * infra/comfyui-extension/). Resolves undefined when the server does not have the extension.
   */
  deleteFiles(input: {
    files: ComfyFileRef[];
    folders: ComfyFolderRef[];
  }): Promise<{ deleted: number; missing: number } | undefined>;
  /** GET /object_info, or GET /object_info/{nodeClass} (`{}` for an unknown class). */
  getObjectInfo(nodeClass?: string): Promise<Record<string, unknown>>;
  /**
   * Model file names by folder: GET /models, then GET /models/{folder} for each model folder
   * (`custom_nodes` and `configs` are not read).
   */
  listModels(): Promise<Record<string, string[]>>;
  getSystemStats(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}
