/**
 * Every AWS request a function makes is allowed by the IAM grants CDK gives that function. The
 * emulators check no IAM, so this test records what each function actually sends: the local runtime
 * (`npm start`'s, in this process) runs the functions through a day in the life of the API (upload,
 * submit with a webhook, run, outputs, list, cancel with a stale output to sweep, a dead-lettered
 * dispatch, the templates and models routes, each behind the per-owner rate limit) with a recorder on every SDK
 * client they build, and each request, and each presigned link handed out, is checked against that
 * function's role in the synthesized stateless template (with the partition-key condition of the
 * rate-limit grant). A grant missing from a manifest fails here, not in the deployed account.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Template } from 'aws-cdk-lib/assertions';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, manifestOf } from '../../../functions/manifests.js';
import { currentInvocation } from '../../../infra/local/runtime/invoke.js';
import type { LocalRuntime } from '../../../infra/local/start/runtime.js';
import { createAwsClients, observeAwsClients } from '../../../shared/adapters/aws/clients.js';
import { DynamoApiKeyStore } from '../../../shared/adapters/dynamodb/api-key-store.js';
import { DynamoWebhookSecretStore } from '../../../shared/adapters/dynamodb/webhook-secret-store.js';
import { createKey } from '../../../shared/auth/key-admin.js';
import { ensureWebhookSecret } from '../../../shared/auth/webhook-secret-admin.js';
import { ownerSegment } from '../../../shared/domain/owner.js';
import { systemClock } from '../../../shared/ports/clock.js';
import { keys } from '../../../shared/resources.js';
import {
  type AwsCall,
  AwsCallRecorder,
  deployedFunction,
  type Need,
  needsOf,
  uncovered,
} from '../../helpers/iam-coverage.js';
import { type InProcessRuntime, startInProcessRuntime } from '../../helpers/in-process-runtime.js';
import { synthStateless } from '../../infra/support/test-app.js';
import { longChain } from '../comfyui/workflows.js';

const OWNER = 'iam-coverage';

interface Task {
  taskId: string;
  status: string;
  outputs: { url: string }[];
}

/** A small real PNG for the LoadImage input. */
function png(): Buffer {
  const img = new PNG({ width: 8, height: 8 });
  img.data.fill(128);
  return PNG.sync.write(img);
}

describe('IAM grants cover every AWS request each function makes', () => {
  let runtime: InProcessRuntime;
  let rt: LocalRuntime;
  let template: Template;
  let key: string;
  /** A webhook receiver on this machine (the local runtime allows loopback http receivers). */
  let receiver: Server;
  const delivered: string[] = [];
  const recorder = new AwsCallRecorder(() => currentInvocation()?.functionName);
  /** Presigned links each function handed out, as the request they allow. */
  const links: { fn: string; need: Need }[] = [];
  let stopObserving: () => void = () => {};

  const call = async (fn: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rt.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status, `${fn}: ${JSON.stringify(json)}`).toBeLessThan(300);
    return json;
  };
  /** The presigned link as the S3 request it allows (path-style: /<bucket>/<key>). */
  const link = (fn: string, url: string, action: string) => {
    const [, bucket, ...rest] = new URL(url).pathname.split('/');
    links.push({
      fn,
      need: { action, value: bucket as string, suffix: `/${decodeURIComponent(rest.join('/'))}` },
    });
  };
  const task = async (id: string) => {
    const t = (await call('status', 'GET', `/v1/tasks/${id}`)) as unknown as Task;
    for (const o of t.outputs ?? []) link('status', o.url, 's3:GetObject');
    return t;
  };
  const waitFor = async (id: string, statuses: string[], timeoutMs = 45_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const t = await task(id);
      if (statuses.includes(t.status)) return t;
      if (Date.now() > end) throw new Error(`task ${id} is ${t.status}, wanted ${statuses}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };

  beforeAll(async () => {
    stopObserving = observeAwsClients((clients) => {
      recorder.attach(clients.dynamodb);
      recorder.attach(clients.doc);
      recorder.attach(clients.sqs);
      recorder.attach(clients.s3);
    });
    runtime = await startInProcessRuntime({
      comfyExecutionMs: 300,
      pollerRepeatMs: 150,
      env: {
        POLL_INTERVAL_MS: '100',
        MAX_IN_FLIGHT: '2',
        // On, and high enough never to refuse: every API function takes from its owner's bucket.
        OWNER_RATE_LIMIT_PER_SECOND: '1000',
      },
    });
    rt = runtime.rt;
    const clients = createAwsClients({
      region: 'us-east-1',
      dynamodbEndpoint: rt.dynamodbEndpoint,
    });
    const store = new DynamoApiKeyStore({ client: clients.doc, tableName: rt.names.apiKeysTable });
    key = (await createKey({ keys: store, clock: systemClock }, OWNER, 'iam coverage')).key;
    const secrets = new DynamoWebhookSecretStore({
      client: clients.doc,
      tableName: rt.names.apiKeysTable,
    });
    await ensureWebhookSecret({ secrets, clock: systemClock }, OWNER);
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        delivered.push(String(req.headers['webhook-id']));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    template = synthStateless().template;
  }, 180_000);

  afterAll(async () => {
    stopObserving();
    await runtime?.stop();
    receiver?.close();
  });

  it('runs every function and finds each request it makes in its role', async () => {
    // The read-only routes.
    await call('templates', 'GET', '/v1/templates');

    // An upload, then a task that loads it and saves its output, with a webhook.
    const image = png();
    const up = (await call('create-upload', 'POST', '/v1/uploads', {
      filename: 'in.png',
      contentType: 'image/png',
      size: image.length,
    })) as { uploadId: string; url: string; headers: Record<string, string> };
    link('create-upload', up.url, 's3:PutObject');
    const put = await fetch(up.url, { method: 'PUT', headers: up.headers, body: image });
    expect(put.status).toBe(200);
    const { taskId: done } = (await call('submit', 'POST', '/v1/tasks', {
      workflow: {
        '1': { class_type: 'LoadImage', inputs: { image: `upload:${up.uploadId}` } },
        '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
        '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inv' } },
      },
      webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` },
    })) as { taskId: string };
    const finished = await waitFor(done, ['succeeded', 'failed', 'cancelled']);
    expect(finished.status).toBe('succeeded');
    expect(finished.outputs.length).toBeGreaterThan(0);
    const page = (await call('list', 'GET', '/v1/tasks')) as unknown as { items: Task[] };
    for (const t of page.items)
      for (const o of t.outputs ?? []) link('list', o.url, 's3:GetObject');
    await call('models', 'GET', '/v1/models');

    // A running task with a stale output of an earlier run, cancelled: the poller interrupts the
    // run and sweeps the output prefix.
    await fetch(`${rt.comfy.url}/__standin/execution-ms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: 20_000 }),
    });
    const { taskId: running } = (await call('submit', 'POST', '/v1/tasks', {
      workflow: longChain(7),
    })) as { taskId: string };
    await waitFor(running, ['running']);
    const s3 = createAwsClients({ region: 'us-east-1', s3Endpoint: rt.s3SqsEndpoint }).s3;
    await s3.send(
      new PutObjectCommand({
        Bucket: rt.names.bucket,
        Key: `${keys.outputPrefix(ownerSegment(OWNER), running)}stale.png`,
        Body: image,
      }),
    );
    await call('cancel', 'POST', `/v1/tasks/${running}/cancel`);
    expect((await waitFor(running, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled');
    await fetch(`${rt.comfy.url}/__standin/execution-ms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: 300 }),
    });

    // A dispatch message that ran out of receives: the dead-letter function fails its task.
    const { taskId: lost } = (await call('submit', 'POST', '/v1/tasks', {
      workflow: longChain(9),
    })) as { taskId: string };
    await waitFor(lost, ['succeeded', 'failed', 'cancelled']);
    const sqs = createAwsClients({ region: 'us-east-1', sqsEndpoint: rt.s3SqsEndpoint }).sqs;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: rt.names.dlqUrl,
        MessageBody: JSON.stringify({ taskId: lost }),
      }),
    );
    const end = Date.now() + 30_000;
    while (!recorder.calls.some((c) => c.fn === 'dead-letter') && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
    }
    while (delivered.length === 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(delivered.length, 'webhook deliveries').toBeGreaterThan(0);

    const seen = (fn: string, pred: (c: AwsCall) => boolean) =>
      recorder.calls.some((c) => c.fn === fn && pred(c));
    // The paths the grants are for were taken.
    expect(seen('poller', (c) => c.operation === 'DeleteObject')).toBe(true);
    expect(seen('poller', (c) => c.operation === 'PutObject' || c.operation === 'UploadPart')).toBe(
      true,
    );
    expect(seen('dispatcher', (c) => c.service === 'S3' && c.operation === 'GetObject')).toBe(true);
    // Every function of the default deployment that touches AWS was exercised (functions deployed
    // only with optional parts, such as the GPU fleet, are not in that template).
    const deployedByDefault = new Set(
      Object.values(template.findResources('AWS::Lambda::Function')).map(
        (r) => r.Properties?.Description,
      ),
    );
    for (const m of FUNCTIONS) {
      if (m.resources.length === 0 || !deployedByDefault.has(m.description)) continue;
      expect(
        recorder.calls.some((c) => c.fn === m.name),
        `${m.name} made no AWS request in this run`,
      ).toBe(true);
    }

    const problems = new Set<string>();
    const check = (fn: string, need: Need) => {
      const deployed = deployedFunction(template, manifestOf(fn).description);
      const why = uncovered(need, deployed, process.env);
      if (why) problems.add(`${fn}: ${why}`);
    };
    for (const c of recorder.calls) {
      const needs = needsOf(c);
      if (!needs) {
        problems.add(`${c.fn}: ${c.service} ${c.operation} has no IAM mapping in iam-coverage.ts`);
        continue;
      }
      for (const need of needs) check(c.fn, need);
    }
    for (const { fn, need } of links) check(fn, need);
    expect([...problems].sort()).toEqual([]);
  }, 240_000);
});
