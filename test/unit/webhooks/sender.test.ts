import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/webhook-sender/handler.js';
import { ensureWebhookSecret } from '../../../shared/auth/webhook-secret-admin.js';
import type { Task } from '../../../shared/domain/task.js';
import { webhookIdFor } from '../../../shared/domain/webhook.js';
import type { WebhookMessage } from '../../../shared/ports/webhook-queue.js';
import type { WebhookAttemptResult } from '../../../shared/ports/webhook-transport.js';
import { STANDARD_RETRY_DELAYS_SECONDS } from '../../../shared/webhooks/schedule.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { InMemoryWebhookSecretStore } from '../../fakes/in-memory-webhook-secret-store.js';
import { aTask } from '../../fakes/tasks.js';
import { sqsRecord } from '../dispatch/sqs-fixtures.js';
import { dnsTable, RecordingQueue, RecordingVisibility, ScriptedReceiver } from './fakes.js';

const metricsSink = () => {
  const names: string[] = [];
  return { names, addMetric: (n: string) => names.push(n), publishStoredMetrics: () => undefined };
};

async function setup(
  script: WebhookAttemptResult[] = [],
  dns = { 'hooks.example.com': ['93.184.215.14'] },
) {
  // Real time: standardwebhooks refuses timestamps more than 5 minutes off the real clock.
  const clock = new FixedClock(Date.now());
  const tasks = new InMemoryTaskRepository({ clock });
  const secrets = new InMemoryWebhookSecretStore();
  const { secret } = await ensureWebhookSecret({ secrets, clock }, 'alice');
  const receiver = new ScriptedReceiver(script);
  const visibility = new RecordingVisibility();
  const deadLetters = new RecordingQueue();
  const metrics = metricsSink();
  const artifacts = new InMemoryArtifactStore(clock);
  const task: Task = aTask({
    status: 'succeeded',
    finishedAt: clock.iso(),
    webhook: { url: 'https://hooks.example.com/in', events: ['task.succeeded'] },
    deliveries: {},
    outputs: [
      {
        nodeId: '9',
        filename: 'out.png',
        subfolder: '',
        type: 'output',
        s3Key: 'outputs/alice/x/out.png',
        contentType: 'image/png',
        size: 3,
      },
    ],
  });
  tasks.seed(task);
  const handler = createHandler({
    clock,
    tasks,
    deliveries: tasks,
    secrets,
    transport: receiver,
    resolver: dnsTable(dns),
    policy: {},
    artifacts,
    outputUrlTtlSeconds: 3600,
    visibility,
    deadLetters,
    retryDelaysSeconds: STANDARD_RETRY_DELAYS_SECONDS,
    metrics,
    random: () => 0.5,
  });
  const message: WebhookMessage = {
    taskId: task.taskId,
    event: 'task.succeeded',
    webhookId: webhookIdFor(task.taskId, 'task.succeeded'),
    occurredAt: clock.iso(),
  };
  const deliver = (receiveCount: number, id = `m-${receiveCount}`) =>
    handler({ Records: [sqsRecord(message, { id, receiveCount, queue: 'webhooks' })] });
  const stored = async () => (await tasks.get(task.taskId)) as Task;
  return {
    clock,
    tasks,
    secret,
    receiver,
    visibility,
    deadLetters,
    metrics,
    task,
    message,
    handler,
    deliver,
    stored,
  };
}

describe('webhook sender', () => {
  it('POSTs a task.succeeded that standardwebhooks verifies, with the task and fresh links', async () => {
    const s = await setup();
    const res = await s.deliver(1);
    expect(res.batchItemFailures).toEqual([]);
    expect(s.receiver.sent).toHaveLength(1);
    const [req] = s.receiver.sent;
    if (!req) throw new Error('nothing sent');
    expect(req.target.address.address).toBe('93.184.215.14');
    // The library checks the timestamp against the real clock: sign at "now".
    const verified = new Webhook(s.secret).verify(req.body, req.headers) as {
      type: string;
      timestamp: string;
      data: { taskId: string; status: string; outputs: { url: string }[] };
    };
    expect(verified.type).toBe('task.succeeded');
    expect(verified.timestamp).toBe(s.message.occurredAt);
    expect(verified.data).toMatchObject({ taskId: s.task.taskId, status: 'succeeded' });
    expect(verified.data.outputs[0]?.url).toContain('outputs/alice/x/out.png');
    expect(req.headers['webhook-id']).toBe(s.message.webhookId);
    expect((await s.stored()).deliveries?.['task.succeeded']).toMatchObject({
      webhookId: s.message.webhookId,
      attempts: 1,
      lastStatus: 200,
      deliveredAt: s.clock.iso(),
    });
    expect(s.metrics.names).toContain('WebhooksDelivered');
  });

  it('retries a receiver that fails, resets and hangs on the schedule, with the same webhook-id', async () => {
    const s = await setup([
      { status: 500, error: 'HTTP 500' },
      { error: 'ECONNRESET: other side closed' },
      { error: 'no answer within 10000 ms' },
    ]);
    for (const [n, delay] of [
      [1, 5],
      [2, 300],
      [3, 1800],
    ] as const) {
      const res = await s.deliver(n);
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: `m-${n}` }]);
      expect(s.visibility.changes.at(-1)).toEqual({ receiptHandle: `rh-m-${n}`, seconds: delay });
    }
    expect((await s.stored()).deliveries?.['task.succeeded']).toMatchObject({
      attempts: 3,
      lastError: 'no answer within 10000 ms',
    });
    const res = await s.deliver(4);
    expect(res.batchItemFailures).toEqual([]);
    expect(new Set(s.receiver.sent.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([s.message.webhookId]),
    );
    expect((await s.stored()).deliveries?.['task.succeeded']).toMatchObject({
      attempts: 4,
      lastStatus: 200,
      deliveredAt: expect.any(String),
    });
    expect(s.deadLetters.messages).toEqual([]);
  });

  it('spreads retry delays by ±20 % jitter', async () => {
    const { retryDelaySeconds } = await import('../../../shared/webhooks/schedule.js');
    expect(retryDelaySeconds([300], 1, () => 0)).toBe(240);
    expect(retryDelaySeconds([300], 1, () => 1)).toBe(360);
    expect(retryDelaySeconds([300], 2, () => 0.5)).toBeUndefined();
    const total = STANDARD_RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0);
    expect(total / 3600).toBeGreaterThan(24);
    expect(total / 3600).toBeLessThan(30);
  });

  it('moves the event to the dead-letter queue after the last attempt and marks it abandoned', async () => {
    const attempts = STANDARD_RETRY_DELAYS_SECONDS.length + 1;
    const s = await setup(
      Array.from({ length: attempts }, () => ({ status: 503, error: 'HTTP 503' })),
    );
    const res = await s.deliver(attempts);
    expect(res.batchItemFailures).toEqual([]);
    expect(s.deadLetters.messages).toEqual([s.message]);
    expect((await s.stored()).deliveries?.['task.succeeded']).toMatchObject({
      lastStatus: 503,
      abandonedAt: s.clock.iso(),
    });
    expect(s.metrics.names).toContain('WebhooksAbandoned');
  });

  it('sends an event once when SQS delivers its message twice', async () => {
    const s = await setup();
    await s.deliver(1, 'copy-1');
    const again = await s.deliver(1, 'copy-2');
    expect(again.batchItemFailures).toEqual([]);
    expect(s.receiver.sent).toHaveLength(1);
    expect(s.metrics.names).toContain('WebhooksSkipped');
  });

  it('refuses to connect when the host now resolves to a private address (DNS changed since submit)', async () => {
    const s = await setup([], { 'hooks.example.com': ['10.0.0.5'] });
    const res = await s.deliver(1);
    expect(res.batchItemFailures).toHaveLength(1);
    expect(s.receiver.sent).toEqual([]);
    expect((await s.stored()).deliveries?.['task.succeeded']?.lastError).toMatch(
      /refused.*private/,
    );
  });

  it('skips tasks that are gone and drops malformed messages', async () => {
    const s = await setup();
    const gone = { ...s.message, taskId: '00000000-0000-4000-8000-000000000000' };
    const res = await s.handler({
      Records: [
        sqsRecord(gone, { id: 'gone', queue: 'webhooks' }),
        sqsRecord('not json', { id: 'bad', queue: 'webhooks' }),
      ],
    });
    expect(res.batchItemFailures).toEqual([]);
    expect(s.receiver.sent).toEqual([]);
  });
});
