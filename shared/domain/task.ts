/**
 * The task: one user request to run one ComfyUI workflow, and the only state machine in the product.
 * Every status change anywhere in the code goes through {@link assertTransition}, and every store write
 * is conditional on the status it expects (see the TaskRepository port).
 */

import { InvalidTransitionError } from './errors.js';
import type { OutputFormat } from './output-format.js';
import type { WebhookDelivery, WebhookSubscription } from './webhook.js';

export const TASK_STATUSES = [
  'queued',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
]);
/** Statuses in which ComfyUI holds (or may hold) the task: the poller's working set. */
export const AT_COMFY_STATUSES: ReadonlySet<TaskStatus> = new Set(['dispatched', 'running']);

/**
 * The allowed transitions, in one place.
 * - `dispatched|running -> queued`: ComfyUI lost the task (restart) and it is re-queued to SQS.
 * - `queued -> failed`: rejected by ComfyUI (400) or dead-lettered (COMFYUI_UNAVAILABLE).
 */
const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  queued: ['dispatched', 'running', 'succeeded', 'failed', 'cancelled'],
  dispatched: ['running', 'succeeded', 'failed', 'cancelled', 'queued'],
  running: ['succeeded', 'failed', 'cancelled', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export const isTerminal = (s: TaskStatus): boolean => TERMINAL_STATUSES.has(s);
export const canTransition = (from: TaskStatus, to: TaskStatus): boolean =>
  TRANSITIONS[from].includes(to);
export function assertTransition(from: TaskStatus, to: TaskStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}

/** A ComfyUI workflow in API format: node id -> { class_type, inputs }. */
export type ComfyWorkflow = Record<string, ComfyNode>;
interface ComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

/** Why a task failed or was cancelled. `code` is a stable SCREAMING_SNAKE string. */
export interface TaskError {
  code: string;
  message: string;
  nodeId?: string;
  nodeType?: string;
  details?: unknown;
}

/** The error every task cancelled at its owner's request ends with, whichever part ends it. */
export const CANCELLED_ERROR: Readonly<TaskError> = Object.freeze({
  code: 'CANCELLED',
  message: 'The task was cancelled at the caller\u2019s request.',
});

/** One output file, stored in S3 under the task's own prefix. */
export interface TaskOutput {
  nodeId: string;
  filename: string;
  /** ComfyUI's subfolder and type, as ComfyUI reported them (used to read `/view`). */
  subfolder: string;
  type: string;
  s3Key: string;
  contentType: string;
  size: number;
  /** Set when the output was converted to the task's output format: what ComfyUI wrote. */
  original?: { filename: string; contentType: string; size: number };
}

/**
 * How far a running task has come, from ComfyUI's WebSocket messages. `fraction` (0..1) covers the
 * whole workflow and never goes back; `step`/`steps` are those of the node executing now.
 */
export interface TaskProgress {
  fraction: number;
  step?: number;
  steps?: number;
  nodeId?: string;
  nodeType?: string;
  updatedAt: string;
}

/** The record of a copy of outputs that keeps failing: bounded by attempts and by time. */
interface CopyFailures {
  attempts: number;
  /** When the first attempt failed. */
  firstAt: string;
  /** When the latest attempt failed (the next waits a backoff after it). */
  lastAt: string;
  /**
   * The run's output files as ComfyUI listed them: the next attempts copy from this list, so a
   * ComfyUI that forgets the run (a restart clears its history, not its files) does not make the
   * task count as lost and run again.
   */
  outputs?: { nodeId: string; kind: string; filename: string; subfolder: string; type: string }[];
  /** The latest failure: the output it was copying and the storage error. */
  last?: {
    output: { nodeId: string; filename: string; s3Key: string };
    s3ErrorCode?: string;
    message: string;
  };
}

export interface Task {
  taskId: string;
  owner: string;
  status: TaskStatus;
  createdAt: string;
  updatedAt: string;
  /** When ComfyUI accepted it (latest dispatch). */
  dispatchedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The workflow to run, with `upload:<id>` references still in place (rewritten at dispatch). */
  workflow: ComfyWorkflow;
  /** Template name when submitted from a template. */
  template?: string;
  metadata?: Record<string, unknown>;
  /** The format still images are stored in (converted by the poller while copying). */
  outputFormat?: OutputFormat;
  idempotencyKey?: string;
  /**
   * Set when the dispatch message could not be sent after the task was stored; an idempotent retry of
   * the same submit re-sends it and clears the flag.
   */
  enqueuePending?: boolean;
  /**
   * While queued: until when one dispatcher holds the task to submit it to ComfyUI (a conditional
   * write before POST /prompt, so two copies of its message never both submit). A holder that dies
   * leaves it to expire.
   */
  dispatchClaimUntil?: string;
  /** While queued: since when the task waits for a GPU to start (the fleet is scaling out for it). */
  waitingForGpuSince?: string;
  /** Set by a cancel request while ComfyUI holds the task; the dispatcher or poller carries it out. */
  cancelRequested?: boolean;
  /** The ComfyUI server (base URL) that has, or is being given, the task. */
  comfyServer?: string;
  /** ComfyUI's queue `number` of the latest dispatch. */
  comfyNumber?: number;
  /** 0-based position among pending prompts at ComfyUI, kept current by the poller. */
  queuePosition?: number;
  /**
   * While queued: since when the task has waited without a sign that its dispatch message is alive
   * (entering `queued`, a dispatcher looking at it while it waits for room, a re-send). The sweeper
   * re-sends the message of a task queued too long (see shared/use-cases/sweep-queued.ts).
   */
  queuedAt?: string;
  /** How many times the sweeper re-sent the task's dispatch message because it seemed lost. */
  resends?: number;
  /** How many times the task was sent back to SQS because ComfyUI lost it. */
  requeues: number;
  /** Consecutive polls in which ComfyUI had neither queue nor history for the task. */
  missingPolls: number;
  /** Failed attempts to copy a finished run's outputs into S3 (absent once none failed). */
  copyFailures?: CopyFailures;
  error?: TaskError;
  outputs: TaskOutput[];
  /** Where to send which events (POST /v1/tasks `webhook`). */
  webhook?: WebhookSubscription;
  /** What became of each event's delivery, by event type (written by the webhook sender). */
  deliveries?: Record<string, WebhookDelivery>;
  /** Live progress while running (from ComfyUI's WebSocket). */
  progress?: TaskProgress;
  /**
   * Counts progress writes. Progress is written beside the task's state, without `version` (so the
   * poller's conditional writes never conflict with it); a reader's version is the sum of both.
   */
  progressSeq?: number;
  /** Increments on every write; writes are conditional on it as well as on status. */
  version: number;
}
