/**
 * Names shared by the functions (which emit logs and EMF metrics) and the CDK app (which builds the
 * dashboard and alarms on them). Pure constants: importing this file has no side effects.
 */

/** Powertools service name: the `service` dimension on every metric. */
export const SERVICE_NAME = 'comfy-serverless';

/** CloudWatch namespace of the product's EMF metrics. */
export const METRICS_NAMESPACE = 'ComfyServerless';

/** Business metrics the functions emit (PascalCase, see shared/observability.ts). */
export const TASK_METRICS = {
  submitted: 'TasksSubmitted',
  dispatched: 'TasksDispatched',
  completed: 'TasksCompleted',
  failed: 'TasksFailed',
  cancelled: 'TasksCancelled',
  /** Milliseconds from ComfyUI finishing a task to its outputs being in S3 and the task terminal. */
  resultLagMs: 'ResultLagMs',
  /**
   * Milliseconds from submission to the start of execution at ComfyUI (SQS wait plus ComfyUI's queue),
   * emitted by the poller when the task ends.
   */
  queueWaitMs: 'QueueWaitMs',
  /** Milliseconds a task ran at ComfyUI. */
  runTimeMs: 'RunTimeMs',
  /**
   * Per poll, the longest any active task went unlooked-at: now minus the later of the previous poll
   * (across invocations, via the lease item) and the task's dispatch.
   */
  pollerLagSeconds: 'PollerLagSeconds',
  /** Tasks failed by the dead-letter consumer (their dispatch ran out of receives). */
  deadLettered: 'TasksDeadLettered',
  /** Dispatches that failed for a retryable reason (mostly ComfyUI unreachable); SQS retries them. */
  dispatchRetries: 'DispatchRetries',
  /** Dispatcher calls to ComfyUI that failed because the server could not be reached. */
  comfyUnavailable: 'ComfyUnavailable',
  /** Count of ComfyUI servers the poller could not reach during a poll. */
  comfyServersUnreachable: 'ComfyServersUnreachable',
} as const;

/** The dispatcher's and dead-letter consumer's metrics (counts), besides the task ones above. */
export const DISPATCH_METRICS = {
  /** ComfyUI refused the workflow (400): the task failed without retry. */
  rejected: 'TasksRejected',
  /** Every server was full: the task went back to the queue with a delay (not a failure). */
  deferred: 'DispatchDeferred',
  /** A message was acknowledged without work: task unknown, cancelled, already at ComfyUI or done. */
  dropped: 'DispatchDropped',
  /** A record failed for a retryable reason and will be redelivered. */
  retries: 'DispatchRetries',
  /** A dead-lettered task was marked failed with COMFYUI_UNAVAILABLE. */
  deadLettered: 'TasksDeadLettered',
} as const;

/** The GPU fleet's metrics: scale events and capacity (the controller), time to capacity (the dispatcher). */
export const FLEET_METRICS = {
  /** GPUs started by the controller. */
  started: 'GpusStarted',
  /** GPUs stopped by the controller (idle, no longer wanted, or not booting in time). */
  stopped: 'GpusStopped',
  /** GPUs the backlog wants (within min and max), per controller tick. */
  desired: 'GpusDesired',
  /** GPUs up or on their way up, per controller tick. */
  live: 'GpusLive',
  /** Tasks queued or at ComfyUI per live GPU, per controller tick. */
  backlogPerGpu: 'BacklogPerGpu',
  /** Milliseconds a task waited for a GPU to start, from finding none up to its dispatch. */
  gpuWaitMs: 'GpuWaitMs',
} as const;

/** The webhook sender's metrics (and the emitter's, in every function that changes tasks). */
export const WEBHOOK_METRICS = {
  delivered: 'WebhooksDelivered',
  /** An attempt failed (non-2xx, timeout, refused address); a retry follows unless abandoned. */
  failedAttempts: 'WebhookAttemptsFailed',
  /** The retry schedule ran out: the event went to the webhook dead-letter queue. */
  abandoned: 'WebhooksAbandoned',
  /** A duplicate message of an event already delivered, or a task that no longer exists. */
  skipped: 'WebhooksSkipped',
  /** Milliseconds from the event to a delivered 2xx. */
  lagMs: 'WebhookLagMs',
  /** An event the emitter could not queue after its retries. */
  enqueueFailed: 'WebhookEnqueueFailed',
} as const;
