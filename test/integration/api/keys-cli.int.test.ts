import { beforeAll, describe, expect, it } from 'vitest';
import { resolveTarget, runKeys } from '../../../scripts/keys.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

describe('npm run keys', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  beforeAll(async () => {
    stack = await createTestStack();
    env = {
      API_KEYS_TABLE_NAME: stack.names.apiKeysTable,
      AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
      AWS_REGION: 'us-east-1',
    };
  });
  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await runKeys(argv, env, (l) => lines.push(l));
    return { code, text: lines.join('\n') };
  };

  it('creates a key (printed once), lists it without the secret, and revokes it', async () => {
    // Act
    const created = await run('create', '--owner', 'dave', '--label', 'phone');
    const key = created.text.match(/csk_[A-Za-z0-9_-]+/)?.[0];
    const keyId = created.text.match(/key_[0-9a-f]{12}/)?.[0] ?? '';
    const listed = await run('list', '--owner', 'dave');
    const revoked = await run('revoke', keyId);
    const after = await run('list', '--json');
    // Assess
    expect(created.code).toBe(0);
    expect(key).toBeDefined();
    expect(listed.text).toContain(keyId);
    expect(listed.text).toContain('phone');
    expect(listed.text).not.toContain(key);
    expect(revoked).toEqual({ code: 0, text: `revoked ${keyId}` });
    expect(JSON.parse(after.text)).toEqual([
      expect.objectContaining({ keyId, revokedAt: expect.any(String) }),
    ]);
  });

  it("sets an owner's limits on all their keys, new ones included, and clears them", async () => {
    // Act
    await run('create', '--owner', 'erin');
    const set = await run('set-limits', '--owner', 'erin', '--steps', '300', '--upscale', '2.5');
    await run('create', '--owner', 'erin', '--label', 'second');
    const listed = await run('list', '--owner', 'erin', '--json');
    const nobody = await run('set-limits', '--owner', 'nobody', '--steps', '1');
    const incomplete = await run('set-limits', '--owner', 'erin');
    const cleared = await run('set-limits', '--owner', 'erin', '--clear');
    const after = await run('list', '--owner', 'erin', '--json');
    // Assess
    expect(set).toEqual({ code: 0, text: 'set {"steps":300,"upscale":2.5} on 1 key(s) of erin' });
    expect(JSON.parse(listed.text).map((k: { limits?: unknown }) => k.limits)).toEqual([
      { steps: 300, upscale: 2.5 },
      { steps: 300, upscale: 2.5 },
    ]);
    expect(nobody.code).toBe(1);
    expect(incomplete.code).toBe(2);
    expect(cleared).toEqual({ code: 0, text: 'cleared the limits of 2 key(s) of erin' });
    expect(JSON.parse(after.text).some((k: { limits?: unknown }) => k.limits)).toBe(false);
    await expect(run('set-limits', '--owner', 'erin', '--steps', '0')).rejects.toThrow(
      /Invalid limit steps=0/,
    );
  });

  it('says how to use it when the command is incomplete, and fails for an unknown key id', async () => {
    expect((await run('create')).code).toBe(2);
    expect((await run('create')).text).toMatch(/create needs --owner[\s\S]*Usage:/);
    expect(await run('--help')).toEqual({ code: 0, text: expect.stringMatching(/^Usage:/) });
    expect(await run('list', '--bogus')).toEqual({
      code: 2,
      text: expect.stringMatching(/--bogus[\s\S]*Usage:/),
    });
    expect((await run('revoke', 'key_000000000000')).code).toBe(1);
  });

  it("prints the owner's webhook signing secret once with the first key, and rotates it with an overlap", async () => {
    const first = await run('create', '--owner', 'wendy');
    const secret = first.text.match(/whsec_[A-Za-z0-9+/=]+/)?.[0];
    expect(secret).toBeDefined();
    const second = await run('create', '--owner', 'wendy');
    expect(second.text).not.toMatch(/whsec_/);
    expect(await run('webhook-secret', 'create', '--owner', 'wendy')).toEqual({
      code: 1,
      text: 'wendy already has a webhook signing secret (rotate gives a new one)',
    });
    const rotated = await run(
      'webhook-secret',
      'rotate',
      '--owner',
      'wendy',
      '--overlap-hours',
      '2',
      '--json',
    );
    const r = JSON.parse(rotated.text) as { secret: string; previousUntil: string };
    expect(r.secret).toMatch(/^whsec_/);
    expect(r.secret).not.toBe(secret);
    const hours = (Date.parse(r.previousUntil) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2);
    // Secrets stay out of the key listing.
    expect(
      JSON.parse((await run('list', '--json')).text).every((k: { keyId?: string }) => k.keyId),
    ).toBe(true);
    expect((await run('webhook-secret', 'rotate')).code).toBe(2);
  });

  it('targets the local stack by default and a deployed table when one is named', () => {
    expect(resolveTarget({}, { LOCAL_DYNAMODB_PORT: '8123' })).toEqual({
      table: 'comfy-serverless-api-keys',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:8123',
      local: true,
    });
    expect(resolveTarget({ table: 'Prod-ApiKeys', region: 'eu-west-1' }, {})).toEqual({
      table: 'Prod-ApiKeys',
      region: 'eu-west-1',
      local: false,
    });
  });
});
