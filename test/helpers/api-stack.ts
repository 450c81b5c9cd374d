/**
 * The API functions wired exactly as their index.ts wires them (each function's deps.ts: DynamoDB,
 * SQS and S3 adapters), pointed at a fresh test stack on the emulators, with silent logs and a
 * stepping clock, and helpers to call each route and to read what reached the queue and the table.
 */

import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { buildDeps as cancelDeps } from '../../functions/cancel/deps.js';
import { createHandler as createCancel } from '../../functions/cancel/handler.js';
import { buildDeps as uploadDeps } from '../../functions/create-upload/deps.js';
import { createHandler as createUpload } from '../../functions/create-upload/handler.js';
import { buildDeps as listDeps } from '../../functions/list/deps.js';
import { createHandler as createList } from '../../functions/list/handler.js';
import { buildDeps as modelsDeps } from '../../functions/models/deps.js';
import { createHandler as createModels } from '../../functions/models/handler.js';
import { buildDeps as statusDeps } from '../../functions/status/deps.js';
import { createHandler as createStatus } from '../../functions/status/handler.js';
import { buildDeps as submitDeps } from '../../functions/submit/deps.js';
import { createHandler as createSubmit } from '../../functions/submit/handler.js';
import { buildDeps as templatesDeps } from '../../functions/templates/deps.js';
import { createHandler as createTemplates } from '../../functions/templates/handler.js';
import { decodeDispatchMessage } from '../../shared/adapters/sqs/dispatch-message.js';
import type { ApiObservability } from '../../shared/http/api-handler.js';
import type { Clock } from '../../shared/ports/clock.js';
import { silentObservability } from './api-deps.js';
import { apiEvent, lambdaContext } from './api-events.js';
import { createTestStack, type TestStack } from './stack.js';

/** Real time, but never the same millisecond twice, so "newest first" is deterministic. */
function steppingClock(): Clock {
  let last = 0;
  return { now: () => (last = Math.max(last + 1, Date.now())) };
}

export async function createApiStack(env: Record<string, string> = {}) {
  const stack: TestStack = await createTestStack();
  const config = stack.config(env);
  const clock = steppingClock();
  // Silent logs (the per-owner rate limit kept), one stepping clock for every function.
  const quiet = <D extends { obs: ApiObservability }>(d: D): D => ({
    ...d,
    obs: {
      ...silentObservability(),
      ...(d.obs.rateLimit ? { rateLimit: d.obs.rateLimit } : {}),
    },
    clock,
  });
  const deps = quiet(submitDeps(config, stack.clients));
  const handlers = {
    submit: createSubmit(deps),
    status: createStatus(quiet(statusDeps(config, stack.clients))),
    list: createList(quiet(listDeps(config, stack.clients))),
    cancel: createCancel(quiet(cancelDeps(config, stack.clients))),
    templates: createTemplates(quiet(templatesDeps(config, stack.clients))),
    upload: createUpload(quiet(uploadDeps(config, stack.clients))),
    models: createModels(quiet(modelsDeps(config, stack.clients))),
  };
  const ctx = lambdaContext();
  return {
    stack,
    deps,
    submit: (body: unknown, opts: { owner?: string; headers?: Record<string, string> } = {}) =>
      handlers.submit(apiEvent({ method: 'POST', path: '/v1/tasks', body, ...opts }), ctx),
    /** Submit through a handler built with some dependencies replaced (e.g. a broken queue). */
    submitWith: (
      overrides: Partial<typeof deps>,
      body: unknown,
      opts: { owner?: string; headers?: Record<string, string> } = {},
    ) =>
      createSubmit({ ...deps, ...overrides })(
        apiEvent({ method: 'POST', path: '/v1/tasks', body, ...opts }),
        ctx,
      ),
    status: (taskId: string, owner = 'alice') =>
      handlers.status(
        apiEvent({ path: `/v1/tasks/${taskId}`, pathParameters: { taskId }, owner }),
        ctx,
      ),
    list: (query: Record<string, string> = {}, owner = 'alice') =>
      handlers.list(apiEvent({ path: '/v1/tasks', query, owner }), ctx),
    cancel: (taskId: string, owner = 'alice') =>
      handlers.cancel(
        apiEvent({
          method: 'POST',
          path: `/v1/tasks/${taskId}/cancel`,
          pathParameters: { taskId },
          owner,
        }),
        ctx,
      ),
    templates: () => handlers.templates(apiEvent({ path: '/v1/templates' }), ctx),
    models: () => handlers.models(apiEvent({ path: '/v1/models' }), ctx),
    upload: (body: unknown, owner = 'alice') =>
      handlers.upload(apiEvent({ method: 'POST', path: '/v1/uploads', body, owner }), ctx),
    /** Task ids of every message now on the dispatch queue (received and deleted). */
    async drainQueue(): Promise<string[]> {
      const ids: string[] = [];
      for (let empty = 0; empty < 2; ) {
        const out = await stack.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: stack.names.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
          }),
        );
        const msgs = out.Messages ?? [];
        if (msgs.length === 0) empty++;
        for (const m of msgs) {
          ids.push(decodeDispatchMessage(m.Body ?? '').taskId);
          await stack.clients.sqs.send(
            new DeleteMessageCommand({
              QueueUrl: stack.names.queueUrl,
              ReceiptHandle: m.ReceiptHandle,
            }),
          );
        }
      }
      return ids;
    },
    /** Number of items in the tasks table (tasks, idempotency claims, uploads). */
    async tableItems(): Promise<number> {
      const out = await stack.clients.doc.send(
        new ScanCommand({ TableName: stack.names.tasksTable, Select: 'COUNT' }),
      );
      return out.Count ?? 0;
    },
  };
}
export type ApiStack = Awaited<ReturnType<typeof createApiStack>>;
