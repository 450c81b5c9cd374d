/**
 * The stable codes a poller-ended task carries in `task.error.code`, and the errors the poller raises
 * while copying outputs.
 */
import { DomainError } from '../domain/errors.js';
import type { TaskError } from '../domain/task.js';
import type { RunOutcome } from '../ports/comfy-client.js';

export const FAILURE_CODES = {
  /** A node raised an exception; nodeId, nodeType and the message come from ComfyUI. */
  executionError: 'COMFYUI_EXECUTION_ERROR',
  /** The run was interrupted at ComfyUI, but not by us (e.g. from its web UI). */
  interrupted: 'COMFYUI_INTERRUPTED',
  /** ComfyUI forgot the task (restart) more often than MAX_REQUEUES allows. */
  lost: 'COMFYUI_LOST_TASK',
  /** Ran longer than RUN_TIMEOUT_SECONDS; interrupted. */
  runTimeout: 'TIMEOUT',
  /** Waited in ComfyUI's queue longer than QUEUE_TIMEOUT_SECONDS; removed from it. */
  queueTimeout: 'QUEUE_TIMEOUT',
  /** ComfyUI has not answered for longer than the queue and run timeouts together. */
  unavailable: 'COMFYUI_UNAVAILABLE',
  /** ComfyUI reported an output file that `/view` no longer has (404). */
  outputMissing: 'COMFYUI_OUTPUT_MISSING',
  /**
   * The outputs could not be copied into S3 within OUTPUT_COPY_MAX_ATTEMPTS attempts or
   * OUTPUT_COPY_MAX_SECONDS; `details` names the failing output and the S3 error code.
   */
  copyFailed: 'OUTPUT_COPY_FAILED',
  /**
   * The run made more output files than MAX_OUTPUTS_PER_TASK, or their records do not fit in the
   * task's DynamoDB item (400 KB): nothing is kept.
   */
  outputLimit: 'OUTPUT_LIMIT_EXCEEDED',
} as const;

/** Longest exception message kept on a task (ComfyUI appends tips and can be long). */
const MAX_MESSAGE_CHARS = 4000;

export function executionFailure(outcome: Extract<RunOutcome, { kind: 'error' }>): TaskError {
  return {
    code: FAILURE_CODES.executionError,
    message:
      outcome.exceptionMessage.trim().slice(0, MAX_MESSAGE_CHARS) || 'ComfyUI reported an error.',
    ...(outcome.nodeId !== undefined ? { nodeId: outcome.nodeId } : {}),
    ...(outcome.nodeType !== undefined ? { nodeType: outcome.nodeType } : {}),
    ...(outcome.exceptionType !== undefined
      ? { details: { exceptionType: outcome.exceptionType } }
      : {}),
  };
}

export function interruptedFailure(
  outcome: Extract<RunOutcome, { kind: 'interrupted' }>,
): TaskError {
  return {
    code: FAILURE_CODES.interrupted,
    message: 'The run was interrupted at ComfyUI without a cancel request.',
    ...(outcome.nodeId !== undefined ? { nodeId: outcome.nodeId } : {}),
    ...(outcome.nodeType !== undefined ? { nodeType: outcome.nodeType } : {}),
  };
}

/** A copy finished with fewer or more bytes than ComfyUI announced. Retried on the next poll. */
export class OutputCopyIncompleteError extends DomainError {
  readonly code = 'OUTPUT_COPY_INCOMPLETE';
  override readonly retryable = true;
  constructor(key: string, expected: number, copied: number) {
    super(`Copied ${copied} bytes to ${key}, but ComfyUI announced ${expected}.`);
  }
}

/** ComfyUI's history names an output file that `/view` does not have. Permanent. */
export class OutputMissingError extends DomainError {
  readonly code = FAILURE_CODES.outputMissing;
  constructor(
    readonly nodeId: string,
    readonly filename: string,
    options?: { cause?: unknown },
  ) {
    super(`ComfyUI no longer has output ${JSON.stringify(filename)} of node ${nodeId}.`, options);
  }
}

/** One output's copy failed (any cause but a missing file): counted towards OUTPUT_COPY_FAILED. */
export class OutputCopyError extends DomainError {
  readonly code = 'OUTPUT_COPY_ERROR';
  override readonly retryable = true;
  constructor(
    readonly output: { nodeId: string; filename: string; s3Key: string },
    cause: unknown,
  ) {
    super(
      `Copying output ${JSON.stringify(output.filename)} of node ${output.nodeId} failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }

  /**
   * The S3 (or other AWS) error code behind the failure, e.g. `AccessDenied`, found down the cause
   * chain; else the domain code of the failure (e.g. COMFYUI_UNAVAILABLE when `/view` failed).
   */
  get storeCode(): string | undefined {
    let e: unknown = this.cause;
    let domain: string | undefined;
    for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
      const o = e as { name?: unknown; code?: unknown; $metadata?: unknown; cause?: unknown };
      if (o.$metadata !== undefined && typeof o.name === 'string') return o.name;
      if (domain === undefined && e instanceof DomainError) domain = e.code;
      e = o.cause;
    }
    return domain;
  }
}
