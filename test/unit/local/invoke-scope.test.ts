/** What the local runtime tells observers about invocations (the bench's attribution of requests). */
import { describe, expect, it } from 'vitest';
import {
  currentInvocation,
  type InvocationRecord,
  invokeFunction,
  observeInvocations,
} from '../../../infra/local/runtime/invoke.js';

describe('invocation scope', () => {
  it('names the running invocation inside the handler and whatever it awaits, none outside', async () => {
    const seen: (string | undefined)[] = [];
    await invokeFunction(
      {
        name: 'poller',
        timeoutMs: 1000,
        handler: async () => {
          seen.push(currentInvocation()?.functionName);
          await new Promise((r) => setTimeout(r, 5));
          seen.push(currentInvocation()?.functionName);
        },
      },
      {},
      { region: 'us-east-1' },
    );
    expect(seen).toEqual(['poller', 'poller']);
    expect(currentInvocation()).toBeUndefined();
  });

  it('reports every finished invocation, failed ones too, until observing stops', async () => {
    const records: InvocationRecord[] = [];
    const stop = observeInvocations((r) => records.push(r));
    await invokeFunction(
      { name: 'ok', timeoutMs: 1000, handler: async () => 1 },
      {},
      { region: 'x' },
    );
    await expect(
      invokeFunction(
        {
          name: 'bad',
          timeoutMs: 1000,
          handler: async () => {
            throw new Error('no');
          },
        },
        {},
        { region: 'x' },
      ),
    ).rejects.toThrow();
    stop();
    await invokeFunction(
      { name: 'late', timeoutMs: 1000, handler: async () => 1 },
      {},
      { region: 'x' },
    );
    expect(records.map((r) => [r.functionName, r.ok])).toEqual([
      ['ok', true],
      ['bad', false],
    ]);
    expect(records[0]?.ms).toBeGreaterThanOrEqual(0);
  });
});
