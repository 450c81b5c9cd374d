/**
 * The poller against real adapters on the emulators (DynamoDB Local, fauxqs S3/SQS) and the ComfyUI
 * stand-in over HTTP: tasks are created in DynamoDB and dispatched with the real dispatch use-case.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { buildDeps as buildPollerDeps } from '../../../functions/poller/deps.js';
import {
  type ComfyStandIn,
  type StandInOptions,
  startComfyStandIn,
} from '../../../infra/local/comfy-standin/index.js';
import { decodeDispatchMessage } from '../../../shared/adapters/sqs/dispatch-message.js';
import { ComfySlots } from '../../../shared/dispatch/comfy-slots.js';
import type { ComfyWorkflow, Task } from '../../../shared/domain/task.js';
import { logger } from '../../../shared/observability.js';
import type { PollReport } from '../../../shared/poller/report.js';
import { cancelTask } from '../../../shared/use-cases/cancel-task.js';
import { dispatchTask } from '../../../shared/use-cases/dispatch-task.js';
import { pollTasks } from '../../../shared/use-cases/poll-tasks.js';
import { aTask } from '../../fakes/tasks.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

export interface PollerRig {
  stack: TestStack;
  comfy: ComfyStandIn;
  deps: ReturnType<typeof buildPollerDeps>;
  /** The environment overrides the rig's config was built with (for a second poller). */
  configOverrides: Record<string, string>;
  /** Create a queued task and dispatch it to the stand-in. */
  submit(workflow: ComfyWorkflow, overrides?: Partial<Task>): Promise<Task>;
  /** Dispatch a queued task (e.g. after a re-queue). */
  dispatch(taskId: string): Promise<string>;
  cancel(task: Task): Promise<void>;
  poll(): Promise<PollReport>;
  /** Poll until `done(task)` holds, or fail after `timeoutMs`. */
  pollUntil(taskId: string, done: (t: Task) => boolean, timeoutMs?: number): Promise<Task>;
  /** Messages on the dispatch queue (received and deleted by visibility timeout only). */
  receiveDispatchMessages(): Promise<string[]>;
  get(taskId: string): Promise<Task>;
  close(): Promise<void>;
}

export async function pollerRig(
  env: Record<string, string> = {},
  standIn: StandInOptions = {},
): Promise<PollerRig> {
  const stack = await createTestStack();
  const comfy = await startComfyStandIn({ executionMs: 50, ...standIn });
  const configOverrides = {
    COMFYUI_URLS: comfy.url,
    POLL_INTERVAL_MS: '50',
    POLLER_LOST_GRACE_MS: '0',
    ...env,
  };
  const config = stack.config(configOverrides);
  const deps = buildPollerDeps(config, stack.clients);
  logger.setLogLevel('SILENT');
  const client = deps.comfyFor(comfy.url);

  const get = async (taskId: string) => {
    const t = await deps.tasks.get(taskId);
    if (!t) throw new Error(`no task ${taskId}`);
    return t;
  };
  const dispatch = async (taskId: string) => {
    const slots = new ComfySlots([client], {
      maxInFlight: 100,
      queueCacheMs: 0,
      holdPollMs: 50,
      clock: deps.clock,
    });
    const outcome = await dispatchTask(
      {
        tasks: deps.tasks,
        artifacts: deps.artifacts,
        slots,
        clock: deps.clock,
        settings: {
          clientId: 'poller-tests',
          defer: { baseSeconds: 1, maxSeconds: 1 },
          recheckEvery: 5,
          queueTimeoutSeconds: 3600,
          claimSeconds: 60,
          queuedHeartbeatMs: 600_000,
        },
      },
      { taskId },
      { receiveCount: 1, log: logger },
    );
    return outcome.kind;
  };
  // One poll at a time, as the poller's lease makes it deployed: callers that ask while one runs
  // (two pollUntil at once) share it. Two overlapping polls could both act on one task, one of
  // them on a version the other has just changed.
  let polling: ReturnType<typeof pollTasks> | undefined;
  const poll = () => {
    polling ??= pollTasks(deps).finally(() => {
      polling = undefined;
    });
    return polling;
  };
  return {
    stack,
    comfy,
    deps,
    configOverrides,
    get,
    dispatch,
    poll,
    async submit(workflow, overrides = {}) {
      const now = new Date().toISOString();
      const task = aTask({ workflow, createdAt: now, updatedAt: now, ...overrides });
      await deps.tasks.create(task);
      const outcome = await dispatch(task.taskId);
      if (outcome !== 'dispatched') throw new Error(`dispatch gave ${outcome}`);
      return get(task.taskId);
    },
    async cancel(task) {
      await cancelTask({ tasks: deps.tasks, clock: deps.clock }, task.owner, task.taskId);
    },
    async pollUntil(taskId, done, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await poll();
        const t = await get(taskId);
        if (done(t)) return t;
        if (Date.now() > deadline)
          throw new Error(`task ${taskId} still ${t.status} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async receiveDispatchMessages() {
      const out = await stack.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.names.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 3,
        }),
      );
      return (out.Messages ?? []).map((m) => decodeDispatchMessage(m.Body ?? '').taskId);
    },
    async close() {
      await comfy.stop();
    },
  };
}
