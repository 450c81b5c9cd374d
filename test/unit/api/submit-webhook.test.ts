import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/submit/handler.js';
import { ensureWebhookSecret } from '../../../shared/auth/webhook-secret-admin.js';
import { InMemoryWebhookSecretStore } from '../../fakes/in-memory-webhook-secret-store.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';
import { dnsTable } from '../webhooks/fakes.js';

async function setup(opts: { local?: boolean; secret?: boolean; webhooks?: boolean } = {}) {
  const deps = apiTestDeps();
  const secrets = new InMemoryWebhookSecretStore();
  if (opts.secret !== false) await ensureWebhookSecret({ secrets, clock: deps.clock }, 'alice');
  const webhooks = {
    resolver: dnsTable({
      'hooks.example.com': ['93.184.215.14'],
      'intranet.example.com': ['10.1.1.1'],
    }),
    policy: { allowLocalHttp: opts.local === true },
    secrets,
  };
  const handler = createHandler(opts.webhooks === false ? deps : { ...deps, webhooks });
  const submit = (webhook: unknown) =>
    handler(
      apiEvent({
        method: 'POST',
        path: '/v1/tasks',
        body: { template: 'txt2img', params: { prompt: 'x' }, webhook },
      }),
      lambdaContext(),
    );
  return { deps, submit };
}

describe('POST /v1/tasks with a webhook', () => {
  it('stores the subscription with the default terminal events', async () => {
    const { deps, submit } = await setup();
    const res = await submit({ url: 'https://hooks.example.com/in' });
    expect(res.statusCode).toBe(202);
    expect(deps.tasks.all()[0]).toMatchObject({
      webhook: {
        url: 'https://hooks.example.com/in',
        events: ['task.succeeded', 'task.failed', 'task.cancelled'],
      },
      deliveries: {},
    });
  });

  it('keeps the events asked for, once each', async () => {
    const { deps, submit } = await setup();
    await submit({
      url: 'https://hooks.example.com/in',
      events: ['task.running', 'task.progress', 'task.running'],
    });
    expect(deps.tasks.all()[0]?.webhook?.events).toEqual(['task.running', 'task.progress']);
  });

  it.each([
    [{ url: 'http://hooks.example.com/in' }, 'INVALID_WEBHOOK_URL', 'scheme'],
    [{ url: 'https://127.0.0.1/in' }, 'INVALID_WEBHOOK_URL', 'loopback'],
    [{ url: 'https://169.254.169.254/latest' }, 'INVALID_WEBHOOK_URL', 'metadata'],
    [{ url: 'https://intranet.example.com/' }, 'INVALID_WEBHOOK_URL', 'private'],
    [{ url: 'https://nowhere.invalid/' }, 'INVALID_WEBHOOK_URL', 'unresolvable'],
    [{ url: 'not a url' }, 'INVALID_WEBHOOK_URL', 'syntax'],
  ])('refuses %j with 400 %s (%s) and stores nothing', async (webhook, code, reason) => {
    const { deps, submit } = await setup();
    const res = await submit(webhook);
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toMatchObject({ code, details: { reason } });
    expect(deps.tasks.all()).toEqual([]);
  });

  it.each([
    [{ url: 'https://hooks.example.com/', events: ['task.done'] }],
    [{ url: 'https://hooks.example.com/', events: [] }],
    [{ url: 'https://hooks.example.com/', extra: 1 }],
    [{ events: ['task.failed'] }],
    ['https://hooks.example.com/'],
  ])('refuses the malformed webhook %j with 400 INVALID_REQUEST', async (webhook) => {
    const { submit } = await setup();
    const res = await submit(webhook);
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error.code).toBe('INVALID_REQUEST');
  });

  it('accepts a loopback http receiver in the local runtime only', async () => {
    const local = await setup({ local: true });
    expect((await local.submit({ url: 'http://127.0.0.1:9999/hook' })).statusCode).toBe(202);
    const deployed = await setup();
    expect((await deployed.submit({ url: 'http://127.0.0.1:9999/hook' })).statusCode).toBe(400);
  });

  it('needs the owner to have a signing secret, and webhooks to be configured', async () => {
    const noSecret = await setup({ secret: false });
    const res = await noSecret.submit({ url: 'https://hooks.example.com/' });
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error.code).toBe('WEBHOOK_SECRET_MISSING');
    const off = await setup({ webhooks: false });
    const res2 = await off.submit({ url: 'https://hooks.example.com/' });
    expect(bodyOf(res2).error.code).toBe('WEBHOOKS_NOT_AVAILABLE');
  });
});
