import { describe, expect, it } from 'vitest';
import {
  invokeFunction,
  LambdaInvocationError,
  LambdaTimeoutError,
  type LocalFunction,
} from '../../../infra/local/runtime/invoke.js';

const fn = (handler: LocalFunction['handler'], timeoutMs = 1000): LocalFunction => ({
  name: 'test-fn',
  handler,
  timeoutMs,
});
const opts = { region: 'us-east-1' };

describe('invokeFunction (Lambda Node.js runtime semantics)', () => {
  it('passes a JSON copy of the event and a context that counts down', async () => {
    const event = { a: 1, when: new Date(0) };
    const seen = await invokeFunction<{ event: unknown; remaining: number; arn: string }>(
      fn(async (e, ctx) => {
        e.a = 2;
        return { event: e, remaining: ctx.getRemainingTimeInMillis(), arn: ctx.invokedFunctionArn };
      }),
      event,
      opts,
    );
    expect(event.a).toBe(1);
    expect(seen.event).toEqual({ a: 2, when: '1970-01-01T00:00:00.000Z' });
    expect(seen.remaining).toBeGreaterThan(0);
    expect(seen.remaining).toBeLessThanOrEqual(1000);
    expect(seen.arn).toMatch(/^arn:aws:lambda:us-east-1:\d{12}:function:test-fn$/);
  });

  it('returns the result as JSON: undefined fields vanish, no result is null', async () => {
    expect(
      await invokeFunction(
        fn(async () => ({ a: undefined, b: 1 })),
        {},
        opts,
      ),
    ).toEqual({ b: 1 });
    expect(
      await invokeFunction(
        fn(async () => undefined),
        {},
        opts,
      ),
    ).toBeNull();
  });

  it('supports callback-style handlers', async () => {
    const handler = (_e: unknown, _c: unknown, cb: (err: Error | null, r?: unknown) => void) => {
      setTimeout(() => cb(null, 'done'), 5);
    };
    expect(await invokeFunction(fn(handler), {}, opts)).toBe('done');
  });

  it('reports a thrown error with its type and message', async () => {
    const err = await invokeFunction(
      fn(async () => {
        throw new TypeError('boom');
      }),
      {},
      opts,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LambdaInvocationError);
    expect(err).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
  });

  it('times out like Lambda', async () => {
    const err = await invokeFunction(
      fn(() => new Promise(() => {}), 30),
      {},
      opts,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LambdaTimeoutError);
    expect((err as Error).message).toContain('Task timed out after 0.03 seconds');
  });
});
