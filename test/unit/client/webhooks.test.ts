import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ComfyServerlessError, verifyWebhook } from '../../../clients/typescript/src/index.js';
import { generateWebhookSecret, signedHeaders } from '../../../shared/webhooks/signing.js';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const OTHER = `whsec_${Buffer.from('fedcba9876543210fedcba9876543210').toString('base64')}`;
const BODY = JSON.stringify({
  type: 'task.succeeded',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { taskId: 't', status: 'succeeded' },
});

function signed(secret: string, at = new Date(), body = BODY) {
  const id = 'msg_2b1c';
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

async function rejection(p: Promise<unknown>): Promise<ComfyServerlessError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ComfyServerlessError);
  expect((err as ComfyServerlessError).code).toBe('WEBHOOK_SIGNATURE_INVALID');
  return err as ComfyServerlessError;
}

describe('verifyWebhook', () => {
  it('accepts a delivery signed by the standardwebhooks package and returns its body', async () => {
    const event = await verifyWebhook(SECRET, signed(SECRET), BODY);
    expect(event.type).toBe('task.succeeded');
    expect(event.data.status).toBe('succeeded');
    const viaHeaders = await verifyWebhook(
      SECRET,
      new Headers(signed(SECRET)),
      new TextEncoder().encode(BODY),
    );
    expect(viaHeaders.type).toBe('task.succeeded');
  });

  it('accepts any of several signatures (secret rotation)', async () => {
    const a = signed(OTHER)['webhook-signature'];
    const b = signed(SECRET)['webhook-signature'];
    const headers = { ...signed(SECRET), 'webhook-signature': `${a} ${b}` };
    await expect(verifyWebhook(SECRET, headers, BODY)).resolves.toMatchObject({
      type: 'task.succeeded',
    });
  });

  it('refuses another secret, a changed body, an old timestamp and missing headers', async () => {
    await rejection(verifyWebhook(OTHER, signed(SECRET), BODY));
    await rejection(verifyWebhook(SECRET, signed(SECRET), BODY.replace('succeeded', 'failed')));
    const old = new Date(Date.now() - 10 * 60_000);
    const e = await rejection(verifyWebhook(SECRET, signed(SECRET, old), BODY));
    expect(e.message).toMatch(/300 s/);
    await rejection(verifyWebhook(SECRET, { 'webhook-id': 'x' }, BODY));
  });

  it('produces signatures the standardwebhooks package agrees with (same check both ways)', async () => {
    const headers = signed(SECRET);
    expect(new Webhook(SECRET).verify(BODY, headers)).toMatchObject({ type: 'task.succeeded' });
    await expect(verifyWebhook(SECRET, headers, BODY)).resolves.toBeDefined();
  });

  it("verifies what the API's own sender signs, during a rotation too", async () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([newSecret, oldSecret], 'msg_1', now, BODY);
    await expect(verifyWebhook(oldSecret, headers, BODY)).resolves.toMatchObject({
      type: 'task.succeeded',
    });
    await expect(verifyWebhook(newSecret, headers, BODY)).resolves.toBeDefined();
    await rejection(verifyWebhook(generateWebhookSecret(), headers, BODY));
  });
});
