/**
 * Domain errors: each a class with a stable SCREAMING_SNAKE `code`. HTTP statuses for them live in one
 * table, `shared/http/error-status.ts`. Adapters translate SDK and HTTP failures into these.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  /** True when trying the same thing again later may succeed. */
  readonly retryable: boolean = false;
  readonly details?: unknown;
  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.details !== undefined) this.details = options.details;
  }
}

export class InvalidRequestError extends DomainError {
  readonly code: string;
  constructor(message: string, details?: unknown, code = 'INVALID_REQUEST') {
    super(message, { details });
    this.code = code;
  }
}
/** A workflow uses a node class or an input value the deployment's workflow policy refuses. */
export class WorkflowPolicyViolationError extends DomainError {
  readonly code = 'WORKFLOW_POLICY_VIOLATION';
  constructor(message: string, issues: { path: (string | number)[]; message: string }[]) {
    super(message, { details: { issues } });
  }
}
/** A workflow asks for more than one of the owner's resource limits (which one is in details). */
export class WorkflowLimitExceededError extends DomainError {
  readonly code = 'WORKFLOW_LIMIT_EXCEEDED';
  constructor(
    message: string,
    details: { limit: string; max: number; value?: number; issues: unknown[] },
  ) {
    super(message, { details });
  }
}
/** A JSON request body nested deeper than the parser accepts. */
export class BodyTooDeepError extends DomainError {
  readonly code = 'BODY_TOO_DEEP';
}
export class PayloadTooLargeError extends DomainError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}
export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';
  constructor(message = 'A valid API key (x-api-key header) or bearer token is required.') {
    super(message);
  }
}
export class TaskNotFoundError extends DomainError {
  readonly code = 'TASK_NOT_FOUND';
  constructor(taskId: string) {
    super(`No task ${taskId} was found.`);
  }
}
export class UploadNotFoundError extends DomainError {
  readonly code = 'UPLOAD_NOT_FOUND';
  constructor(uploadId: string) {
    super(`No upload ${uploadId} was found.`);
  }
}
export class TemplateNotFoundError extends DomainError {
  readonly code = 'TEMPLATE_NOT_FOUND';
  constructor(name: string) {
    super(`No template named ${JSON.stringify(name)} exists. GET /v1/templates lists them.`);
  }
}
export class TaskNotCancellableError extends DomainError {
  readonly code = 'TASK_NOT_CANCELLABLE';
  constructor(taskId: string, status: string) {
    super(`Task ${taskId} is ${status} and can no longer be cancelled.`);
  }
}
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('This Idempotency-Key was already used with a different request body.');
  }
}
export class TooManyActiveTasksError extends DomainError {
  readonly code = 'TOO_MANY_ACTIVE_TASKS';
  constructor(limit: number) {
    super(`You already have ${limit} active tasks, the most allowed; wait for some to finish.`);
  }
}
/** The owner made more requests than its rate limit allows; retry after `retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests; retry after ${retryAfterSeconds} s.`);
  }
}
/** A conditional write lost: the task was not in the expected state/version. */
export class TaskStateConflictError extends DomainError {
  readonly code = 'TASK_STATE_CONFLICT';
  override readonly retryable = true;
}
export class InvalidTransitionError extends DomainError {
  readonly code = 'INVALID_TRANSITION';
  constructor(from: string, to: string) {
    super(`A task cannot go from ${from} to ${to}.`);
  }
}
/** An object (S3 key) that does not exist. */
export class ObjectNotFoundError extends DomainError {
  readonly code = 'OBJECT_NOT_FOUND';
  constructor(readonly key: string) {
    super(`No stored object ${key} was found.`);
  }
}
/** A dependency (DynamoDB, SQS, S3) failed in a way that may pass. */
export class DependencyUnavailableError extends DomainError {
  readonly code = 'DEPENDENCY_UNAVAILABLE';
  override readonly retryable = true;
}

/** ComfyUI could not be reached, reset the connection, timed out, or answered 5xx. Retryable. */
export class ComfyUnavailableError extends DomainError {
  readonly code = 'COMFYUI_UNAVAILABLE';
  override readonly retryable = true;
}
/** One node's validation errors from a 400 on POST /prompt. */
export interface ComfyNodeError {
  nodeId: string;
  classType?: string;
  errors: { type: string; message: string; details?: string; inputName?: string }[];
}
/** ComfyUI refused the workflow (400 on POST /prompt). Permanent: never retried. */
export class ComfyRejectedError extends DomainError {
  readonly code = 'COMFYUI_REJECTED';
  constructor(
    readonly error: { type: string; message: string; details?: string },
    readonly nodeErrors: ComfyNodeError[],
  ) {
    super(`ComfyUI rejected the workflow: ${error.message}`, { details: { error, nodeErrors } });
  }
}
/** ComfyUI answered, but not in a shape we understand. */
export class ComfyProtocolError extends DomainError {
  readonly code = 'COMFYUI_BAD_RESPONSE';
}
/** ComfyUI answered 4xx (other than a /prompt rejection), e.g. a /view file that is gone. */
export class ComfyRequestError extends DomainError {
  readonly code: string;
  constructor(
    message: string,
    readonly status: number,
    code = status === 404 ? 'COMFYUI_NOT_FOUND' : 'COMFYUI_REQUEST_FAILED',
  ) {
    super(message);
    this.code = code;
  }
}
