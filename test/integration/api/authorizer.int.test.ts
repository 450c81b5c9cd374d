import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDeps as buildAuthorizerDeps } from '../../../functions/authorizer/deps.js';
import { createHandler } from '../../../functions/authorizer/handler.js';
import { createKey, listKeys, revokeKey } from '../../../shared/auth/key-admin.js';
import { systemClock } from '../../../shared/ports/clock.js';
import { lambdaContext } from '../../helpers/api-events.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

describe('the API key authorizer against the keys table', () => {
  let stack: TestStack;
  let deps: ReturnType<typeof buildAuthorizerDeps>;
  beforeAll(async () => {
    stack = await createTestStack();
    deps = {
      ...buildAuthorizerDeps(stack.config(), stack.clients),
      logger: new Logger({ logLevel: 'SILENT' }),
    };
  });
  const authorize = (key?: string) =>
    createHandler(deps)(
      {
        headers: key === undefined ? {} : { 'x-api-key': key },
        routeKey: 'POST /v1/tasks',
      } as unknown as APIGatewayRequestAuthorizerEventV2,
      lambdaContext(),
    );

  it('authorizes a created key as its owner until it is revoked', async () => {
    // Prepare
    const admin = { keys: deps.keys, clock: systemClock };
    const { key, keyId } = await createKey(admin, 'carol', 'ci');
    // Act + Assess
    expect(await authorize(key)).toEqual({
      isAuthorized: true,
      context: { owner: 'carol', keyId },
    });
    expect((await listKeys(admin, 'carol')).map((k) => k.keyId)).toEqual([keyId]);
    expect(await revokeKey(admin, keyId)).toBe(true);
    expect(await authorize(key)).toEqual({ isAuthorized: false });
    expect((await listKeys(admin, 'carol'))[0]?.revokedAt).toEqual(expect.any(String));
  });

  it('denies missing and unknown keys', async () => {
    expect(await authorize()).toEqual({ isAuthorized: false });
    expect(await authorize(`csk_${'B'.repeat(43)}`)).toEqual({ isAuthorized: false });
  });
});
