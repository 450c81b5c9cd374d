/**
 * Logs never contain API keys, JWTs or presigned URL signatures. The functions run behind the local
 * API server with the real Powertools logger at DEBUG (and, for two of the three APIs, with
 * POWERTOOLS_LOGGER_LOG_EVENT on, which would log whole events with their headers); a full flow (keys good, revoked and wrong;
 * tokens good, expired and forged; submit with an Idempotency-Key, status with presigned output
 * links, list, cancel, an upload link, refused bodies, and a 503 when the queue is unreachable) is
 * run while stdout and stderr are captured, and the capture is scanned.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyWorkflow } from '../../fakes/tasks.js';
import { type CapturedOutput, captureOutput, findSecrets } from '../../helpers/capture-output.js';
import { type JwtIssuer, type SecureApi, startSecureApi } from './support/secure-api.js';

describe('secrets in logs', () => {
  let keyApi: SecureApi;
  let jwtApi: SecureApi;
  let brokenApi: SecureApi;
  let output: CapturedOutput | undefined;
  const secrets: string[] = [];

  beforeAll(async () => {
    // The loudest logger an operator can configure: DEBUG, and Powertools' own switch that logs
    // every invocation event (headers included) turned on.
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    const loud = new Logger({ serviceName: 'comfy-serverless', logLevel: 'DEBUG' });
    delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
    keyApi = await startSecureApi({ logger: loud });
    jwtApi = await startSecureApi({ logger: loud, jwt: true });
    brokenApi = await startSecureApi({
      logger: new Logger({ serviceName: 'comfy-serverless', logLevel: 'DEBUG' }),
      env: { DISPATCH_QUEUE_URL: 'http://127.0.0.1:1/000000000000/no-such-queue' },
    });
  });
  afterAll(async () => {
    output?.stop();
    await Promise.all([keyApi.close(), jwtApi.close(), brokenApi.close()]);
  });

  it('a full flow logs something, and no key, token or signature', async () => {
    // Prepare
    const jwt = jwtApi.jwt as JwtIssuer;
    const token = await jwt.sign({ sub: 'auth0|alice' });
    const expired = await jwt.sign(
      { sub: 'auth0|alice' },
      { exp: Math.floor(Date.now() / 1000) - 60 },
    );
    const forged = await jwt.signForeign({ sub: 'auth0|alice' });
    const wrongKey = `csk_${'Z'.repeat(43)}`;
    secrets.push(...Object.values(keyApi.keys), ...Object.values(brokenApi.keys), wrongKey);
    secrets.push(token, expired, forged);
    const json = { 'content-type': 'application/json' };
    const k = (key: string) => ({ ...json, 'x-api-key': key, 'idempotency-key': 'flow-1' });
    const b = (t: string) => ({ ...json, authorization: `Bearer ${t}` });
    const body = JSON.stringify({ workflow: tinyWorkflow(), metadata: { note: 'hello' } });
    const responses: string[] = [];
    const call = async (
      api: SecureApi,
      method: string,
      path: string,
      headers: Record<string, string>,
      payload?: string,
    ) => {
      const res = await api.call(method, path, { headers, ...(payload ? { body: payload } : {}) });
      responses.push(res.text);
      return res;
    };

    // Act
    output = captureOutput();
    const sub = await call(keyApi, 'POST', '/v1/tasks', k(keyApi.keys.alice), body);
    await call(keyApi, 'POST', '/v1/tasks', k(keyApi.keys.alice), body);
    const taskId = JSON.parse(sub.text).taskId as string;
    // The poller's work, as the api tests do it: an output in S3 and the task succeeded.
    const key = `outputs/alice/${taskId}/2/out_00001_.png`;
    await keyApi.stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: keyApi.stack.names.bucket,
        Key: key,
        Body: 'png',
        ContentType: 'image/png',
      }),
    );
    const now = new Date().toISOString();
    const { tasks } = (await import('../../../functions/submit/deps.js')).buildDeps(
      keyApi.stack.config(),
      keyApi.stack.clients,
    );
    await tasks.update(taskId, { status: 'queued' }, { status: 'running', startedAt: now });
    await tasks.update(
      taskId,
      { status: 'running' },
      {
        status: 'succeeded',
        finishedAt: now,
        outputs: [
          {
            nodeId: '2',
            filename: 'out_00001_.png',
            subfolder: '',
            type: 'output',
            s3Key: key,
            contentType: 'image/png',
            size: 3,
          },
        ],
      },
    );
    const status = await call(keyApi, 'GET', `/v1/tasks/${taskId}`, k(keyApi.keys.alice));
    await call(keyApi, 'GET', '/v1/tasks?limit=1', k(keyApi.keys.alice));
    await call(keyApi, 'POST', `/v1/tasks/${taskId}/cancel`, k(keyApi.keys.alice));
    const up = await call(
      keyApi,
      'POST',
      '/v1/uploads',
      k(keyApi.keys.alice),
      JSON.stringify({ filename: 'a.png', contentType: 'image/png', size: 10 }),
    );
    await call(keyApi, 'GET', '/v1/tasks', k(keyApi.keys.revoked));
    await call(keyApi, 'GET', '/v1/tasks', k(wrongKey));
    await call(keyApi, 'POST', '/v1/tasks', k(keyApi.keys.mallory), '{"workflow": {');
    await call(
      keyApi,
      'POST',
      '/v1/tasks',
      k(keyApi.keys.mallory),
      JSON.stringify({ key: keyApi.keys.alice }),
    );
    await call(jwtApi, 'POST', '/v1/tasks', b(token), body);
    await call(jwtApi, 'GET', '/v1/tasks', b(expired));
    await call(jwtApi, 'GET', '/v1/tasks', b(forged));
    await call(jwtApi, 'POST', '/v1/tasks', b(token), JSON.stringify({ token }));
    const broken = await call(brokenApi, 'POST', '/v1/tasks', k(brokenApi.keys.alice), body);
    output.stop();

    // Assess: the flow did what it should, and logged, so the scan below means something.
    expect(sub.status).toBe(202);
    expect(broken.status).toBe(503);
    const view = JSON.parse(status.text);
    expect(view.outputs[0].url).toContain('X-Amz-Signature=');
    const uploadUrl = JSON.parse(up.text).url as string;
    expect(uploadUrl).toContain('X-Amz-Signature=');
    secrets.push(view.outputs[0].url, uploadUrl);
    const logs = output.text();
    expect(output.lines().length).toBeGreaterThan(8);
    expect(logs).toContain('"level":"ERROR"');
    expect(logs).toContain(taskId);
    expect(findSecrets(logs, secrets)).toEqual([]);
    // The scanner finds what it looks for (the responses hold presigned links).
    expect(findSecrets(responses.join('\n')).length).toBeGreaterThan(0);
  });
});
