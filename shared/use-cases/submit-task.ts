/**
 * POST /v1/tasks: validate the workflow (raw or from a template), enforce the workflow policy on it
 * (node classes, file inputs, the owner's resource limits), check it against the servers' node
 * catalogue when one is published (see catalog/preflight.ts), check its uploads and the owner's
 * cap on active tasks, store the task (claiming the Idempotency-Key, if any), then enqueue it.
 *
 * Enqueue failures never leave a task silently stuck where the caller can reach it:
 * - with an Idempotency-Key, the task stays `queued` with `enqueuePending` and the caller gets 503;
 *   retrying with the same key and body re-sends the message (and only then: a replay of a task whose
 *   message went out sends nothing, so one key gives one message);
 * - without one, the caller cannot find the task again, so it is marked `failed` (ENQUEUE_FAILED).
 * Left open: a crash between the store and the send, without a retry, leaves a `queued` task with no
 * message (see docs/api.md, "Known limits").
 */

import type { CatalogSource } from '../catalog/catalog-cache.js';
import { assertRunnable } from '../catalog/preflight.js';
import {
  DependencyUnavailableError,
  InvalidRequestError,
  TooManyActiveTasksError,
} from '../domain/errors.js';
import type { IdGenerator } from '../domain/ids.js';
import { assertFormatApplies, type OutputFormat } from '../domain/output-format.js';
import type { Task } from '../domain/task.js';
import { DEFAULT_WEBHOOK_EVENTS, type WebhookEventType } from '../domain/webhook.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { IdempotencyClaim, TaskRepository } from '../ports/task-repository.js';
import type { WebhookSecretStore } from '../ports/webhook-secrets.js';
import type { TemplateCatalog } from '../templates/catalog.js';
import { checkTarget, type HostResolver, type TargetPolicy } from '../webhooks/target.js';
import { enforceWorkflowPolicy, type WorkflowPolicy } from '../workflow/policy.js';
import { type ResourceLimits, withOverrides } from '../workflow/resource-limits.js';
import type { ValidatedWorkflow } from '../workflow/validate-workflow.js';
import { validateWorkflow } from '../workflow/validate-workflow.js';
import { type CheckUploadsDeps, checkUploads } from './check-uploads.js';

export interface SubmitTaskDeps extends CheckUploadsDeps {
  tasks: TaskRepository;
  queue: TaskQueue;
  templates: TemplateCatalog;
  clock: Clock;
  ids: IdGenerator;
  maxActiveTasksPerOwner: number;
  /** Node classes, file inputs and the deployment's resource limits (docs/security.md). */
  workflowPolicy: WorkflowPolicy;
  /**
   * The servers' node catalogue: when one is published, a workflow they would refuse is refused
   * here (400 with the input's path). Absent or empty: ComfyUI's own check at dispatch applies.
   */
  catalog?: CatalogSource;
  /**
   * Runs after the task is stored and before its message is sent: a fault-injection point (the
   * chaos suite throws here to play a submit killed in between; the sweeper must then end the task).
   * @default none
   */
  afterStore?: (task: Task) => Promise<void>;
  /** Checking webhook URLs and the owner's signing secret. Without it, `webhook` is refused. */
  webhooks?: WebhookSubmitDeps;
}

interface WebhookSubmitDeps {
  resolver: HostResolver;
  policy: TargetPolicy;
  secrets: Pick<WebhookSecretStore, 'get'>;
}

export interface SubmitTaskInput {
  owner: string;
  /** Exactly one of `workflow` and `template` (the request schema enforces it). */
  workflow?: unknown;
  template?: string;
  params?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** Convert still images to this format while copying them to S3. */
  output?: OutputFormat;
  webhook?: { url: string; events?: WebhookEventType[] };
  idempotency?: IdempotencyClaim;
  /** The owner's own resource limits (from their key record), replacing the deployment's field by field. */
  limits?: Partial<ResourceLimits>;
}

export interface SubmitTaskResult {
  task: Task;
  /** False when an Idempotency-Key replay returned an existing task. */
  created: boolean;
}

function resolveWorkflow(
  templates: TemplateCatalog,
  input: Pick<SubmitTaskInput, 'workflow' | 'template' | 'params'>,
): ValidatedWorkflow {
  if (input.template !== undefined) return templates.get(input.template).render(input.params);
  return validateWorkflow(input.workflow);
}

export async function submitTask(
  deps: SubmitTaskDeps,
  input: SubmitTaskInput,
): Promise<SubmitTaskResult> {
  const { workflow, uploadIds } = resolveWorkflow(deps.templates, input);
  const policy = deps.workflowPolicy;
  const path =
    input.template === undefined ? ['body', 'workflow'] : ['template', input.template, 'workflow'];
  enforceWorkflowPolicy(
    workflow,
    { ...policy, limits: withOverrides(policy.limits, input.limits) },
    path,
  );
  if (input.output) assertFormatApplies(workflow, input.output);
  const catalog = await deps.catalog?.();
  if (catalog) assertRunnable(catalog, workflow, path);
  await checkUploads(deps, input.owner, uploadIds);
  if (input.webhook) await checkWebhook(deps, input.owner, input.webhook.url);
  const cap = deps.maxActiveTasksPerOwner;
  if ((await deps.tasks.countActive(input.owner, cap)) >= cap) {
    throw new TooManyActiveTasksError(cap);
  }
  const now = isoAt(deps.clock);
  const task: Task = {
    taskId: deps.ids.next(),
    owner: input.owner,
    status: 'queued',
    createdAt: now,
    updatedAt: now,
    // Since when it waits: the sweeper re-sends its message if nothing moves it on for too long.
    queuedAt: now,
    workflow,
    requeues: 0,
    missingPolls: 0,
    outputs: [],
    version: 1,
  };
  if (input.template !== undefined) task.template = input.template;
  if (input.metadata !== undefined) task.metadata = input.metadata;
  if (input.output !== undefined) task.outputFormat = input.output;
  if (input.idempotency) task.idempotencyKey = input.idempotency.key;
  if (input.webhook) {
    task.webhook = {
      url: input.webhook.url,
      events: [...new Set(input.webhook.events ?? DEFAULT_WEBHOOK_EVENTS)],
    };
    task.deliveries = {};
  }

  const result = await deps.tasks.create(task, input.idempotency);
  if (result.created) {
    await deps.afterStore?.(result.task);
    await enqueueNew(deps, result.task, input.idempotency !== undefined);
    return { task: result.task, created: true };
  }
  const existing = result.task;
  if (existing.status === 'queued' && existing.enqueuePending) {
    return { task: await resend(deps, existing), created: false };
  }
  return { task: existing, created: false };
}

/** A bad URL, or an owner without a signing secret, is a 400 before anything is stored. */
async function checkWebhook(deps: SubmitTaskDeps, owner: string, url: string) {
  if (!deps.webhooks) {
    throw new InvalidRequestError(
      'Webhooks are not available on this deployment.',
      { issues: [{ path: ['body', 'webhook'], message: 'not available' }] },
      'WEBHOOKS_NOT_AVAILABLE',
    );
  }
  await checkTarget(url, deps.webhooks.resolver, deps.webhooks.policy);
  if (!(await deps.webhooks.secrets.get(owner))) {
    throw new InvalidRequestError(
      'This owner has no webhook signing secret yet; an operator creates one with `npm run keys -- webhook-secret create --owner <owner>`.',
      { issues: [{ path: ['body', 'webhook'], message: 'no signing secret' }] },
      'WEBHOOK_SECRET_MISSING',
    );
  }
}

async function enqueueNew(deps: SubmitTaskDeps, task: Task, retryable: boolean) {
  try {
    await deps.queue.send({ taskId: task.taskId });
    return;
  } catch (err) {
    const change = retryable
      ? { enqueuePending: true }
      : {
          status: 'failed' as const,
          finishedAt: isoAt(deps.clock),
          error: { code: 'ENQUEUE_FAILED', message: 'The task could not be queued; submit again.' },
        };
    // Best effort: if this write fails too, the task stays queued (documented above).
    await deps.tasks.update(task.taskId, { status: 'queued' }, change).catch(() => undefined);
    throw new DependencyUnavailableError(
      retryable
        ? 'The task was stored but could not be queued; retry with the same Idempotency-Key.'
        : 'The task could not be queued; submit again (an Idempotency-Key makes retries safe).',
      { cause: err },
    );
  }
}

async function resend(deps: SubmitTaskDeps, task: Task): Promise<Task> {
  try {
    await deps.queue.send({ taskId: task.taskId });
  } catch (err) {
    throw new DependencyUnavailableError(
      'The task is stored but still could not be queued; retry with the same Idempotency-Key.',
      { cause: err },
    );
  }
  return deps.tasks
    .update(task.taskId, { status: 'queued' }, {}, ['enqueuePending'])
    .catch(() => task);
}
