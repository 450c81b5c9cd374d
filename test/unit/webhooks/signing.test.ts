import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  ensureWebhookSecret,
  rotateWebhookSecret,
} from '../../../shared/auth/webhook-secret-admin.js';
import { activeSecrets } from '../../../shared/ports/webhook-secrets.js';
import {
  generateWebhookSecret,
  isWebhookSecret,
  signedHeaders,
} from '../../../shared/webhooks/signing.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryWebhookSecretStore } from '../../fakes/in-memory-webhook-secret-store.js';

const body = JSON.stringify({
  type: 'task.succeeded',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: {},
});

describe('Standard Webhooks signing', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    expect(isWebhookSecret(a)).toBe(true);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it('signs so that the standardwebhooks library verifies the delivery', () => {
    const secret = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([secret], 'msg_abc_succeeded', now, body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('fails verification for a changed body, id or timestamp, or another secret', () => {
    const secret = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = { ...signedHeaders([secret], 'msg_1', now, body) };
    const wh = new Webhook(secret);
    expect(() => wh.verify(`${body} `, headers)).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(now + 1) })).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('carries one signature per active secret during a rotation; either verifies', async () => {
    const clock = new FixedClock();
    const deps = { secrets: new InMemoryWebhookSecretStore(), clock };
    const first = await ensureWebhookSecret(deps, 'alice');
    expect(first.created).toBe(true);
    expect((await ensureWebhookSecret(deps, 'alice')).created).toBe(false);
    const rotated = await rotateWebhookSecret(deps, 'alice', 24);
    const stored = await deps.secrets.get('alice');
    if (!stored) throw new Error('no secrets stored');
    const active = activeSecrets(stored, clock.now());
    expect(active).toEqual([rotated.secret, first.secret]);
    const now = Math.floor(Date.now() / 1000);
    const headers = { ...signedHeaders(active, 'msg_r', now, body) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(first.secret).verify(body, headers)).toBeTruthy();
    expect(new Webhook(rotated.secret).verify(body, headers)).toBeTruthy();
    // After the overlap window only the new secret signs.
    expect(activeSecrets(stored, clock.now() + 25 * 3_600_000)).toEqual([rotated.secret]);
  });
});
